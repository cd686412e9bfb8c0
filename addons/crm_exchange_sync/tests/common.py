from odoo.tests import TransactionCase, new_test_user
from peers import PeerCaseMixin
from peers.ews import EwsPeer


class ExchangeCase(PeerCaseMixin, TransactionCase):
    """A sales user's Exchange Server account, talking EWS to an EwsPeer over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(EwsPeer)
        cls.user = new_test_user(cls.env, "exuser", name="Ella Exchange",
                                 email="ella@x.test",
                                 groups="base.group_user,base.group_partner_manager")
        cls.account = cls.env["crm.sync.account"].with_user(cls.user).create({
            "name": "Ella's mailbox", "provider": "exchange_server",
            "endpoint": cls.peer.service_url, "login": "user@example.com",
            "password": "secret", "exchange_auth_type": "basic", "auto_sync": False,
        })
        cls.Partner = cls.env["res.partner"].with_user(cls.user)

    def sync(self, account=None):
        account = account or self.account
        run = self.env["crm.sync.runner"].with_user(account.user_id)._run_account(account)
        return run

    def bound(self, partner):
        return self.env["crm.sync.binding"].sudo().search(
            [("account_id", "=", self.account.id), ("res_model", "=", "res.partner"),
             ("res_id", "=", partner.id)])

    def imported(self):
        return self.env["res.partner"].search(
            [("crm_exchange_account_ids", "in", self.account.ids)])

    def remote_named(self, name):
        return [c for c in self.peer.contacts() if c["display_name"] == name]
