"""The OAuth authorization-code flow: signed state, callback, token exchange, and the
whole round trip in a real browser."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from odoo.addons.crm_sync_base.models.sync_account_oauth import OAUTH_STATE_SCOPE
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.misc import hash_sign
from peers import PeerCaseMixin

from .common import GoogleCaseMixin


@tagged("post_install", "-at_install")
class TestGoogleOAuth(GoogleCaseMixin, PeerCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_google()
        cls.env["ir.config_parameter"].sudo().set_param("web.base.url", cls.base_url())
        cls.user.password = "guser-pass-123"

    def authorize(self, account=None):
        account = account or self.account
        action = account.with_user(self.user).action_oauth_connect()
        query = parse_qs(urlsplit(action["url"]).query)
        return action["url"], {k: v[0] for k, v in query.items()}

    def test_authorization_url(self):
        url, query = self.authorize()
        self.assertTrue(url.startswith(self.peer.url + "/o/oauth2/auth?"))
        self.assertEqual(query["client_id"], "client-1")
        self.assertEqual(query["access_type"], "offline")
        self.assertEqual(query["redirect_uri"], self.base_url() + "/crm_sync/oauth/callback")
        self.assertIn("https://www.googleapis.com/auth/contacts", query["scope"])
        self.assertTrue(query["state"])

    def test_callback_exchanges_code_and_keeps_tokens(self):
        _url, query = self.authorize()
        code = self.peer.issue_code(query["redirect_uri"])
        self.authenticate("guser", "guser-pass-123")
        response = self.url_open(f"/crm_sync/oauth/callback?state={query['state']}&code={code}",
                                 allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text)
        self.assertIn(f"/odoo/crm-sync-accounts/{self.account.id}", response.headers["Location"])
        self.assertEqual(self.account.state, "connected", self.account.last_error)
        self.assertTrue(self.account.oauth_connected_at)
        secrets = self.account.sudo()._sync_credentials()
        self.assertEqual(secrets["refresh_token"], self.peer.refresh_token)
        # The code is single use: a replay is refused and shown.
        self.url_open(f"/crm_sync/oauth/callback?state={query['state']}&code={code}",
                      allow_redirects=False)
        self.assertEqual(self.account.state, "error")
        self.assertIn("invalid_grant", self.account.last_error)
        self.assertEqual(self.account.sudo()._sync_credentials()["refresh_token"],
                         self.peer.refresh_token, "the good tokens are kept")

    def test_forged_foreign_or_expired_state_is_refused(self):
        _url, query = self.authorize()
        code = self.peer.issue_code(query["redirect_uri"])
        other = new_test_user(self.env, "intruder", password="intruder-pass-123",
                              groups="base.group_user")
        self.authenticate("intruder", "intruder-pass-123")
        response = self.url_open(f"/crm_sync/oauth/callback?state={query['state']}&code={code}",
                                 allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.authenticate("guser", "guser-pass-123")
        forged = query["state"][:-4] + ("AAAA" if not query["state"].endswith("AAAA") else "BBBB")
        expired = hash_sign(self.env(su=True), OAUTH_STATE_SCOPE,
                            {"account": self.account.id, "user": self.user.id},
                            expiration=timedelta(seconds=-5))
        for state in (forged, expired, "garbage", ""):
            response = self.url_open(f"/crm_sync/oauth/callback?state={state}&code={code}",
                                     allow_redirects=False)
            self.assertEqual(response.status_code, 403, state)
        self.assertNotIn("refresh_token", self.account.sudo()._sync_credentials())
        self.assertTrue(other)

    def test_consent_denied_is_shown(self):
        _url, query = self.authorize()
        self.authenticate("guser", "guser-pass-123")
        self.url_open(f"/crm_sync/oauth/callback?state={query['state']}&error=access_denied",
                      allow_redirects=False)
        self.assertIn("access_denied", self.account.last_error)
        self.assertNotIn("refresh_token", self.account.sudo()._sync_credentials())

    def test_connect_in_the_browser(self):
        admin = self.env.ref("base.user_admin")
        account = self.env["crm.sync.account"].with_user(admin).create({
            "name": "Admin Google", "provider": "google", "endpoint": self.peer.url,
            "oauth_token_url": self.peer.url + "/token",
            "oauth_authorize_url": self.peer.url + "/o/oauth2/auth",
        })
        self.start_tour(f"/odoo/crm-sync-accounts/{account.id}",
                        "crm_google_sync_connect_tour", login="admin")
        self.assertEqual(len(self.peer.authorize_requests), 1)
        self.assertEqual(account.state, "connected")
        self.assertEqual(account.sudo()._sync_credentials()["refresh_token"],
                         self.peer.refresh_token)


