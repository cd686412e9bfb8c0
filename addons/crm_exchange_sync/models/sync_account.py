from odoo import _, api, fields, models
from odoo.addons.crm_sync_base.engine.adapter import SyncError
from odoo.exceptions import UserError

from .. import provider as exchange_provider

EXCHANGE_PROVIDERS = ("exchange_server", "exchange_online")


class CrmSyncAccount(models.Model):
    _inherit = "crm.sync.account"
    _sync_secret_fields = {"exchange_client_secret": "client_secret"}

    provider = fields.Selection(
        selection_add=[("exchange_server", "Exchange Server (EWS)"),
                       ("exchange_online", "Exchange Online (Microsoft 365)")],
        ondelete={"exchange_server": "cascade", "exchange_online": "cascade"})
    is_exchange = fields.Boolean(compute="_compute_is_exchange")
    # Exchange Server
    exchange_auth_type = fields.Selection(
        [("", "As the server offers"), ("basic", "Basic"), ("ntlm", "NTLM")],
        "Authentication", default="",
        help="How Odoo signs in to Exchange. 'As the server offers' asks the server first.")
    exchange_username = fields.Char(
        "User name", help="Only when it differs from the e-mail address, e.g. DOMAIN\\user.")
    # Exchange Online
    exchange_tenant = fields.Char(
        "Tenant", help="Directory (tenant) ID or domain of your Microsoft Entra ID, e.g. "
                       "contoso.onmicrosoft.com.")
    exchange_client_id = fields.Char("Application (client) ID")
    exchange_client_secret = fields.Char(
        "Client secret", compute="_compute_secret_fields", inverse="_inverse_secret_fields",
        copy=False, help="Kept where only administrators can read it; never shown again.")
    exchange_auth_flow = fields.Selection(
        [("client_credentials", "Application (client secret)"),
         ("device_code", "My Microsoft account (device code)")], "Sign in as",
        default="client_credentials")
    exchange_authority_host = fields.Char("Sign-in host",
                                          default="https://login.microsoftonline.com")
    exchange_ca_bundle = fields.Char("CA bundle", groups="base.group_system",
                                     help="Technical: a CA file to trust (private servers).")
    # Contacts tab (seed 000)
    exchange_import = fields.Boolean("Import contacts", default=True)
    exchange_import_mode = fields.Selection(
        [("all", "All contacts (every folder of contact type)"),
         ("folders", "Contacts from chosen folders")], "Import", default="all", required=True)
    exchange_folder_ids = fields.Many2many(
        "crm.exchange.folder", "crm_exchange_account_folder_rel", "account_id", "folder_id",
        string="Folders to import", domain="[('account_id', '=', id)]")
    exchange_all_folder_ids = fields.One2many("crm.exchange.folder", "account_id",
                                              "Mailbox folders")
    exchange_export_folder_id = fields.Many2one(
        "crm.exchange.folder", "Folder for new contacts", domain="[('account_id', '=', id)]",
        help="Where contacts exported from Odoo are created. Empty: the mailbox's Contacts.")
    exchange_export = fields.Boolean("Export contacts", default=True)
    exchange_export_mode = fields.Selection(
        [("all", "All contacts I may read"),
         ("groups", "Contacts of chosen categories and groups")], "Export", default="all",
        required=True)
    exchange_export_employees = fields.Boolean("Employees")
    exchange_export_customers = fields.Boolean("Customers")
    exchange_export_category_ids = fields.Many2many(
        "res.partner.category", "crm_exchange_account_category_rel", "account_id",
        "category_id", string="From tags")

    @api.depends("provider")
    def _compute_is_exchange(self):
        for account in self:
            account.is_exchange = account.provider in EXCHANGE_PROVIDERS

    # ------------------------------------------------------------------ directions

    @api.model
    def _exchange_direction_vals(self, vals, current=None):
        """The base direction follows the Import / Export switches of the Contacts tab."""
        def value(name):
            return vals[name] if name in vals else (current[name] if current else True)
        importing, exporting = value("exchange_import"), value("exchange_export")
        out = {"sync_contacts": bool(importing or exporting)}
        if importing or exporting:
            out["direction"] = "both" if importing and exporting else (
                "import" if importing else "export")
        return out

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("provider") in EXCHANGE_PROVIDERS:
                vals.update(self._exchange_direction_vals(vals))
        return super().create(vals_list)

    def write(self, vals):
        if {"exchange_import", "exchange_export"} & set(vals):
            for account in self.filtered("is_exchange"):
                super(CrmSyncAccount, account).write(
                    dict(vals, **self._exchange_direction_vals(vals, account)))
            return super(CrmSyncAccount, self - self.filtered("is_exchange")).write(vals)
        return super().write(vals)

    @api.onchange("exchange_import", "exchange_export")
    def _onchange_exchange_direction(self):
        if self.is_exchange:
            self.update(self._exchange_direction_vals({}, self))

    # ------------------------------------------------------------------ sync glue

    def _exchange_export_domain(self):
        """Which partners this account exports (as its owner reads them), always
        including the contacts it imported so that they stay synced."""
        self.ensure_one()
        imported = [("crm_exchange_account_ids", "in", [self.id])]
        if self.exchange_import:
            # A contact exported earlier lives in the mailbox's folders, which this
            # account imports: it stays bound to its partner even when the partner
            # leaves the export groups, or an edit in Outlook would import a copy.
            imported = ["|", *imported, ("crm_exchange_synced_account_ids", "in", [self.id])]
        if not self.exchange_export:
            return imported
        if self.exchange_export_mode == "all":
            return ["|", ("active", "=", True)] + imported
        parts = [imported]
        Partner = self.env["res.partner"]
        if self.exchange_export_employees:
            parts.append([("user_ids.share", "=", False)])
            if "employee_ids" in Partner._fields:
                parts.append([("employee_ids", "!=", False)])
        if self.exchange_export_customers:
            if "customer_rank" in Partner._fields:
                parts.append([("customer_rank", ">", 0)])
            parts.append([("opportunity_ids", "!=", False)])
        if self.exchange_export_category_ids:
            parts.append([("category_id", "in", self.exchange_export_category_ids.ids)])
        domain = ["|"] * (len(parts) - 1)
        for part in parts:
            domain += part
        return domain

    def _sync_settings_dict(self):
        settings = super()._sync_settings_dict()
        if not self.is_exchange:
            return settings
        folders = self.exchange_folder_ids.filtered("active")
        categories = self.env["res.partner.category"].sudo().search_read([], ["name"])
        settings.update(
            folder_ids=None if self.exchange_import_mode == "all" else folders.mapped(
                "remote_id"),
            export_folder_id=self.exchange_export_folder_id.remote_id or None,
            export_domain=self._exchange_export_domain(),
            category_names={c["id"]: c["name"] for c in categories},
            auth_type=self.exchange_auth_type or "",
            username=self.exchange_username or "",
            verify_tls=True,
            tenant=self.exchange_tenant or "",
            client_id=self.exchange_client_id or "",
            auth_flow=self.exchange_auth_flow or "client_credentials",
            authority_host=self.exchange_authority_host or "https://login.microsoftonline.com",
            **({"ca_bundle": self.sudo().exchange_ca_bundle}
               if self.sudo().exchange_ca_bundle else {}),
            **{"import": self.exchange_import, "export": self.exchange_export},
        )
        return settings

    def _exchange_module(self):
        module = exchange_provider.module_for(self.provider)
        if module is None:
            raise UserError(_("Exchange Online support is not installed on this server; "
                              "ask your administrator to update CRM Exchange Sync."))
        return module

    def action_exchange_reconnect(self):
        """Sign in again through the Add account wizard, for this account (e.g. after
        the device-code sign-in expired): its settings prefilled, nothing recreated."""
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window", "name": _("Sign in again"),
            "res_model": "crm.exchange.add.account", "view_mode": "form",
            "views": [(False, "form")], "target": "new",
            "context": {
                "default_reconnect_account_id": self.id,
                "default_mail_provider": self.provider,
                "default_server_mode": "url" if self.endpoint else "autodiscover",
                "default_endpoint": self.endpoint if self.provider == "exchange_server"
                else False,
                "default_graph_endpoint": self.endpoint if self.provider == "exchange_online"
                else False,
                "default_login": self.login,
                "default_auth_type": self.exchange_auth_type or "",
                "default_username": self.exchange_username,
                "default_tenant": self.exchange_tenant,
                "default_client_id": self.exchange_client_id,
                "default_auth_flow": self.exchange_auth_flow or "client_credentials",
                "default_authority_host": self.exchange_authority_host,
            },
        }

    def action_exchange_refresh_folders(self):
        """Fill the folder list from the mailbox (seed 000: the folders to tick)."""
        self.ensure_one()
        self.check_access("write")
        try:
            remote = self._exchange_module().list_folders(self._sync_context())
        except SyncError as exc:
            raise UserError(self._sync_error_message(exc))
        self._exchange_store_folders(remote)
        return True

    def _exchange_store_folders(self, remote):
        Folder = self.env["crm.exchange.folder"].sudo().with_context(active_test=False)
        existing = {f.remote_id: f for f in Folder.search([("account_id", "=", self.id)])}
        seen = set()
        for entry in remote:
            seen.add(entry["id"])
            vals = {"name": entry["name"], "path": entry["path"],
                    "parent_remote_id": entry.get("parent_id") or False, "active": True}
            if entry["id"] in existing:
                existing[entry["id"]].write(vals)
            else:
                Folder.create(dict(vals, account_id=self.id, remote_id=entry["id"]))
        for remote_id, folder in existing.items():
            if remote_id not in seen and folder.active:
                folder.active = False
