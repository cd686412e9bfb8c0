"""The Domino REST API (DRAPI, formerly Project KEEP) over HTTP: a bearer token from
``POST /api/v1/auth`` (or pasted by the administrator), documents, views and DQL
queries of the basis API, each call naming its scope with ``?dataSource=``.

It offers the data-service methods of DasClient (same names, same plain data), so the
adapters do not care which API the account uses. Documents come back in the shape
DAS gives them (``@unid``, ``@modified``, ``@form`` beside the items) plus
``@revision``: the version the sync keeps, sent back as ``?revision=`` on updates
(DRAPI's optimistic concurrency, PROVIDERS.md §3.2).

Plain Python on crm_sync_base's JsonHttpClient: no odoo import, plain data in and out.
"""

from __future__ import annotations

import contextlib
import re
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

from odoo.addons.crm_sync_base.engine.adapter import (
    AuthExpired,
    AuthFailed,
    ItemRejected,
    NotFound,
    SyncError,
    Transient,
    VersionConflict,
)
from odoo.addons.crm_sync_base.utils.http import JsonHttpClient, error_message

from . import mapping
from .das import das_date

BASIS = "/api/v1"
PIM = "/api/pim-v1"
CALENDAR = f"{PIM}/calendar/default"  # the user's mailbox calendar
PAGE = 1000  # view entries per request


class DrapiNotExposed(SyncError):
    """DRAPI refused because the administrator did not expose something to it.

    ``step``: ``scope`` (no scope maps the database), ``view`` (the view is not
    exposed in the scope), ``form`` (the form is not configured in the scope's schema,
    or not for reading and writing).
    """

    def __init__(self, step: str, scope: str, name: str = "", message: str = ""):
        self.step, self.scope, self.name = step, scope, name
        super().__init__(message or f"the Domino REST API does not expose the {step} "
                                    f"{name or scope}")


class DrapiClient(JsonHttpClient):
    """One DRAPI server. With a user name and password it signs in at
    ``/api/v1/auth`` when needed and once more when the token expires (401); with only
    a pasted token, an expired token is an error the administrator must fix."""

    def __init__(self, endpoint: str, login: str, password: str, token: str = "", *,
                 timeout: float = 30.0):
        super().__init__(endpoint, timeout=timeout)
        self.login, self._password = login or "", password or ""
        self._bearer = "" if self._password else (token or "")
        self._auth_lock = threading.Lock()

    # -- authentication ----------------------------------------------------------------

    def headers(self):
        return {"Authorization": f"Bearer {self._bearer}", "Accept": "application/json"}

    def authenticate(self) -> None:
        if not self._password:
            raise AuthFailed("the Domino REST API token was refused (expired or revoked): "
                             "paste a new token on the account, or give the password")
        try:
            response = self.session.post(
                f"{self.base_url}{BASIS}/auth", json={"username": self.login,
                                                      "password": self._password},
                headers={"Accept": "application/json"}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise Transient(f"the Domino REST API did not answer the sign-in "
                            f"({type(exc).__name__})") from None
        if response.status_code in (401, 403):
            raise AuthFailed(f"the Domino REST API refused the sign-in "
                             f"({error_message(response)})")
        super().raise_for_status(response)
        try:
            self._bearer = (response.json() or {})["bearer"]
        except (ValueError, KeyError, TypeError):
            raise SyncError("the Domino REST API answered /auth without a bearer "
                            "token") from None

    def request(self, method, path, **kwargs):
        if not self._bearer:
            with self._auth_lock:
                if not self._bearer:
                    self.authenticate()
        used = self._bearer
        try:
            return super().request(method, path, **kwargs)
        except AuthExpired:
            # The token expired (6 hours by default): sign in again, once.
            with self._auth_lock:
                if self._bearer == used:
                    self.authenticate()
            return super().request(method, path, **kwargs)

    def raise_for_status(self, response: requests.Response, *, expect_token=False) -> None:
        if response.status_code == 409:
            raise VersionConflict(error_message(response))
        super().raise_for_status(response, expect_token=expect_token)

    # -- scopes, views and forms ---------------------------------------------------------

    @staticmethod
    def _params(scope: str, **extra) -> dict:
        return dict(extra, dataSource=scope)

    def check_documents(self, scope: str, form: str) -> None:
        """The scope exists and its schema lets us read and write ``form``."""
        try:
            self.json("GET", f"{BASIS}/lists", params=self._params(scope))
        except (NotFound, ItemRejected) as exc:
            if isinstance(exc, NotFound) or _refused(exc):
                raise DrapiNotExposed("scope", scope, message=str(exc)) from None
            raise
        self._query(scope, f"Form = '{form}'", form=form, count=1)

    def check_view(self, scope: str, view: str) -> None:
        self._entries_page(scope, view, 0, 1)

    def _entries_page(self, scope, view, start, count):
        try:
            return self.json("GET", f"{BASIS}/lists/{quote(view, safe='')}",
                             params=self._params(scope, start=start, count=count)) or []
        except (NotFound, ItemRejected) as exc:
            if isinstance(exc, NotFound) or _refused(exc):
                raise DrapiNotExposed("view", scope, view, str(exc)) from None
            raise

    def _query(self, scope: str, dql: str, *, form: str = "", count: int | None = None):
        params = self._params(scope, action="execute")
        if count:
            params["count"] = count
        try:
            return self.json("POST", f"{BASIS}/query", params=params,
                             json={"query": dql}) or []
        except NotFound as exc:
            raise DrapiNotExposed("scope", scope, message=str(exc)) from None
        except ItemRejected as exc:
            if _refused(exc):
                raise DrapiNotExposed("form", scope, form, str(exc)) from None
            raise

    # -- the data-service interface of DasClient ------------------------------------------

    def view_entries(self, scope: str, view: str) -> list[dict]:
        entries, start = [], 0
        while True:
            page = self._entries_page(scope, view, start, PAGE)
            entries += page
            if len(page) < PAGE:
                return entries
            start += len(page)

    def changed_since(self, scope: str, since: datetime) -> list[str]:
        found = self._query(scope, f"@ModifiedInThisFile > @dt('{das_date(since)}')")
        return [_unid(doc) for doc in found if _unid(doc)]

    def search(self, scope: str, item: str, value: str) -> list[str]:
        escaped = value.replace("'", "''")
        found = self._query(scope, f"{item} = '{escaped}'")
        return [_unid(doc) for doc in found if _unid(doc)]

    def document(self, scope: str, unid: str) -> dict:
        try:
            doc = self.json("GET", f"{BASIS}/document/{quote(unid)}",
                            params=self._params(scope, meta="true"))
        except ItemRejected as exc:
            if _refused(exc):
                raise DrapiNotExposed("form", scope, message=str(exc)) from None
            raise
        return _das_shape(doc or {})

    def create_document(self, scope: str, form: str, items: dict) -> str:
        try:
            doc = self.json("POST", f"{BASIS}/document", params=self._params(scope),
                            json=dict(items, Form=form))
        except ItemRejected as exc:
            if _refused(exc):
                raise DrapiNotExposed("form", scope, form, str(exc)) from None
            raise
        unid = _unid(doc or {})
        if not unid:
            raise SyncError("the Domino REST API created a document without telling "
                            "its unid")
        return unid

    def patch_document(self, scope: str, unid: str, items: dict,
                       version: str | None) -> None:
        params = self._params(scope, **({"revision": version} if version else {}))
        self.request("PATCH", f"{BASIS}/document/{quote(unid)}", params=params, json=items)

    def delete_document(self, scope: str, unid: str, version: str | None) -> None:
        # DRAPI takes no revision on DELETE: compare it first, as DAS's 409 would.
        if version:
            meta = self.json("GET", f"{BASIS}/docmeta/{quote(unid)}",
                             params=self._params(scope)) or {}
            current = (meta.get("@meta") or meta).get("revision")
            if current and current != version:
                raise VersionConflict(f"document {unid} changed in Domino since the last "
                                      "sync")
        self.request("DELETE", f"{BASIS}/document/{quote(unid)}", params=self._params(scope))

    # -- the calendar, through the PIM API (JSCalendar), as DasClient's events --------

    def _pim(self, method, path, scope, **kwargs):
        try:
            return self.json(method, path, params=self._params(scope, **kwargs.pop(
                "params", {})), **kwargs)
        except NotFound as exc:
            if path == CALENDAR and method == "GET":
                raise DrapiNotExposed("scope", scope, message=str(exc)) from None
            raise
        except ItemRejected as exc:
            if _refused(exc):
                raise DrapiNotExposed("form", scope, "Appointment", str(exc)) from None
            raise

    def check_calendar(self, scope: str) -> None:
        today = datetime.now(timezone.utc).date()
        self._pim("GET", CALENDAR, scope, params={
            "startdate": today.isoformat(),
            "enddate": (today + timedelta(days=1)).isoformat()})

    def events(self, scope: str, since: datetime, before: datetime) -> list[dict]:
        answer = self._pim("GET", CALENDAR, scope, params={
            "startdate": since.date().isoformat(), "enddate": before.date().isoformat()})
        return [das_event(js) for js in answer or []]

    def event(self, scope: str, event_id: str) -> dict:
        return das_event(self._pim("GET", f"{CALENDAR}/{quote(event_id, safe='')}", scope)
                         or {})

    def create_event(self, scope: str, event: dict) -> str:
        # send=true: the server sends the invitations, as DAS's implicit scheduling.
        created = self._pim("POST", CALENDAR, scope, params={"send": "true"},
                            json=jscal_event(event)) or {}
        if not created.get("uid"):
            raise SyncError("the Domino REST API created an event without telling its id")
        return created["uid"]

    def put_event(self, scope: str, event_id: str, event: dict,
                  version: str | None) -> None:
        # The PIM API takes no revision: compare the entry's "updated" first.
        path = f"{CALENDAR}/{quote(event_id, safe='')}"
        if version:
            current = self._pim("GET", path, scope) or {}
            if current.get("updated") and current["updated"] != version:
                raise VersionConflict(f"event {event_id} changed in Domino since the last "
                                      "sync")
        self._pim("PUT", path, scope, json=jscal_event(event))

    def delete_event(self, scope: str, event_id: str) -> None:
        self._pim("DELETE", f"{CALENDAR}/{quote(event_id, safe='')}", scope)

    def server_now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.last_clock_offset)


_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def parse_duration(text: str | None) -> timedelta:
    match = _DURATION.fullmatch(text or "")
    if not match:
        return timedelta(0)
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(delta: timedelta) -> str:
    if delta.seconds == 0:
        return f"P{delta.days}D"
    hours, rest = divmod(delta.seconds, 3600)
    time = f"{hours}H" * bool(hours) + f"{rest // 60}M" * bool(rest // 60) + (
        f"{rest % 60}S" * bool(rest % 60))
    return f"P{delta.days}DT{time}" if delta.days else f"PT{time}"


def das_event(js: dict) -> dict:
    """A JSCalendar event of the PIM API in the calendar service's JSON shape, which
    the mapping reads (start/end parts, class, attendees, last-modified)."""
    start_text = js.get("start") or "1970-01-01T00:00:00"
    duration = parse_duration(js.get("duration"))
    if js.get("showWithoutTime"):
        day = datetime.fromisoformat(start_text[:10])
        start = {"date": day.strftime("%Y-%m-%d")}
        end = {"date": (day + max(duration, timedelta(days=1))).strftime("%Y-%m-%d")}
    else:
        moment = datetime.fromisoformat(start_text)
        zone = js.get("timeZone")
        if zone and moment.tzinfo is None:
            # An unknown zone name is read as UTC rather than failing the item.
            with contextlib.suppress(KeyError, ValueError):
                moment = moment.replace(tzinfo=ZoneInfo(zone))
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        start, end = _utc_part(moment), _utc_part(moment + duration)
    event = {"id": js.get("uid"), "summary": js.get("title") or "",
             "description": js.get("description") or "",
             "location": next((loc.get("name") or "" for loc in
                               (js.get("locations") or {}).values()), ""),
             "start": start, "end": end,
             "class": "private" if js.get("privacy") in ("private", "secret") else "public",
             "last-modified": js.get("updated")}
    attendees = []
    for person in (js.get("participants") or {}).values():
        if (person.get("roles") or {}).get("owner") or not person.get("email"):
            continue
        attendee = {"email": person["email"]}
        if person.get("name"):
            attendee["displayName"] = person["name"]
        attendees.append(attendee)
    if attendees:
        event["attendees"] = attendees
    if js.get(mapping.EVENT_TAG):
        event[mapping.EVENT_TAG] = js[mapping.EVENT_TAG]
    return event


def jscal_event(event: dict) -> dict:
    """The calendar service's JSON shape (what the mapping writes) as JSCalendar."""
    start, end = event.get("start") or {}, event.get("end") or event.get("start") or {}
    js = {"@type": "jsevent", "title": event.get("summary") or "",
          "description": event.get("description") or "",
          "privacy": "private" if event.get("class") == "private" else "public"}
    if not start.get("time"):
        first = datetime.fromisoformat(start["date"])
        last = datetime.fromisoformat(end.get("date") or start["date"])
        js.update(start=first.strftime("%Y-%m-%dT00:00:00"), showWithoutTime=True,
                  duration=format_duration(max(last - first, timedelta(days=1))))
    else:
        first = datetime.fromisoformat(f"{start['date']}T{start['time']}")
        last = datetime.fromisoformat(f"{end['date']}T{end.get('time') or '00:00:00'}")
        js.update(start=first.strftime("%Y-%m-%dT%H:%M:%S"), timeZone="Etc/UTC",
                  duration=format_duration(max(last - first, timedelta(0))))
    if event.get("location"):
        js["locations"] = {"1": {"@type": "Location", "name": event["location"]}}
    if event.get("attendees"):
        js["participants"] = {
            str(n): dict({"@type": "Participant", "email": a["email"],
                          "roles": {"attendee": True}},
                         **({"name": a["displayName"]} if a.get("displayName") else {}))
            for n, a in enumerate(event["attendees"], 1) if a.get("email")}
    alarm = event.get("alarm") or {}
    if alarm.get("trigger"):
        js["alerts"] = {"1": {"@type": "Alert", "trigger": {
            "@type": "OffsetTrigger", "offset": alarm["trigger"]}}}
    if event.get(mapping.EVENT_TAG):
        js[mapping.EVENT_TAG] = event[mapping.EVENT_TAG]
    return js


def _utc_part(moment: datetime) -> dict:
    return {"date": moment.strftime("%Y-%m-%d"), "time": moment.strftime("%H:%M:%S"),
            "utc": True}


def _refused(exc: SyncError) -> bool:
    """A 403: DRAPI's answer for what a scope does not allow."""
    return str(exc).startswith("403")


def _unid(doc: dict) -> str:
    return (doc.get("@meta") or {}).get("unid") or doc.get("@unid") or ""


def _das_shape(doc: dict) -> dict:
    """A DRAPI document as DAS gives one: items, then @unid/@modified/@form/@revision."""
    meta = doc.get("@meta") or {}
    out = {k: v for k, v in doc.items() if not k.startswith("@")}
    out.update({"@unid": meta.get("unid") or doc.get("@unid"),
                "@noteid": meta.get("noteid"), "@created": meta.get("created"),
                "@modified": meta.get("lastmodified"), "@form": doc.get("Form"),
                "@revision": meta.get("revision")})
    return out
