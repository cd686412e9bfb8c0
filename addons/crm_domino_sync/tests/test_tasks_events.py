"""To Do items (as activities) and calendar events with a DominoPeer over HTTP."""

from datetime import date, datetime, timedelta, timezone

from .common import DominoCase


def _utc(days, hour=10):
    moment = datetime.now(timezone.utc) + timedelta(days=days)
    return {"date": moment.strftime("%Y-%m-%d"), "time": f"{hour:02d}:00:00", "utc": True}


class TestDominoTasks(DominoCase):
    def setUp(self):
        super().setUp()
        self.setup_kinds(tasks=True)
        self.Activity = self.env["mail.activity"].with_user(self.user)

    def activities(self):
        return self.Activity.with_context(active_test=False).search(
            [("activity_type_id", "=", self.todo_type.id)])

    def test_tasks_both_ways_private_never(self):
        self.peer.add_task(Subject="Call Rita", Body="About the offer",
                           DueDateTime="2030-05-02T00:00:00Z")
        self.peer.add_task(Subject="Private errand", OrgConfidential="1")
        partner = self.Partner.create({"name": "Customer"})
        mine = self.Activity.create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": partner.id, "activity_type_id": self.todo_type.id,
            "summary": "Send quote", "date_deadline": "2030-06-01", "user_id": self.user.id})
        self.Activity.create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": partner.id, "activity_type_id": self.todo_type.id,
            "summary": "Colleague's", "date_deadline": "2030-06-01",
            "user_id": self.colleague.id})

        run = self.sync()

        self.assertEqual((run.state, run.local_created, run.remote_created), ("done", 1, 1),
                         run.message)
        imported = self.activities().filtered(lambda a: a.summary == "Call Rita")
        self.assertEqual((imported.res_model, imported.res_id, imported.user_id),
                         ("crm.sync.account", self.account.id, self.user))
        self.assertEqual(imported.date_deadline, date(2030, 5, 2))
        self.assertFalse(self.activities().filtered(lambda a: a.summary == "Private errand"))
        tasks = {t["Subject"]: t for t in self.peer.tasks()}
        self.assertEqual(sorted(tasks), ["Call Rita", "Private errand", "Send quote"])
        self.assertEqual((tasks["Send quote"]["@form"], tasks["Send quote"]["DueDateTime"]),
                         ("Task", "2030-06-01T00:00:00Z"))
        self.assertTrue(mine)

    def test_done_in_notes_archives_the_activity(self):
        task = self.peer.add_task(Subject="Call Rita", DueDateTime="2030-05-02T00:00:00Z")
        self.sync()
        self.peer.edit_document("mail/aadmin.nsf", task["@unid"],
                                {"CompletedDateTime": "2030-05-01T09:00:00Z"})
        run = self.sync()
        self.assertEqual(run.local_updated, 1, run.message)
        self.assertFalse(self.activities().active)

    def test_done_in_odoo_completes_or_deletes_the_to_do(self):
        partner = self.Partner.create({"name": "Customer"})

        def activity(summary):
            return self.Activity.create({
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id, "activity_type_id": self.todo_type.id,
                "summary": summary, "date_deadline": "2030-06-01",
                "user_id": self.user.id})

        kept, dropped = activity("Kept when done"), activity("Dropped when done")
        self.sync()
        self.todo_type.sudo().keep_done = True
        kept.action_feedback("ok")
        self.todo_type.sudo().keep_done = False
        dropped.action_feedback("ok")

        run = self.sync()

        self.assertEqual((run.remote_updated, run.remote_deleted), (1, 1), run.message)
        tasks = self.peer.tasks()
        self.assertEqual([t["Subject"] for t in tasks], ["Kept when done"])
        self.assertTrue(tasks[0]["CompletedDateTime"])

    def test_to_do_view_not_enabled(self):
        self.peer.disable(db="mail/aadmin.nsf", view="($ToDo)")
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("Allow Domino Data Service operations", run.message)
        self.assertIn("($ToDo)", run.message)


class TestDominoEvents(DominoCase):
    def setUp(self):
        super().setUp()
        self.setup_kinds(events=True)
        self.Event = self.env["calendar.event"].with_user(self.user)

    def events(self):
        return self.Event.search([("user_id", "=", self.user.id)])

    def add_remote(self, summary, days, **extra):
        return self.peer.add_event(dict({"summary": summary, "start": _utc(days),
                                         "end": _utc(days, 11)}, **extra))

    def test_events_both_ways_and_private_never(self):
        self.add_remote("Remote review", 3, location="Room 1", description="Agenda")
        self.add_remote("Remote private", 4, **{"class": "private"})
        start = datetime.now().replace(microsecond=0) + timedelta(days=5)
        self.Event.create({"name": "Odoo demo", "start": start,
                           "stop": start + timedelta(hours=1), "user_id": self.user.id})
        self.Event.create({"name": "Odoo private", "start": start,
                           "stop": start + timedelta(hours=1), "user_id": self.user.id,
                           "privacy": "private"})

        run = self.sync()

        self.assertEqual((run.state, run.local_created, run.remote_created), ("done", 1, 1),
                         run.message)
        review = self.events().filtered(lambda e: e.name == "Remote review")
        self.assertEqual((review.location, review.start.hour, review.stop.hour),
                         ("Room 1", 10, 11))
        self.assertIn("Agenda", str(review.description))
        self.assertFalse(self.events().filtered(lambda e: e.name == "Remote private"))
        remote = {e["summary"]: e for e in self.peer.events()}
        self.assertEqual(sorted(remote), ["Odoo demo", "Remote private", "Remote review"])
        self.assertEqual(remote["Odoo demo"]["class"], "public")
        self.assertEqual(remote["Odoo demo"]["start"]["time"], start.strftime("%H:%M:%S"))

    def test_all_day_event_round_trip(self):
        self.peer.add_event({"summary": "Fair", "start": {"date": "2030-03-10"},
                             "end": {"date": "2030-03-12"}})
        self.sync()
        fair = self.events()
        self.assertTrue(fair.allday)
        self.assertEqual((fair.start_date, fair.stop_date), (date(2030, 3, 10),
                                                              date(2030, 3, 11)))
        fair.name = "Trade fair"
        run = self.sync()
        self.assertEqual(run.remote_updated, 1, run.message)
        remote = self.peer.events()[0]
        self.assertEqual((remote["summary"], remote["end"]), ("Trade fair",
                                                              {"date": "2030-03-12"}))

    def test_update_keeps_domino_attendees(self):
        meeting = self.add_remote("Board", 2, attendees=[{"email": "bob@x.test"}])
        self.sync()
        self.events().location = "Room 9"
        run = self.sync()
        self.assertEqual(run.remote_updated, 1, run.message)
        stored = self.peer.events()[0]
        self.assertEqual((stored["location"], stored["attendees"]),
                         ("Room 9", [{"email": "bob@x.test"}]))
        self.assertEqual(self.peer.requests_to("PUT")[-1].path.rsplit("/", 1)[1],
                         meeting["id"])

    def _range_names(self, event_range):
        self.add_remote("Old", -90)
        self.add_remote("Two weeks ago", -14)
        self.add_remote("Tomorrow", 1)
        self.account.domino_event_range = event_range
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        return sorted(self.events().mapped("name"))

    def test_range_all(self):
        self.assertEqual(self._range_names("all"), ["Old", "Tomorrow", "Two weeks ago"])
        self.assertFalse(self.account.domino_events_since)

    def test_range_from_today(self):
        self.assertEqual(self._range_names("today"), ["Tomorrow"])
        self.assertEqual(self.account.domino_events_since, date.today())
        since = self.peer.requests_to("GET", r".*/api/calendar/events")[-1].query["since"]
        self.assertEqual(since, [date.today().strftime("%Y-%m-%dT00:00:00Z")])

    def test_range_last_month(self):
        self.assertEqual(self._range_names("last_month"), ["Tomorrow", "Two weeks ago"])

    def test_range_applies_to_odoo_events_too(self):
        self.account.domino_event_range = "today"
        start = datetime.now().replace(microsecond=0)
        self.Event.create({"name": "Last week", "start": start - timedelta(days=7),
                           "stop": start - timedelta(days=7, hours=-1),
                           "user_id": self.user.id})
        run = self.sync()
        self.assertEqual(run.remote_created, 0, run.message)
        self.assertEqual(self.peer.events(), [])

    def test_remote_deletion_and_turned_private(self):
        gone = self.add_remote("Gone", 2)
        hidden = self.add_remote("Hidden", 3)
        self.add_remote("Stays", 4)
        self.sync()
        self.peer.delete_event(gone["id"])
        self.peer.edit_event(hidden["id"], {"class": "private"})
        run = self.sync()
        self.assertEqual(run.local_deleted, 2, run.message)
        self.assertEqual(self.events().mapped("name"), ["Stays"])

    def test_event_made_private_in_odoo_leaves_the_sync(self):
        start = datetime.now().replace(microsecond=0) + timedelta(days=2)
        event = self.Event.create({"name": "Demo", "start": start,
                                   "stop": start + timedelta(hours=1),
                                   "user_id": self.user.id})
        self.sync()
        event.write({"privacy": "private", "name": "Demo (private)"})
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual([e["summary"] for e in self.peer.events()], ["Demo"],
                         "nothing of the private event reaches Domino")

    def test_calendar_service_off(self):
        self.peer.disable(service="calendar")
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("Domino Web Engine", run.message)
        self.assertIn("#das-server", run.message)
