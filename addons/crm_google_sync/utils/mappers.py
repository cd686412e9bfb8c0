"""Odoo values <-> the canonical dicts of Google items (plain Python)."""

from __future__ import annotations

import copy

from odoo.addons.crm_sync_base.engine.mapper import RecordMapper

from .people import ALL_PARTS


def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def html_to_text(value) -> str:
    if not value:
        return ""
    from odoo.tools import html2plaintext  # a pure function of Odoo's tools
    return html2plaintext(str(value)).strip()


class GooglePartnerMapper(RecordMapper):
    """res.partner <-> a Google contact. Which parts sync is the account's choice
    (seed 004): a part that is off is neither read nor written on either side."""

    kind = "contacts"
    model = "res.partner"
    fields = ("name", "email", "phone", "mobile", "street", "street2", "city", "zip",
              "country_id", "company_name", "parent_id", "function", "comment",
              "category_id")

    def __init__(self, parts=ALL_PARTS, countries=None):
        self.parts = tuple(parts)
        # {ISO code: res.country id}, handed in as plain data by the account.
        self.countries = dict(countries or {})
        self.country_codes = {v: k for k, v in self.countries.items()}

    def for_settings(self, settings):
        mapper = copy.copy(self)
        mapper.__init__(
            tuple(p for p in ALL_PARTS if settings.get(f"google_sync_{p}", True)),
            settings.get("country_ids") or {})
        return mapper

    def to_canonical(self, values):
        out = {"name": _text(values.get("name"))}
        parts = self.parts
        if "emails" in parts:
            out["email"] = _text(values.get("email"))
        if "phones" in parts:
            out["phone"] = _text(values.get("phone"))
            out["mobile"] = _text(values.get("mobile"))
        if "addresses" in parts:
            country = values.get("country_id")
            country_id = country[0] if isinstance(country, (list, tuple)) else country
            out.update(street=_text(values.get("street")), street2=_text(values.get("street2")),
                       city=_text(values.get("city")), zip=_text(values.get("zip")),
                       country=self.country_codes.get(country_id, "") if country_id else "")
        if "organization" in parts:
            parent = values.get("parent_id")
            company = parent[1] if isinstance(parent, (list, tuple)) and parent else ""
            out["company"] = _text(company) or _text(values.get("company_name"))
            out["function"] = _text(values.get("function"))
        if "notes" in parts:
            out["note"] = html_to_text(values.get("comment"))
        return out

    def to_odoo(self, canonical):
        # Only the keys the canonical dict holds: a part that does not sync is never
        # overwritten. A missing name stays missing: Odoo refuses the contact, which
        # fails alone with Odoo's reason.
        vals = {"name": canonical.get("name") or False}
        simple = {"email": "email", "phone": "phone", "mobile": "mobile", "street": "street",
                  "street2": "street2", "city": "city", "zip": "zip",
                  "function": "function", "company": "company_name"}
        for key, field in simple.items():
            if key in canonical:
                vals[field] = canonical[key] or False
        if "country" in canonical:
            vals["country_id"] = self.countries.get(canonical["country"]) or False
        if "note" in canonical:
            note = canonical["note"]
            vals["comment"] = _plaintext_to_html(note) if note else False
        return vals

    def scope_domain(self, settings):
        category = settings.get("category_id")
        return [("category_id", "in", [category])] if category else [("id", "=", 0)]

    def scope_values(self, settings):
        category = settings.get("category_id")
        return {"category_id": [(4, category)]} if category else {}

    def release_values(self, settings):
        category = settings.get("category_id")
        return {"category_id": [(3, category)]} if category else {}


def _plaintext_to_html(text):
    from odoo.tools import plaintext2html
    return plaintext2html(text)
