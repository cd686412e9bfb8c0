"""A person adds an account in the browser, presses Sync now and finds the run."""

from odoo.tests import HttpCase, new_test_user, tagged
from peers import ContactsPeer, PeerCaseMixin


@tagged("post_install", "-at_install")
class TestAccountTour(PeerCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(ContactsPeer)
        new_test_user(cls.env, "tour_user", groups="base.group_user,base.group_partner_manager")
        cls.env["res.partner.category"].create({"name": "Tour synced"})

    def test_add_account_sync_now_see_journal(self):
        self.peer.add_contact({"name": "Remote Rita", "email": "rita@x.test"})
        self.peer.add_contact({"name": "Remote Ron", "email": "ron@x.test"})
        # The peer listens on a random port: make it the default server URL of new
        # accounts, so the form the user fills already points at it.
        self.env["ir.default"].set("crm.sync.account", "endpoint", self.peer.url)

        self.start_tour("/odoo/crm-sync-accounts", "crm_sync_base_account_tour",
                        login="tour_user")

        account = self.env["crm.sync.account"].search([("name", "=", "Tour mailbox")])
        self.assertEqual(account.run_ids.state, "done")
        self.assertEqual(account.run_ids.local_created, 2)
        self.assertEqual(len(self.peer.requests_to("GET", "/contacts")), 1)

    def test_synchronize_menu_on_the_contacts_list(self):
        self.peer.add_contact({"name": "Remote Rita", "email": "rita@x.test"})
        user = self.env["res.users"].search([("login", "=", "tour_user")])
        account = self.env["crm.sync.account"].with_user(user).create({
            "name": "Menu mailbox", "provider": "test", "endpoint": self.peer.url,
            "password": "at-1",
            "test_category_id": self.env["res.partner.category"].search(
                [("name", "=", "Tour synced")]).id})

        self.start_tour("/odoo/contacts?view_type=list",
                        "crm_sync_base_synchronize_menu_tour", login="tour_user")

        self.assertEqual(account.run_ids.mapped("state"), ["done"])
