from odoo.tests import TransactionCase, new_test_user
from peers import GooglePeer, PeerCaseMixin


class GoogleCaseMixin:
    """A user's Google account talking to a GooglePeer over HTTP."""

    @classmethod
    def setup_google(cls):
        cls.peer = cls.start_peer(GooglePeer)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("crm_google_sync.client_id", "client-1")
        params.set_param("crm_google_sync.client_secret", "secret-1")
        cls.user = new_test_user(cls.env, "guser", name="Google User",
                                 email="guser@example.com",
                                 groups="base.group_user,base.group_partner_manager")
        cls.account = cls.env["crm.sync.account"].with_user(cls.user).create({
            "name": "My Google", "provider": "google", "endpoint": cls.peer.url,
            "oauth_token_url": cls.peer.url + "/token",
            "oauth_authorize_url": cls.peer.url + "/o/oauth2/auth",
            "google_group_name": "Acme Odoo",
        })
        cls.category = cls.account.google_category_id
        cls.Partner = cls.env["res.partner"].with_user(cls.user)

    def connect(self, account=None):
        (account or self.account)._sync_store_credentials(
            {"access_token": "at-1", "refresh_token": "rt-1"})

    def sync(self, account=None):
        account = account or self.account
        return self.env["crm.sync.runner"].with_user(account.user_id)._run_account(
            account, trigger="manual")

    def group(self):
        return self.peer.group_by_name("Acme Odoo")

    def make_partner(self, name, **vals):
        return self.Partner.create(dict(vals, name=name, category_id=[(4, self.category.id)]))

    def tagged(self):
        return self.env["res.partner"].search([("category_id", "in", self.category.ids)])


class GoogleCase(GoogleCaseMixin, PeerCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_google()
