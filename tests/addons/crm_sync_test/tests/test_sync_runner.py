"""The runner with the ORM, against a ContactsPeer over real HTTP (no mock)."""

from datetime import timedelta

from odoo import fields

from .common import SyncCase


class TestFirstSync(SyncCase):
    def test_first_sync_imports_and_exports(self):
        self.peer.add_contact({"name": "Remote Rita", "email": "rita@x.test"})
        self.peer.add_contact({"name": "Remote Ron", "email": "ron@x.test"})
        local = self.make_partner("Local Lea")
        self.Partner.create({"name": "Not in the category"})

        run = self.sync()

        self.assertEqual(run.state, "done", run.message)
        self.assertEqual((run.local_created, run.remote_created), (2, 1))
        self.assertEqual(run.kind_counts, {"contacts": {"local_created": 2,
                                                        "remote_created": 1}})
        self.assertEqual(sorted(self.synced_partners().mapped("name")),
                         ["Local Lea", "Remote Rita", "Remote Ron"])
        remote = {c["data"]["name"]: c for c in self.peer.contacts()}
        self.assertEqual(sorted(remote), ["Local Lea", "Remote Rita", "Remote Ron"])
        self.assertEqual(remote["Local Lea"]["data"]["email"], "lea@x.test")
        binding = self.bindings().filtered(lambda b: b.res_id == local.id)
        self.assertEqual(binding.remote_id, remote["Local Lea"]["id"])
        self.assertEqual(binding.record_name, "Local Lea")
        self.assertFalse(binding.dirty or binding.pending_create)
        self.assertEqual(self.account.state, "connected")
        self.assertTrue(self.account.next_sync_at > fields.Datetime.now())

    def test_second_sync_moves_nothing_no_echo(self):
        self.peer.add_contact({"name": "Remote Rita", "email": "rita@x.test"})
        self.make_partner("Local Lea")
        self.sync()
        self.assertFalse(self.bindings().filtered("dirty"), "the sync's own writes echoed")
        writes_before = len(self.peer.requests_to("PUT")) + len(self.peer.requests_to("POST"))

        run = self.sync()

        self.assertEqual(run.state, "done")
        self.assertEqual(
            [run[f] for f in ("local_created", "local_updated", "remote_created",
                              "remote_updated")], [0, 0, 0, 0])
        self.assertEqual(len(self.peer.requests_to("PUT")) + len(self.peer.requests_to("POST")),
                         writes_before)

    def test_incremental_edits_both_ways(self):
        rita = self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        lea = self.make_partner("Lea")
        self.sync()
        partner_rita = self.synced_partners().filtered(lambda p: p.name == "Rita")

        self.peer.edit_contact(rita["id"], {"name": "Rita Renamed", "email": "rita@x.test"})
        lea.phone = "+7 900 000 00 00"
        run = self.sync()

        self.assertEqual((run.local_updated, run.remote_updated), (1, 1))
        self.assertEqual(partner_rita.name, "Rita Renamed")
        remote_lea = next(c for c in self.peer.contacts() if c["data"]["name"] == "Lea")
        self.assertEqual(remote_lea["data"]["phone"], "+7 900 000 00 00")


class TestChangeTracking(SyncCase):
    def test_dirty_marks_only_for_synced_fields_and_tombstones(self):
        partner = self.make_partner("Lea")
        self.sync()
        binding = self.bindings()
        self.assertFalse(binding.dirty)

        partner.ref = "not-synced"
        self.assertFalse(binding.dirty, "a field no provider maps must not mark dirty")
        partner.email = "lea.new@x.test"
        self.assertTrue(binding.dirty)
        self.assertTrue(binding.local_changed_at)

        partner.unlink()
        self.assertTrue(binding.exists() and binding.tombstone)
        run = self.sync()
        self.assertEqual(run.remote_deleted, 1)
        self.assertFalse(binding.exists())
        self.assertEqual(self.peer.contacts(), [])

    def test_sync_context_writes_do_not_mark(self):
        partner = self.make_partner("Lea")
        self.sync()
        partner.with_context(crm_sync_no_mark=True).email = "quiet@x.test"
        self.assertFalse(self.bindings().dirty)

    def test_leaving_the_category_releases_without_deleting(self):
        partner = self.make_partner("Lea")
        self.sync()
        partner.category_id = [(3, self.category.id)]
        run = self.sync()
        self.assertEqual(run.remote_unlinked, 1)
        self.assertEqual(run.remote_deleted, 0)
        self.assertFalse(self.bindings())
        self.assertTrue(partner.exists())


class TestFailures(SyncCase):
    def test_one_bad_item_fails_alone_and_is_retried(self):
        for name in ("Ann", "Bob"):
            self.make_partner(name)
        bad = self.make_partner("Cid", email="cid-invalid@x.test")

        run = self.sync()

        self.assertEqual(run.state, "partial")
        self.assertEqual((run.remote_created, run.failed), (2, 1))
        line = run.line_ids
        self.assertEqual((line.res_id, line.operation, line.level),
                         (bad.id, "create_remote", "error"))
        self.assertIn("Email address is not valid", line.reason)
        self.assertEqual(len(self.peer.contacts()), 2)

        bad.email = "cid@x.test"
        run = self.sync()
        self.assertEqual((run.state, run.remote_created, run.failed), ("done", 1, 0))
        self.assertEqual(len(self.peer.contacts()), 3)

    def test_remote_change_failing_in_odoo_keeps_the_token(self):
        self.sync()
        token = self.account.sudo().sync_tokens["contacts"]
        self.peer.add_contact({"name": "Good", "email": "good@x.test"})
        self.peer.add_contact({"name": "Also good", "email": "also@x.test"})
        nameless = self.peer.add_contact({"email": "nameless@x.test", "name": ""})

        run = self.sync()

        # Odoo refuses a contact without a name; the other two are created in one batch
        # that falls back to one savepoint per item, so only the bad one fails.
        self.assertEqual((run.local_created, run.failed), (2, 1))
        self.assertEqual(run.line_ids.remote_id, nameless["id"])
        self.assertEqual(self.account.sudo().sync_tokens["contacts"], token,
                         "a remote change not applied in Odoo must come again")

        self.peer.edit_contact(nameless["id"], {"name": "Named", "email": "nameless@x.test"})
        run = self.sync()
        self.assertEqual((run.local_created, run.local_updated, run.failed), (1, 0, 0))
        self.assertEqual(len(self.synced_partners()), 3)
        self.assertNotEqual(self.account.sudo().sync_tokens["contacts"], token)

    def test_lost_create_response_is_adopted_not_duplicated(self):
        partner = self.make_partner("Lea")
        self.peer.inject("POST", "/contacts", lose_response=True)

        run = self.sync()

        self.assertEqual(run.failed, 1)
        binding = self.bindings()
        self.assertTrue(binding.pending_create and binding.local_tag)
        self.assertEqual(len(self.peer.contacts()), 1, "the remote create did happen")

        run = self.sync()

        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(len(self.peer.contacts()), 1, "no duplicate after the retry")
        self.assertEqual(binding.remote_id, self.peer.contacts()[0]["id"])
        self.assertFalse(binding.pending_create)
        self.assertEqual(binding.res_id, partner.id)

    def test_lost_create_response_found_by_tag_when_listing_misses_it(self):
        self.make_partner("Lea")
        self.peer.inject("POST", "/contacts", lose_response=True)
        self.sync()
        # Forget the token: the next listing is a full one that includes the item; also
        # hide the tag from listings, so only find_by_tag can find it.
        self.account.sudo().sync_tokens = {}
        self.sync()
        self.assertEqual(len(self.peer.contacts()), 1)
        self.assertFalse(self.bindings().pending_create)

    def test_expired_token_full_resync_without_duplicates(self):
        rita = self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        self.make_partner("Lea")
        self.sync()
        partners, bindings = self.synced_partners(), self.bindings()

        self.peer.expire_sync_tokens()
        self.peer.edit_contact(rita["id"], {"name": "Rita B", "email": "rita@x.test"})
        run = self.sync()

        self.assertTrue(run.full_resync)
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(self.synced_partners(), partners)
        self.assertEqual(self.bindings(), bindings)
        self.assertEqual(len(self.peer.contacts()), 2)
        self.assertIn("Rita B", partners.mapped("name"))
        self.assertEqual(run.local_created + run.remote_created, 0)

    def test_rate_limited_then_success_honours_retry_after(self):
        self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        self.peer.inject("GET", "/contacts", status=429, headers={"Retry-After": "1"},
                         json={"error": "rate_limited"})
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(run.local_created, 1)
        listed = self.peer.requests_to("GET", "/contacts")
        self.assertGreaterEqual(len(listed), 2)
        self.assertGreaterEqual(listed[1].time - listed[0].time, 1.0)

    def test_rate_limited_too_long_stops_and_reschedules(self):
        self.peer.inject("GET", "/contacts", status=429, headers={"Retry-After": "3600"})
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("slow down", run.message)
        self.assertNotEqual(self.account.state, "error")
        self.assertGreater(self.account.next_sync_at,
                           fields.Datetime.now() + timedelta(minutes=59))

    def test_expired_access_token_is_refreshed_once(self):
        self.peer.rotate_refresh_token = True
        self.peer.expire_access_token()
        self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})

        run = self.sync()

        self.assertEqual(run.state, "done", run.message)
        credentials = self.account.sudo()._sync_credentials()
        self.assertEqual(credentials["access_token"], self.peer.access_token)
        self.assertEqual(credentials["refresh_token"], self.peer.refresh_token,
                         "a rotated refresh token must be kept")
        self.assertNotEqual(credentials["refresh_token"], "rt-1")

    def test_revoked_credentials_put_the_account_in_error(self):
        self.peer.revoke()
        with self.assertLogs("odoo.addons.crm_sync_base", level="INFO") as logs:
            run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertEqual(self.account.state, "error")
        self.assertIn("refused the credentials", self.account.last_error)
        self.assertIn("Test connection", self.account.last_error)
        for secret in ("rt-1", "at-1"):
            self.assertNotIn(secret, "\n".join(logs.output))
            self.assertNotIn(secret, self.account.last_error)
        # An account in error is left out of the scheduled runs until someone acts.
        self.account.sudo().next_sync_at = fields.Datetime.now() - timedelta(minutes=1)
        runs = self.account.run_count
        self.env["crm.sync.account"]._cron_sync_due_accounts()
        self.assertEqual(self.account.run_count, runs)


class TestPolicies(SyncCase):
    def _both_edited(self):
        rita = self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        self.sync()
        partner = self.synced_partners()
        partner.name = "Rita (Odoo)"
        self.peer.edit_contact(rita["id"], {"name": "Rita (remote)", "email": "rita@x.test"})
        return partner

    def test_newest_wins_and_the_loser_is_journaled(self):
        partner = self._both_edited()  # the remote edit is the later one
        run = self.sync()
        self.assertEqual(partner.name, "Rita (remote)")
        conflict = run.line_ids.filtered(lambda line: line.level == "conflict")
        self.assertEqual(conflict.discarded["name"], "Rita (Odoo)")
        self.assertEqual(run.conflicts, 1)

    def test_odoo_wins(self):
        self.account.conflict_policy = "local"
        partner = self._both_edited()
        self.sync()
        self.assertEqual(partner.name, "Rita (Odoo)")
        self.assertEqual(self.peer.contacts()[0]["data"]["name"], "Rita (Odoo)")

    def test_remote_deletion_in_unlink_mode_keeps_the_partner(self):
        self.account.deletion_mode = "unlink"
        rita = self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        self.peer.add_contact({"name": "Ron", "email": "ron@x.test"})
        self.sync()
        partner = self.synced_partners().filtered(lambda p: p.name == "Rita")
        self.peer.delete_contact(rita["id"])
        run = self.sync()
        self.assertEqual(run.local_unlinked, 1)
        self.assertTrue(partner.exists())
        self.assertNotIn(self.category, partner.category_id)

    def test_remote_emptied_is_refused_until_allowed(self):
        for name in ("Ann", "Bob", "Cid"):
            self.peer.add_contact({"name": name, "email": f"{name}@x.test"})
        self.sync()
        for contact in self.peer.contacts():
            self.peer.delete_contact(contact["id"])
        self.peer.expire_sync_tokens()  # the next listing is a full, empty one

        run = self.sync()

        self.assertEqual(run.state, "failed")
        self.assertEqual(self.account.state, "error")
        self.assertIn("allow mass deletion once", self.account.last_error)
        self.assertEqual(len(self.synced_partners()), 3, "nothing was deleted")

        self.account.allow_mass_delete = True
        run = self.sync()
        self.assertEqual(run.local_deleted, 3)
        self.assertFalse(self.account.allow_mass_delete, "allowed once, not for good")

    def test_import_only_leaves_the_remote_alone(self):
        self.account.direction = "import"
        self.make_partner("Lea")
        self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        run = self.sync()
        self.assertEqual((run.local_created, run.remote_created), (1, 0))
        self.assertEqual(len(self.peer.contacts()), 1)

    def test_switching_from_export_only_to_both_imports_what_is_there(self):
        """Contacts listed (and passed over) while the account only exported come in
        once it imports: its first importing run lists everything again."""
        self.account.direction = "export"
        self.make_partner("Lea")
        self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        run = self.sync()
        self.assertEqual((run.local_created, run.remote_created), (0, 1))
        self.account.direction = "both"
        run = self.sync()
        self.assertEqual((run.local_created, run.remote_created), (1, 0), run.message)
        self.assertEqual(len(self.peer.contacts()), 2)  # Lea was not sent again
        self.assertEqual(self.Partner.search_count([("name", "=", "Lea")]), 1)


class TestButtonsAndCron(SyncCase):
    def test_preview_changes_nothing(self):
        self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        self.make_partner("Lea")
        action = self.account.with_user(self.user).action_preview()
        run = self.env["crm.sync.run"].browse(action["res_id"])
        self.assertEqual(run.state, "preview")
        self.assertEqual((run.local_created, run.remote_created), (1, 1))
        self.assertEqual(sorted(run.line_ids.mapped("operation")),
                         ["create_local", "create_remote"])
        self.assertEqual(len(self.peer.contacts()), 1)
        self.assertEqual(len(self.synced_partners()), 1)
        self.assertFalse(self.bindings())

    def test_sync_now_and_test_connection(self):
        action = self.account.with_user(self.user).action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("owner@example.com", action["params"]["message"])
        action = self.account.with_user(self.user).action_sync_now()
        self.assertEqual(action["res_model"], "crm.sync.run")

    def test_test_connection_explains_a_wrong_password(self):
        self.peer.revoke()
        from odoo.exceptions import UserError
        with self.assertRaisesRegex(UserError, "refused the credentials"):
            self.account.with_user(self.user).action_test_connection()
        self.assertEqual(self.account.state, "error")

    def test_unreachable_server_is_explained(self):
        self.account.endpoint = "http://127.0.0.1:9"  # nothing listens on the discard port
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("could not be reached", run.message)

    def test_cron_runs_due_accounts_only(self):
        other = self.account.copy({"name": "Not due"})
        other._sync_store_credentials({"access_token": "at-1"})
        now = fields.Datetime.now()
        self.account.next_sync_at = now - timedelta(minutes=1)
        other.next_sync_at = now + timedelta(hours=1)
        self.env["crm.sync.account"]._cron_sync_due_accounts()
        self.assertEqual(self.account.run_ids.trigger, "cron")
        self.assertFalse(other.run_ids)
        self.assertGreater(self.account.next_sync_at, now)

    def test_synchronize_menu_offers_the_users_accounts(self):
        menu = self.env["crm.sync.menu"].with_user(self.user).create({})
        self.assertEqual(menu.account_ids, self.account)
        menu = self.env["crm.sync.menu"].with_user(self.other_user).create({})
        self.assertFalse(menu.account_ids)
        action = self.env.ref("crm_sync_base.action_crm_sync_menu")
        self.assertEqual((action.res_model, action.target), ("crm.sync.menu", "new"))


class TestRecoveries(SyncCase):
    """The runner's side of the bugs the engine's state machine found."""

    def test_recreate_after_remote_deletion_with_a_lost_answer(self):
        self.account.conflict_policy = "local"
        rita = self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        self.sync()
        partner = self.synced_partners()
        partner.name = "Rita (Odoo)"
        self.peer.delete_contact(rita["id"])
        self.peer.inject("POST", "/contacts", lose_response=True)

        self.sync()  # Odoo's edit wins: recreated remotely, the answer is lost
        self.sync()
        self.sync()

        self.assertEqual(self.synced_partners(), partner, "no second partner")
        contacts = self.peer.contacts()
        self.assertEqual([c["data"]["name"] for c in contacts], ["Rita (Odoo)"])
        self.assertEqual(self.bindings().remote_id, contacts[0]["id"])

    def test_adopted_item_keeps_a_local_edit_whose_push_failed(self):
        partner = self.make_partner("Lea")
        self.peer.inject("POST", "/contacts", lose_response=True)
        self.sync()
        partner.phone = "+7 111"
        self.peer.inject("PUT", "/contacts/.*", drop=True)
        self.sync()  # adopted; the push of the edit never arrives
        self.sync()
        self.assertEqual(self.peer.contacts()[0]["data"]["phone"], "+7 111")
        self.assertFalse(self.bindings().dirty)

    def test_failed_push_after_a_listed_remote_edit_does_not_412_forever(self):
        self.account.conflict_policy = "local"
        rita = self.peer.add_contact({"name": "Rita", "email": "rita@x.test"})
        self.sync()
        self.synced_partners().name = "Rita (Odoo)"
        self.peer.edit_contact(rita["id"], {"name": "Rita (remote)", "email": "rita@x.test"})
        self.peer.inject("PUT", "/contacts/.*", drop=True)
        self.sync()  # conflict, Odoo wins; the update is lost on the way
        run = self.sync()
        self.assertEqual(run.failed, 0, run.line_ids.mapped("reason"))
        self.assertEqual(self.peer.get(rita["id"])["data"]["name"], "Rita (Odoo)")

    def test_mass_delete_ratio_counts_every_bound_item(self):
        for i in range(25):
            self.peer.add_contact({"name": f"C{i}", "email": f"c{i}@x.test"})
        self.sync()
        for contact in self.peer.contacts()[:12]:  # 12 of 25: under half
            self.peer.delete_contact(contact["id"])
        run = self.sync()
        self.assertEqual((run.state, run.local_deleted), ("done", 12), run.message)


class TestCronProgress(SyncCase):
    def test_cron_reports_its_progress_to_odoo(self):
        """Odoo's cron reschedules a job at once while it reports remaining work, and
        deactivates one that fails repeatedly without progress: report both."""
        cron = self.env.ref("crm_sync_base.ir_cron_crm_sync_due_accounts")
        now = fields.Datetime.now()
        accounts = self.account
        for i in range(2):
            accounts |= self.account.copy({"name": f"Copy {i}"})
        for account in accounts:
            account._sync_store_credentials({"access_token": "at-1"})
        accounts.write({"next_sync_at": now - timedelta(minutes=1)})
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})

        self.env["crm.sync.account"].with_context(
            ir_cron_progress_id=progress.id)._cron_sync_due_accounts(batch_size=2)

        self.assertEqual((progress.done, progress.remaining), (2, 1))
        self.assertEqual(len(accounts.run_ids), 2)
        self.env["crm.sync.account"].with_context(
            ir_cron_progress_id=progress.id)._cron_sync_due_accounts(batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(len(accounts.run_ids), 3)
