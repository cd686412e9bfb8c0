"""Notes documents and calendar events <-> the canonical dicts the sync hashes.

Plain Python: Person and Task documents of the data service (PROVIDERS.md §3.1 "Notes
data model") and the calendar service's JSON events. ``None`` from a ``*_canonical``
function means "private in Notes": such an item is never synced.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TAG_ITEM = "OdooSyncTag"  # item our creates carry, to adopt them after a lost answer
EVENT_TAG = "x-odoo-sync-tag"

CONTACT_ITEMS = {  # canonical key -> Person item
    "email": "MailAddress", "phone": "OfficePhoneNumber", "mobile": "CellPhoneNumber",
    "function": "JobTitle", "street": "OfficeStreetAddress", "city": "OfficeCity",
    "zip": "OfficeZIP", "note": "Comment",
}


def _scalar(value):
    """DAS gives a one-value item as a scalar and several values as a list."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value).strip()


def is_private_document(doc: dict) -> bool:
    """Notes' "Mark Private" sets OrgConfidential to "1"."""
    return _scalar(doc.get("OrgConfidential")) == "1"


def contact_canonical(doc: dict) -> dict | None:
    if is_private_document(doc):
        return None
    name = " ".join(p for p in (_scalar(doc.get("FirstName")),
                                _scalar(doc.get("LastName"))) if p)
    values = {"name": name or _scalar(doc.get("FullName")) or _scalar(doc.get("CompanyName"))}
    for key, item in CONTACT_ITEMS.items():
        values[key] = _scalar(doc.get(item))
    return values


def contact_items(values: dict) -> dict:
    """Items of a Person document; empty ones are sent as "" so a PATCH clears them."""
    first, _sep, last = (values.get("name") or "").strip().rpartition(" ")
    items = {"FirstName": first, "LastName": last}
    for key, item in CONTACT_ITEMS.items():
        items[item] = values.get(key) or ""
    return items


def task_canonical(doc: dict) -> dict | None:
    if is_private_document(doc):
        return None
    due = _scalar(doc.get("DueDateTime")) or _scalar(doc.get("DueDate"))
    return {"name": _scalar(doc.get("Subject")), "note": _scalar(doc.get("Body")),
            "due": due[:10] if due else "",
            "done": bool(_scalar(doc.get("CompletedDateTime")))}


def task_items(values: dict, now: datetime | None = None) -> dict:
    due = values.get("due") or ""
    done_at = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"Subject": values.get("name") or "", "Body": values.get("note") or "",
            "DueDateTime": f"{due}T00:00:00Z" if due else "",
            "CompletedDateTime": done_at if values.get("done") else ""}


def is_private_event(event: dict) -> bool:
    return str(event.get("class") or "").lower() == "private"


def _moment(part: dict | None) -> tuple[str, bool]:
    """A calendar-service time ({date, time, utc | tzid}) as ("YYYY-MM-DD HH:MM:SS" in
    UTC, False), or ("YYYY-MM-DD", True) for an all-day date."""
    part = part or {}
    day = part.get("date") or ""
    if not part.get("time"):
        return day, True
    moment = datetime.fromisoformat(f"{day}T{part['time']}")
    if not part.get("utc") and part.get("tzid"):
        # A Notes-only zone name is read as UTC rather than failing the item.
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            moment = moment.replace(tzinfo=ZoneInfo(part["tzid"])).astimezone(timezone.utc)
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S"), False


def event_canonical(event: dict) -> dict | None:
    if is_private_event(event):
        return None
    start, allday = _moment(event.get("start"))
    stop, _ = _moment(event.get("end") or event.get("start"))
    if allday and stop:
        # iCalendar's all-day end is exclusive; Odoo's stop date is the last day.
        last = date.fromisoformat(stop[:10]) - timedelta(days=1)
        stop = max(last.isoformat(), start)
    return {"name": event.get("summary") or "", "location": event.get("location") or "",
            "description": event.get("description") or "", "allday": allday,
            "start": start, "stop": stop or start}


def event_json(values: dict) -> dict:
    """A calendar-service event from canonical values (public: private never leaves)."""
    if values.get("allday"):
        end = date.fromisoformat(values["stop"][:10]) + timedelta(days=1)
        start, stop = {"date": values["start"][:10]}, {"date": end.isoformat()}
    else:
        start, stop = (_utc_part(values["start"]), _utc_part(values["stop"]))
    return {"summary": values.get("name") or "", "location": values.get("location") or "",
            "description": values.get("description") or "", "start": start, "end": stop,
            "class": "public"}


def _utc_part(text: str) -> dict:
    day, _sep, time = text.partition(" ")
    return {"date": day, "time": time or "00:00:00", "utc": True}
