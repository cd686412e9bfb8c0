"""Seed 000's behaviours and the bad paths, through the runner, against the EWS peer."""

from .common import ExchangeCase


class TestExchangeSync(ExchangeCase):
    def test_import_all_contact_folders_with_every_field(self):
        us = self.env.ref("base.us")
        sub = self.peer.add_folder("Customers")
        self.peer.add_folder("Recipient Cache 2", klass="IPF.Contact.RecipientCache")
        self.peer.add_contact(
            given_name="Ann", surname="Lee", display_name="Ann Lee", job_title="CEO",
            notes="Met at the fair", emails=["ann@x.com", "ann2@x.com", "ann3@x.com"],
            phones={"BusinessPhone": "+1 1", "MobilePhone": "+1 2", "HomePhone": "+1 3"},
            addresses={"Business": {"Street": "1 Main", "City": "Austin", "State": "Texas",
                                    "CountryOrRegion": "United States", "PostalCode": "7"},
                       "Home": {"City": "Dallas", "CountryOrRegion": "US"}},
            categories=["VIP", "Fair 2026"])
        self.peer.add_contact(folder=sub, given_name="Bob", surname="Sub")
        cache = [f for f, v in self.peer.folders.items() if v["name"] == "Recipient Cache"][0]
        self.peer.add_contact(folder=cache, given_name="Cached", surname="Recipient")

        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        partners = self.imported()
        self.assertEqual(sorted(partners.mapped("name")), ["Ann Lee", "Bob Sub"])
        ann = partners.filtered(lambda p: p.name == "Ann Lee")
        self.assertEqual((ann.email, ann.crm_email2, ann.crm_email3),
                         ("ann@x.com", "ann2@x.com", "ann3@x.com"))
        self.assertEqual((ann.phone, ann.mobile, ann.crm_home_phone), ("+1 1", "+1 2", "+1 3"))
        self.assertEqual((ann.street, ann.city, ann.zip, ann.country_id, ann.state_id.code),
                         ("1 Main", "Austin", "7", us, "TX"))
        self.assertEqual((ann.crm_home_city, ann.crm_home_country_id), ("Dallas", us))
        self.assertEqual(ann.function, "CEO")
        self.assertIn("Met at the fair", ann.comment)
        self.assertEqual(sorted(ann.category_id.mapped("name")), ["Fair 2026", "VIP"])

    def test_import_only_chosen_folders(self):
        sub = self.peer.add_folder("Customers")
        self.peer.add_contact(given_name="Main", surname="Folder")
        self.peer.add_contact(folder=sub, given_name="Chosen", surname="One")
        self.account.action_exchange_refresh_folders()
        chosen = self.account.exchange_all_folder_ids.filtered(lambda f: f.remote_id == sub)
        self.assertEqual(chosen.path, "Contacts/Customers")
        self.account.write({"exchange_import_mode": "folders",
                            "exchange_folder_ids": [(6, 0, chosen.ids)],
                            "exchange_export": False})
        self.assertEqual(self.account.direction, "import")
        self.sync()
        self.assertEqual(self.imported().mapped("name"), ["Chosen One"])

    def test_company_link_rule(self):
        Partner = self.env["res.partner"]
        solo = Partner.create({"name": "Solo Ltd", "is_company": True})
        Partner.create([{"name": "Twin Inc", "is_company": True}] * 2)
        other_company = self.env["res.company"].create({"name": "Other branch"})
        Partner.create({"name": "Hidden Co", "is_company": True,
                        "company_id": other_company.id})
        visible = Partner.create({"name": "Hidden Co", "is_company": True,
                                  "company_id": self.env.company.id})
        for company in ("Solo Ltd", "Twin Inc", "Hidden Co", "Nowhere"):
            self.peer.add_contact(given_name="At", surname=company.split()[0],
                                  company_name=company)
        self.sync()
        # Linked: Odoo shows the company through the link (and empties company_name);
        # not linked: the name Exchange had is kept as text.
        got = {p.name: (p.parent_id, p.company_name) for p in self.imported()}
        self.assertEqual(got["At Solo"], (solo, False))
        self.assertEqual(got["At Twin"], (Partner, "Twin Inc"))  # several: none linked
        self.assertEqual(got["At Hidden"][0], visible)  # the only one the user may read
        self.assertEqual(got["At Nowhere"], (Partner, "Nowhere"))

    def test_export_by_category_and_two_way_updates(self):
        tag = self.env["res.partner.category"].create({"name": "Exchange"})
        self.account.write({"exchange_export_mode": "groups",
                            "exchange_export_category_ids": [(6, 0, tag.ids)]})
        exported = self.Partner.create({"name": "Eve Export", "email": "eve@x.com",
                                        "category_id": [(6, 0, tag.ids)],
                                        "mobile": "+7 900"})
        self.Partner.create({"name": "Not Exported"})
        run = self.sync()
        self.assertEqual(run.remote_created, 1, run.message)
        [remote] = self.peer.contacts()
        self.assertEqual((remote["given_name"], remote["surname"]), ("Eve", "Export"))
        self.assertEqual(remote["categories"], ["Exchange"])
        self.assertTrue(remote["ext"]["CrmSyncLocalTag"].endswith(f":{exported.id}"))

        exported.write({"function": "Buyer"})
        self.peer.add_contact(given_name="New", surname="Remote")
        run = self.sync()
        self.assertEqual((run.remote_updated, run.local_created), (1, 1), run.message)
        self.assertEqual(self.peer.contact(remote["id"])["job_title"], "Buyer")

        self.peer.edit_contact(remote["id"], job_title="Chief buyer")
        self.sync()
        self.assertEqual(exported.function, "Chief buyer")
        self.assertEqual(len(self.peer.contacts()), 2)  # nothing duplicated

    def test_leaving_the_export_group_while_importing_duplicates_nothing(self):
        """The contact is in the mailbox's synced folder: while the account imports it,
        it stays bound to its partner, so an edit in Outlook updates that partner."""
        tag = self.env["res.partner.category"].create({"name": "Exchange"})
        self.account.write({"exchange_export_mode": "groups",
                            "exchange_export_category_ids": [(6, 0, tag.ids)]})
        partner = self.Partner.create({"name": "Gus Group", "category_id": [(6, 0, tag.ids)]})
        self.sync()
        [remote] = self.peer.contacts()
        partner.write({"category_id": [(5, 0, 0)], "function": "Left the group"})
        run = self.sync()
        self.assertTrue(self.bound(partner), run.message)
        self.assertEqual(self.peer.contact(remote["id"])["job_title"], "Left the group")
        self.peer.edit_contact(remote["id"], job_title="Edited in Outlook")
        run = self.sync()
        self.assertEqual(run.local_created, 0, run.message)
        self.assertEqual(partner.function, "Edited in Outlook")
        self.assertEqual(self.Partner.search_count([("name", "=", "Gus Group")]), 1)

    def test_leaving_the_export_group_without_import_releases_the_contact(self):
        """Export only: the partner is no longer exported; the Exchange contact stays
        (nothing is deleted) and, as nothing is imported, never comes back as a copy."""
        tag = self.env["res.partner.category"].create({"name": "Exchange"})
        self.account.write({"exchange_import": False, "exchange_export_mode": "groups",
                            "exchange_export_category_ids": [(6, 0, tag.ids)]})
        partner = self.Partner.create({"name": "Ola Only", "category_id": [(6, 0, tag.ids)]})
        self.sync()
        [remote] = self.peer.contacts()
        partner.write({"category_id": [(5, 0, 0)]})
        self.sync()
        self.assertFalse(self.bound(partner))
        self.peer.edit_contact(remote["id"], job_title="Edited in Outlook")
        run = self.sync()
        self.assertEqual(run.local_created, 0, run.message)
        self.assertEqual(len(self.peer.contacts()), 1)

    def test_import_switched_on_after_a_release_adopts_the_contact(self):
        """Exported, then released while the account only exported: when import is
        switched on, the contact (tagged with the partner's id) binds to that partner
        again instead of coming in as a copy."""
        tag = self.env["res.partner.category"].create({"name": "Exchange"})
        self.account.write({"exchange_import": False, "exchange_export_mode": "groups",
                            "exchange_export_category_ids": [(6, 0, tag.ids)]})
        partner = self.Partner.create({"name": "Rita Return", "category_id": [(6, 0, tag.ids)]})
        self.sync()
        [remote] = self.peer.contacts()
        partner.write({"category_id": [(5, 0, 0)]})
        self.sync()
        self.assertFalse(self.bound(partner))
        self.account.write({"exchange_import": True})  # the next run lists everything
        run = self.sync()
        self.assertEqual(run.local_created, 0, run.message)
        self.assertEqual(self.bound(partner).remote_id, remote["id"])
        self.assertEqual(self.Partner.search_count([("name", "=", "Rita Return")]), 1)
        self.peer.edit_contact(remote["id"], job_title="Edited in Outlook")
        self.sync()
        self.assertEqual(partner.function, "Edited in Outlook")
        self.assertEqual(self.Partner.search_count([("name", "=", "Rita Return")]), 1)

    def test_no_change_sync_moves_nothing(self):
        self.peer.add_contact(given_name="Ann", surname="Lee", emails=["a@x.com"])
        self.sync()
        self.peer.requests.clear()
        run = self.sync()
        self.assertEqual((run.local_created, run.local_updated, run.remote_created,
                          run.remote_updated), (0, 0, 0, 0))
        self.assertNotIn("UpdateItem", self.peer.operations())
        self.assertNotIn("CreateItem", self.peer.operations())

    def test_wrong_password_and_locked_account(self):
        self.account.password = "wrong"
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertEqual(self.account.state, "error")
        self.assertIn("user name or password", self.account.last_error)
        self.account.write({"password": "secret"})
        self.peer.lock_account()
        self.sync()
        self.assertIn("locked out", self.account.last_error)

    def test_folder_deleted_in_exchange(self):
        sub = self.peer.add_folder("Old customers")
        self.peer.add_contact(folder=sub, given_name="Gone", surname="Away")
        self.peer.add_contact(given_name="Stays", surname="Here")
        self.sync()
        self.assertEqual(len(self.imported()), 2)
        self.peer.delete_folder(sub)
        self.account.allow_mass_delete = True  # one of two is "most" for the guard
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(self.imported().mapped("name"), ["Stays Here"])

    def test_folder_deleted_with_unlink_policy_deletes_nothing(self):
        sub = self.peer.add_folder("Old customers")
        self.peer.add_contact(folder=sub, given_name="Gone", surname="Away")
        self.peer.add_contact(given_name="Stays", surname="Here")
        self.account.deletion_mode = "unlink"
        self.sync()
        self.peer.delete_folder(sub)
        self.account.allow_mass_delete = True
        self.sync()
        self.assertTrue(self.env["res.partner"].search([("name", "=", "Gone Away")]))

    def test_invalid_sync_state_resyncs_without_duplicates(self):
        self.peer.add_contact(given_name="Ann", surname="Lee")
        self.sync()
        self.peer.expire_sync_states()
        self.peer.add_contact(given_name="Bob", surname="New")
        run = self.sync()
        self.assertTrue(run.full_resync)
        self.assertEqual(sorted(self.imported().mapped("name")), ["Ann Lee", "Bob New"])

    def test_conflicting_edit_during_the_sync(self):
        partner = self.Partner.create({"name": "Carl Clash", "email": "carl@x.com"})
        self.sync()
        [remote] = self.remote_named("Carl Clash")
        partner.write({"function": "Odoo title"})
        # Outlook saves the contact after Odoo listed it: the changekey moved on.
        self.peer.edit_contact(remote["id"], job_title="Outlook title")
        self.account.conflict_policy = "local"
        run = self.sync()
        self.assertEqual(run.conflicts, 1)
        self.assertEqual(self.peer.contact(remote["id"])["job_title"], "Odoo title")
        conflict = run.line_ids.filtered(lambda line: line.level == "conflict")
        self.assertEqual(conflict.discarded["job_title"], "Outlook title")

    def test_contact_edited_in_outlook_while_odoo_writes_it(self):
        partner = self.Partner.create({"name": "Mid Sync", "email": "mid@x.com"})
        self.sync()
        [remote] = self.remote_named("Mid Sync")
        partner.write({"function": "Odoo title"})
        listing = self.peer.op_SyncFolderItems

        def list_then_edit(op):
            answer = listing(op)  # Odoo sees the contact as it was...
            self.peer.edit_contact(remote["id"], job_title="Saved in Outlook meanwhile")
            return answer

        self.peer.op_SyncFolderItems = list_then_edit
        try:
            run = self.sync()
        finally:
            del self.peer.op_SyncFolderItems
        # ...and its update, sent with the old changekey, is refused, not applied.
        self.assertEqual(self.peer.contact(remote["id"])["job_title"],
                         "Saved in Outlook meanwhile")
        self.assertEqual(run.failed, 1)
        self.assertIn("ErrorIrresolvableConflict", run.line_ids.reason)
        self.account.conflict_policy = "local"
        self.sync()  # the next run sees both edits and applies the policy
        self.assertEqual(self.peer.contact(remote["id"])["job_title"], "Odoo title")

    def test_throttling_stops_and_reschedules(self):
        self.peer.add_contact(given_name="Ann", surname="Lee")
        self.peer.busy(times=10, back_off_ms=600_000)
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("busy", self.account.last_error)
        self.assertNotEqual(self.account.state, "error")
        self.peer.busy(times=0)
        self.sync()
        self.assertEqual(self.imported().mapped("name"), ["Ann Lee"])

    def test_lost_create_response_is_found_by_tag(self):
        partner = self.Partner.create({"name": "Lost Answer", "email": "lost@x.com"})
        self.peer.lose_answer("CreateItem")
        run = self.sync()
        self.assertEqual(len(self.remote_named("Lost Answer")), 1)
        self.assertEqual(run.failed, 1)
        self.sync()
        self.assertEqual(len(self.remote_named("Lost Answer")), 1)  # adopted, not sent twice
        self.assertTrue(self.bound(partner).remote_id)
        self.assertFalse(self.bound(partner).pending_create)

    def test_unticking_a_folder_deletes_nothing(self):
        sub = self.peer.add_folder("Customers")
        self.peer.add_contact(folder=sub, given_name="Sub", surname="Contact")
        self.peer.add_contact(given_name="Main", surname="Contact")
        self.sync()
        self.account.action_exchange_refresh_folders()
        main = self.account.exchange_all_folder_ids.filtered(lambda f: f.remote_id == "contacts")
        self.account.write({"exchange_import_mode": "folders",
                            "exchange_folder_ids": [(6, 0, main.ids)]})
        run = self.sync()
        self.assertEqual(run.local_deleted, 0)
        self.assertEqual(sorted(self.imported().mapped("name")), ["Main Contact", "Sub Contact"])

    def test_updates_from_exchange_keep_the_company_link(self):
        Partner = self.env["res.partner"]
        twin, _other_twin = Partner.create([{"name": "Twin Inc", "is_company": True}] * 2)
        company = Partner.create({"name": "Solo Company", "is_company": True})
        tag = self.env["res.partner.category"].create({"name": "To Outlook"})
        person = self.Partner.create({"name": "Pat Person", "parent_id": twin.id,
                                      "category_id": [(6, 0, tag.ids)]})
        company.category_id = tag
        self.account.write({"exchange_export_mode": "groups",
                            "exchange_export_category_ids": [(6, 0, tag.ids)]})
        self.sync()
        [remote] = self.remote_named("Pat Person")
        self.assertEqual(remote["company_name"], "Twin Inc")
        self.peer.edit_contact(remote["id"], job_title="Manager")
        [remote_company] = self.remote_named("Solo Company")
        self.peer.edit_contact(remote_company["id"], job_title="HQ")
        run = self.sync()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual((person.function, person.parent_id), ("Manager", twin))
        self.assertEqual((company.function, company.parent_id), ("HQ", Partner))

    def test_export_employees_and_customers(self):
        employee_user = self.env["res.users"].create({"name": "Emma Employee",
                                                      "login": "emma.employee"})
        customer = self.Partner.create({"name": "Cora Customer"})
        self.env["crm.lead"].create({"name": "Deal", "partner_id": customer.id})
        self.Partner.create({"name": "Nora Nobody"})
        self.account.write({"exchange_export_mode": "groups",
                            "exchange_export_employees": True})
        self.sync()
        names = {c["display_name"] for c in self.peer.contacts()}
        self.assertIn(employee_user.name, names)
        self.assertNotIn("Cora Customer", names)
        self.account.write({"exchange_export_customers": True})
        self.sync()
        names = {c["display_name"] for c in self.peer.contacts()}
        self.assertIn("Cora Customer", names)
        self.assertNotIn("Nora Nobody", names)

    def test_automatic_sync_runs_when_due(self):
        self.peer.add_contact(given_name="Auto", surname="Matic")
        self.account.write({"auto_sync": True, "interval_number": 5,
                            "interval_type": "minutes", "next_sync_at": False})
        self.env["crm.sync.account"]._cron_sync_due_accounts()
        self.assertEqual(self.imported().mapped("name"), ["Auto Matic"])
        self.assertTrue(self.account.next_sync_at)

    def test_deleted_in_odoo_goes_to_deleted_items(self):
        partner = self.Partner.create({"name": "Del Eted", "email": "del@x.com"})
        self.sync()
        [remote] = self.remote_named("Del Eted")
        partner.unlink()
        run = self.sync()
        self.assertEqual(run.remote_deleted, 1, run.message)
        [binned] = self.remote_named("Del Eted")
        self.assertEqual(binned["folder"], "deleteditems")  # restorable in Outlook
        self.assertNotEqual(binned["id"], remote["id"])
