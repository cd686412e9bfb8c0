import dataclasses
import logging

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.addons.crm_sync_base.engine.adapter import AuthExpired, SyncError
from odoo.exceptions import UserError, ValidationError

from ..utils.das import DasMissing, DasNotEnabled
from ..utils.drapi import DrapiNotExposed

_logger = logging.getLogger(__name__)

HELP_PAGE = "/crm_domino_sync/static/description/index.html"
DOMINO_APIS = [("das", "Domino Access Services (Basic auth)"),
               ("drapi", "Domino REST API (bearer token)")]
DRAPI_AUTH = [("password", "Sign in with the user name and password"),
              ("token", "A token pasted by the administrator")]
EVENT_RANGES = [("all", "All events"), ("today", "From today"),
                ("last_month", "From the last month")]


class CrmSyncAccount(models.Model):
    _inherit = ["crm.sync.account", "mail.activity.mixin"]
    _name = "crm.sync.account"

    # The pasted DRAPI token is a write-only secret, like the password.
    _sync_secret_fields = {"domino_api_token": "api_token"}

    provider = fields.Selection(selection_add=[("domino", "HCL Domino (IBM Notes)")],
                                ondelete={"domino": "cascade"})
    domino_api = fields.Selection(
        DOMINO_APIS, "API", default="das", required=True,
        help="Domino Access Services are built into Domino 9.0.1 and later. The Domino "
             "REST API is a separate server process (Domino 12 and later) that exposes "
             "databases through scopes; choose it where your server has it.")
    domino_drapi_auth = fields.Selection(
        DRAPI_AUTH, "Domino REST API sign-in", default="password", required=True,
        help="With the user name and password, Odoo asks the Domino REST API for a "
             "token (/api/v1/auth) and asks again when it expires. A pasted token is "
             "used until it expires; then paste a new one.")
    domino_api_token = fields.Char(
        "Domino REST API token", compute="_compute_secret_fields",
        inverse="_inverse_secret_fields", copy=False,
        help="A bearer token (JWT) issued by the Domino REST API. Kept where only "
             "administrators can read it; never shown again after saving.")
    domino_contacts_scope = fields.Char(
        "Contacts scope", help="The Domino REST API scope (dataSource) that exposes the "
                               "contacts database, with the form Person and the view.")
    domino_mail_scope = fields.Char(
        "Mail file scope", help="The Domino REST API scope (dataSource) that exposes the "
                                "mail file, with the forms Task and Appointment and the To "
                                "Do view.")
    domino_contacts_db = fields.Char(
        "Contacts database", default="names.nsf",
        help="Path of the database holding the contacts on the server, e.g. names.nsf "
             "(the personal address book) or mail/jdoe.nsf.")
    domino_contacts_view = fields.Char("Contacts view", default="People")
    domino_mail_db = fields.Char(
        "Mail file", help="Path of the user's mail file, e.g. mail/jdoe.nsf: it holds the "
                          "calendar and the To Do items.")
    domino_tasks_view = fields.Char("To Do view", default="($ToDo)")
    domino_category_id = fields.Many2one(
        "res.partner.category", "Contacts tag",
        help="Contacts with this tag are synced; contacts coming from Domino get it.")
    domino_activity_type_id = fields.Many2one(
        "mail.activity.type", "To Do as activities of type",
        help="Activities of this type assigned to the account's users are synced with "
             "their To Do list in Notes.")
    domino_event_range = fields.Selection(
        EVENT_RANGES, "Events", default="today", required=True,
        help="Which events are synced. The start date is fixed when you choose the "
             "range, so events do not drop out of the sync as days pass.")
    domino_events_since = fields.Date(
        "Events from", readonly=True, copy=False,
        help="Events ending before this date are left alone on both sides.")
    domino_member_ids = fields.Many2many(
        "res.users", "crm_domino_account_member_rel", "account_id", "user_id",
        "Users", help="The Odoo users whose activities and events this account syncs. "
                      "Only the administrator who created the account changes the list.")
    domino_seats = fields.Integer(
        "Seats", default=5, help="How many users this connection may serve (your Domino "
                                 "licences).")
    domino_seats_used = fields.Integer("Seats used", compute="_compute_domino_seats_used")
    domino_dashboard = fields.Html("Last runs", compute="_compute_domino_dashboard",
                                   sanitize=False)

    _sql_constraints = [
        ("domino_seats_positive", "CHECK(domino_seats IS NULL OR domino_seats > 0)",
         "The number of seats must be positive."),
    ]

    # ------------------------------------------------------------------ computes

    @api.depends("domino_member_ids")
    def _compute_domino_seats_used(self):
        for account in self:
            account.domino_seats_used = len(account.domino_member_ids)

    @api.depends("run_ids")
    def _compute_domino_dashboard(self):
        # The account's users read its dashboard, not the journal itself (the journal's
        # rules show runs to the owner): the counts are read as superuser.
        Run = self.env["crm.sync.run"].sudo()
        for account in self:
            if account.provider != "domino" or not account.id:
                account.domino_dashboard = False
                continue
            runs = Run.search([("account_id", "=", account.id),
                               ("trigger", "!=", "preview")], limit=10)
            account.domino_dashboard = self.env["ir.qweb"]._render(
                "crm_domino_sync.domino_dashboard", {"runs": runs, "account": account})

    @api.onchange("provider")
    def _onchange_provider_domino(self):
        # What Notes' own extension offers first: everything, and Notes wins conflicts.
        if self.provider == "domino" and not self.id:
            self.sync_events = self.sync_tasks = True
            self.conflict_policy = "remote"
            if not self.domino_activity_type_id:
                self.domino_activity_type_id = self.env.ref("mail.mail_activity_data_todo",
                                                            raise_if_not_found=False)

    @api.constrains("domino_member_ids", "domino_seats")
    def _check_domino_seats(self):
        for account in self.filtered(lambda a: a.provider == "domino"):
            if len(account.domino_member_ids) > account.domino_seats:
                raise ValidationError(_(
                    "%(account)s has %(seats)s seats and %(users)s users. Remove users or "
                    "raise the number of seats.", account=account.name,
                    seats=account.domino_seats, users=len(account.domino_member_ids)))

    # ------------------------------------------------------------------ create / write

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("provider") == "domino":
                vals.setdefault("conflict_policy", "remote")
                vals.setdefault("sync_events", True)
                vals.setdefault("sync_tasks", True)
                if not vals.get("domino_events_since"):
                    vals["domino_events_since"] = self._domino_range_start(
                        vals.get("domino_event_range") or "today")
        accounts = super().create(vals_list)
        for account in accounts.filtered(lambda a: a.provider == "domino"):
            # The administrator who sets the account up is its first user.
            if account.user_id not in account.domino_member_ids:
                account.domino_member_ids = [(4, account.user_id.id)]
            if not account.domino_category_id:
                account.domino_category_id = self.env["res.partner.category"].sudo().create(
                    {"name": account.name})
            if not account.domino_activity_type_id:
                account.domino_activity_type_id = self.env.ref("mail.mail_activity_data_todo",
                                                               raise_if_not_found=False)
        return accounts

    def write(self, vals):
        if "domino_member_ids" in vals or "domino_seats" in vals:
            self._domino_check_manager()
        removed = {}
        if "domino_member_ids" in vals:
            removed = {account: account.domino_member_ids for account in self}
        if vals.get("domino_event_range") and "domino_events_since" not in vals:
            vals = dict(vals, domino_events_since=self._domino_range_start(
                vals["domino_event_range"]))
        if not removed:
            return super().write(vals)
        # A refused removal must leave the list as it was, also for callers that catch
        # the error: write and check inside one savepoint.
        with self.env.cr.savepoint():
            result = super().write(vals)
            for account, before in removed.items():
                gone = before - account.domino_member_ids
                if gone:
                    account._domino_check_removable(gone)
        return result

    @api.model
    def _domino_range_start(self, event_range):
        today = fields.Date.context_today(self)
        if event_range == "today":
            return today
        if event_range == "last_month":
            return today - relativedelta(months=1)
        return False

    def _domino_check_manager(self):
        """Only the administrator who created the account (its owner) or an Odoo
        administrator manages its users and seats."""
        for account in self:
            if not (self.env.su or account.user_id == self.env.user
                    or self.env.user.has_group("base.group_system")):
                raise UserError(_("Only %(owner)s, who set up %(account)s, or an "
                                  "administrator can manage its users.",
                                  owner=account.user_id.name, account=account.name))

    def _domino_owner_fields(self):
        """{model: field naming the user} of the records this connector syncs."""
        return {"mail.activity": "user_id", "calendar.event": "user_id",
                "res.partner": "user_id"}

    def _domino_check_removable(self, users):
        """A user whose data is synced cannot be removed (seed 003): their activities,
        events or contacts are bound to Domino items."""
        self.ensure_one()
        if self.user_id in users:
            raise UserError(_("%(user)s set up %(account)s and cannot be removed from it.",
                              user=self.user_id.name, account=self.name))
        bindings = self.env["crm.sync.binding"].sudo().search(
            [("account_id", "=", self.id), ("res_id", "!=", False)])
        owners = self._domino_owner_fields()
        for user in users:
            count = 0
            for model, field in owners.items():
                ids = bindings.filtered(lambda b, m=model: b.res_model == m).mapped("res_id")
                if ids:
                    count += self.env[model].sudo().with_context(active_test=False).search_count(
                        [("id", "in", ids), (field, "=", user.id)])
            if count:
                raise UserError(_(
                    "%(user)s cannot be removed from %(account)s: %(count)s of their "
                    "records (activities, events or contacts) are synced with Domino. "
                    "Reassign or delete those records first, or stop syncing them.",
                    user=user.name, account=self.name, count=count))

    # ------------------------------------------------------------------ sync glue

    def _domino_tasks_mapper(self):
        """The mapper To Do items sync with; None keeps the provider's (activities).
        crm_domino_sync_todo returns its To-Do task mapper when the account asks."""
        return None

    def _sync_provider(self):
        provider = super()._sync_provider()
        if self.provider == "domino":
            mapper = self._domino_tasks_mapper()
            if mapper is not None:
                provider = dataclasses.replace(
                    provider, mappers=dict(provider.mappers, tasks=mapper))
        return provider

    def _sync_settings_dict(self):
        settings = super()._sync_settings_dict()
        if self.provider == "domino":
            drapi = self.domino_api == "drapi"
            settings.update(
                api=self.domino_api,
                drapi_auth=self.domino_drapi_auth,
                # Over DRAPI a database is reached through its scope name.
                contacts_db=((self.domino_contacts_scope if drapi
                              else self.domino_contacts_db) or "").strip(),
                contacts_view=(self.domino_contacts_view or "").strip(),
                mail_db=((self.domino_mail_scope if drapi else self.domino_mail_db)
                         or "").strip(),
                tasks_view=(self.domino_tasks_view or "").strip(),
                category_id=self.domino_category_id.id,
                activity_type_id=self.domino_activity_type_id.id,
                member_ids=(self.domino_member_ids | self.user_id).ids,
                account_model_id=self.env["ir.model"]._get_id(self._name),
                events_since=(self.domino_events_since.isoformat()
                              if self.domino_events_since else False),
            )
        return settings

    def _domino_check_settings(self):
        self.ensure_one()
        missing = []
        if self.domino_api == "drapi":
            if self.sync_contacts and not (self.domino_contacts_scope
                                           and self.domino_contacts_view):
                missing.append(_("the contacts scope and view"))
            if (self.sync_tasks or self.sync_events) and not self.domino_mail_scope:
                missing.append(_("the mail file scope"))
        else:
            if self.sync_contacts and not (self.domino_contacts_db
                                           and self.domino_contacts_view):
                missing.append(_("the contacts database and view"))
            if (self.sync_tasks or self.sync_events) and not self.domino_mail_db:
                missing.append(_("the mail file"))
        if (self.domino_api == "drapi" and self.domino_drapi_auth == "token"
                and "api_token" not in self._sync_credentials()):
            missing.append(_("the Domino REST API token"))
        if self.sync_tasks and not self.domino_tasks_view:
            missing.append(_("the To Do view"))
        if not self.endpoint:
            missing.append(_("the server URL"))
        if missing:
            raise UserError(_("%(account)s: fill in %(missing)s.", account=self.name,
                              missing=", ".join(missing)))

    def action_test_connection(self):
        """Checks every part the account syncs (contacts, To Do, calendar): each lives in
        its own database, view or service, each with its own DAS switch."""
        if self.provider != "domino":
            return super().action_test_connection()
        self.ensure_one()
        self.check_access("write")
        self._domino_check_settings()
        kinds = self._sync_kinds()
        if not kinds:
            raise UserError(_("Choose what to synchronize (contacts, events or tasks) first."))
        try:
            for kind in kinds:
                adapter = self._sync_adapter(kind)
                try:
                    adapter.check()
                except AuthExpired:
                    adapter.refresh_auth()
        except SyncError as exc:
            message = self._sync_error_message(exc)
            _logger.info("Domino account %s: connection check refused: %s", self.id, exc)
            self.sudo().write({"state": "error", "last_error": message})
            raise UserError(message) from None
        self.sudo().write({"state": "connected", "last_error": False})
        return self._sync_notify(_("Connection to %(account)s works (signed in as "
                                   "%(who)s).", account=self.name, who=self.login),
                                 "success")

    def action_sync_now(self):
        if self.provider == "domino":
            self._domino_check_settings()
        return super().action_sync_now()

    def _sync_error_message(self, exc):
        if isinstance(exc, DasNotEnabled):
            return self._domino_das_message(exc)
        if isinstance(exc, DrapiNotExposed):
            return self._domino_drapi_message(exc)
        if isinstance(exc, DasMissing):
            if exc.view:
                return _("%(account)s: the view %(view)s does not exist in %(db)s. Check "
                         "the view's name (Domino Designer shows it, with its alias) on "
                         "the account.", account=self.name, view=exc.view, db=exc.database)
            return _("%(account)s: the database %(db)s was not found on the server. Check "
                     "its path (relative to the Domino data directory, e.g. "
                     "mail/jdoe.nsf) on the account.", account=self.name, db=exc.database)
        return super()._sync_error_message(exc)

    def _domino_das_message(self, exc):
        """Which Domino Access Services setting to enable: the three steps of seed 003,
        with the README section that shows them."""
        # Built outside _(): the message extractor evaluates the arguments it sees.
        links = {anchor: f"{HELP_PAGE}#{anchor}"
                 for anchor in ("das-server", "das-view", "das-database")}
        if exc.step in ("server_data", "server_calendar"):
            service = _("Calendar") if exc.step == "server_calendar" else _("Data")
            return _(
                "%(account)s: the Domino server refuses Domino Access Services (%(service)s "
                "service). Enable DAS on the server: in the Domino Administrator open "
                "Configuration > Server > Current Server Document, tab Internet Protocols > "
                "Domino Web Engine, and under Domino Access Services select Data and "
                "Calendar as enabled services; save the document and restart HTTP. See the "
                "README, section \"Enable DAS on the server\": %(link)s",
                account=self.name, service=service, link=links["das-server"])
        if exc.step == "view":
            return _(
                "%(account)s: the view %(view)s of %(db)s does not allow Domino Access "
                "Services. Enable DAS on the view: in Domino Designer open the view's "
                "properties, tab Advanced, and tick \"Allow Domino Data Service "
                "operations\". See the README, section \"Enable DAS on a view\": %(link)s",
                account=self.name, view=exc.view, db=exc.database,
                link=links["das-view"])
        if exc.step == "database_views_only":
            return _(
                "%(account)s: the database %(db)s allows Domino Access Services for views "
                "only. Enable DAS on the database: in Domino Designer open the database "
                "properties, tab Advanced, and set \"Allow Domino Data Service\" to "
                "\"Views and documents\". See the README, section \"Enable DAS on a "
                "database\": %(link)s", account=self.name, db=exc.database,
                link=links["das-database"])
        return _(
            "%(account)s: the database %(db)s does not allow Domino Access Services. "
            "Enable DAS on the database: in Domino Designer open the database properties, "
            "tab Advanced, and set \"Allow Domino Data Service\" to \"Views and "
            "documents\". See the README, section \"Enable DAS on a database\": %(link)s",
            account=self.name, db=exc.database, link=links["das-database"])

    def _domino_drapi_message(self, exc):
        """Which Domino REST API setting is missing: a scope for the database, the form
        in the scope's schema, or the view in it."""
        link = f"{HELP_PAGE}#drapi"
        if exc.step == "scope":
            return _(
                "%(account)s: the Domino REST API has no scope %(scope)s. Expose the "
                "database: in the Domino REST API admin UI add a schema for it and a scope "
                "named %(scope)s, then check the scope's name on the account. See the "
                "README, section \"Domino REST API\": %(link)s",
                account=self.name, scope=exc.scope, link=link)
        if exc.step == "view":
            return _(
                "%(account)s: the scope %(scope)s does not expose the view %(view)s. In "
                "the Domino REST API admin UI open the scope's schema, tab Views, and "
                "activate %(view)s. See the README, section \"Domino REST API\": "
                "%(link)s", account=self.name, scope=exc.scope, view=exc.name, link=link)
        return _(
            "%(account)s: the scope %(scope)s does not allow the form %(form)s. In the "
            "Domino REST API admin UI open the scope's schema, tab Forms, configure "
            "%(form)s and give its default mode read and write access to all fields. "
            "See the README, section \"Domino REST API\": %(link)s",
            account=self.name, scope=exc.scope, form=exc.name or _("of these documents"),
            link=link)

    # ------------------------------------------------------------------ buttons

    def action_domino_schedule_meeting(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "crm.domino.meeting",
                "view_mode": "form", "target": "new", "name": _("Schedule meeting"),
                "context": {"default_account_id": self.id}}

    def action_domino_change_password(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "crm.domino.password",
                "view_mode": "form", "target": "new", "name": _("Change password"),
                "context": {"default_account_id": self.id, "default_login": self.login}}
