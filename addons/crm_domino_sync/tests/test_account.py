"""Connection check, Schedule meeting, users and seats, dashboard, password, uninstall."""

from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form

from ..hooks import uninstall_hook
from .common import DominoCase


class TestConnectionCheck(DominoCase):
    def check_message(self):
        with self.assertRaises(UserError) as caught:
            self.account.action_test_connection()
        return caught.exception.args[0]

    def test_connection_works(self):
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.account.state, "connected")
        auth = self.peer.requests_to("GET")[0].headers["Authorization"]
        self.assertTrue(auth.startswith("Basic "))

    def test_wrong_password(self):
        self.peer.password = "other"
        self.assertIn("refused the credentials", self.check_message())

    def test_data_service_off_on_the_server(self):
        self.peer.disable(service="data")
        message = self.check_message()
        self.assertIn("Domino Web Engine", message)
        self.assertIn("Data and Calendar", message)
        self.assertIn("/crm_domino_sync/static/description/index.html#das-server", message)

    def test_calendar_service_off_on_the_server(self):
        self.peer.disable(service="calendar")
        message = self.check_message()
        self.assertIn("(Calendar service)", message)

    def test_database_not_enabled(self):
        self.peer.disable(db="names.nsf")
        message = self.check_message()
        self.assertIn("names.nsf", message)
        self.assertIn("Allow Domino Data Service", message)
        self.assertIn("#das-database", message)

    def test_database_views_only(self):
        self.peer.disable(db="mail/aadmin.nsf", views_only=True)
        message = self.check_message()
        self.assertIn("views only", message)
        self.assertIn("Views and documents", message)

    def test_view_not_enabled(self):
        self.peer.disable(db="names.nsf", view="People")
        message = self.check_message()
        self.assertIn("Allow Domino Data Service operations", message)
        self.assertIn("People", message)
        self.assertIn("#das-view", message)

    def test_missing_database_and_view(self):
        self.account.domino_contacts_view = "Kontakte"
        self.assertIn("view Kontakte does not exist", self.check_message())
        self.account.write({"domino_contacts_view": "People", "domino_mail_db": "mail/x.nsf"})
        self.assertIn("mail/x.nsf was not found", self.check_message())

    def test_unreachable_server(self):
        self.account.endpoint = "http://127.0.0.1:9"
        self.assertIn("could not be reached", self.check_message())

    def test_missing_settings(self):
        self.account.domino_mail_db = False
        with self.assertRaisesRegex(UserError, "the mail file"):
            self.account.action_test_connection()


class TestScheduleMeeting(DominoCase):
    def wizard(self, **vals):
        start = datetime.now().replace(microsecond=0, second=0) + timedelta(days=1)
        form = Form(self.env["crm.domino.meeting"].with_user(self.user).with_context(
            default_account_id=self.account.id))
        form.name = vals.get("name", "Contract review")
        form.location = "Room 2"
        form.start = start
        form.stop = start + timedelta(hours=1)
        for partner in vals.get("partners", ()):
            form.partner_ids.add(partner)
        form.extra_emails = vals.get("emails", "")
        for alarm in vals.get("alarms", ()):
            form.alarm_ids.add(alarm)
        return form.save()

    def test_meeting_in_odoo_and_domino_with_invitations(self):
        rita = self.env["res.partner"].create({"name": "Rita", "email": "rita@x.test"})
        alarm = self.env.ref("calendar.alarm_notif_2")
        action = self.wizard(partners=[rita], emails="bob@y.test; carla@z.test",
                             alarms=[alarm]).action_schedule()

        event = self.env["calendar.event"].browse(action["res_id"])
        self.assertEqual((event.name, event.location, event.alarm_ids), (
            "Contract review", "Room 2", alarm))
        self.assertEqual(sorted(event.partner_ids.mapped("email")),
                         ["bob@y.test", "carla@z.test", "dora@x.test", "rita@x.test"])
        remote = self.peer.events()
        self.assertEqual(len(remote), 1)
        self.assertEqual(remote[0]["alarm"], {"action": "display",
                                              "trigger": f"-PT{alarm.duration_minutes}M"})
        self.assertEqual(sorted(n["to"] for n in self.peer.notices),
                         ["bob@y.test", "carla@z.test", "rita@x.test"])
        binding = self.env["crm.sync.binding"].search([("res_id", "=", event.id),
                                                       ("res_model", "=", "calendar.event")])
        self.assertEqual(binding.remote_id, remote[0]["id"])
        # The next sync knows the meeting: nothing is created twice.
        self.account.sync_events = True
        run = self.sync()
        self.assertEqual((run.local_created, run.remote_created), (0, 0), run.message)
        self.assertEqual(len(self.peer.events()), 1)

    def test_bad_email_creates_nothing(self):
        with self.assertRaisesRegex(UserError, "not e-mail addresses: bob-at-y"):
            self.wizard(emails="bob-at-y").action_schedule()
        nobody = self.env["res.partner"].create({"name": "No Mail"})
        with self.assertRaisesRegex(UserError, "No Mail"):
            self.wizard(partners=[nobody]).action_schedule()
        self.assertEqual(self.peer.events(), [])

    def test_domino_refusal_leaves_no_odoo_event(self):
        self.peer.disable(service="calendar")
        before = self.env["calendar.event"].search_count([])
        wizard = self.wizard()
        try:
            wizard.action_schedule()
        except UserError as exc:
            self.assertIn("Domino Web Engine", exc.args[0])
        else:
            self.fail("the refusal was not reported")
        # Even a caller that catches the error is left with no half-made meeting.
        self.assertEqual(self.env["calendar.event"].search_count([]), before)


class TestUsersAndDashboard(DominoCase):
    def test_owner_is_the_first_user_and_seats_limit(self):
        self.assertEqual(self.account.domino_member_ids, self.user)
        self.account.domino_seats = 2
        self.account.domino_member_ids = [(4, self.colleague.id)]
        self.assertEqual(self.account.domino_seats_used, 2)
        third = self.env["res.users"].create({"name": "Third", "login": "third"})
        with self.assertRaisesRegex(ValidationError, "2 seats and 3 users"):
            self.account.domino_member_ids = [(4, third.id)]
        self.assertEqual(len(self.account.domino_member_ids), 2)

    def test_user_with_synced_data_cannot_be_removed(self):
        self.account.write({"domino_member_ids": [(4, self.colleague.id)],
                            "sync_contacts": False, "sync_events": True})
        start = datetime.now().replace(microsecond=0) + timedelta(days=1)
        self.env["calendar.event"].create({"name": "Carl's call", "start": start,
                                           "stop": start + timedelta(hours=1),
                                           "user_id": self.colleague.id})
        run = self.sync()
        self.assertEqual(run.remote_created, 1, run.message)
        with self.assertRaisesRegex(UserError, "Carl Colleague cannot be removed .* 1 of"):
            self.account.domino_member_ids = [(3, self.colleague.id)]
        self.assertIn(self.colleague, self.account.domino_member_ids)
        with self.assertRaisesRegex(UserError, "set up"):
            self.account.domino_member_ids = [(3, self.user.id)]

    def test_user_without_synced_data_is_removed(self):
        self.account.domino_member_ids = [(4, self.colleague.id)]
        self.account.domino_member_ids = [(3, self.colleague.id)]
        self.assertEqual(self.account.domino_member_ids, self.user)

    def test_only_the_owner_manages_users(self):
        other = self.env["res.users"].create({
            "name": "Mallory", "login": "mallory",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_manager").id])]})
        with self.assertRaisesRegex(UserError, "Only Dora Domino, who set up"):
            self.account.with_user(other).domino_member_ids = [(4, other.id)]

    def test_users_see_the_account_and_its_dashboard_but_do_not_run_it(self):
        self.sync()
        as_colleague = self.account.with_user(self.colleague)
        with self.assertRaises(AccessError):
            as_colleague.read(["name"])
        self.account.domino_member_ids = [(4, self.colleague.id)]
        self.account.invalidate_recordset()
        self.assertEqual(as_colleague.read(["name"])[0]["name"], "Dora's Notes")
        self.assertIn("Contacts", str(as_colleague.domino_dashboard))
        self.assertFalse(as_colleague.read(["password"])[0]["password"])
        with self.assertRaises(AccessError):
            as_colleague.action_sync_now()
        with self.assertRaises(AccessError):
            as_colleague.write({"endpoint": "http://evil.example"})

    def test_dashboard_shows_runs_per_kind(self):
        self.account.write({"sync_tasks": True})
        self.peer.add_contact(FirstName="Rita", LastName="Remote")
        self.peer.add_task(Subject="Call")
        self.sync()
        self.account.invalidate_recordset(["domino_dashboard"])
        html = str(self.account.domino_dashboard)
        self.assertIn("Contacts", html)
        self.assertIn("To Do", html)
        self.assertIn("1 / 0 / 0", html)

    def test_change_password(self):
        self.peer.password = "new-secret"
        wizard = self.env["crm.domino.password"].with_user(self.user).create({
            "account_id": self.account.id, "login": "Ann Admin/Acme",
            "password": "new-secret"})
        wizard.invalidate_recordset()
        self.assertFalse(wizard.password, "the wizard keeps no password")
        action = wizard.action_save()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.account.sudo()._sync_credentials()["password"], "new-secret")
        self.assertFalse(self.account.read(["password"])[0]["password"])

    def test_uninstall_removes_the_connector_data(self):
        self.sync()
        account_id = self.account.id
        uninstall_hook(self.env)
        for model in ("crm.sync.account", "crm.sync.secret", "crm.sync.binding",
                      "crm.sync.run"):
            self.assertFalse(self.env[model].sudo().with_context(active_test=False).search(
                [("account_id" if model != "crm.sync.account" else "id", "=", account_id)]),
                model)
