"""res.partner <-> the canonical contact dict that both adapters (EWS, Graph) speak.

Plain Python. What needs the database (countries, states, partner categories, the
company a contact works for) is not looked up here: ``to_odoo`` puts the names under
``RESOLVE_KEY`` and res.partner's create/write (models/res_partner.py) resolves a whole
batch with one search per kind. ``to_canonical`` gets the names of categories from the
settings (``category_names``), as read() gives only their ids.
"""

from __future__ import annotations

from odoo.addons.crm_sync_base.engine.mapper import RecordMapper

RESOLVE_KEY = "crm_exchange_resolve"  # popped by res.partner.create/write
ADDRESS_KEYS = ("street", "city", "state", "postal_code", "country")
PARTNER_FIELDS = (
    "name", "is_company", "email", "crm_email2", "crm_email3", "phone", "mobile",
    "crm_home_phone", "function", "comment", "street", "city", "zip", "state_id",
    "country_id", "crm_home_street", "crm_home_city", "crm_home_zip", "crm_home_state_id",
    "crm_home_country_id", "parent_id", "company_name", "category_id",
)


def empty_address() -> dict:
    return dict.fromkeys(ADDRESS_KEYS, "")


def empty_contact() -> dict:
    return {
        "given_name": "", "surname": "", "display_name": "", "company_name": "",
        "job_title": "", "notes": "", "emails": [], "business_phone": "",
        "mobile_phone": "", "home_phone": "", "business_address": empty_address(),
        "home_address": empty_address(), "categories": [],
    }


def _clean(value) -> str:
    return " ".join(str(value).split()) if value else ""


def split_name(name: str) -> tuple[str, str]:
    """"Ann Marie Lee" -> ("Ann Marie", "Lee"): Odoo keeps one name, Exchange two."""
    name = _clean(name)
    if " " not in name:
        return name, ""
    given, surname = name.rsplit(" ", 1)
    return given, surname


def normalize_contact(values: dict) -> dict:
    """The contact as Exchange keeps it: every key present, texts trimmed, at most three
    distinct e-mails, sorted categories, and a display name (Exchange requires one)."""
    out = empty_contact()
    for key in ("given_name", "surname", "display_name", "company_name", "job_title",
                "business_phone", "mobile_phone", "home_phone"):
        out[key] = _clean(values.get(key))
    out["notes"] = str(values.get("notes") or "").strip().replace("\r\n", "\n")
    emails = []
    for email in values.get("emails") or ():
        email = _clean(email)
        if email and email.lower() not in {e.lower() for e in emails}:
            emails.append(email)
    out["emails"] = emails[:3]
    for key in ("business_address", "home_address"):
        address = values.get(key) or {}
        out[key] = {part: _clean(address.get(part)) for part in ADDRESS_KEYS}
    out["categories"] = sorted({_clean(c) for c in values.get("categories") or () if _clean(c)})
    if not out["display_name"]:
        out["display_name"] = " ".join(filter(None, (out["given_name"], out["surname"]))) \
            or out["company_name"] or (out["emails"][0] if out["emails"] else "")
    return out


def _name(value) -> str:
    """A many2one as read() gives it: (id, name) or False."""
    return value[1] if isinstance(value, (list, tuple)) and len(value) > 1 else ""


class ExchangePartnerMapper(RecordMapper):
    """Partners of the account's export scope <-> Exchange / Outlook contacts."""

    kind = "contacts"
    model = "res.partner"
    fields = PARTNER_FIELDS

    def __init__(self, settings: dict | None = None):
        self.settings = settings or {}

    def for_settings(self, settings: dict) -> ExchangePartnerMapper:
        return ExchangePartnerMapper(settings)

    # -- Odoo -> canonical

    def to_canonical(self, values: dict) -> dict:
        names = self.settings.get("category_names") or {}
        name = _clean(values.get("name"))
        given, surname = ("", "") if values.get("is_company") else split_name(name)
        company = _name(values.get("parent_id")) or values.get("company_name") or ""
        if values.get("is_company"):
            company = name
        return normalize_contact({
            "given_name": given, "surname": surname, "display_name": name,
            "company_name": company, "job_title": values.get("function"),
            "notes": _plain(values.get("comment")),
            "emails": [values.get("email"), values.get("crm_email2"), values.get("crm_email3")],
            "business_phone": values.get("phone"), "mobile_phone": values.get("mobile"),
            "home_phone": values.get("crm_home_phone"),
            "business_address": {
                "street": values.get("street"), "city": values.get("city"),
                "state": _name(values.get("state_id")), "postal_code": values.get("zip"),
                "country": _name(values.get("country_id"))},
            "home_address": {
                "street": values.get("crm_home_street"), "city": values.get("crm_home_city"),
                "state": _name(values.get("crm_home_state_id")),
                "postal_code": values.get("crm_home_zip"),
                "country": _name(values.get("crm_home_country_id"))},
            "categories": [names.get(str(c)) or names.get(c) for c in
                           values.get("category_id") or () if names.get(str(c)) or names.get(c)],
        })

    # -- canonical -> Odoo

    def to_odoo(self, canonical: dict) -> dict:
        c = normalize_contact(canonical)
        emails = c["emails"] + ["", "", ""]
        business, home = c["business_address"], c["home_address"]
        name = c["display_name"] or " ".join(filter(None, (c["given_name"], c["surname"])))
        return {
            "name": name or False,
            "email": emails[0] or False, "crm_email2": emails[1] or False,
            "crm_email3": emails[2] or False,
            "phone": c["business_phone"] or False, "mobile": c["mobile_phone"] or False,
            "crm_home_phone": c["home_phone"] or False,
            "function": c["job_title"] or False,
            "comment": _html(c["notes"]) or False,
            "street": business["street"] or False, "city": business["city"] or False,
            "zip": business["postal_code"] or False,
            "crm_home_street": home["street"] or False, "crm_home_city": home["city"] or False,
            "crm_home_zip": home["postal_code"] or False,
            "company_name": c["company_name"] or False,
            RESOLVE_KEY: {
                "country": business["country"], "state": business["state"],
                "home_country": home["country"], "home_state": home["state"],
                "company": c["company_name"], "categories": c["categories"],
            },
        }

    # -- scope

    def scope_domain(self, settings: dict) -> list:
        return list(settings.get("export_domain") or [("id", "=", 0)])

    def scope_values(self, settings: dict) -> dict:
        account = settings.get("account_id")
        return {"crm_exchange_account_ids": [(4, account)]} if account else {}


def _plain(html) -> str:
    if not html:
        return ""
    from odoo.tools import html2plaintext  # a pure function of Odoo's tools
    return html2plaintext(str(html)).strip()


def _html(text: str) -> str:
    if not text:
        return ""
    from odoo.tools import plaintext2html
    return str(plaintext2html(text))
