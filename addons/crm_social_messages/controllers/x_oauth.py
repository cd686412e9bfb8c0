import hashlib
import logging
from urllib.parse import urlencode

from odoo import http
from odoo.http import request

from ..utils import x as x_api
from ..utils.errors import SocialError

_logger = logging.getLogger(__name__)
SETTINGS_URL = "/odoo/action-crm.crm_config_settings_action"  # Settings, on the CRM app


class XOAuthController(http.Controller):
    @http.route("/crm_social/x/callback", type="http", auth="user", methods=["GET"])
    def x_callback(self, state=None, code=None, error=None, **kwargs):
        """X sends the administrator back here; the outcome is shown in Settings."""
        Settings = request.env["res.config.settings"]
        service = request.env["crm.social.service"]
        if not request.env.user.has_group("base.group_system"):
            return request.make_response("Only an administrator can connect X.", status=403)
        nonce = Settings._social_x_check_state(state)
        pending = dict(request.session.get("crm_social_x_pkce") or {})
        verifier = pending.pop(hashlib.sha256(nonce.encode()).hexdigest(), None) \
            if nonce else None
        request.session["crm_social_x_pkce"] = pending
        if not verifier:
            # Not started by this browser and user (or already used): a forged or
            # replayed redirect. Nothing is exchanged.
            _logger.warning("X OAuth callback with an unknown or forged state refused")
            return request.make_response(
                "This X authorization link is not valid here: start again from Settings.",
                status=400)
        if error or not code:
            service._set_params({"x_status": f"X did not authorize the connection ({error})."})
            return request.redirect(SETTINGS_URL)
        settings = service._x_settings()
        try:
            tokens = x_api.exchange_code(settings["token_url"], settings["client_id"],
                                         settings["client_secret"], code, verifier,
                                         Settings._social_x_redirect_uri())
            service._x_store_tokens(tokens)
            me = service._x_client().me()
        except SocialError as exc:
            _logger.info("X connection failed: %s", exc.reason)
            service._set_params({"x_status": exc.translated(request.env._)})
            return request.redirect(SETTINGS_URL + "?" + urlencode({"x": "failed"}))
        service._set_params({"x_username": me.get("username"), "x_status": False})
        return request.redirect(SETTINGS_URL + "?" + urlencode({"x": "connected"}))
