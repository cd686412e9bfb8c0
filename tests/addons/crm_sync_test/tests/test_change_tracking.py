"""The sync mixin on every synced model: dirty marks from the declared fields only,
tombstones on unlink, no marks while the sync itself writes."""

from datetime import datetime, timedelta

from .common import SyncCase


class TestMixinOnEveryModel(SyncCase):
    def bind(self, record, kind):
        return self.env["crm.sync.binding"].create({
            "account_id": self.account.id, "kind": kind, "res_model": record._name,
            "res_id": record.id, "remote_id": f"r-{record._name}-{record.id}"})

    def check(self, record, kind, tracked, untracked):
        binding = self.bind(record, kind)
        record.write(untracked)
        self.assertFalse(binding.dirty, f"{record._name}: {list(untracked)} is not synced")
        record.with_context(crm_sync_no_mark=True).write(tracked)
        self.assertFalse(binding.dirty, "the sync's own write must not mark")
        # The mark is stamped with the transaction's time (PostgreSQL's now()), and a
        # test class runs in one transaction: compare with that, not the wall clock.
        before = self.env.cr.now() - timedelta(seconds=1)
        record.write(tracked)
        self.assertTrue(binding.dirty)
        self.assertGreaterEqual(binding.local_changed_at, before)
        record.unlink()
        self.assertTrue(binding.tombstone, f"{record._name}: unlink leaves a tombstone")

    def test_partner(self):
        self.check(self.make_partner("Lea"), "contacts", {"phone": "+1 555"},
                   {"ref": "X1"})

    def test_calendar_event(self):
        start = datetime(2026, 12, 1, 10, 0)
        event = self.env["calendar.event"].create({
            "name": "Meeting", "start": start, "stop": start + timedelta(hours=1)})
        # Untracked: fields no installed provider maps (the connectors map more fields
        # than the test provider, and tracking is the union of all of them).
        self.check(event, "events", {"location": "Room 2"}, {"show_as": "free"})

    def test_activity(self):
        partner = self.make_partner("Lea")
        activity = self.env["mail.activity"].create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": partner.id, "summary": "Call back",
            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
            "user_id": self.env.uid})
        self.check(activity, "tasks", {"summary": "Call back today"},
                   {"request_partner_id": partner.id})

    def test_one_query_marks_a_batch(self):
        def queries_to_write(partners, phone):
            self.env.flush_all()
            before = self.cr.sql_log_count
            partners.write({"phone": phone})
            self.env.flush_all()
            return self.cr.sql_log_count - before

        unbound = self.Partner.create([{"name": f"U{i}"} for i in range(50)])
        bound = self.Partner.create([{"name": f"B{i}"} for i in range(50)])
        for partner in bound:
            self.bind(partner, "contacts")
        queries_to_write(unbound | bound, "+1 000")  # warm the caches

        extra = queries_to_write(bound, "+1 555") - queries_to_write(unbound, "+1 555")
        self.assertLessEqual(extra, 1, "marking 50 bound partners dirty costs one query")
        self.assertEqual(self.bindings().mapped("dirty"), [True] * 50)
