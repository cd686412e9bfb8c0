import logging

from odoo import _, api, fields, models
from odoo.addons.crm_sync_base.engine.adapter import AccountContext, SyncError
from odoo.exceptions import AccessError, UserError

from .. import provider as exchange_provider

_logger = logging.getLogger(__name__)


class CrmExchangeAddAccount(models.TransientModel):
    """Seed 000, steps 3-5: choose MS Exchange, enter the sign-in, press Authorize; the
    credentials are checked at once, then the mailbox address may go on your contact."""

    _name = "crm.exchange.add.account"
    _inherit = ["crm.write.only.secret.mixin"]
    _description = "Add an MS Exchange account for sync"
    _write_only_secrets = {"password": ("password_kept", None),
                           "client_secret": ("client_secret_kept", None)}

    mail_provider = fields.Selection(
        [("exchange_server", "MS Exchange Server (your company's server)"),
         ("exchange_online", "MS Exchange Online (Microsoft 365)"),
         ("other", "Another provider (Google, HCL Domino...)")],
        "Mail provider", default="exchange_server", required=True)
    server_mode = fields.Selection(
        [("url", "Server URL"), ("autodiscover", "Find the server from my e-mail "
                                                 "(autodiscover)")],
        "Server", default="url", required=True)
    endpoint = fields.Char("EWS URL", help="e.g. https://mail.example.com/EWS/Exchange.asmx")
    login = fields.Char("E-mail")
    # Write-only: typed in the form, kept where only administrators can read it until
    # the account holds it, never sent back to the browser.
    password = fields.Char(compute="_compute_write_only_secrets",
                           inverse="_inverse_write_only_secrets")
    password_kept = fields.Char(groups="base.group_system")
    auth_type = fields.Selection(
        [("", "As the server offers"), ("basic", "Basic"), ("ntlm", "NTLM")],
        "Authentication", default="")
    username = fields.Char("User name", help="Only when it differs from the e-mail address, "
                                             "e.g. DOMAIN\\user.")
    tenant = fields.Char(help="Directory (tenant) ID or domain, e.g. contoso.onmicrosoft.com")
    client_id = fields.Char("Application (client) ID")
    client_secret = fields.Char(compute="_compute_write_only_secrets",
                                inverse="_inverse_write_only_secrets")
    client_secret_kept = fields.Char(groups="base.group_system")
    auth_flow = fields.Selection(
        [("client_credentials", "Application (client secret)"),
         ("device_code", "My Microsoft account (device code)")], "Sign in as",
        default="client_credentials", required=True)
    authority_host = fields.Char("Sign-in host", default="https://login.microsoftonline.com")
    graph_endpoint = fields.Char("Graph URL", default=exchange_provider.GRAPH_DEFAULT_ENDPOINT)
    # a file on the server that TLS will trust: administrators only
    ca_bundle = fields.Char("CA bundle", groups="base.group_system",
                            help="Technical: a CA file to trust (private servers, tests).")
    state = fields.Selection([("credentials", "Sign in"), ("device", "Device sign-in"),
                              ("authorized", "Authorized")], default="credentials")
    device_message = fields.Text(readonly=True)
    device_flow = fields.Json()
    account_id = fields.Many2one("crm.sync.account", readonly=True)
    reconnect_account_id = fields.Many2one(
        "crm.sync.account", readonly=True,
        help="Sign in again for this existing account instead of adding one.")
    mailbox = fields.Char(readonly=True)
    partner_email = fields.Char(compute="_compute_partner_email")

    @api.model_create_multi
    def create(self, vals_list):
        # create() does not check field groups as write() does: the CA file is refused
        # here for anyone but an administrator
        if any(vals.get("ca_bundle") for vals in vals_list) and not self.env.su \
                and not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only an administrator may name a CA file to trust."))
        return super().create(vals_list)

    def _secret(self, name):
        return self.sudo()[f"{name}_kept"] or ""

    @api.depends("mailbox")
    def _compute_partner_email(self):
        for wizard in self:
            wizard.partner_email = self.env.user.partner_id.email or ""

    # ------------------------------------------------------------------ helpers

    def _context_for_check(self, credentials=None):
        self.ensure_one()
        if self.mail_provider == "exchange_server":
            endpoint = (self.endpoint or "").strip() if self.server_mode == "url" else ""
            if self.server_mode == "url" and not endpoint:
                raise UserError(_("Enter the EWS URL of your Exchange server, or choose to "
                                  "find it from your e-mail address."))
            if not self.login or not self._secret("password"):
                raise UserError(_("Enter your e-mail address and password."))
            return AccountContext(
                account_id=0, provider="exchange_server", endpoint=endpoint.rstrip("/"),
                login=self.login.strip(), credentials={"password": self._secret("password")},
                settings={"auth_type": self.auth_type or "", "username": self.username or "",
                          "verify_tls": True, "folder_ids": None})
        if not self.tenant or not self.client_id:
            raise UserError(_("Enter the tenant and the application (client) ID of the app "
                              "registered in Microsoft Entra ID."))
        if self.auth_flow == "client_credentials" and (not self._secret("client_secret")
                                                         or not self.login):
            raise UserError(_("Enter the mailbox e-mail address and the client secret."))
        settings = {"tenant": self.tenant.strip(), "client_id": self.client_id.strip(),
                    "auth_flow": self.auth_flow,
                    "authority_host": (self.authority_host or "").rstrip("/")
                    or "https://login.microsoftonline.com", "folder_ids": None}
        ca_bundle = self.sudo().ca_bundle or self.reconnect_account_id.sudo().exchange_ca_bundle
        if ca_bundle:
            settings["ca_bundle"] = ca_bundle
        return AccountContext(
            account_id=0, provider="exchange_online",
            endpoint=(self.graph_endpoint or exchange_provider.GRAPH_DEFAULT_ENDPOINT
                      ).rstrip("/"),
            login=(self.login or "").strip() or None,
            credentials=credentials if credentials is not None else (
                {"client_secret": self._secret("client_secret")}
                if self._secret("client_secret") else {}),
            settings=settings)

    def _exchange_utils(self):
        module = exchange_provider.module_for(self.mail_provider)
        if module is None:
            raise UserError(_("Exchange Online support is not installed on this server; "
                              "ask your administrator to update CRM Exchange Sync."))
        return module

    def _reopen(self):
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "views": [(False, "form")], "target": "new",
                "name": _("Add account for sync")}

    # ------------------------------------------------------------------ buttons

    def action_authorize(self):
        """Check the credentials now; on success create the account."""
        self.ensure_one()
        if self.mail_provider == "other":
            return {"type": "ir.actions.act_window", "name": _("Add account for sync"),
                    "res_model": "crm.sync.account", "view_mode": "form",
                    "views": [(False, "form")], "target": "current"}
        module = self._exchange_utils()
        ctx = self._context_for_check()
        if self.mail_provider == "exchange_online" and self.auth_flow == "device_code":
            try:
                started = module.start_device_flow(ctx)
            except SyncError as exc:
                raise UserError(self._failure(exc))
            self.write({"state": "device", "device_flow": started["flow"],
                        "device_message": started.get("message") or _(
                            "Open %(uri)s and enter the code %(code)s.",
                            uri=started.get("verification_uri"),
                            code=started.get("user_code"))})
            return self._reopen()
        try:
            facts = module.check_credentials(ctx)
        except SyncError as exc:
            raise UserError(self._failure(exc))
        credentials = dict(ctx.credentials)
        self._create_account(facts, credentials)
        return self._reopen()

    def action_device_done(self):
        """The user says they signed in: poll once."""
        self.ensure_one()
        module = self._exchange_utils()
        ctx = self._context_for_check(credentials={})
        try:
            result = module.finish_device_flow(ctx, self.device_flow)
        except SyncError as exc:
            raise UserError(self._failure(exc))
        if result is None:
            raise UserError(_("Microsoft has not confirmed the sign-in yet. Finish it in the "
                              "browser, then press the button again."))
        mailbox = result.get("mailbox") or self.login
        self._create_account({"mailbox": mailbox}, {"token_cache": result["token_cache"]})
        return self._reopen()

    def _failure(self, exc):
        _logger.info("Exchange: authorization refused for %s: %s", self.login, exc)
        return _("Exchange did not accept the sign-in: %(reason)s\nCheck the address, the "
                 "password or the application settings, then press Authorize again.",
                 reason=str(exc))

    def _create_account(self, facts, credentials):
        mailbox = facts.get("mailbox") or self.login
        if self.reconnect_account_id:
            account = self.reconnect_account_id
            account.check_access("write")
            account._sync_store_credentials({k: v for k, v in credentials.items() if v})
            account.sudo().write({"state": "connected", "last_error": False})
        else:
            account = self._new_account(mailbox, credentials)
        try:
            account.action_exchange_refresh_folders()
        except UserError as exc:
            _logger.info("Exchange: folders of %s not listed yet: %s", mailbox, exc)
        self.write({"state": "authorized", "account_id": account.id, "mailbox": mailbox})
        self.sudo().write({"password_kept": False, "client_secret_kept": False})

    def _new_account(self, mailbox, credentials):
        server = self.mail_provider == "exchange_server"
        vals = {
            "name": mailbox, "provider": self.mail_provider, "login": mailbox,
            "user_id": self.env.uid, "state": "connected",
            "endpoint": (self.endpoint or "").strip().rstrip("/")
            if server and self.server_mode == "url" else (
                False if server else self.graph_endpoint),
        }
        if server:
            vals.update(exchange_auth_type=self.auth_type or "",
                        exchange_username=self.username or False)
            if self.login and mailbox != self.login.strip():
                vals["login"] = self.login.strip()
        else:
            vals.update(exchange_tenant=self.tenant, exchange_client_id=self.client_id,
                        exchange_auth_flow=self.auth_flow,
                        exchange_authority_host=self.authority_host)
        account = self.env["crm.sync.account"].create(vals)
        account._sync_store_credentials({k: v for k, v in credentials.items() if v})
        if self.sudo().ca_bundle:
            account.sudo().exchange_ca_bundle = self.sudo().ca_bundle
        return account

    def action_add_email(self):
        """Seed 000 step 5: put the mailbox address on the user's contact."""
        self.ensure_one()
        partner = self.env.user.partner_id.sudo()
        mailbox = self.mailbox
        known = {(e or "").strip().lower() for e in (partner.email, partner.crm_email2,
                                                    partner.crm_email3)}
        if mailbox and mailbox.lower() not in known:
            for field in ("email", "crm_email2", "crm_email3"):
                if not partner[field]:
                    partner[field] = mailbox
                    break
            else:
                raise UserError(_("Your contact already has three e-mail addresses."))
        return self.action_done()

    def action_done(self):
        self.ensure_one()
        account = self.account_id
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {
                "type": "success", "sticky": True,
                "title": _("MS Exchange account added"),
                "message": _("%(mailbox)s is connected. Open %%s to choose what to import "
                             "and export.", mailbox=account.name),
                "links": [{"label": _("the account's settings"),
                           "url": f"/odoo/crm-sync-accounts/{account.id}"}],
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
