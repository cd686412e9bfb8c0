import logging

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import registry
from ..engine.adapter import AccountContext, AuthExpired, SyncError, describe

_logger = logging.getLogger(__name__)

INTERVAL_TYPES = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")]


class CrmSyncAccount(models.Model):
    """One connection to one remote system (a mailbox, a Google account, a server)."""

    _name = "crm.sync.account"
    _description = "CRM sync account"
    _inherit = ["mail.thread"]
    _order = "name, id"

    # Write-only credential fields: {field name: secret key}. Their value is never
    # read back (compute gives False), the inverse stores it in crm.sync.secret.
    # A connector declares only its own in its _inherit; _sync_secret_map() merges
    # the declarations of every class, so two connectors cannot drop each other's.
    _sync_secret_fields = {"password": "password", "refresh_token": "refresh_token"}

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    provider = fields.Selection([], required=True, tracking=True)
    user_id = fields.Many2one("res.users", string="Owner", required=True, index=True,
                              default=lambda self: self.env.user, tracking=True,
                              ondelete="cascade")
    company_wide = fields.Boolean(
        help="A company-wide account (one administrator's connection used for several "
             "employees) instead of one user's own.")
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    endpoint = fields.Char(
        "Server URL", help="Leave empty for the provider's public service; set it for an "
                           "on-premise server.")
    login = fields.Char(help="User name or e-mail used to sign in.")
    password = fields.Char(compute="_compute_secret_fields", inverse="_inverse_secret_fields",
                           copy=False, help="Kept where only administrators can read it; "
                           "never shown again after saving.")
    refresh_token = fields.Char(compute="_compute_secret_fields",
                                inverse="_inverse_secret_fields", copy=False)
    credentials_info = fields.Char("Stored credentials", compute="_compute_credentials_info")

    sync_contacts = fields.Boolean("Contacts", default=True)
    sync_events = fields.Boolean("Calendar events")
    sync_tasks = fields.Boolean("Tasks")
    direction = fields.Selection(
        [("both", "Both ways"), ("import", "Import only (remote to Odoo)"),
         ("export", "Export only (Odoo to remote)")], default="both", required=True,
        tracking=True)
    conflict_policy = fields.Selection(
        [("newest", "The newest change wins"), ("local", "Odoo always wins"),
         ("remote", "The remote side always wins")], default="newest", required=True,
        tracking=True, help="What happens to an item changed on both sides since the "
                            "last sync. The discarded version is kept in the run journal.")
    deletion_mode = fields.Selection(
        [("propagate", "Delete on the other side"),
         ("unlink", "Only stop syncing (nothing is deleted)")], default="propagate",
        required=True, tracking=True,
        help="What a deletion on one side does on the other. 'Only stop syncing' takes the "
             "item out of the synced group or category and deletes nothing.")
    allow_mass_delete = fields.Boolean(
        "Allow mass deletion once", copy=False,
        help="The sync refuses to mirror a side that suddenly lost all or most of its "
             "items. Tick this to let the next sync carry such deletions out.")
    auto_sync = fields.Boolean("Synchronize automatically", default=True, tracking=True)
    interval_number = fields.Integer("Every", default=15)
    interval_type = fields.Selection(INTERVAL_TYPES, default="minutes", required=True)
    next_sync_at = fields.Datetime(copy=False, index=True)
    last_sync_at = fields.Datetime(readonly=True, copy=False)
    state = fields.Selection(
        [("draft", "Not connected"), ("connected", "Connected"), ("error", "Needs attention")],
        default="draft", required=True, readonly=True, copy=False, tracking=True)
    last_error = fields.Text(readonly=True, copy=False)
    sync_tokens = fields.Json(copy=False, groups="base.group_system",
                              help="Opaque sync tokens per record kind.")
    run_ids = fields.One2many("crm.sync.run", "account_id")
    run_count = fields.Integer(compute="_compute_counts")
    binding_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("interval_positive", "CHECK(interval_number > 0)",
         "The synchronization interval must be positive."),
    ]

    # ------------------------------------------------------------------ computes

    @classmethod
    def _sync_secret_map(cls):
        """{field name: secret key} of every class in the model's inheritance."""
        merged = {}
        for klass in reversed(cls.__mro__):
            merged.update(vars(klass).get("_sync_secret_fields", {}))
        return merged

    def _compute_secret_fields(self):
        for account in self:
            for name in self._sync_secret_map():
                account[name] = False

    def _inverse_secret_fields(self):
        for account in self:
            updates = {key: account[name] for name, key in self._sync_secret_map().items()
                       if account[name]}
            if updates:
                account._sync_store_credentials(updates)
        # web_save reads the record back in the same transaction: drop the cached
        # values, so what goes back to the browser is the empty compute, not the secret.
        self.invalidate_recordset(list(self._sync_secret_map()))

    @api.depends("provider")
    def _compute_credentials_info(self):
        stored = self.env["crm.sync.secret"].sudo()._read_group(
            [("account_id", "in", self.ids)], ["account_id"], ["key:array_agg"])
        keys = {account.id: names for account, names in stored}
        labels = {key: self._fields[name].string
                  for name, key in self._sync_secret_map().items() if name in self._fields}
        for account in self:
            names = sorted(labels.get(k, k.replace("_", " ")) for k in keys.get(account.id, []))
            account.credentials_info = ", ".join(names) if names else _("none")

    def write(self, vals):
        starting_import = self.browse()
        if vals.get("direction") in ("import", "both"):
            starting_import = self.filtered(lambda a: a.direction == "export")
        result = super().write(vals)
        if starting_import:
            # While exporting only, the remote side's changes were listed and passed
            # over: the first run that imports lists everything again (bindings and
            # tags keep it from duplicating what is already linked).
            starting_import.sudo().write({"sync_tokens": False})
        return result

    def _compute_counts(self):
        runs = dict(self.env["crm.sync.run"]._read_group(
            [("account_id", "in", self.ids)], ["account_id"], ["__count"]))
        bindings = dict(self.env["crm.sync.binding"].sudo()._read_group(
            [("account_id", "in", self.ids)], ["account_id"], ["__count"]))
        for account in self:
            account.run_count = runs.get(account, 0)
            account.binding_count = bindings.get(account, 0)

    @api.onchange("provider")
    def _onchange_provider(self):
        if self.provider and not self.endpoint:
            self.endpoint = self._sync_provider().default_endpoint or False

    # ------------------------------------------------------------------ credentials

    def _sync_check_owner(self):
        """Only the owner and administrators touch an account's credentials."""
        for account in self:
            if not (self.env.su or account.user_id == self.env.user
                    or self.env.user.has_group("base.group_system")):
                raise AccessError(_("Only the owner of the sync account %(account)s or an "
                                    "administrator may use its credentials.",
                                    account=account.display_name))

    def _sync_credentials(self) -> dict:
        self.ensure_one()
        self._sync_check_owner()
        secrets = self.env["crm.sync.secret"].sudo().search([("account_id", "=", self.id)])
        return {s.key: s.value for s in secrets}

    def _sync_store_credentials(self, updates: dict):
        """Store (or, with a falsy value, forget) secrets. Never logged."""
        self.ensure_one()
        self._sync_check_owner()
        self.check_access("write")
        Secret = self.env["crm.sync.secret"].sudo()
        existing = {s.key: s for s in Secret.search([("account_id", "=", self.id),
                                                     ("key", "in", list(updates))])}
        for key, value in updates.items():
            if key in existing:
                if value:
                    existing[key].value = value
                else:
                    existing[key].unlink()
            elif value:
                Secret.create({"account_id": self.id, "key": key, "value": value})

    def _sync_store_credentials_now(self, updates: dict):
        """Store secrets in their own transaction: a rotated refresh token must survive
        a run that later fails and rolls back."""
        self.ensure_one()
        self._sync_check_owner()
        from .sync_runner import can_open_cursor  # avoid an import cycle at load
        if not can_open_cursor(self.env):
            return self._sync_store_credentials(updates)
        with self.env.registry.cursor() as cr:
            self.with_env(self.env(cr=cr))._sync_store_credentials(updates)

    # ------------------------------------------------------------------ provider glue

    def _sync_provider(self) -> registry.Provider:
        self.ensure_one()
        return registry.get(self.provider)

    def _sync_kinds(self) -> list[str]:
        """The record kinds this account syncs, in the provider's order."""
        self.ensure_one()
        wanted = {"contacts": self.sync_contacts, "events": self.sync_events,
                  "tasks": self.sync_tasks}
        return [k for k in self._sync_provider().kinds if wanted.get(k, True)]

    def _sync_settings_dict(self) -> dict:
        """Plain settings handed to adapters and mappers; connectors add theirs."""
        self.ensure_one()
        return {"account_id": self.id, "company_id": self.company_id.id,
                "user_id": self.user_id.id}

    def _sync_context(self) -> AccountContext:
        self.ensure_one()
        provider = self._sync_provider()
        account = self

        def save(new_credentials):
            account._sync_store_credentials_now(new_credentials)

        return AccountContext(
            account_id=self.id, provider=self.provider,
            endpoint=(self.endpoint or provider.default_endpoint or "").rstrip("/"),
            login=self.login, credentials=self._sync_credentials(),
            settings=self._sync_settings_dict(), save_credentials=save,
        )

    def _sync_adapter(self, kind: str):
        self.ensure_one()
        factory = self._sync_provider().adapters[kind]
        return factory(self._sync_context())

    def _sync_next_time(self, start=None):
        self.ensure_one()
        start = start or fields.Datetime.now()
        return start + relativedelta(**{self.interval_type: self.interval_number})

    # ------------------------------------------------------------------ buttons

    def action_test_connection(self):
        self.ensure_one()
        self.check_access("write")
        kinds = self._sync_kinds()
        if not kinds:
            raise UserError(_("Choose what to synchronize (contacts, events or tasks) first."))
        adapter = self._sync_adapter(kinds[0])
        try:
            try:
                facts = adapter.check() or {}
            except AuthExpired:
                adapter.refresh_auth()
                facts = adapter.check() or {}
        except SyncError as exc:
            message = self._sync_error_message(exc)
            self.sudo().write({"state": "error", "last_error": message})
            raise UserError(message)
        self.sudo().write({"state": "connected", "last_error": False})
        who = facts.get("login") or facts.get("email") or self.login
        if who:
            message = _("Connection to %(account)s works (signed in as %(who)s).",
                        account=self.name, who=who)
        else:
            message = _("Connection to %(account)s works.", account=self.name)
        return self._sync_notify(message, "success")

    def action_sync_now(self):
        self.ensure_one()
        self.check_access("write")
        run = self.env["crm.sync.runner"]._run_account(self, trigger="manual")
        if run is None:
            return self._sync_notify(
                _("%(account)s is being synchronized by another worker right now; its run "
                  "will appear in the journal.", account=self.name), "warning")
        return {
            "type": "ir.actions.act_window", "res_model": "crm.sync.run", "res_id": run.id,
            "view_mode": "form", "views": [(False, "form")], "target": "current",
        }

    def action_preview(self):
        """Plan the next sync without writing anything; show it as a run journal."""
        self.ensure_one()
        self.check_access("write")
        run = self.env["crm.sync.runner"]._run_account(self, trigger="preview")
        return {
            "type": "ir.actions.act_window", "res_model": "crm.sync.run",
            "res_id": run.id if run else False, "view_mode": "form",
            "views": [(False, "form")], "target": "current",
        }

    def action_open_form(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "views": [(False, "form")], "target": "current"}

    def action_view_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_sync_base.action_crm_sync_run")
        action["domain"] = [("account_id", "=", self.id)]
        action["context"] = {"default_account_id": self.id}
        return action

    def action_view_bindings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_sync_base.action_crm_sync_binding")
        action["domain"] = [("account_id", "=", self.id)]
        return action

    def action_reset_sync(self):
        """Forget the sync tokens: the next run lists everything again (no duplicates:
        bindings stay)."""
        self.check_access("write")
        self.sudo().write({"sync_tokens": False, "state": "draft", "last_error": False})
        return True

    def _sync_notify(self, message, kind):
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"message": message, "type": kind, "sticky": False,
                           "next": {"type": "ir.actions.act_window_close"}}}

    def _sync_error_message(self, exc: Exception) -> str:
        """What the user sees for an error: what happened, and what to do."""
        from ..engine.adapter import AuthFailed, RateLimited, Transient
        reason = describe(exc)
        if isinstance(exc, (AuthFailed, AuthExpired)):
            return _("%(account)s: the server refused the credentials (%(reason)s). Open "
                     "the account, enter the password or reconnect, then press Test "
                     "connection.", account=self.name, reason=reason)
        if isinstance(exc, RateLimited):
            return _("%(account)s: the server asks to slow down (%(reason)s); the sync "
                     "will resume by itself.", account=self.name, reason=reason)
        if isinstance(exc, Transient):
            return _("%(account)s: the server could not be reached (%(reason)s). Check the "
                     "server URL and the network; the sync will retry.",
                     account=self.name, reason=reason)
        return _("%(account)s: %(reason)s", account=self.name, reason=reason)

    # ------------------------------------------------------------------ cron

    @api.model
    def _cron_sync_due_accounts(self, batch_size=20):
        """Run the accounts whose interval has passed, a few per call; Odoo's cron calls
        again at once while some remain (progress API), on any worker of any host."""
        now = fields.Datetime.now()
        domain = [("auto_sync", "=", True), ("state", "!=", "error"),
                  "|", ("next_sync_at", "=", False), ("next_sync_at", "<=", now)]
        due = self.sudo().search(domain, order="next_sync_at asc nulls first, id",
                                 limit=batch_size)
        total = self.sudo().search_count(domain)
        runner = self.env["crm.sync.runner"]
        for done, account in enumerate(due, start=1):
            try:
                runner._run_account(account, trigger="cron")
            except Exception:
                # The runner journals its own failures; this guards the loop so one
                # account can never stop the others.
                _logger.exception("CRM sync: account %s failed outside its run", account.id)
            self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
        return True
