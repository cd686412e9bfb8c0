"""A person adds an Exchange account from the Contacts list's Synchronize menu."""

from odoo.tests import HttpCase, new_test_user, tagged
from peers import PeerCaseMixin
from peers.ews import EwsPeer


@tagged("post_install", "-at_install")
class TestExchangeTour(PeerCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(EwsPeer)
        new_test_user(cls.env, "exchange_tour", name="Tess Tour", email="tess@x.test",
                      groups="base.group_user,base.group_partner_manager")

    def test_add_account_from_contacts(self):
        self.peer.add_contact(given_name="Rita", surname="Remote")
        self.env["ir.default"].set("crm.exchange.add.account", "endpoint",
                                   self.peer.service_url)
        self.start_tour("/odoo/contacts?view_type=list", "crm_exchange_sync_tour",
                        login="exchange_tour")
        account = self.env["crm.sync.account"].search([("login", "=", "user@example.com")])
        self.assertEqual(account.provider, "exchange_server")
        user = self.env["res.users"].search([("login", "=", "exchange_tour")])
        self.assertEqual(account.user_id, user)
        self.assertEqual(user.partner_id.crm_email2, "user@example.com")
        self.assertEqual(account.run_ids[:1].local_created, 1)
