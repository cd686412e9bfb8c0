import hashlib
import secrets as pysecrets
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools.misc import hash_sign, verify_hash_signed

from ..utils import messenger as messenger_api
from ..utils import vk as vk_client
from ..utils import x as x_api
from .social_service import PARAM

# Write-only fields: what an administrator types is stored as a system parameter (which
# only administrators can read) and never sent back to a browser.
SECRETS = {
    "crm_social_vk_app_secret": "vk_app_secret",
    "crm_social_vk_token": "vk_token",
    "crm_social_facebook_page_token": "facebook_page_token",
    "crm_social_x_client_secret": "x_client_secret",
}
X_STATE_SCOPE = "crm_social_messages.x_oauth"
X_CALLBACK = "/crm_social/x/callback"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_social_vk_app_id = fields.Char("VK application id",
                                       config_parameter=PARAM + "vk_app_id")
    crm_social_vk_app_secret = fields.Char("VK secure key", compute="_compute_social_secrets",
                                           inverse="_inverse_social_secrets")
    crm_social_vk_token = fields.Char("VK access token", compute="_compute_social_secrets",
                                      inverse="_inverse_social_secrets")
    crm_social_vk_api_url = fields.Char("VK API address",
                                        config_parameter=PARAM + "vk_api_url",
                                        default=vk_client.DEFAULT_API_URL)
    crm_social_facebook_page_id = fields.Char("Facebook Page id",
                                              config_parameter=PARAM + "facebook_page_id")
    crm_social_facebook_page_token = fields.Char("Page access token",
                                                 compute="_compute_social_secrets",
                                                 inverse="_inverse_social_secrets")
    crm_social_facebook_graph_url = fields.Char("Graph API address",
                                                config_parameter=PARAM + "facebook_graph_url",
                                                default=messenger_api.DEFAULT_GRAPH_URL)
    crm_social_x_client_id = fields.Char("X client id", config_parameter=PARAM + "x_client_id")
    crm_social_x_client_secret = fields.Char("X client secret",
                                             compute="_compute_social_secrets",
                                             inverse="_inverse_social_secrets")
    crm_social_x_api_url = fields.Char("X API address", config_parameter=PARAM + "x_api_url",
                                       default=x_api.DEFAULT_API_URL)
    crm_social_x_authorize_url = fields.Char("X authorization address",
                                             config_parameter=PARAM + "x_authorize_url",
                                             default=x_api.DEFAULT_AUTHORIZE_URL)
    crm_social_x_token_url = fields.Char("X token address",
                                         config_parameter=PARAM + "x_token_url",
                                         default=x_api.DEFAULT_TOKEN_URL)
    # Shown, never edited: filled by get_values (a settings form reads its values there,
    # computed fields of a new settings record are not computed for the form).
    crm_social_secrets_saved = fields.Char("Saved secrets", readonly=True)
    crm_social_x_account = fields.Char("Connected X account", readonly=True)
    crm_social_x_status = fields.Char("X connection problem", readonly=True)

    def _compute_social_secrets(self):
        for settings in self:
            for field in SECRETS:
                settings[field] = False

    def _inverse_social_secrets(self):
        service = self.env["crm.social.service"]
        for settings in self:
            service._set_params({key: settings[field] for field, key in SECRETS.items()
                                 if settings[field]})
        self.invalidate_recordset(list(SECRETS))

    @api.model
    def get_values(self):
        values = super().get_values()
        service = self.env["crm.social.service"]
        saved = [field for field, key in SECRETS.items() if service._param(key)]
        connected = service._param("x_access_token") and service._param("x_username")
        values.update(
            crm_social_secrets_saved=", ".join(
                self._fields[f].get_description(self.env)["string"] for f in saved),
            crm_social_x_account=f"@{connected}" if connected else False,
            crm_social_x_status=service._param("x_status") or False,
        )
        return values

    def action_social_forget_secrets(self):
        """Forget every saved token and key (a leaked token, a network given up)."""
        self.env["crm.social.service"]._set_params(
            dict.fromkeys(SECRETS.values(), False))
        self.env["crm.social.service"]._x_forget()
        return {"type": "ir.actions.client", "tag": "reload"}

    # ------------------------------------------------------------------ X OAuth 2.0 PKCE

    @api.model
    def _social_x_state(self, nonce):
        """Signed with the database secret, bound to the user, valid 15 minutes."""
        return hash_sign(self.env(su=True), X_STATE_SCOPE,
                         {"nonce": nonce, "user": self.env.uid},
                         expiration=timedelta(minutes=15))

    @api.model
    def _social_x_check_state(self, state):
        """The nonce of a state made here for this user and not expired, else None."""
        try:
            payload = verify_hash_signed(self.env(su=True), X_STATE_SCOPE, state or "")
        except (ValueError, TypeError, UnicodeDecodeError):
            return None
        if not isinstance(payload, dict) or payload.get("user") != self.env.uid:
            return None
        return payload.get("nonce")

    def _social_x_redirect_uri(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return base.rstrip("/") + X_CALLBACK

    def action_social_x_connect(self):
        """Send the administrator's browser to X to allow posting; X comes back to
        X_CALLBACK with a code that the controller exchanges with the PKCE verifier
        kept in this browser's session."""
        self.ensure_one()
        if not self.env.user.has_group("base.group_system"):
            raise UserError(_("Only an administrator can connect the X account."))
        settings = self.env["crm.social.service"]._x_settings()
        if not settings["client_id"]:
            raise UserError(_("Enter the X client id (and secret) of your X app first, "
                              "then save."))
        if request is None:
            raise UserError(_("Connect the X account from the Settings page in a browser."))
        verifier, challenge = x_api.pkce_pair()
        nonce = pysecrets.token_urlsafe(16)
        pending = dict(request.session.get("crm_social_x_pkce") or {})
        pending[hashlib.sha256(nonce.encode()).hexdigest()] = verifier
        request.session["crm_social_x_pkce"] = pending
        url = x_api.authorization_url(settings["authorize_url"], settings["client_id"],
                                      self._social_x_redirect_uri(),
                                      self._social_x_state(nonce), challenge)
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def action_social_x_disconnect(self):
        self.env["crm.social.service"]._x_forget()
        return {"type": "ir.actions.client", "tag": "reload"}
