"""The same account over the Domino REST API (DRAPI): the core sync tests of the DAS
suite run unchanged against a DominoRestPeer, plus what only DRAPI has (bearer tokens,
scopes, revisions)."""

from datetime import datetime, timedelta

from odoo.exceptions import UserError

from . import test_account, test_contacts, test_tasks_events
from .common import DrapiCase

# The modules, not their classes: a TestCase class bound at module level would be
# collected here and run twice.


class TestDrapiContacts(DrapiCase):
    def setUp(self):
        super().setUp()
        self.setup_kinds(contacts=True)

    # The DAS tests, unchanged: they assert on the peer's documents and Odoo's records.
    test_first_sync_both_ways_and_private_stays_out = (
        test_contacts.TestDominoContacts.test_first_sync_both_ways_and_private_stays_out)
    test_conflict_odoo_wins = test_contacts.TestDominoContacts.test_conflict_odoo_wins
    test_conflict_domino_wins = test_contacts.TestDominoContacts.test_conflict_domino_wins
    test_remote_deletion_and_item_turned_private = (
        test_contacts.TestDominoContacts.test_remote_deletion_and_item_turned_private)
    test_exported_then_deleted_in_domino_before_the_next_run = (
        test_contacts.TestDominoContacts.test_exported_then_deleted_in_domino_before_the_next_run)
    test_local_deletion_deletes_in_domino = (
        test_contacts.TestDominoContacts.test_local_deletion_deletes_in_domino)
    # Adopted through a DQL query on the tag item.
    test_lost_create_answer_is_adopted_not_duplicated = (
        test_contacts.TestDominoContacts.test_lost_create_answer_is_adopted_not_duplicated)

    def test_signs_in_once_and_speaks_drapi(self):
        self.peer.add_contact(FirstName="Rita", LastName="Remote")
        self.make_partner("Lea Local")

        run = self.sync()

        self.assertEqual((run.state, run.local_created, run.remote_created),
                         ("done", 1, 1), run.message)
        self.assertEqual(self.peer.sign_ins, 1, "one token for the whole run")
        calls = self.peer.requests_to(path=r"/api/v1/(?!auth).*")
        self.assertTrue(calls)
        self.assertTrue(all(c.headers["Authorization"].startswith("Bearer ") for c in calls))
        self.assertTrue(all(c.query.get("dataSource") == ["contacts"] for c in calls))
        self.assertFalse(self.peer.requests_to(path=r".*/api/data/.*"), "no DAS call")

    def test_update_sends_the_revision_and_a_stale_one_fails_the_item_alone(self):
        rita = self.peer.add_contact(FirstName="Rita", LastName="Remote")
        lea = self.make_partner("Lea Local")
        self.sync()
        self.peer.edit_document("names.nsf", rita["@unid"], {"JobTitle": "CEO"})
        lea.phone = "+1 111"

        run = self.sync()

        self.assertEqual((run.local_updated, run.remote_updated), (1, 1), run.message)
        patch = self.peer.requests_to("PATCH")[-1]
        lea_doc = next(d for d in self.peer.contacts() if d["FirstName"] == "Lea")
        self.assertEqual(lea_doc["OfficePhoneNumber"], "+1 111")
        self.assertEqual(len(patch.query["revision"][0]), 32)

        # Changed in Domino between the listing and our write: DRAPI answers 409.
        lea.phone = "+1 222"
        self.peer.inject("PATCH", r".*", status=409, json={
            "status": 409, "message": "revision mismatch", "errorId": 0})
        run = self.sync()
        self.assertEqual((run.state, run.failed), ("partial", 1))
        self.assertIn("Changed remotely", run.line_ids.reason)
        run = self.sync()
        self.assertEqual((run.state, run.remote_updated), ("done", 1), run.message)
        lea_doc = next(d for d in self.peer.contacts() if d["FirstName"] == "Lea")
        self.assertEqual(lea_doc["OfficePhoneNumber"], "+1 222")

    def test_expired_token_signs_in_again_once(self):
        self.peer.add_contact(FirstName="Rita", LastName="Remote")
        self.sync()
        self.peer.add_contact(FirstName="Kim", LastName="Later")
        # The token expires in the middle of the run (after the sign-in, at the listing).
        self.peer.inject("GET", r"/api/v1/lists/.*", status=401, json={
            "status": 401, "message": "Token is invalid or expired", "errorId": 0})

        run = self.sync()

        self.assertEqual((run.state, run.local_created), ("done", 1), run.message)
        self.assertEqual(self.peer.sign_ins, 3, "one per run, one more on the 401")

    def test_wrong_password_stops_the_run(self):
        self.peer.password = "other"
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("refused", run.message)
        self.assertFalse(self.synced_partners())

    def test_pasted_token(self):
        self.account.write({"domino_drapi_auth": "token",
                            "domino_api_token": self.peer.issue_token()})
        self.peer.add_contact(FirstName="Rita", LastName="Remote")
        run = self.sync()
        self.assertEqual((run.state, run.local_created), ("done", 1), run.message)
        self.assertEqual(self.peer.sign_ins, 0, "the pasted token is used as it is")

        # Expired: no password to sign in with, so the administrator is told to paste
        # a new token.
        self.peer.expire_tokens()
        with self.assertRaises(UserError) as caught:
            self.account.action_test_connection()
        self.assertIn("paste a new token", caught.exception.args[0])
        self.assertEqual(self.peer.sign_ins, 0)

    def test_pasted_token_missing(self):
        self.account.domino_drapi_auth = "token"
        with self.assertRaises(UserError) as caught:
            self.account.action_test_connection()
        self.assertIn("the Domino REST API token", caught.exception.args[0])

    def test_token_is_never_read_back(self):
        self.account.domino_api_token = "eyJ.secret.sig"
        self.assertFalse(self.account.domino_api_token)
        self.assertIn("api_token", self.account._sync_credentials())


class TestDrapiTasks(DrapiCase):
    def setUp(self):
        super().setUp()
        self.setup_kinds(tasks=True)
        self.Activity = self.env["mail.activity"].with_user(self.user)

    activities = test_tasks_events.TestDominoTasks.activities
    test_tasks_both_ways_private_never = (
        test_tasks_events.TestDominoTasks.test_tasks_both_ways_private_never)
    test_done_in_notes_archives_the_activity = (
        test_tasks_events.TestDominoTasks.test_done_in_notes_archives_the_activity)


class TestDrapiEvents(DrapiCase):
    """Events through DRAPI's PIM calendar (JSCalendar), same behaviour as over DAS."""

    def setUp(self):
        super().setUp()
        self.setup_kinds(events=True)
        self.Event = self.env["calendar.event"].with_user(self.user)

    _das = test_tasks_events.TestDominoEvents
    events = _das.events
    add_remote = _das.add_remote
    test_events_both_ways_and_private_never = _das.test_events_both_ways_and_private_never
    test_all_day_event_round_trip = _das.test_all_day_event_round_trip
    test_update_keeps_domino_attendees = _das.test_update_keeps_domino_attendees
    test_remote_deletion_and_turned_private = _das.test_remote_deletion_and_turned_private
    test_event_made_private_in_odoo_leaves_the_sync = (
        _das.test_event_made_private_in_odoo_leaves_the_sync)

    def test_speaks_the_pim_api(self):
        self.add_remote("Remote review", 3)
        run = self.sync()
        self.assertEqual((run.state, run.local_created), ("done", 1), run.message)
        self.assertTrue(self.peer.requests_to("GET", r"/api/pim-v1/calendar/default"))
        self.assertFalse(self.peer.requests_to(path=r".*/api/calendar/.*"), "no DAS call")

    def test_meeting_invitations_through_drapi(self):
        start = datetime.now().replace(microsecond=0) + timedelta(days=3)
        wizard = self.env["crm.domino.meeting"].with_user(self.user).create({
            "account_id": self.account.id, "name": "Kick-off", "start": start,
            "stop": start + timedelta(hours=1), "extra_emails": "bob@x.test"})
        wizard.action_schedule()
        self.assertEqual([n["to"] for n in self.peer.notices], ["bob@x.test"])
        remote = self.peer.events()[0]
        self.assertEqual((remote["summary"], remote["attendees"][0]["email"]),
                         ("Kick-off", "bob@x.test"))


class TestDrapiConnectionCheck(DrapiCase):
    def check_message(self):
        with self.assertRaises(UserError) as caught:
            self.account.action_test_connection()
        return caught.exception.args[0]

    def test_connection_works(self):
        self.setup_kinds(contacts=True, tasks=True)
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action)
        self.assertEqual(self.account.state, "connected")

    def test_database_not_exposed_as_a_scope(self):
        self.setup_kinds(contacts=True)
        self.peer.unexpose("contacts")
        message = self.check_message()
        self.assertIn("has no scope contacts", message)
        self.assertIn("index.html#drapi", message)

    def test_form_not_in_the_scope(self):
        self.setup_kinds(tasks=True)
        self.peer.unexpose("mail", form="Task")
        message = self.check_message()
        self.assertIn("does not allow the form Task", message)

    def test_view_not_in_the_scope(self):
        self.setup_kinds(contacts=True)
        self.peer.unexpose("contacts", view="People")
        message = self.check_message()
        self.assertIn("does not expose the view People", message)

    # The sign-in is the first request: an unreachable server is said so there too.
    test_unreachable_server = test_account.TestConnectionCheck.test_unreachable_server

    def test_calendar_not_in_the_scope(self):
        self.setup_kinds(events=True)
        self.peer.unexpose("mail", form="Appointment")
        self.assertIn("does not allow the form Appointment", self.check_message())

    def test_missing_scope_setting(self):
        self.setup_kinds(contacts=True, domino_contacts_scope=False)
        self.assertIn("the contacts scope and view", self.check_message())
