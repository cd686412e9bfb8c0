from datetime import datetime, timedelta

from odoo.tests import new_test_user, tagged

from .common import GoogleCase


@tagged("post_install", "-at_install")
class TestGoogleCalendar(GoogleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Type = cls.env["calendar.event.type"]
        cls.meeting = Type.create({"name": "Client meeting"})
        cls.call = Type.create({"name": "Phone call"})
        cls.account.write({
            "sync_contacts": False, "sync_events": True,
            "google_calendar_map_ids": [
                (0, 0, {"event_type_id": cls.meeting.id, "calendar_name": "CRM meetings"}),
                (0, 0, {"event_type_id": cls.call.id, "calendar_name": "CRM calls"})],
            "google_description_field_ids": [(6, 0, cls.env["ir.model.fields"].search([
                ("model", "=", "calendar.event"), ("name", "in", ["user_id", "privacy"])]).ids)],
        })
        cls.Event = cls.env["calendar.event"].with_user(cls.user)

    def setUp(self):
        super().setUp()
        self.connect()
        self.soon = (datetime.now() + timedelta(days=2)).replace(microsecond=0, second=0)

    def cal(self, name):
        return self.peer.calendar_by_summary(name)

    def test_types_to_calendars_both_ways(self):
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertTrue(self.cal("CRM meetings") and self.cal("CRM calls"),
                        "missing calendars are created")
        self.Event.create({"name": "Kickoff", "start": self.soon,
                           "stop": self.soon + timedelta(hours=1),
                           "categ_ids": [(4, self.meeting.id)], "description": "<p>Agenda</p>",
                           "partner_ids": [(4, self.env["res.partner"].create(
                               {"name": "Guest", "email": "guest@x.test"}).id)]})
        self.Event.create({"name": "Not synced", "start": self.soon,
                           "stop": self.soon + timedelta(hours=1)})
        run = self.sync()
        self.assertEqual(run.remote_created, 1, run.message)
        (event,) = self.peer.events(self.cal("CRM meetings")["id"])
        self.assertEqual(event["summary"], "Kickoff")
        self.assertEqual(event["start"]["dateTime"], self.soon.strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual([a["email"] for a in event["attendees"]], ["guest@x.test"])
        self.assertTrue(event["description"].startswith("Agenda"))
        self.assertIn("-- Odoo --\nOrganizer: Google User", event["description"])
        self.assertIn("crm_sync_odoo_tag", event["extendedProperties"]["private"])
        # Created in the Google calendar of calls: comes back as a phone call.
        calls = self.cal("CRM calls")["id"]
        self.peer.add_event(calls, {
            "summary": "Call Bob", "start": {"dateTime": (self.soon).strftime(
                "%Y-%m-%dT%H:%M:%S+02:00")},
            "end": {"dateTime": (self.soon + timedelta(minutes=30)).strftime(
                "%Y-%m-%dT%H:%M:%S+02:00")},
            "attendees": [{"email": "bob@x.test"}, {"email": "guser@example.com",
                                                    "self": True}]})
        run = self.sync()
        self.assertEqual(run.local_created, 1, run.message)
        call = self.env["calendar.event"].search([("name", "=", "Call Bob")])
        self.assertEqual(call.categ_ids, self.call)
        self.assertEqual(call.start, self.soon - timedelta(hours=2), "offsets become UTC")
        self.assertIn("bob@x.test", call.partner_ids.mapped("email"))
        self.assertIn(self.user.partner_id, call.partner_ids)

    def test_generated_description_part_never_flows_back(self):
        self.sync()
        event = self.Event.create({"name": "Demo", "start": self.soon,
                                   "stop": self.soon + timedelta(hours=1),
                                   "categ_ids": [(4, self.meeting.id)],
                                   "description": "<p>Bring laptop</p>"})
        self.sync()
        cid = self.cal("CRM meetings")["id"]
        (remote,) = self.peer.events(cid)
        self.peer.edit_event(cid, remote["id"], {"description": remote["description"].replace(
            "Bring laptop", "Bring laptop and charger").replace("Google User", "Hacker")})
        run = self.sync()
        self.assertEqual(run.local_updated, 1, run.message)
        self.assertIn("charger", event.description)
        self.assertNotIn("Hacker", event.description)
        self.assertNotIn("-- Odoo --", event.description)
        self.assertEqual(event.user_id, self.user)
        # A field of the generated part changes alone: the event is pushed again.
        event.privacy = "private"
        run = self.sync()
        self.assertEqual(run.remote_updated, 1, run.message)
        self.assertIn("Privacy: private", self.peer.events(cid)[0]["description"])

    def test_all_day_event_keeps_its_date(self):
        self.sync()
        cid = self.cal("CRM meetings")["id"]
        self.peer.add_event(cid, {"summary": "Trade fair", "start": {"date": "2099-03-10"},
                                  "end": {"date": "2099-03-12"}})
        self.sync()
        fair = self.env["calendar.event"].search([("name", "=", "Trade fair")])
        self.assertTrue(fair.allday)
        self.assertEqual((str(fair.start_date), str(fair.stop_date)),
                         ("2099-03-10", "2099-03-11"))
        for tz in ("Pacific/Auckland", "America/Los_Angeles"):
            self.user.tz = tz
            fair.with_user(self.user).name = f"Trade fair {tz}"
            self.sync()
            (remote,) = [e for e in self.peer.events(cid) if e["summary"].startswith("Trade")]
            self.assertEqual(remote["start"], {"date": "2099-03-10"})
            self.assertEqual(remote["end"], {"date": "2099-03-12"})
        mine = self.Event.create({"name": "Holiday", "allday": True, "start_date": "2099-05-01",
                                  "stop_date": "2099-05-01", "start": "2099-05-01 08:00:00",
                                  "stop": "2099-05-01 18:00:00",
                                  "categ_ids": [(4, self.meeting.id)]})
        self.sync()
        (remote,) = [e for e in self.peer.events(cid) if e["summary"] == "Holiday"]
        self.assertEqual((remote["start"], remote["end"]),
                         ({"date": "2099-05-01"}, {"date": "2099-05-02"}))
        self.assertTrue(mine)

    def test_months_back(self):
        self.account.google_months_back = 1
        self.sync()
        cid = self.cal("CRM meetings")["id"]
        old = datetime.now() - timedelta(days=60)
        self.peer.add_event(cid, {"summary": "Old", "start": {"dateTime": old.strftime(
            "%Y-%m-%dT%H:%M:%SZ")}, "end": {"dateTime": (old + timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M:%SZ")}})
        self.Event.create({"name": "Old local", "start": old, "stop": old + timedelta(hours=1),
                           "categ_ids": [(4, self.meeting.id)]})
        self.account.action_reset_sync()
        run = self.sync()
        self.assertEqual(run.local_created + run.remote_created, 0, run.message)

    def test_deleted_event_and_deleted_calendar(self):
        self.sync()
        cid = self.cal("CRM meetings")["id"]
        ev = self.peer.add_event(cid, {"summary": "Lunch", "start": {
            "dateTime": self.soon.strftime("%Y-%m-%dT%H:%M:%SZ")}, "end": {
            "dateTime": (self.soon + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}})
        self.sync()
        lunch = self.env["calendar.event"].search([("name", "=", "Lunch")])
        self.peer.cancel_event(cid, ev["id"])
        run = self.sync()
        self.assertEqual(run.local_unlinked, 1, run.message)
        self.assertTrue(lunch.exists(), "deleting in Google deletes nothing in Odoo")
        self.assertFalse(lunch.categ_ids & self.meeting)
        # The whole Google calendar is deleted: the run recreates it, and the guard
        # refuses to mirror a calendar that came back empty until the user says so.
        review = self.Event.create({"name": "Review", "start": self.soon,
                                    "stop": self.soon + timedelta(hours=1),
                                    "categ_ids": [(4, self.meeting.id)]})
        self.sync()
        self.peer.delete_calendar(cid)
        run = self.sync()
        self.assertTrue(run.full_resync, run.message)
        self.assertEqual(run.state, "failed")
        self.assertEqual(self.account.state, "error")
        self.assertIn("allow mass deletion", self.account.last_error)
        self.assertTrue(self.cal("CRM meetings"), "recreated")
        self.assertEqual(review.categ_ids, self.meeting, "nothing changed in Odoo")
        self.account.allow_mass_delete = True
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertTrue(review.exists(), "deleting in Google deletes nothing in Odoo")
        self.assertEqual(len(self.env["calendar.event"].search([("name", "=", "Review")])), 1)

    def test_etag_conflict_on_update_is_retried(self):
        self.sync()
        event = self.Event.create({"name": "Plan", "start": self.soon,
                                   "stop": self.soon + timedelta(hours=1),
                                   "categ_ids": [(4, self.meeting.id)]})
        self.sync()
        cid = self.cal("CRM meetings")["id"]
        (remote,) = self.peer.events(cid)
        event.location = "Room 1"
        self.peer.inject("PATCH", r"/calendar/v3/calendars/.*/events/.*", status=412,
                         json={"error": {"code": 412, "message": "Precondition Failed",
                                         "errors": [{"reason": "conditionNotMet"}]}})
        run = self.sync()
        self.assertEqual(run.failed, 1)
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(self.peer.events(cid)[0]["location"], "Room 1")
        self.assertEqual(remote["id"], self.peer.events(cid)[0]["id"])


    def test_type_change_moves_the_event_to_the_other_calendar(self):
        visit = self.Event.create({"name": "Visit", "start": self.soon,
                                   "stop": self.soon + timedelta(hours=1),
                                   "categ_ids": [(4, self.meeting.id)]})
        self.assertEqual(self.sync().remote_created, 1)
        meetings, calls = self.cal("CRM meetings")["id"], self.cal("CRM calls")["id"]
        (event,) = self.peer.events(meetings)
        visit.write({"categ_ids": [(3, self.meeting.id), (4, self.call.id)],
                     "name": "Visit, by phone"})
        run = self.sync()
        self.assertEqual((run.state, run.remote_updated), ("done", 1), run.message)
        self.assertEqual(self.peer.events(meetings), [])
        (moved,) = self.peer.events(calls)
        self.assertEqual((moved["id"], moved["summary"]), (event["id"], "Visit, by phone"))
        binding = self.env["crm.sync.binding"].search([("res_id", "=", visit.id),
                                                       ("res_model", "=", "calendar.event")])
        self.assertEqual(binding.remote_id, f"{calls}|{event['id']}")
        # The source calendar now lists it as cancelled: that deletes nothing in Odoo.
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertFalse(run.local_unlinked or run.local_created or run.remote_updated)
        self.assertEqual(visit.categ_ids, self.call)
        self.peer.edit_event(calls, event["id"], {"summary": "Visit (call)"})
        self.assertEqual(self.sync().local_updated, 1)
        self.assertEqual(visit.name, "Visit (call)")
        # Moved back in Google: the same Odoo event takes the meeting type back.
        self.peer.move_event(calls, event["id"], meetings)
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertFalse(run.local_created or run.local_unlinked, run.message)
        self.assertEqual(visit.categ_ids, self.meeting)
        self.assertEqual(binding.remote_id, f"{meetings}|{event['id']}")
        self.assertEqual(len(self.env["calendar.event"].search([("name", "like", "Visit")])), 1)

    def test_company_wide_account_has_a_calendar_per_employee(self):
        anna = new_test_user(self.env, "anna", name="Anna Nowakowska",
                             email="anna@example.com", groups="base.group_user")
        jan = new_test_user(self.env, "jan", name="Jan Kowalski", email="jan@example.com",
                            groups="base.group_user")
        other = new_test_user(self.env, "ewa", name="Ewa", groups="base.group_user")
        self.account.write({"company_wide": True,
                            "google_employee_ids": [(6, 0, (anna | jan).ids)]})
        Event = self.env["calendar.event"]
        start = self.soon
        for user, name in ((anna, "Anna's visit"), (jan, "Jan's visit"),
                           (other, "Not chosen"), (self.user, "Owner's own")):
            Event.with_user(user).create({
                "name": name, "start": start, "stop": start + timedelta(hours=1),
                "user_id": user.id, "categ_ids": [(4, self.meeting.id)]})
        run = self.sync()
        self.assertEqual((run.state, run.remote_created), ("done", 2), run.message)
        self.assertIsNone(self.cal("CRM meetings"), "no shared calendar on this account")
        annas = self.cal("CRM meetings (Anna Nowakowska)")
        jans = self.cal("CRM meetings (Jan Kowalski)")
        self.assertTrue(self.cal("CRM calls (Jan Kowalski)"), "one per type and employee")
        self.assertEqual([e["summary"] for e in self.peer.events(annas["id"])], ["Anna's visit"])
        (jans_visit,) = self.peer.events(jans["id"])
        self.assertEqual(jans_visit["summary"], "Jan's visit")
        self.assertNotIn("attendees", {k for k, v in jans_visit.items() if v},
                         "the employee is the organizer, not an attendee")
        # Created in Jan's calendar: comes back as Jan's event.
        self.peer.add_event(jans["id"], {
            "summary": "Call from Google", "start": {"dateTime": start.strftime(
                "%Y-%m-%dT%H:%M:%SZ")}, "end": {"dateTime": (start + timedelta(
                    minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")}})
        run = self.sync()
        self.assertEqual((run.state, run.local_created), ("done", 1), run.message)
        created = Event.search([("name", "=", "Call from Google")])
        self.assertEqual((created.user_id, created.categ_ids), (jan, self.meeting))
        self.assertIn(jan.partner_id, created.partner_ids)
        run = self.sync()
        self.assertFalse(run.remote_updated or run.local_updated, "nothing echoes back")
        # A namesake employee gets calendars of their own, never Anna's.
        namesake = new_test_user(self.env, "anna2", name="Anna Nowakowska",
                                 groups="base.group_user")
        self.account.google_employee_ids = [(4, namesake.id)]
        Event.with_user(namesake).create({
            "name": "Namesake's visit", "start": start, "stop": start + timedelta(hours=1),
            "user_id": namesake.id, "categ_ids": [(4, self.meeting.id)]})
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        own = self.cal("CRM meetings (Anna Nowakowska, anna2)")
        self.assertEqual([e["summary"] for e in self.peer.events(own["id"])],
                         ["Namesake's visit"])
        self.assertEqual([e["summary"] for e in self.peer.events(annas["id"])],
                         ["Anna's visit"], "Anna's calendar is still hers")
        self.assertFalse(run.local_unlinked or run.remote_unlinked or run.remote_created > 1)
        annas_visit = Event.search([("name", "=", "Anna's visit")])
        self.assertEqual(annas_visit.categ_ids, self.meeting)
        # Renamed in Odoo: the employee's calendars stay (found by their marker).
        anna.name = "Anna Kowalska"
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertFalse(run.local_unlinked or run.local_created or run.remote_created,
                         run.message)
        self.assertEqual(annas_visit.categ_ids, self.meeting)
        self.assertEqual([e["summary"] for e in self.peer.events(annas["id"])],
                         ["Anna's visit"])

    def _series(self, name, count=4, **vals):
        monday = (self.soon - timedelta(days=self.soon.weekday())).replace(hour=9, minute=0)
        return self.Event.create(dict({
            "name": name, "start": monday, "stop": monday + timedelta(hours=1),
            "categ_ids": [(4, self.meeting.id)], "recurrency": True,
            "rrule_type": "weekly", "mon": True, "end_type": "count", "count": count,
            "interval": 1, "event_tz": "UTC"}, **vals))

    def test_odoo_series_to_google_with_deleted_occurrences(self):
        base = self._series("Weekly review")
        self.assertEqual(len(base.recurrence_id.calendar_event_ids), 4)
        run = self.sync()
        self.assertEqual((run.state, run.remote_created), ("done", 1), run.message)
        cid = self.cal("CRM meetings")["id"]
        (master,) = self.peer.events(cid)
        self.assertEqual(master["recurrence"], ["RRULE:BYDAY=MO;COUNT=4;FREQ=WEEKLY"])
        self.assertEqual(master["start"]["dateTime"], base.start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual(len(self.peer.instances(cid, master["id"])), 4)
        # Deleting the third occurrence in Odoo is an exception of the Google series.
        third = base.recurrence_id.calendar_event_ids.sorted("start")[2]
        third_start = third.start
        third.unlink()
        run = self.sync()
        self.assertEqual((run.state, run.remote_updated), ("done", 1), run.message)
        (master,) = self.peer.events(cid)
        self.assertEqual(master["recurrence"][1],
                         "EXDATE:" + third_start.strftime("%Y%m%dT%H%M%SZ"))
        self.assertEqual([i["start"]["dateTime"] for i in self.peer.instances(cid, master["id"])],
                         [e.start.strftime("%Y-%m-%dT%H:%M:%SZ") for e in
                          base.recurrence_id.calendar_event_ids.sorted("start")])
        run = self.sync()
        self.assertFalse(run.remote_updated or run.local_updated, "nothing echoes back")
        # Deleting the first event keeps the series (bound through its new first event).
        second = base.recurrence_id.calendar_event_ids.sorted("start")[1]
        base.unlink()
        run = self.sync()
        self.assertEqual((run.state, run.remote_unlinked), ("done", 0), run.message)
        (master,) = self.peer.events(cid)
        self.assertEqual(master["start"]["dateTime"], second.start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual(len(self.peer.instances(cid, master["id"])), 2)

    def test_google_series_to_odoo_with_cancelled_instances(self):
        self.sync()
        cid = self.cal("CRM meetings")["id"]
        start = self.soon.replace(hour=8, minute=0)
        stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        master = self.peer.add_event(cid, {
            "summary": "Stand-up", "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
            "start": {"dateTime": stamp(start), "timeZone": "UTC"},
            "end": {"dateTime": stamp(start + timedelta(minutes=15)), "timeZone": "UTC"}})
        self.peer.cancel_instance(cid, master["id"], stamp(start + timedelta(days=1)))
        run = self.sync()
        self.assertEqual((run.state, run.local_created), ("done", 1), run.message)
        base = self.env["calendar.event"].search([("name", "=", "Stand-up")]).filtered(
            "crm_google_rrule")
        self.assertEqual(base.start, start)
        self.assertEqual(base.crm_google_rrule, "COUNT=5;FREQ=DAILY")
        events = base.recurrence_id.calendar_event_ids.sorted("start")
        self.assertEqual(events.mapped("start"), [start + timedelta(days=d) for d in (0, 2, 3, 4)])
        self.assertEqual(set(events.categ_ids), {self.meeting})
        # Another occurrence deleted in Google, then the series renamed: an incremental
        # listing holds only the change, the exdates stay whole.
        self.peer.cancel_instance(cid, master["id"], stamp(start + timedelta(days=3)))
        run = self.sync()
        self.assertEqual((run.state, run.local_updated), ("done", 1), run.message)
        self.assertEqual(base.recurrence_id.calendar_event_ids.sorted("start").mapped("start"),
                         [start + timedelta(days=d) for d in (0, 2, 4)])
        self.peer.edit_event(cid, master["id"], {"summary": "Daily stand-up"})
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(set(base.recurrence_id.calendar_event_ids.mapped("name")),
                         {"Daily stand-up"})
        self.assertEqual(len(base.recurrence_id.calendar_event_ids), 3)
        # A new rule in Google: the occurrences follow it (the cancelled instances of
        # days 1 and 3 are no occurrences of it).
        self.peer.edit_event(cid, master["id"], {
            "recurrence": ["RRULE:FREQ=DAILY;INTERVAL=2;COUNT=2"]})
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(base.recurrence_id.calendar_event_ids.sorted("start").mapped("start"),
                         [start, start + timedelta(days=2)])
        run = self.sync()
        self.assertFalse(run.remote_updated or run.local_updated, "nothing echoes back")
        (master,) = self.peer.events(cid)
        self.assertEqual(master["recurrence"], ["RRULE:FREQ=DAILY;INTERVAL=2;COUNT=2"])


    def test_all_day_series_and_a_rule_odoo_cannot_keep(self):
        self.sync()
        cid = self.cal("CRM meetings")["id"]
        day = (self.soon + timedelta(days=1)).date()
        self.peer.add_event(cid, {
            "summary": "Inventory", "start": {"date": day.isoformat()},
            "end": {"date": (day + timedelta(days=1)).isoformat()},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3",
                           "EXDATE;VALUE=DATE:" + (day + timedelta(days=7)).strftime("%Y%m%d")]})
        self.peer.add_event(cid, {
            "summary": "Hourly", "start": {"date": day.isoformat()},
            "end": {"date": (day + timedelta(days=1)).isoformat()},
            "recurrence": ["RRULE:FREQ=HOURLY;COUNT=3"]})  # Odoo has no hourly rule
        run = self.sync()
        self.assertEqual((run.local_created, run.failed), (1, 1), run.message)
        (failure,) = run.line_ids.filtered(lambda line: line.level == "error")
        self.assertIn("FREQ=HOURLY", failure.reason, "the failure says why")
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Hourly")]),
                         "nothing half-written")
        base = self.env["calendar.event"].search([("name", "=", "Inventory")]).filtered(
            "crm_google_rrule")
        events = base.recurrence_id.calendar_event_ids.sorted("start")
        self.assertEqual([(e.allday, e.start_date) for e in events],
                         [(True, day), (True, day + timedelta(days=14))])
        self.assertEqual(base.crm_google_exdates, (day + timedelta(days=7)).isoformat())
        # Odoo edits the series' name: Google keeps the dates and the exception.
        base.write({"name": "Stocktaking"})
        run = self.sync()
        self.assertEqual(run.remote_updated, 1, run.message)
        master = next(e for e in self.peer.events(cid) if e["summary"] == "Stocktaking")
        self.assertEqual(master["start"], {"date": day.isoformat()})
        self.assertEqual(master["recurrence"][1],
                         "EXDATE;VALUE=DATE:" + (day + timedelta(days=7)).strftime("%Y%m%d"))


@tagged("post_install", "-at_install")
class TestGoogleActivities(GoogleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.call = cls.env.ref("mail.mail_activity_data_call")
        cls.account.write({"sync_contacts": False, "sync_tasks": True,
                           "google_activity_type_ids": [(6, 0, cls.todo.ids)],
                           "google_activity_calendar": "CRM tasks"})

    def setUp(self):
        super().setUp()
        self.connect()

    def activity(self, summary, activity_type, deadline):
        partner = self.env["res.partner"].create({"name": "Customer Ltd"})
        return self.env["mail.activity"].with_user(self.user).create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": partner.id, "summary": summary, "activity_type_id": activity_type.id,
            "date_deadline": deadline, "user_id": self.user.id})

    def test_activities_as_all_day_then_timed_events(self):
        todo = self.activity("Send offer", self.todo, "2099-04-02")
        self.activity("Call later", self.call, "2099-04-02")  # type not synced
        run = self.sync()
        self.assertEqual(run.remote_created, 1, run.message)
        cid = self.peer.calendar_by_summary("CRM tasks")["id"]
        (event,) = self.peer.events(cid)
        self.assertEqual((event["summary"], event["start"], event["end"]),
                         ("Send offer", {"date": "2099-04-02"}, {"date": "2099-04-03"}))
        self.assertIn("Customer Ltd", event["description"])
        # Moved in Google: the due date follows; an event made in Google is left alone.
        self.peer.edit_event(cid, event["id"], {"start": {"date": "2099-04-05"},
                                                "end": {"date": "2099-04-06"}})
        self.peer.add_event(cid, {"summary": "Private", "start": {"date": "2099-04-07"},
                                  "end": {"date": "2099-04-08"}})
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(str(todo.date_deadline), "2099-04-05")
        self.assertEqual(run.local_created, 0)
        self.account.write({"google_activity_allday": False, "google_activity_hour": 14.5})
        todo.summary = "Send the offer"
        self.sync()
        (event,) = [e for e in self.peer.events(cid) if e["summary"] == "Send the offer"]
        self.assertEqual(event["start"]["dateTime"], "2099-04-05T14:30:00Z")
