"""Domino Access Services (DAS) over HTTP: Basic auth, the data and calendar services,
and the refusals of a server where DAS is not (fully) enabled.

Plain Python on crm_sync_base's JsonHttpClient: no odoo import, plain data in and out.
"""

from __future__ import annotations

import base64
import email.utils
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import requests

from odoo.addons.crm_sync_base.engine.adapter import NotFound, SyncError
from odoo.addons.crm_sync_base.utils.http import JsonHttpClient

DAS_DATE = "%Y-%m-%dT%H:%M:%SZ"
MAX_COUNT = 100  # DAS refuses more than 100 entries per request ("Limit exceeded")


class DasNotEnabled(SyncError):
    """The server refused because Domino Access Services are off somewhere.

    ``step`` says where, so the UI can say which setting to enable:
    ``server_data`` / ``server_calendar`` (the Server document), ``database``,
    ``database_views_only`` (the database allows views but not documents), ``view``.
    """

    def __init__(self, step: str, database: str = "", view: str = "", message: str = ""):
        self.step, self.database, self.view = step, database, view
        super().__init__(message or f"Domino Access Services are not enabled ({step} "
                                    f"{database} {view})".strip())


class DasMissing(SyncError):
    """The database or view the account names does not exist on the server."""

    def __init__(self, database: str, view: str = ""):
        self.database, self.view = database, view
        what = f"view {view} of {database}" if view else f"database {database}"
        super().__init__(f"the {what} was not found on the server")


def das_date(moment: datetime) -> str:
    """``yyyy-MM-ddTHH:mm:ssZ``: the only form DAS accepts for since/before."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime(DAS_DATE)


def parse_das_date(value: str | None) -> datetime | None:
    """A DAS time (``2024-05-01T10:00:00Z``) as an aware UTC datetime."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(
            timezone.utc)
    except ValueError:
        return None


def http_date(version: str) -> str:
    """A version (an ISO DAS time) as the RFC 1123 date If-Unmodified-Since wants."""
    moment = parse_das_date(version)
    return email.utils.format_datetime(moment, usegmt=True) if moment else version


class DasClient(JsonHttpClient):
    """One Domino server, signed in with HTTP Basic."""

    def __init__(self, endpoint: str, login: str, password: str, *, timeout: float = 30.0):
        super().__init__(endpoint, timeout=timeout)
        pair = f"{login or ''}:{password or ''}".encode()
        self._authorization = "Basic " + base64.b64encode(pair).decode()

    def headers(self):
        return {"Authorization": self._authorization, "Accept": "application/json"}

    def raise_for_status(self, response: requests.Response, *, expect_token=False) -> None:
        if response.status_code == 403:
            raise self._refusal(response)
        super().raise_for_status(response, expect_token=expect_token)

    @staticmethod
    def _refusal(response: requests.Response) -> DasNotEnabled:
        """Which DAS setting a 403 points at, from DAS's own message and the path."""
        try:
            message = str((response.json() or {}).get("message") or "")
        except ValueError:
            message = ""
        path = requests.utils.unquote(requests.utils.urlparse(response.url).path)
        database = path.split("/api/", 1)[0].strip("/") if "/api/" in path else ""
        if "not enabled for this view" in message:
            view = message.rsplit("[", 1)[-1].rstrip("].") if "[" in message else ""
            return DasNotEnabled("view", database, view, message)
        if "not enabled for this database" in message:
            return DasNotEnabled("database", database, message=message)
        if "Cannot access resource" in message:
            return DasNotEnabled("database_views_only", database, message=message)
        step = "server_calendar" if "/api/calendar" in path else "server_data"
        return DasNotEnabled(step, database, message=message or "403 Forbidden")

    # -- data service ------------------------------------------------------------------

    @staticmethod
    def _db(database: str) -> str:
        return quote(database.strip("/"))

    def view_entries(self, database: str, view: str) -> list[dict]:
        """Every entry of a view, 100 per request (the most DAS gives)."""
        entries, start = [], 0
        path = f"/{self._db(database)}/api/data/collections/name/{quote(view, safe='')}"
        while True:
            try:
                page = self.json("GET", path, params={"start": start, "count": MAX_COUNT})
            except NotFound:
                raise DasMissing(database, view) from None
            page = page or []
            entries += page
            if len(page) < MAX_COUNT:
                return entries
            start += len(page)

    def check_documents(self, database: str, form: str) -> None:
        """The database exists and allows documents ("views only" lets a view be
        listed but no document be read or written)."""
        try:
            self.changed_since(database, datetime.now(timezone.utc))
        except NotFound:
            raise DasMissing(database) from None

    def check_view(self, database: str, view: str) -> None:
        try:
            self.json("GET", f"/{self._db(database)}/api/data/collections/name/"
                             f"{quote(view, safe='')}", params={"count": 1})
        except NotFound:
            raise DasMissing(database, view) from None

    def changed_since(self, database: str, since: datetime) -> list[str]:
        """Unids of the documents modified since (DAS never lists deletions here)."""
        answer = self.json("GET", f"/{self._db(database)}/api/data/documents",
                           params={"since": das_date(since)})
        return [d["@unid"] for d in answer or [] if d.get("@unid")]

    def search(self, database: str, item: str, value: str) -> list[str]:
        answer = self.json("GET", f"/{self._db(database)}/api/data/documents",
                           params={"search": f'FIELD {item} = "{value}"'})
        return [d["@unid"] for d in answer or [] if d.get("@unid")]

    def document(self, database: str, unid: str) -> dict:
        return self.json("GET", f"/{self._db(database)}/api/data/documents/unid/{unid}")

    def create_document(self, database: str, form: str, items: dict) -> str:
        response = self.request("POST", f"/{self._db(database)}/api/data/documents",
                                params={"form": form, "computewithform": "true"}, json=items)
        return _last_segment(response)

    def patch_document(self, database: str, unid: str, items: dict,
                       version: str | None) -> None:
        headers = {"If-Unmodified-Since": http_date(version)} if version else {}
        self.request("PATCH", f"/{self._db(database)}/api/data/documents/unid/{unid}",
                     json=items, headers=headers)

    def delete_document(self, database: str, unid: str, version: str | None) -> None:
        headers = {"If-Unmodified-Since": http_date(version)} if version else {}
        self.request("DELETE", f"/{self._db(database)}/api/data/documents/unid/{unid}",
                     headers=headers)

    # -- calendar service ---------------------------------------------------------------

    def check_calendar(self, database: str) -> None:
        now = datetime.now(timezone.utc)
        try:
            self.json("GET", f"/{self._db(database)}/api/calendar/events",
                      params={"since": das_date(now), "before": das_date(
                          now + timedelta(days=1)), "count": 1})
        except NotFound:
            raise DasMissing(database) from None

    def events(self, database: str, since: datetime, before: datetime) -> list[dict]:
        """Summary data of the events in [since, before), 100 per request."""
        events, start = [], 0
        path = f"/{self._db(database)}/api/calendar/events"
        while True:
            try:
                page = self.json("GET", path, params={
                    "since": das_date(since), "before": das_date(before), "start": start,
                    "count": MAX_COUNT})
            except NotFound:
                raise DasMissing(database) from None
            page = (page or {}).get("events") or []
            events += page
            if len(page) < MAX_COUNT:
                return events
            start += len(page)

    def event(self, database: str, event_id: str) -> dict:
        answer = self.json("GET", f"/{self._db(database)}/api/calendar/events/"
                                  f"{quote(event_id, safe='')}")
        events = (answer or {}).get("events") or []
        if not events:
            raise NotFound(f"event {event_id} not found")
        return events[0]

    def create_event(self, database: str, event: dict) -> str:
        response = self.request("POST", f"/{self._db(database)}/api/calendar/events",
                                json={"events": [event]})
        return _last_segment(response)

    def put_event(self, database: str, event_id: str, event: dict,
                  version: str | None) -> None:
        headers = {"If-Unmodified-Since": http_date(version)} if version else {}
        self.request("PUT", f"/{self._db(database)}/api/calendar/events/"
                            f"{quote(event_id, safe='')}",
                     json={"events": [event]}, headers=headers)

    def delete_event(self, database: str, event_id: str) -> None:
        self.request("DELETE", f"/{self._db(database)}/api/calendar/events/"
                               f"{quote(event_id, safe='')}")

    def server_now(self) -> datetime:
        """The server's clock, as measured on the last answer (its Date header)."""
        return datetime.now(timezone.utc) + timedelta(seconds=self.last_clock_offset)


def _last_segment(response: requests.Response) -> str:
    """The new item's id, from the 201's Location header."""
    location = response.headers.get("Location") or ""
    if response.status_code != 201 or not location:
        raise SyncError(f"the server answered {response.status_code} without a Location "
                        "for the new item")
    return requests.utils.unquote(location.rstrip("/").rsplit("/", 1)[-1])
