from werkzeug.urls import url_encode

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import request

from ..models.sync_account_oauth import OAUTH_CALLBACK


class CrmSyncOAuthController(http.Controller):
    @http.route(OAUTH_CALLBACK, type="http", auth="user", methods=["GET"], csrf=False)
    def oauth_callback(self, state=None, code=None, error=None, **kwargs):
        """Where providers send the browser back after the consent page. The signed
        state names the account and the user; a state that fails the check is refused
        before anything is exchanged or stored."""
        try:
            account = request.env["crm.sync.account"]._oauth_account_from_state(state)
        except AccessError as exc:
            return request.make_response(
                exc.args[0], status=403,
                headers=[("Content-Type", "text/plain; charset=utf-8")])
        account._oauth_callback(code=code, error=error)
        return request.redirect(
            f"/odoo/crm-sync-accounts/{account.id}?{url_encode({'oauth': 'done'})}",
            local=True)
