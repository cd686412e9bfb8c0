from odoo.tests import TransactionCase, new_test_user
from peers import ContactsPeer, PeerCaseMixin


class SyncCase(PeerCaseMixin, TransactionCase):
    """An employee's account of the test provider, talking to a ContactsPeer over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(ContactsPeer)
        cls.category = cls.env["res.partner.category"].create({"name": "Synced"})
        cls.user = new_test_user(cls.env, "syncer", name="Sync User",
                                 groups="base.group_user,base.group_partner_manager")
        cls.other_user = new_test_user(cls.env, "other", groups="base.group_user",
                                       name="Other User")
        cls.account = cls.env["crm.sync.account"].with_user(cls.user).create({
            "name": "Test mailbox", "provider": "test", "endpoint": cls.peer.url,
            "test_category_id": cls.category.id,
        })
        cls.account._sync_store_credentials({"access_token": "at-1", "refresh_token": "rt-1"})
        cls.Partner = cls.env["res.partner"].with_user(cls.user)

    def sync(self, account=None, trigger="manual"):
        account = account or self.account
        return self.env["crm.sync.runner"].with_user(account.user_id)._run_account(
            account, trigger=trigger)

    def synced_partners(self):
        return self.env["res.partner"].search([("category_id", "in", self.category.ids)])

    def bindings(self):
        return self.env["crm.sync.binding"].search([("account_id", "=", self.account.id)])

    def make_partner(self, name, email=None, **vals):
        email = email or f"{name.split()[-1].lower()}@x.test"
        return self.Partner.create(dict(vals, name=name, email=email,
                                        category_id=[(4, self.category.id)]))
