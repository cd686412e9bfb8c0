"""The provider-neutral half of the OAuth 2 authorization-code flow.

"Connect" sends the browser to the provider with a ``state`` signed by the database
secret (Odoo's ``hash_sign``) that names the account and the user and expires; the
provider sends the browser back to ``/crm_sync/oauth/callback``, which checks that
state, has the provider exchange the code for tokens, and keeps them in the account's
write-only secrets. A connector only says how to build the authorization URL and how
to exchange a code (``_oauth_authorization_url``, ``_oauth_exchange_code``).
"""

import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import hash_sign, verify_hash_signed

from ..engine.adapter import SyncError, describe

_logger = logging.getLogger(__name__)

OAUTH_STATE_SCOPE = "crm_sync.oauth_state"
OAUTH_STATE_MINUTES = 15
OAUTH_CALLBACK = "/crm_sync/oauth/callback"
# Secrets the flow stores; disconnecting forgets them.
OAUTH_SECRET_KEYS = ("access_token", "refresh_token", "token_expiry")


class CrmSyncAccountOAuth(models.Model):
    _inherit = "crm.sync.account"

    oauth_authorize_url = fields.Char(
        "Authorization URL", help="Where the browser signs in to grant access. Empty: the "
                                  "provider's public one.")
    oauth_token_url = fields.Char(
        "Token URL", help="Where codes and refresh tokens are exchanged for access tokens. "
                          "Empty: the provider's public one.")
    oauth_connected_at = fields.Datetime("Connected on", readonly=True, copy=False)
    oauth_redirect_uri = fields.Char("Redirect URI", compute="_compute_oauth_redirect_uri",
                                     help="Register this address with the provider as an "
                                          "authorized redirect URI.")

    def _compute_oauth_redirect_uri(self):
        for account in self:
            account.oauth_redirect_uri = account._oauth_redirect_uri()

    def _oauth_redirect_uri(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        return base.rstrip("/") + OAUTH_CALLBACK

    @api.onchange("provider")
    def _onchange_provider_oauth(self):
        if self.provider:
            provider = self._sync_provider()
            if not self.oauth_authorize_url:
                self.oauth_authorize_url = provider.oauth_authorize_url or False
            if not self.oauth_token_url:
                self.oauth_token_url = provider.oauth_token_url or False

    def _oauth_urls(self):
        """(authorization URL, token URL): the account's, else the provider's."""
        self.ensure_one()
        provider = self._sync_provider()
        return (self.oauth_authorize_url or provider.oauth_authorize_url,
                self.oauth_token_url or provider.oauth_token_url)

    # ------------------------------------------------------------------ state

    def _oauth_make_state(self):
        self.ensure_one()
        return hash_sign(self.env(su=True), OAUTH_STATE_SCOPE,
                         {"account": self.id, "user": self.env.uid},
                         expiration=timedelta(minutes=OAUTH_STATE_MINUTES))

    @api.model
    def _oauth_account_from_state(self, state):
        """The account a callback's state names, if the state is ours, unexpired, and
        was made for the user now signed in; else an AccessError."""
        try:
            payload = verify_hash_signed(self.env(su=True), OAUTH_STATE_SCOPE, state or "")
        except (ValueError, TypeError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict) or payload.get("user") != self.env.uid:
            raise AccessError(_("This sign-in link is invalid or has expired. Open the sync "
                                "account and press Connect again."))
        account = self.browse(payload.get("account")).exists()
        if not account:
            raise AccessError(_("The sync account of this sign-in no longer exists."))
        account.check_access("write")
        account._sync_check_owner()
        return account

    # ------------------------------------------------------------------ provider hooks

    def _oauth_authorization_url(self, redirect_uri, state):
        """The provider's consent page URL. Connectors override this."""
        raise UserError(_("%(provider)s accounts do not sign in with OAuth.",
                          provider=self.provider))

    def _oauth_exchange_code(self, code, redirect_uri):
        """Exchange an authorization code: return the secrets to keep (access_token,
        refresh_token, token_expiry...). Raise SyncError when the provider refuses."""
        raise UserError(_("%(provider)s accounts do not sign in with OAuth.",
                          provider=self.provider))

    # ------------------------------------------------------------------ buttons and callback

    def action_oauth_connect(self):
        self.ensure_one()
        self.check_access("write")
        self._sync_check_owner()
        url = self._oauth_authorization_url(self._oauth_redirect_uri(),
                                            self._oauth_make_state())
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def action_oauth_disconnect(self):
        """Forget the tokens, the sync tokens and the bindings; nothing synced is
        deleted on either side (seed 004). Connecting again starts a fresh first sync,
        which matches what is already on both sides instead of duplicating it only where
        the remote items carry our tags."""
        self.check_access("write")
        self._sync_check_owner()
        for account in self:
            account._sync_store_credentials(dict.fromkeys(OAUTH_SECRET_KEYS, False))
            self.env["crm.sync.binding"].sudo().search(
                [("account_id", "=", account.id)]).unlink()
            account.sudo().write({"state": "draft", "last_error": False,
                                  "sync_tokens": False, "oauth_connected_at": False})
            account.message_post(body=_("Disconnected: tokens and sync links removed; no "
                                        "contact or event was deleted."))
        return True

    def _oauth_callback(self, code=None, error=None):
        """Handle the provider's answer for this account; return a message for the user
        (None when connected)."""
        self.ensure_one()
        if error or not code:
            message = _("%(account)s: the sign-in was not completed (%(reason)s). Press "
                        "Connect to try again.", account=self.name,
                        reason=error or _("no authorization code"))
            self.sudo().write({"last_error": message})
            return message
        try:
            tokens = self._oauth_exchange_code(code, self._oauth_redirect_uri())
        except SyncError as exc:
            _logger.warning("CRM sync: account %s: OAuth code exchange refused: %s",
                            self.id, describe(exc))
            message = _("%(account)s: the provider refused the sign-in (%(reason)s). Press "
                        "Connect to try again.", account=self.name, reason=describe(exc))
            self.sudo().write({"state": "error", "last_error": message})
            return message
        if not tokens.get("refresh_token"):
            # Without a refresh token the sync would die within the hour.
            message = _("%(account)s: the provider gave no refresh token. Remove this app's "
                        "access in your provider account settings, then press Connect "
                        "again.", account=self.name)
            self.sudo().write({"state": "error", "last_error": message})
            return message
        self._sync_store_credentials(tokens)
        self.sudo().write({"state": "connected", "last_error": False,
                           "oauth_connected_at": fields.Datetime.now()})
        self.message_post(body=_("Connected by %(user)s.", user=self.env.user.name))
        return None
