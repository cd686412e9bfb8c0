"""Events the sync brings in were announced by Google already: Odoo mails no one."""

from datetime import datetime, timedelta

from odoo.tests import tagged

from .common import GoogleCase


@tagged("post_install", "-at_install")
class TestImportSendsNoInvitation(GoogleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        meeting = cls.env["calendar.event.type"].create({"name": "Client meeting"})
        cls.account.write({"sync_contacts": False, "sync_events": True,
                           "google_calendar_map_ids": [(0, 0, {
                               "event_type_id": meeting.id,
                               "calendar_name": "CRM meetings"})]})

    def test_future_event_with_guests_is_imported_silently(self):
        self.connect()
        self.sync()
        soon = (datetime.now() + timedelta(days=3)).replace(microsecond=0, second=0)
        self.peer.add_event(self.peer.calendar_by_summary("CRM meetings")["id"], {
            "summary": "Board meeting",
            "start": {"dateTime": soon.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "end": {"dateTime": (soon + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")},
            "attendees": [{"email": "guest.one@x.test"}, {"email": "guest.two@x.test"}]})

        run = self.sync()

        event = self.env["calendar.event"].search([("name", "=", "Board meeting")])
        self.assertEqual((run.state, len(event)), ("done", 1), run.message)
        self.assertEqual(len(event.attendee_ids), 3)
        notifications = self.env["mail.message"].search([
            ("model", "=", "calendar.event"), ("res_id", "=", event.id),
            ("message_type", "=", "user_notification")])
        self.assertFalse(notifications, "no invitation mail to the attendees")
