"""Odoo values <-> the canonical dicts of Google items (plain Python)."""

from __future__ import annotations

import copy

from odoo.addons.crm_sync_base.engine.mapper import CategoryScopedPartnerMapper, RecordMapper

from .people import ALL_PARTS


def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def html_to_text(value) -> str:
    if not value:
        return ""
    from odoo.tools import html2plaintext  # a pure function of Odoo's tools
    return html2plaintext(str(value)).strip()


class GooglePartnerMapper(CategoryScopedPartnerMapper):
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


def _plaintext_to_html(text):
    from odoo.tools import plaintext2html
    return plaintext2html(text)


def _date_text(value) -> str:
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value or "")[:10]


def _datetime_text(value) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value or "")[:19]


def _describe(value) -> str:
    """A read() value as text for the generated part of a Google description."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], int) \
            and isinstance(value[1], str):
        return value[1]
    if isinstance(value, bool) or value is None:
        return "" if not value else "✓"
    if hasattr(value, "strftime"):
        return _datetime_text(value)
    if isinstance(value, str) and ("<" in value and ">" in value):
        return html_to_text(value)
    return str(value)


class GoogleEventMapper(RecordMapper):
    """calendar.event <-> a Google event in the calendar of its meeting type (seed 002)."""

    kind = "events"
    model = "calendar.event"
    fields = ("name", "start", "stop", "allday", "start_date", "stop_date", "location",
              "description", "categ_ids", "crm_google_attendee_emails", "user_id",
              "recurrency", "crm_google_rrule", "crm_google_exdates")
    # "generated" is hashed: a change of a described field must reach Google. An edit
    # of that part in Google changes nothing in Odoo (to_odoo never reads it).

    def __init__(self, type_calendars=None, description_fields=None, self_emails=(),
                 calendar_slots=None):
        self.type_calendars = {int(k): v for k, v in (type_calendars or {}).items()}
        # {calendar name: (type id, user id or None)}; the user is set on a company-wide
        # account, where each employee has calendars of their own.
        self.slots = {name: (int(t), u or None) for name, (t, u) in (
            calendar_slots or {n: (t, None) for t, n in self.type_calendars.items()}).items()}
        self.slot_calendars = {slot: name for name, slot in self.slots.items()}
        self.description_fields = dict(description_fields or {})  # {field: label}
        self.self_emails = {e.lower() for e in self_emails}
        self.fields = tuple(dict.fromkeys((*GoogleEventMapper.fields,
                                           *self.description_fields)))

    def for_settings(self, settings):
        mapper = copy.copy(self)
        mapper.__init__(settings.get("google_type_calendars"),
                        settings.get("google_description_fields"),
                        settings.get("google_self_emails") or (),
                        settings.get("google_calendar_slots"))
        return mapper

    def to_canonical(self, values):
        user = values.get("user_id")
        user_id = (user[0] if isinstance(user, (list, tuple)) and user else user) or None
        calendar = next((self.slot_calendars.get((t, None)) or self.slot_calendars.get(
            (t, user_id)) for t in values.get("categ_ids") or []
            if (t, None) in self.slot_calendars or (t, user_id) in self.slot_calendars), "")
        if values.get("allday"):
            start = _date_text(values.get("start_date") or values.get("start"))
            stop = _date_text(values.get("stop_date") or values.get("stop")) or start
        else:
            start, stop = _datetime_text(values.get("start")), _datetime_text(values.get("stop"))
        emails = {e.strip().lower() for e in (values.get("crm_google_attendee_emails") or "")
                  .split(",") if e.strip()}
        generated = "\n".join(
            f"{label}: {_describe(values.get(field))}"
            for field, label in self.description_fields.items()
            if _describe(values.get(field)))
        out = {"name": _text(values.get("name")), "location": _text(values.get("location")),
               "description": html_to_text(values.get("description")),
               "generated": generated, "calendar": calendar,
               "attendees": sorted(emails - self.self_emails),
               "allday": bool(values.get("allday")), "start": start, "stop": stop}
        if values.get("crm_google_rrule"):  # only series carry these keys
            out["rrule"] = values["crm_google_rrule"]
            out["exdates"] = sorted(d for d in (values.get("crm_google_exdates") or "")
                                    .split(",") if d)
        return out

    def to_odoo(self, canonical):
        vals = {"name": canonical.get("name") or False,
                "location": canonical.get("location") or False,
                "description": _plaintext_to_html(canonical["description"])
                if canonical.get("description") else False,
                "crm_google_attendee_emails": ",".join(canonical.get("attendees") or [])}
        if canonical.get("allday"):
            # Dates stay dates: no time zone can move an all-day event to another day.
            vals.update(allday=True, start=f"{canonical['start']} 08:00:00",
                        stop=f"{canonical['stop']} 18:00:00",
                        start_date=canonical["start"], stop_date=canonical["stop"])
        else:
            vals.update(allday=False, start=canonical["start"], stop=canonical["stop"])
        if canonical.get("rrule"):
            vals["crm_google_rrule"] = canonical["rrule"]
            vals["crm_google_exdates"] = ",".join(canonical.get("exdates") or [])
        type_id, user_id = self.slots.get(canonical.get("calendar"), (None, None))
        if type_id:
            vals["categ_ids"] = [(3, t) for t in self.type_calendars if t != type_id] + [
                (4, type_id)]
        if user_id:
            vals["user_id"] = user_id  # an employee's calendar: that employee's event
        return vals

    def scope_domain(self, settings):
        types = [int(t) for t in settings.get("google_type_calendars") or {}]
        if not types:
            return [("id", "=", 0)]
        # A series syncs as its first event (a Google master); its other events
        # are not items of their own.
        users = settings.get("google_employee_ids") if settings.get(
            "google_company_wide") else [settings.get("user_id")]
        domain = [("categ_ids", "in", types), ("user_id", "in", users or [0]),
                  "|", ("recurrency", "=", False), ("crm_google_rrule", "!=", False)]
        if settings.get("google_events_since"):
            domain.append(("stop", ">=", f"{settings['google_events_since']} 00:00:00"))
        return domain

    def release_values(self, settings):
        return {"categ_ids": [(3, int(t)) for t in settings.get("google_type_calendars") or {}]}


class GoogleActivityMapper(RecordMapper):
    """mail.activity <-> an event in the account's activity calendar, all day on its
    due date or at a set hour (UTC)."""

    kind = "tasks"
    model = "mail.activity"
    fields = ("summary", "activity_type_id", "date_deadline", "note", "res_name", "user_id")
    volatile = ("generated",)

    def __init__(self, calendar="", allday=True, hour=9.0):
        self.calendar, self.allday, self.hour = calendar, allday, hour

    def for_settings(self, settings):
        mapper = copy.copy(self)
        mapper.__init__(settings.get("google_activity_calendar") or "Odoo activities",
                        settings.get("google_activity_allday", True),
                        float(settings.get("google_activity_hour") or 9.0))
        return mapper

    def to_canonical(self, values):
        activity_type = values.get("activity_type_id")
        name = _text(values.get("summary")) or (
            activity_type[1] if isinstance(activity_type, (list, tuple)) else "")
        day = _date_text(values.get("date_deadline"))
        if self.allday:
            start = stop = day
        else:
            hours, minutes = int(self.hour), int(round((self.hour % 1) * 60))
            start = f"{day} {hours:02d}:{minutes:02d}:00"
            stop = f"{day} {min(hours + 1, 23):02d}:{minutes:02d}:00"
        return {"name": name, "location": "", "description": html_to_text(values.get("note")),
                "generated": _text(values.get("res_name")), "calendar": self.calendar,
                "attendees": [], "allday": self.allday, "start": start, "stop": stop}

    def to_odoo(self, canonical):
        vals = {"date_deadline": (canonical.get("start") or "")[:10] or False,
                "note": _plaintext_to_html(canonical["description"])
                if canonical.get("description") else False}
        if canonical.get("name"):
            vals["summary"] = canonical["name"]
        return vals

    def scope_domain(self, settings):
        types = settings.get("google_activity_type_ids") or []
        if not types:
            return [("id", "=", 0)]
        return [("activity_type_id", "in", types), ("user_id", "=", settings.get("user_id"))]
