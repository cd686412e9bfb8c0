"""Google Calendar through Calendar API v3 (seed 002).

One account syncs several Google calendars, one per Odoo meeting type, found by name
and created when missing. The engine sees them as one collection: a remote id is
``<calendar id>|<event id>``, and the sync token is a JSON object of the calendars'
own tokens. A refused token (410) on any calendar makes the engine list everything
again, which duplicates nothing.

The Google description is the Odoo description followed by a generated part (the
fields the account chose) after a marker line; what is edited in Google below the
marker never flows back. All-day events travel as dates (never shifted by a time
zone).

A recurring series is one item: its master event, with the canonical ``rrule`` (the
RRULE without DTSTART, its parts sorted) and ``exdates`` (the original starts of the
deleted occurrences, UTC 'YYYY-MM-DD HH:MM:SS' or a date for all-day series). Google
keeps a deleted occurrence either as an EXDATE line of the master or as a cancelled
instance (``recurringEventId`` + ``originalStartTime``); both read as exdates, and we
write them as EXDATE. An occurrence changed alone in Google (moved, renamed) is left
alone: the series' rule and deletions sync, single-occurrence edits do not.

An event whose meeting type changes moves to the other Google calendar with
``events.move`` (the event keeps its id, attendees are not notified again); an event
moved between our calendars in Google keeps its binding (``previous_ids``) and comes
back with the other meeting type.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil import rrule as dateutil_rrule

from odoo.addons.crm_sync_base.engine.adapter import (
    BaseAdapter,
    ItemRejected,
    Listing,
    NotFound,
    RemoteItem,
    TokenInvalid,
    VersionConflict,
)

from .google_client import CALENDAR_ENDPOINT, session_for

TAG_KEY = "crm_sync_odoo_tag"  # our own key; Odoo's google_calendar uses <db>_odoo_id
DESCRIPTION_MARKER = "-- Odoo --"
PAGE_SIZE = 2500  # the API's maximum


CALENDAR_MARKER = "crm_sync_calendar:"


def calendar_marker(type_id: int, user_id: int) -> str:
    """Put in the description of an employee's Google calendar, to find it again."""
    return f"{CALENDAR_MARKER}{type_id}:{user_id}"


def google_employee_calendar(calendar_name: str, user_name: str) -> str:
    """The name of an employee's own Google calendar on a company-wide account."""
    return f"{calendar_name} ({user_name})"


def split_description(text: str) -> tuple[str, str]:
    """(the free part, the generated part) of a Google description."""
    text = (text or "").replace("\r\n", "\n")
    if DESCRIPTION_MARKER in text:
        free, _, generated = text.partition(DESCRIPTION_MARKER)
        return free.rstrip(), generated.strip()
    return text.strip(), ""


def join_description(free: str, generated: str) -> str:
    free = (free or "").strip()
    if not generated:
        return free
    return f"{free}\n\n{DESCRIPTION_MARKER}\n{generated}".lstrip()


def _utc_text(moment: str) -> str:
    """An RFC 3339 date-time -> naive UTC 'YYYY-MM-DD HH:MM:SS' (Odoo's form)."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def normalize_rrule(text: str) -> str:
    """An RRULE (with or without 'RRULE:' and a DTSTART line) in one comparable form."""
    line = next((part for part in re.split(r"[\r\n]+", text or "") if "FREQ=" in part), "")
    line = line.split(":", 1)[1] if ":" in line else line
    parts = {}
    for part in line.split(";"):
        key, _, value = part.strip().partition("=")
        key = key.upper()
        if not key or not value or key.startswith("X-") or key == "WKST" or \
                (key == "INTERVAL" and value == "1"):
            continue
        parts[key] = value.upper()
    return ";".join(f"{k}={parts[k]}" for k in sorted(parts)) if "FREQ" in parts else ""


# The parts of a rule Odoo's calendar.recurrence keeps; a rule with others would come
# back changed and overwrite the Google series.
ODOO_RRULE_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY"}
ODOO_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}


def unkeepable_rrule_parts(rrule: str) -> list:
    """What of a (normalized) rule Odoo cannot keep; empty when it can keep it all."""
    parts = dict(p.split("=", 1) for p in rrule.split(";") if "=" in p)
    bad = sorted(f"{k}={v}" for k, v in parts.items() if k not in ODOO_RRULE_PARTS)
    if parts.get("FREQ") not in ODOO_FREQUENCIES:
        bad.insert(0, f"FREQ={parts.get('FREQ', '')}")
    return bad


def moment_text(value: str, allday: bool, tz: str | None = None) -> str:
    """An iCalendar or RFC 3339 moment -> our canonical form (a date, or naive UTC)."""
    value = value.strip()
    if allday or len(value) == 8 or (len(value) == 10 and value[4] == "-"):
        return date(int(value[:4]), int(value.replace("-", "")[4:6]),
                    int(value.replace("-", "")[6:8])).isoformat()
    if "-" not in value[:8]:  # basic form: 20261201T090000Z, or local to TZID
        parsed = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
        if not value.endswith("Z"):
            parsed = parsed.replace(tzinfo=ZoneInfo(tz or "UTC"))
    else:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def exdates_of(recurrence: list, allday: bool) -> set:
    """The EXDATE lines of a Google master event -> canonical moments."""
    found = set()
    for line in recurrence or []:
        head, _, values = line.partition(":")
        if not head.upper().startswith("EXDATE") or not values:
            continue
        tz = next((p.split("=", 1)[1] for p in head.split(";")[1:]
                   if p.upper().startswith("TZID=")), None)
        found.update(moment_text(v, allday, tz) for v in values.split(",") if v.strip())
    return found


def on_rule(values: dict, exdates) -> list:
    """The exdates that are occurrences of the series' rule, sorted: an exception left
    from an older rule (Google keeps cancelled instances) is not one any more."""
    allday = bool(values.get("allday"))
    form = "%Y-%m-%d" if allday else "%Y-%m-%d %H:%M:%S"
    try:
        rule = dateutil_rrule.rrulestr(values["rrule"], dtstart=datetime.strptime(
            values["start"], form))
    except (ValueError, KeyError):
        return sorted(exdates)
    kept = []
    for text in exdates:
        try:
            moment = datetime.strptime(text, form)
        except ValueError:
            continue
        if rule.after(moment - timedelta(seconds=1)) == moment:
            kept.append(text)
    return sorted(kept)


def original_start_text(original: dict) -> str:
    if original.get("date"):
        return moment_text(original["date"], True)
    return moment_text(original.get("dateTime") or "", False)


def recurrence_lines(rrule: str, exdates, allday: bool) -> list:
    lines = [f"RRULE:{rrule}"]
    if exdates:
        if allday:
            lines.append("EXDATE;VALUE=DATE:" + ",".join(
                d.replace("-", "") for d in sorted(exdates)))
        else:
            lines.append("EXDATE:" + ",".join(
                d.replace("-", "").replace(":", "").replace(" ", "T") + "Z"
                for d in sorted(exdates)))
    return lines


def event_to_canonical(event: dict, calendar_name: str, self_emails=()) -> dict:
    start, end = event.get("start") or {}, event.get("end") or {}
    free, generated = split_description(event.get("description"))
    values = {"name": (event.get("summary") or "").strip(),
              "location": (event.get("location") or "").strip(),
              "description": free, "generated": generated, "calendar": calendar_name,
              "attendees": sorted({(a.get("email") or "").strip().lower()
                                   for a in event.get("attendees") or []
                                   if a.get("email") and not a.get("self")
                                   and not a.get("resource")} - set(self_emails))}
    if start.get("date"):
        last = date.fromisoformat(end.get("date") or start["date"]) - timedelta(days=1)
        values.update(allday=True, start=start["date"],
                      stop=max(last, date.fromisoformat(start["date"])).isoformat())
    else:
        values.update(allday=False, start=_utc_text(start["dateTime"]),
                      stop=_utc_text(end.get("dateTime") or start["dateTime"]))
    rrule = next((normalize_rrule(line) for line in event.get("recurrence") or []
                  if line.upper().startswith("RRULE")), "")
    if rrule:  # only series carry these keys: single events hash as before
        values["rrule"] = rrule
        values["exdates"] = on_rule(values, exdates_of(event.get("recurrence"),
                                                       values["allday"]))
    return values


def canonical_to_event(values: dict, current: dict | None = None) -> dict:
    """Our canonical event -> the fields of a Google event to write."""
    if values.get("allday"):
        stop = date.fromisoformat(values["stop"]) + timedelta(days=1)  # Google: exclusive
        start, end = {"date": values["start"]}, {"date": stop.isoformat()}
    else:
        start = {"dateTime": values["start"].replace(" ", "T") + "Z", "timeZone": "UTC"}
        end = {"dateTime": values["stop"].replace(" ", "T") + "Z", "timeZone": "UTC"}
    current_attendees = {(a.get("email") or "").lower(): a
                         for a in (current or {}).get("attendees") or []}
    attendees = [current_attendees.get(email) or {"email": email}
                 for email in values.get("attendees") or []]
    # Ourselves and rooms stay as Google has them.
    attendees += [a for a in current_attendees.values() if a.get("self") or a.get("resource")]
    body = {"summary": values.get("name") or "", "location": values.get("location") or "",
            "description": join_description(values.get("description"),
                                            values.get("generated")),
            "start": start, "end": end, "attendees": attendees}
    if values.get("rrule"):
        body["recurrence"] = recurrence_lines(values["rrule"], values.get("exdates"),
                                              bool(values.get("allday")))
    elif (current or {}).get("recurrence"):
        body["recurrence"] = []  # the series became a single event
    return body


def _parse_tokens(token):
    if not token:
        return {}
    try:
        tokens = json.loads(token)
    except ValueError:
        raise TokenInvalid("the stored calendar sync token is unreadable") from None
    return tokens if isinstance(tokens, dict) else {}


class GoogleCalendarAdapter(BaseAdapter):
    def __init__(self, context, session=None):
        super().__init__(context)
        self.session = session or session_for(context)
        settings = context.settings
        # {Google calendar name: ...}: the calendars this account syncs.
        self.calendar_names = list(dict.fromkeys(settings.get("google_calendars") or []))
        # {calendar name: marker in its Google description} of employees' calendars.
        self.markers = dict(settings.get("google_calendar_markers") or {})
        self.since = settings.get("google_events_since")  # 'YYYY-MM-DD'
        self.self_emails = tuple(e.lower() for e in settings.get("google_self_emails") or ())
        endpoint = (context.endpoint.rstrip("/") + "/calendar/v3/" if context.endpoint
                    else CALENDAR_ENDPOINT)
        self.api = self.session.service("calendar", "v3", endpoint)
        self._ids = None  # {name: calendar id}

    # -- calendars ---------------------------------------------------------------------

    def calendars(self) -> dict:
        """{name: id} of our calendars, creating the missing ones (seed 002)."""
        if self._ids is not None:
            return self._ids
        found, marked = {}, {}
        request = self.api.calendarList().list(maxResults=250)
        while request is not None:
            page = self.session.execute(request)
            for entry in page.get("items", []):
                if entry.get("accessRole") in ("owner", "writer"):
                    found.setdefault(entry.get("summary"), entry["id"])
                    if (entry.get("description") or "").startswith(CALENDAR_MARKER):
                        marked.setdefault(entry["description"], entry["id"])
            request = self.api.calendarList().list_next(request, page)
        ids = {}
        for name in self.calendar_names:
            # An employee's calendar is found by its marker first: renaming the
            # employee renames nothing in Google and keeps every event where it is.
            marker = self.markers.get(name)
            cid = marked.get(marker) or found.get(name)
            if cid is None:
                body = {"summary": name}
                if marker:
                    body["description"] = marker
                cid = found[name] = self.session.execute(
                    self.api.calendars().insert(body=body))["id"]
            ids[name] = cid
        self._ids = ids
        return ids

    def _locate(self, remote_id):
        cid, _, eid = remote_id.partition("|")
        if not eid:
            raise NotFound(f"not one of our event ids: {remote_id}")
        return cid, eid

    # -- protocol ----------------------------------------------------------------------

    def check(self):
        self.calendars()
        primary = self.session.execute(self.api.calendarList().list(maxResults=250))
        me = next((c for c in primary.get("items", []) if c.get("primary")), {})
        return {"email": me.get("id")}

    def _item(self, cid, name, event, incremental):
        rid = f"{cid}|{event['id']}"
        if event.get("recurringEventId"):
            return None  # an instance: read into its master's exdates by list_changes
        if event.get("status") == "cancelled":
            return RemoteItem(rid, deleted=True) if incremental else None
        values = event_to_canonical(event, name, self.self_emails)
        if incremental and self.since and values["stop"][:10] < self.since \
                and not values.get("rrule"):
            return None  # older than the months synced (a series may still run)
        modified = event.get("updated")
        return RemoteItem(
            rid, version=event.get("etag"), values=values,
            modified=datetime.fromisoformat(modified.replace("Z", "+00:00"))
            if modified else None,
            local_tag=((event.get("extendedProperties") or {}).get("private") or {}).get(
                TAG_KEY),
            # Moved to this calendar in Google, the event keeps its id: the binding
            # follows it (and its cancelled copy in the old calendar is no deletion).
            previous_ids=tuple(f"{other}|{event['id']}" for other in self.calendars().values()
                               if other != cid))

    def list_changes(self, token):
        tokens = _parse_tokens(token)
        items, next_tokens = [], {}
        complete = True
        for name, cid in self.calendars().items():
            # {master remote id: item}, masters whose instances changed, and the
            # original starts of cancelled instances by master.
            series, touched, cancelled = {}, set(), {}
            params = {"calendarId": cid, "maxResults": PAGE_SIZE}
            incremental = bool(tokens.get(cid))
            if incremental:
                params["syncToken"] = tokens[cid]
                complete = False
            elif self.since:
                params["timeMin"] = f"{self.since}T00:00:00Z"
            request = self.api.events().list(**params)
            while request is not None:
                try:
                    page = self.session.execute(request)
                except NotFound:
                    # The calendar was deleted in Google: the next run recreates it,
                    # and a full listing decides what its events became.
                    raise TokenInvalid(f"the Google calendar {name!r} was deleted") from None
                for event in page.get("items", []):
                    item = self._item(cid, name, event, incremental)
                    if item is not None:
                        items.append(item)
                        if item.values and item.values.get("rrule"):
                            series.setdefault(item.remote_id, item)
                    elif event.get("recurringEventId"):
                        master = f"{cid}|{event['recurringEventId']}"
                        touched.add(master)
                        if event.get("status") == "cancelled":
                            cancelled.setdefault(master, set()).add(
                                original_start_text(event.get("originalStartTime") or {}))
                next_tokens[cid] = page.get("nextSyncToken") or next_tokens.get(cid)
                request = self.api.events().list_next(request, page)
            if incremental:
                items += self._complete_series(cid, name, series, touched, cancelled)
            for rid, item in series.items():
                item.values["exdates"] = on_rule(item.values, set(item.values["exdates"])
                                                 | cancelled.get(rid, set()))
        if tokens and not complete and set(tokens) != set(next_tokens):
            raise TokenInvalid("the synced calendars changed")
        return Listing(items, json.dumps(next_tokens, sort_keys=True), complete=complete)

    def _complete_series(self, cid, name, series, touched, cancelled):
        """An incremental listing holds only what changed of a series: fetch the master
        of a changed instance, and every cancelled instance of each listed series, so
        that its exdates are whole."""
        extra = []
        for rid in sorted(touched - set(series)):
            try:
                master = self.session.execute(self.api.events().get(
                    calendarId=cid, eventId=rid.partition("|")[2]))
            except NotFound:
                continue
            item = self._item(cid, name, master, True)
            if item is not None and item.values and item.values.get("rrule"):
                series[rid] = item
                extra.append(item)
        for rid in series:
            request = self.api.events().instances(
                calendarId=cid, eventId=rid.partition("|")[2], showDeleted=True,
                maxResults=PAGE_SIZE)
            while request is not None:
                page = self.session.execute(request)
                cancelled.setdefault(rid, set()).update(
                    original_start_text(i.get("originalStartTime") or {})
                    for i in page.get("items", []) if i.get("status") == "cancelled")
                request = self.api.events().instances_next(request, page)
        return extra

    def _calendar_of(self, values):
        cid = self.calendars().get(values.get("calendar"))
        if not cid:
            raise ItemRejected("the meeting type of this event is not mapped to a Google "
                               "calendar on this account")
        return cid

    def create(self, values, local_tag):
        cid = self._calendar_of(values)
        body = canonical_to_event(values)
        body["extendedProperties"] = {"private": {TAG_KEY: local_tag}}
        created = self.session.execute(self.api.events().insert(
            calendarId=cid, body=body, sendUpdates="none"))
        return (f"{cid}|{created['id']}", created.get("etag"),
                event_to_canonical(created, values.get("calendar"), self.self_emails))

    def update(self, remote_id, values, if_match):
        cid, eid = self._locate(remote_id)
        current = self.session.execute(self.api.events().get(calendarId=cid, eventId=eid))
        if current.get("status") == "cancelled":
            raise NotFound("the event was deleted in Google")
        if if_match and current.get("etag") != if_match:
            raise VersionConflict("the event changed in Google since it was listed")
        target = self.calendars().get(values.get("calendar"))
        if target and target != cid:
            # Its meeting type changed: the event moves to that type's calendar, keeping
            # its id (and its attendees' replies) rather than being made again.
            self.session.execute(self.api.events().move(
                calendarId=cid, eventId=eid, destination=target, sendUpdates="none"))
            cid = target
            current = self.session.execute(self.api.events().get(calendarId=cid, eventId=eid))
        request = self.api.events().patch(calendarId=cid, eventId=eid,
                                          body=canonical_to_event(values, current),
                                          sendUpdates="none")
        request.headers["If-Match"] = current.get("etag")
        updated = self.session.execute(request)
        name = next((n for n, i in self.calendars().items() if i == cid), values.get("calendar"))
        return (updated.get("etag"), event_to_canonical(updated, name, self.self_emails),
                f"{cid}|{eid}")

    def delete(self, remote_id, if_match):
        cid, eid = self._locate(remote_id)
        request = self.api.events().delete(calendarId=cid, eventId=eid, sendUpdates="none")
        if if_match:
            request.headers["If-Match"] = if_match
        self.session.execute(request)

    def find_by_tag(self, local_tag):
        for name, cid in self.calendars().items():
            page = self.session.execute(self.api.events().list(
                calendarId=cid, privateExtendedProperty=f"{TAG_KEY}={local_tag}"))
            for event in page.get("items", []):
                item = self._item(cid, name, event, False)
                if item is not None:
                    return item
        return None

    def refresh_auth(self):
        self.session.refresh()


class GoogleActivityAdapter(GoogleCalendarAdapter):
    """CRM activities (mail.activity) as events of one Google calendar (seed 002).

    Only the events we created are synced back (an activity needs the record it is
    about, which an event made in Google does not name)."""

    def __init__(self, context, session=None):
        super().__init__(context, session)
        name = context.settings.get("google_activity_calendar") or "Odoo activities"
        self.calendar_names = [name]
        self.since = None  # activities of any date: they are due work

    def _item(self, cid, name, event, incremental):
        item = super()._item(cid, name, event, incremental)
        if item is not None and not item.deleted and not item.local_tag:
            return None
        return item
