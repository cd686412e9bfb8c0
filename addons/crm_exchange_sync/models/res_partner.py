from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..utils.mapping import RESOLVE_KEY


class ResPartner(models.Model):
    _inherit = "res.partner"

    # What an Exchange / Outlook contact has beyond Odoo's own partner fields.
    crm_email2 = fields.Char("E-mail 2")
    crm_email3 = fields.Char("E-mail 3")
    crm_home_phone = fields.Char("Home phone")
    crm_home_street = fields.Char("Home street")
    crm_home_city = fields.Char("Home city")
    crm_home_zip = fields.Char("Home ZIP")
    crm_home_state_id = fields.Many2one("res.country.state", "Home state",
                                        domain="[('country_id', '=?', crm_home_country_id)]")
    crm_home_country_id = fields.Many2one("res.country", "Home country")
    crm_exchange_account_ids = fields.Many2many(
        "crm.sync.account", "crm_exchange_partner_account_rel", "partner_id", "account_id",
        string="Imported by Exchange accounts", copy=False, readonly=True,
        help="Exchange accounts this contact came from: it stays synced with them whatever "
             "the account's export choice.")
    crm_exchange_synced_account_ids = fields.Many2many(
        "crm.sync.account", string="Synced with Exchange accounts",
        compute="_compute_crm_exchange_synced_account_ids",
        search="_search_crm_exchange_synced_account_ids",
        help="Accounts that hold this contact in their mailbox (bound by the sync).")

    def _compute_crm_exchange_synced_account_ids(self):
        groups = dict(self.env["crm.sync.binding"].sudo()._read_group(
            [("res_model", "=", "res.partner"), ("res_id", "in", self.ids),
             ("tombstone", "=", False),
             ("account_id.provider", "in", ["exchange_server", "exchange_online"])],
            ["res_id"], ["account_id:array_agg"]))
        for partner in self:
            partner.crm_exchange_synced_account_ids = [(6, 0, groups.get(partner.id, []))]

    def _search_crm_exchange_synced_account_ids(self, operator, value):
        # one sub-select, so that a sync's scope test stays a single query
        if operator != "in":
            raise UserError(self.env._("Search synced partners with 'in' an account list."))
        ids = tuple(value if isinstance(value, (list, tuple)) else [value])
        return [("id", "in", SQL(
            "(SELECT res_id FROM crm_sync_binding WHERE res_model = 'res.partner' "
            "AND NOT COALESCE(tombstone, FALSE) AND account_id IN %s)", ids or (0,)))]

    @api.model_create_multi
    def create(self, vals_list):
        if any(RESOLVE_KEY in vals for vals in vals_list):
            vals_list = [dict(vals) for vals in vals_list]
            resolved = [RESOLVE_KEY in vals for vals in vals_list]
            self._crm_exchange_resolve([v for v in vals_list if RESOLVE_KEY in v])
            # A new contact needs no explicit emptiness: every empty value is a default,
            # and each field set costs (a first import creates thousands).
            vals_list = [{k: v for k, v in vals.items()
                          if k == "name" or (v and v != [(6, 0, [])])} if was else vals
                         for vals, was in zip(vals_list, resolved, strict=True)]
        return super().create(vals_list)

    def write(self, vals):
        if RESOLVE_KEY not in vals:
            return super().write(vals)
        if len(self) > 1:  # the sync writes one contact at a time; keep that simple
            for partner in self:
                partner.write(vals)
            return True
        vals = dict(vals)
        company = (vals.get(RESOLVE_KEY) or {}).get("company") or ""
        self._crm_exchange_resolve([vals])
        if self.is_company:
            # A company exported as a contact comes back with itself as the company.
            vals.pop("parent_id", None)
            vals["company_name"] = False
        elif self.parent_id and self.parent_id.name == company:
            vals["parent_id"] = self.parent_id.id  # still right: never unlink it
        return super().write(vals)

    @api.model
    def _crm_exchange_resolve(self, vals_list):
        """Names from Exchange -> ids, for a whole batch: one search per kind.

        The company rule (seed 000): a contact is linked to the company of that name
        when the importing user can read exactly one such company; when several are
        readable, it is imported without one (its company name is kept as text)."""
        wanted = [vals.pop(RESOLVE_KEY) for vals in vals_list]
        countries = self._crm_exchange_countries(
            {w[k] for w in wanted for k in ("country", "home_country") if w.get(k)})
        states = self._crm_exchange_states(
            {(countries.get(w[c].lower()), w[s]) for w in wanted
             for c, s in (("country", "state"), ("home_country", "home_state")) if w.get(s)})
        company_names = {w["company"] for w in wanted if w.get("company")}
        companies = {}
        if company_names:
            # As the importing user: record rules decide what "readable" means.
            for company in self.search([("is_company", "=", True),
                                        ("name", "in", list(company_names))]):
                companies.setdefault(company.name, []).append(company.id)
        categories = self._crm_exchange_categories(
            {name for w in wanted for name in w.get("categories") or ()})
        for vals, w in zip(vals_list, wanted, strict=True):
            country = countries.get((w.get("country") or "").lower(), False)
            home_country = countries.get((w.get("home_country") or "").lower(), False)
            vals["country_id"] = country
            vals["state_id"] = states.get((country or None, (w.get("state") or "").lower()),
                                          False)
            vals["crm_home_country_id"] = home_country
            vals["crm_home_state_id"] = states.get(
                (home_country or None, (w.get("home_state") or "").lower()), False)
            matches = companies.get(w.get("company") or "", [])
            vals["parent_id"] = matches[0] if len(matches) == 1 else False
            vals["category_id"] = [(6, 0, [categories[n] for n in w.get("categories") or ()
                                           if n in categories])]

    @api.model
    def _crm_exchange_countries(self, names):
        """{lower-case code or name: country id}; Exchange keeps free text."""
        if not names:
            return {}
        lowered = {n.lower() for n in names}
        found = {}
        Country = self.env["res.country"].sudo()
        for lang in {"en_US", self.env.lang or "en_US"}:
            for country in Country.with_context(lang=lang).search([]):
                for key in (country.code or "", country.name or ""):
                    if key.lower() in lowered:
                        found[key.lower()] = country.id
        return found

    @api.model
    def _crm_exchange_states(self, pairs):
        """{(country id or None, lower-case state name or code): state id}."""
        pairs = {(c, s) for c, s in pairs if s}
        if not pairs:
            return {}
        names = {s.lower() for _c, s in pairs}
        found = {}
        domain = [("country_id", "in", [c for c, _s in pairs if c])] if any(
            c for c, _s in pairs) else []
        for state in self.env["res.country.state"].sudo().search(domain):
            for key in (state.code or "", state.name or ""):
                if key.lower() in names:
                    found[(state.country_id.id, key.lower())] = state.id
        return found

    @api.model
    def _crm_exchange_categories(self, names):
        """{name: partner category id}; an Outlook category Odoo lacks is created."""
        if not names:
            return {}
        Category = self.env["res.partner.category"].sudo()
        found = {c.name: c.id for c in Category.search([("name", "in", list(names))])}
        missing = sorted(names - set(found))
        if missing:
            found.update({c.name: c.id for c in Category.create([{"name": n}
                                                                  for n in missing])})
        return found
