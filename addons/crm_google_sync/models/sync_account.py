from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError

from ..utils import oauth
from ..utils.calendar import calendar_marker, google_employee_calendar
from ..utils.google_client import GOOGLE_AUTH_URL, GOOGLE_TOKEN_URL
from ..utils.people import ALL_PARTS

CLIENT_ID_PARAM = "crm_google_sync.client_id"
CLIENT_SECRET_PARAM = "crm_google_sync.client_secret"


class CrmSyncAccount(models.Model):
    _inherit = "crm.sync.account"

    provider = fields.Selection(selection_add=[("google", "Google")],
                                ondelete={"google": "cascade"})
    google_group_name = fields.Char(
        "Google contact group", help="The contact group synced with Odoo; created in "
                                     "Google by the first sync. Google contacts you put in "
                                     "it come to Odoo.")
    google_category_id = fields.Many2one(
        "res.partner.category", "Odoo contact tag", ondelete="restrict",
        help="Contacts imported from the Google group get this tag; contacts you give this "
             "tag are exported to the group. Removing the tag takes the contact out of the "
             "group (nothing is deleted).")
    google_sync_emails = fields.Boolean("E-mail", default=True)
    google_sync_phones = fields.Boolean("Phones", default=True)
    google_sync_addresses = fields.Boolean("Address", default=True)
    google_sync_organization = fields.Boolean("Company and job position", default=True)
    google_sync_notes = fields.Boolean("Notes", default=True)
    google_calendar_map_ids = fields.One2many(
        "crm.google.calendar.map", "account_id", "Meeting types synced",
        help="Which meeting types sync, each with one Google calendar.")
    google_employee_ids = fields.Many2many(
        "res.users", "crm_google_account_employee_rel", "account_id", "user_id",
        string="Employees",
        help="Company-wide account: the events of these users sync, each user's into "
             "Google calendars of their own in this one Google account (named after the "
             "calendar above and the user, created when missing). Events created in such "
             "a calendar come to Odoo as that user's.")
    google_months_back = fields.Integer(
        "Months back", default=3,
        help="Events that ended longer ago are not synced. Changing it takes effect at the "
             "next full resync.")
    google_description_field_ids = fields.Many2many(
        "ir.model.fields", string="Fields in the Google description",
        domain="[('model', '=', 'calendar.event'), ('ttype', 'in', ['char', 'text', "
               "'html', 'selection', 'many2one', 'date', 'datetime', 'integer', "
               "'float', 'boolean'])]",
        help="Written into a generated part of the Google description, after a marker "
             "line. Edits made in Google inside that part never come back to Odoo.")
    google_activity_type_ids = fields.Many2many(
        "mail.activity.type", string="Activity types synced",
        help="Your activities of these types (the CRM's tasks) go to the Google calendar "
             "below as events on their due date.")
    google_activity_calendar = fields.Char("Google calendar of activities",
                                           default="Odoo activities")
    google_activity_allday = fields.Boolean(
        "As all-day events", default=True,
        help="Off: a one-hour event at the hour below (UTC).")
    google_activity_hour = fields.Float("At (UTC)", default=9.0)
    google_last_run_id = fields.Many2one("crm.sync.run", compute="_compute_google_last_run",
                                         string="Last run")
    google_last_run_summary = fields.Char("Last run's counts",
                                          compute="_compute_google_last_run")

    def _compute_google_last_run(self):
        Run = self.env["crm.sync.run"]
        for account in self:
            run = Run.search([("account_id", "=", account.id), ("trigger", "!=", "preview")],
                             order="id desc", limit=1) if account.id else Run
            account.google_last_run_id = run
            account.google_last_run_summary = _(
                "Odoo: %(lc)s created, %(lu)s updated, %(lx)s untagged; Google: %(rc)s "
                "created, %(ru)s updated, %(rx)s removed from the group; %(conf)s conflicts, "
                "%(fail)s failed", lc=run.local_created, lu=run.local_updated,
                lx=run.local_unlinked + run.local_deleted, rc=run.remote_created,
                ru=run.remote_updated, rx=run.remote_unlinked + run.remote_deleted,
                conf=run.conflicts, fail=run.failed) if run else _("No run yet")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("provider") != "google":
                continue
            company = self.env["res.company"].browse(vals.get("company_id")) \
                if vals.get("company_id") else self.env.company
            vals.setdefault("google_group_name", f"{company.name} Odoo")
            # Seed 001: a deletion takes the contact out of the group or tag, only.
            vals.setdefault("deletion_mode", "unlink")
            if not vals.get("google_category_id"):
                vals["google_category_id"] = self._google_category(
                    vals["google_group_name"]).id
        accounts = super().create(vals_list)
        if any(v.get("google_description_field_ids") for v in vals_list):
            self.env.registry.clear_cache()
        return accounts

    @api.model
    @tools.ormcache()
    def _google_description_field_names(self):
        """Event fields some Google account writes into descriptions: editing one of
        them must mark the event for the next sync, like a mapped field."""
        accounts = self.sudo().with_context(active_test=False).search(
            [("provider", "=", "google")])
        return frozenset(accounts.google_description_field_ids.mapped("name"))

    def write(self, vals):
        result = super().write(vals)
        if "google_description_field_ids" in vals or "provider" in vals:
            self.env.registry.clear_cache()
        return result

    @api.model
    def _google_category(self, name):
        Category = self.env["res.partner.category"].sudo()
        return Category.search([("name", "=", name)], limit=1) or Category.create(
            {"name": name})

    @api.onchange("provider")
    def _onchange_provider_google(self):
        if self.provider == "google":
            self.deletion_mode = "unlink"
            if not self.google_group_name:
                self.google_group_name = f"{(self.company_id or self.env.company).name} Odoo"

    # ------------------------------------------------------------------ sync glue

    def _sync_settings_dict(self):
        settings = super()._sync_settings_dict()
        if self.provider != "google":
            return settings
        params = self.env["ir.config_parameter"].sudo()
        maps = self.google_calendar_map_ids
        employees = self.google_employee_ids if self.company_wide else self.env["res.users"]
        # {Google calendar name: [meeting type id, user id or False]}: one calendar per
        # type, or per type and employee on a company-wide account (seed 002).
        names = [user.name for user in employees]
        # Two employees of the same name still get a calendar each (never a shared one).
        labels = {user.id: user.name if names.count(user.name) == 1
                  else f"{user.name}, {user.login}" for user in employees}
        slots = {m.calendar_name: [m.event_type_id.id, False] for m in maps} \
            if not self.company_wide else {
                google_employee_calendar(m.calendar_name, labels[user.id]): [
                    m.event_type_id.id, user.id]
                for user in employees for m in maps}
        settings.update(
            google_client_id=params.get_param(CLIENT_ID_PARAM) or "",
            oauth_token_url=self.oauth_token_url or GOOGLE_TOKEN_URL,
            google_group_name=self.google_group_name or f"{self.company_id.name} Odoo",
            category_id=self.google_category_id.id,
            country_ids=self._google_country_ids(),
            **{f"google_sync_{part}": self[f"google_sync_{part}"] for part in ALL_PARTS},
            google_calendars=list(slots),
            google_calendar_slots=slots,
            google_calendar_markers={name: calendar_marker(*slot) for name, slot in slots.items()
                                     if slot[1]},
            google_company_wide=bool(self.company_wide),
            google_employee_ids=employees.ids,
            google_type_calendars={str(m.event_type_id.id): m.calendar_name for m in maps},
            google_events_since=fields.Date.to_string(
                fields.Date.context_today(self) - relativedelta(
                    months=max(self.google_months_back, 0))),
            google_self_emails=[e for e in (self.user_id.email, self.login,
                                            *employees.mapped("email")) if e],
            google_activity_type_ids=self.google_activity_type_ids.ids,
            google_activity_calendar=self.google_activity_calendar or "Odoo activities",
            google_activity_allday=self.google_activity_allday,
            google_activity_hour=self.google_activity_hour,
            google_description_fields={f.name: f.field_description
                                       for f in self.google_description_field_ids.sudo()},
        )
        return settings

    def _google_country_ids(self):
        self.env.cr.execute("SELECT id, code FROM res_country WHERE code IS NOT NULL")
        return {code.upper(): country_id for country_id, code in self.env.cr.fetchall()}

    def _sync_credentials(self):
        credentials = super()._sync_credentials()
        if self.provider == "google":
            # The OAuth client secret is the database's, kept in a system parameter.
            credentials["client_secret"] = self.env["ir.config_parameter"].sudo().get_param(
                CLIENT_SECRET_PARAM) or ""
        return credentials

    # ------------------------------------------------------------------ OAuth

    def _google_client(self):
        params = self.env["ir.config_parameter"].sudo()
        client_id = params.get_param(CLIENT_ID_PARAM)
        client_secret = params.get_param(CLIENT_SECRET_PARAM)
        if not client_id or not client_secret:
            raise UserError(_("Enter the Google client ID and secret in Settings > General "
                              "Settings > Integrations > Google synchronization (CRM) first."))
        auth_url, token_url = self._oauth_urls()
        return {"client_id": client_id, "client_secret": client_secret,
                "auth_url": auth_url or GOOGLE_AUTH_URL,
                "token_url": token_url or GOOGLE_TOKEN_URL}

    def _oauth_authorization_url(self, redirect_uri, state):
        if self.provider != "google":
            return super()._oauth_authorization_url(redirect_uri, state)
        return oauth.authorization_url(redirect_uri=redirect_uri, state=state,
                                       login_hint=self.login or None, **self._google_client())

    def _oauth_exchange_code(self, code, redirect_uri):
        if self.provider != "google":
            return super()._oauth_exchange_code(code, redirect_uri)
        return oauth.exchange_code(redirect_uri=redirect_uri, code=code,
                                   **self._google_client())
