"""Seed 000 steps 1-5: Add account for sync -> MS Exchange -> Authorize -> e-mail."""

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user
from peers import PeerCaseMixin
from peers.ews import EwsPeer


class TestAddAccountWizard(PeerCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(EwsPeer)
        cls.user = new_test_user(cls.env, "wizuser", name="Will Wizard", email="will@x.test",
                                 groups="base.group_user,base.group_partner_manager")

    def wizard(self, **vals):
        menu_action = self.env["crm.sync.menu"].with_user(self.user).create({}) \
            .action_add_account()
        self.assertEqual(menu_action["res_model"], "crm.exchange.add.account")
        return self.env["crm.exchange.add.account"].with_user(self.user).create(dict({
            "mail_provider": "exchange_server", "server_mode": "url",
            "endpoint": self.peer.service_url, "login": "user@example.com",
            "password": "secret", "auth_type": "basic"}, **vals))

    def test_authorize_creates_the_account_and_adds_the_email(self):
        self.peer.add_folder("Customers")
        wizard = self.wizard()
        wizard.action_authorize()
        self.assertEqual(wizard.state, "authorized")
        account = wizard.account_id
        self.assertEqual((account.provider, account.login, account.state, account.user_id),
                         ("exchange_server", "user@example.com", "connected", self.user))
        self.assertEqual(account.credentials_info, "Password")
        self.assertFalse(account.password)  # write-only
        self.assertFalse(wizard.password)  # never read back...
        self.assertFalse(wizard.sudo().password_kept)  # ...nor kept once the account holds it
        self.assertEqual(account.exchange_all_folder_ids.mapped("path"),
                         ["Contacts", "Contacts/Customers"])
        done = wizard.action_add_email()
        self.assertEqual(self.user.partner_id.crm_email2, "user@example.com")
        self.assertEqual(self.user.partner_id.email, "will@x.test")
        self.assertEqual(done["params"]["links"][0]["url"],
                         f"/odoo/crm-sync-accounts/{account.id}")

    def test_wrong_password_is_said_at_once(self):
        wizard = self.wizard(password="wrong")
        self.assertFalse(wizard.read(["password"])[0]["password"])  # write-only
        with self.assertRaisesRegex(UserError, "user name or password"):
            wizard.action_authorize()
        self.assertFalse(self.env["crm.sync.account"].search([("login", "=",
                                                               "user@example.com")]))

    def test_locked_account_and_missing_url(self):
        self.peer.lock_account()
        with self.assertRaisesRegex(UserError, "locked out"):
            self.wizard().action_authorize()
        with self.assertRaisesRegex(UserError, "EWS URL"):
            self.wizard(endpoint=False).action_authorize()

    def test_no_email_keeps_the_partner(self):
        wizard = self.wizard()
        wizard.action_authorize()
        wizard.action_done()
        self.assertFalse(self.user.partner_id.crm_email2)
