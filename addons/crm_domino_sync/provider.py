"""The Domino provider: its adapters (utils/adapters.py) and the mappers between Odoo's
records and the canonical dicts, registered with crm_sync_base."""

from datetime import date, datetime

from odoo.addons.crm_sync_base.engine import registry
from odoo.addons.crm_sync_base.engine.mapper import CategoryScopedPartnerMapper, RecordMapper
from odoo.tools import html2plaintext

from .utils.adapters import DominoContactsAdapter, DominoEventsAdapter, DominoTasksAdapter


def _text(value) -> str:
    if not value:
        return ""
    return html2plaintext(str(value)).strip()


def _id(value):
    """A many2one as read() gives it: (id, name) or False."""
    return value[0] if isinstance(value, (list, tuple)) and value else value or False


class DominoPartnerMapper(CategoryScopedPartnerMapper):
    kind = "contacts"
    model = "res.partner"
    fields = ("name", "email", "phone", "mobile", "function", "street", "city", "zip",
              "comment", "category_id")
    simple = ("email", "phone", "mobile", "function", "street", "city", "zip")

    def to_canonical(self, values):
        out = {"name": values.get("name") or "", "note": _text(values.get("comment"))}
        out.update({k: values.get(k) or "" for k in self.simple})
        return out

    def to_odoo(self, canonical):
        # No name stays no name: Odoo refuses the contact and the item fails alone,
        # with the reason in the journal.
        vals = {"name": canonical.get("name") or False,
                "comment": canonical.get("note") or False}
        vals.update({k: canonical.get(k) or False for k in self.simple})
        return vals


class DominoActivityMapper(RecordMapper):
    """To Do items as activities of the account's chosen type, assigned to its users."""

    kind = "tasks"
    model = "mail.activity"
    fields = ("summary", "note", "date_deadline", "active", "activity_type_id", "user_id")

    def to_canonical(self, values):
        deadline = values.get("date_deadline")
        return {"name": values.get("summary") or "", "note": _text(values.get("note")),
                "due": deadline.isoformat() if isinstance(deadline, date) else deadline or "",
                "done": not values.get("active", True)}

    def to_odoo(self, canonical):
        return {"summary": canonical.get("name") or False,
                "note": canonical.get("note") or False,
                # An activity needs a deadline; a To Do without a due date is due today.
                "date_deadline": canonical.get("due") or date.today().isoformat(),
                "active": not canonical.get("done")}

    def scope_domain(self, settings):
        activity_type = settings.get("activity_type_id")
        if not activity_type:
            return [("id", "=", 0)]
        return [("activity_type_id", "=", activity_type),
                ("user_id", "in", settings.get("member_ids") or [])]

    def scope_values(self, settings):
        # A To Do from Notes is attached to the sync account itself: it belongs to no
        # customer record yet. Its owner gets it.
        return {"activity_type_id": settings.get("activity_type_id"),
                "user_id": settings.get("user_id"),
                "res_model_id": settings.get("account_model_id"),
                "res_id": settings.get("account_id")}


class DominoEventMapper(RecordMapper):
    kind = "events"
    model = "calendar.event"
    fields = ("name", "start", "stop", "allday", "start_date", "stop_date", "location",
              "description", "privacy", "user_id")

    def to_canonical(self, values):
        allday = bool(values.get("allday"))
        if allday:
            start = _day(values.get("start_date") or values.get("start"))
            stop = _day(values.get("stop_date") or values.get("stop")) or start
        else:
            start, stop = _moment(values.get("start")), _moment(values.get("stop"))
        return {"name": values.get("name") or "", "location": values.get("location") or "",
                "description": _text(values.get("description")), "allday": allday,
                "start": start, "stop": stop}

    def to_odoo(self, canonical):
        vals = {"name": canonical.get("name") or False,
                "location": canonical.get("location") or False,
                "description": canonical.get("description") or False,
                "allday": bool(canonical.get("allday"))}
        if vals["allday"]:
            # Odoo keeps all-day events at 08:00-18:00 of their dates.
            vals.update(start=f"{canonical['start'][:10]} 08:00:00",
                        stop=f"{canonical['stop'][:10]} 18:00:00",
                        start_date=canonical["start"][:10], stop_date=canonical["stop"][:10])
        else:
            vals.update(start=canonical["start"], stop=canonical["stop"])
        return vals

    def scope_domain(self, settings):
        # Private events never leave Odoo (seed 003), whatever else is asked.
        domain = [("privacy", "!=", "private"),
                  ("user_id", "in", settings.get("member_ids") or [])]
        if settings.get("events_since"):
            domain.append(("stop", ">=", f"{settings['events_since']} 00:00:00"))
        return domain

    def scope_values(self, settings):
        return {"user_id": settings.get("user_id")}


def _moment(value) -> str:
    if isinstance(value, datetime):
        return value.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")
    return str(value or "")[:19]


def _day(value) -> str:
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    return str(value or "")[:10]


PROVIDER = registry.register(registry.Provider(
    key="domino", label="HCL Domino (IBM Notes)",
    adapters={"contacts": DominoContactsAdapter, "tasks": DominoTasksAdapter,
              "events": DominoEventsAdapter},
    mappers={"contacts": DominoPartnerMapper(), "tasks": DominoActivityMapper(),
             "events": DominoEventMapper()},
    default_endpoint="",
    secrets={"password": "Password"},
))
