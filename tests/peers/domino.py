"""DominoPeer: an HCL Domino server speaking Domino Access Services (DAS) REST.

What it plays (PROVIDERS.md §3.1 / §3.1b, IBM's DAS source):

- HTTP Basic authentication; a wrong password answers 401 with
  ``WWW-Authenticate: Basic realm="..."``.
- The data service: view entries (``collections/name/{view}``, ``start``/``count``,
  at most 100 per request, ``Content-Range``), ``documents?since=`` (changed
  documents, never deletions), documents by unid with ``Last-Modified``, create by
  POST ``?form=`` answering 201 + ``Location``, PUT (replace) and PATCH (given items
  only; also as POST with ``X-HTTP-Method-Override: PATCH``) answering 200 with an
  empty body, ``If-Unmodified-Since`` → 412 (one-second resolution), DELETE.
- The calendar service: ``events`` (summary data only, ``since``/``before`` exactly
  ``yyyy-MM-ddTHH:mm:ssZ``, 50 by default and 100 at most), one event in full by id,
  create ``{"events": [...]}`` → 201 + Location (attendees get invitations,
  kept as notices), PUT, DELETE. ``"class": "private"`` marks private entries.
- DAS switched off: on the server (data or calendar service: a bare 403), on a
  database (403 "The Domino data service is not enabled for this database.", or
  "Cannot access resource" for a document when only views are allowed) and on a view
  (403 "... not enabled for this view [name].").

State is plain dicts; tests use the helpers (``add_document``, ``add_event``...).
"""

from __future__ import annotations

import base64
import copy
import email.utils
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

from .base import HTTPError, Peer, Request, Response, route

DB = r"/(?P<db>[^?#]+?\.nsf)"
MAX_COUNT = 100
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def das_error(status: int, message: str, text: str = "") -> HTTPError:
    """DAS's JSON error body: {code, text, message, type}."""
    return HTTPError(status, {"code": status, "text": text or _REASONS.get(status, ""),
                              "message": message, "type": "text"})


_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            409: "Conflict", 412: "Precondition Failed"}


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(DATE_FORMAT)


def _http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


class DominoPeer(Peer):
    def __init__(self, *, user: str = "Ann Admin/Acme", password: str = "secret",
                 contacts_db: str = "names.nsf", contacts_view: str = "People",
                 mail_db: str = "mail/aadmin.nsf", tasks_view: str = "($ToDo)"):
        self._options = (user, password, contacts_db, contacts_view, mail_db, tasks_view)
        super().__init__()

    # -- state ---------------------------------------------------------------------

    def reset_state(self) -> None:
        (self.user, self.password, self.contacts_db, self.contacts_view, self.mail_db,
         self.tasks_view) = self._options
        self.services = {"data": True, "calendar": True}
        # database path -> {"access": "documents" | "views" | "off", "views": {name:
        # {"form": form, "enabled": bool}}, "docs": {unid: doc}, "events": {id: event}}
        self.databases = {
            self.contacts_db: {"access": "documents", "docs": {}, "events": {},
                               "views": {self.contacts_view: {"form": "Person",
                                                              "enabled": True}}},
            self.mail_db: {"access": "documents", "docs": {}, "events": {},
                           "views": {self.tasks_view: {"form": "Task", "enabled": True}}},
        }
        self.notices: list[dict] = []  # invitations sent by creating meetings
        self._noteid = 0x900

    # -- helpers for tests (no HTTP) --------------------------------------------------

    def add_document(self, db: str, form: str, items: dict) -> dict:
        with self.lock:
            return copy.deepcopy(self._create_doc(db, form, items))

    def edit_document(self, db: str, unid: str, items: dict) -> dict:
        with self.lock:
            doc = self._doc(db, unid)
            doc.update(items)
            doc["@modified"] = self.now()
            return copy.deepcopy(doc)

    def delete_document(self, db: str, unid: str) -> None:
        with self.lock:
            del self.databases[db]["docs"][unid]

    def documents(self, db: str, form: str | None = None) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(d) for d in self.databases[db]["docs"].values()
                    if form is None or d["@form"] == form]

    def add_contact(self, **items) -> dict:
        return self.add_document(self.contacts_db, "Person", items)

    def contacts(self) -> list[dict]:
        return self.documents(self.contacts_db, "Person")

    def add_task(self, **items) -> dict:
        return self.add_document(self.mail_db, "Task", items)

    def tasks(self) -> list[dict]:
        return self.documents(self.mail_db, "Task")

    def add_event(self, event: dict) -> dict:
        with self.lock:
            return copy.deepcopy(self._create_event(self.mail_db, event))

    def edit_event(self, event_id: str, values: dict) -> dict:
        with self.lock:
            event = self.databases[self.mail_db]["events"][event_id]
            event.update(values)
            event["last-modified"] = _iso(self.now())
            event["_modified"] = self.now()
            return copy.deepcopy(event)

    def delete_event(self, event_id: str) -> None:
        with self.lock:
            del self.databases[self.mail_db]["events"][event_id]

    def events(self) -> list[dict]:
        with self.lock:
            return [self._public_event(e) for e in self.databases[self.mail_db]["events"].values()]

    def disable(self, *, service: str | None = None, db: str | None = None,
                view: str | None = None, views_only: bool = False) -> None:
        """Switch DAS off the way an administrator would have left it."""
        with self.lock:
            if service:
                self.services[service] = False
            if db and view:
                self.databases[db]["views"][view]["enabled"] = False
            elif db:
                self.databases[db]["access"] = "views" if views_only else "off"

    # -- internals --------------------------------------------------------------------

    def _create_doc(self, db: str, form: str, items: dict) -> dict:
        self._noteid += 4
        now = self.now()
        unid = uuid.uuid4().hex.upper()
        doc = {k: v for k, v in items.items() if not k.startswith("@")}
        doc.update({"@unid": unid, "@noteid": format(self._noteid, "X"), "@created": now,
                    "@modified": now, "@form": form})
        self.databases[db]["docs"][unid] = doc
        return doc

    def _doc(self, db: str, unid: str) -> dict:
        try:
            return self.databases[db]["docs"][unid]
        except KeyError:
            raise das_error(404, f"Document {unid} not found") from None

    def _create_event(self, db: str, event: dict) -> dict:
        now = self.now()
        event = copy.deepcopy(event)
        event.setdefault("id", f"{uuid.uuid4().hex.upper()}-Lotus_Notes_Generated")
        event.setdefault("class", "public")
        event["last-modified"] = _iso(now)
        event["_modified"] = now
        self.databases[db]["events"][event["id"]] = event
        for attendee in event.get("attendees") or []:
            if attendee.get("email"):
                self.notices.append({"event": event["id"], "to": attendee["email"],
                                     "summary": event.get("summary")})
        return event

    @staticmethod
    def _public_event(event: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in event.items() if not k.startswith("_")}

    def _render_doc(self, db: str, doc: dict) -> dict:
        out = {k: (_iso(v) if isinstance(v, datetime) else copy.deepcopy(v))
               for k, v in doc.items()}
        out["@href"] = f"/{db}/api/data/documents/unid/{doc['@unid']}"
        return out

    def _database(self, db: str, *, document=False) -> dict:
        if not self.services["data"]:
            raise HTTPError(403, None)  # the service is off on the server: bare 403
        database = self.databases.get(db)
        if database is None:
            raise das_error(404, f"Database {db} not found")
        if database["access"] == "off":
            raise das_error(403, "The Domino data service is not enabled for this database.")
        if document and database["access"] == "views":
            raise das_error(403, "Cannot access resource")
        return database

    def _calendar(self, db: str) -> dict:
        if not self.services["calendar"]:
            raise HTTPError(403, None)
        database = self.databases.get(db)
        if database is None:
            raise das_error(404, f"Database {db} not found")
        return database["events"]

    def _check_unmodified(self, request: Request, modified: datetime) -> None:
        header = request.headers.get("If-Unmodified-Since")
        if not header:
            return
        try:
            since = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            raise das_error(400, "Invalid If-Unmodified-Since header") from None
        if _seconds(modified) > since:
            raise das_error(412, "The document was modified since "
                                 f"{header}; read it again before changing it.")

    @staticmethod
    def _parse_date(value: str, name: str) -> datetime:
        try:
            return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=timezone.utc)
        except ValueError:
            raise das_error(400, f"Unparseable date: {name}={value}") from None

    @staticmethod
    def _window(request: Request, default: int) -> tuple[int, int]:
        try:
            start = int(request.arg("start", "0"))
            count = int(request.arg("count", str(default)))
        except ValueError:
            raise das_error(400, "start and count must be numbers") from None
        if count > MAX_COUNT:
            raise das_error(400, "Limit exceeded")
        return start, count

    def before_request(self, request: Request) -> None:
        expected = "Basic " + base64.b64encode(
            f"{self.user}:{self.password}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            raise HTTPError(401, {"code": 401, "text": "Unauthorized",
                                  "message": "Authentication failed"},
                            headers={"WWW-Authenticate": 'Basic realm="/"'})

    # -- routes: core -------------------------------------------------------------------

    @route("GET", r"/api")
    def services_list(self, request):
        return Response(200, {"services": [
            {"name": "Data", "enabled": self.services["data"], "href": "/api/data"},
            {"name": "Calendar", "enabled": self.services["calendar"],
             "href": "/api/calendar"}]})

    # -- routes: data service ----------------------------------------------------------

    @route("GET", DB + r"/api/data/collections/name/(?P<view>[^/]+)")
    def view_entries(self, request, db, view):
        database = self._database(db)
        spec = database["views"].get(view)
        if spec is None:
            raise das_error(404, f"View {view} not found")
        if not spec["enabled"]:
            raise das_error(403, f"The Domino data service is not enabled for this view "
                                 f"[{view}].")
        start, count = self._window(request, 10)
        docs = [d for d in database["docs"].values() if d["@form"] == spec["form"]]
        page = docs[start:start + count]
        entries = [{"@unid": d["@unid"], "@noteid": d["@noteid"],
                    "@position": str(start + i + 1), "@modified": _iso(d["@modified"]),
                    "@form": d["@form"],
                    "@href": f"/{db}/api/data/documents/unid/{d['@unid']}"}
                   for i, d in enumerate(page)]
        last = start + len(page) - 1 if page else start
        return Response(200, entries,
                        headers={"Content-Range": f"items {start}-{last}/{len(docs)}"})

    @route("GET", DB + r"/api/data/documents")
    def documents_since(self, request, db):
        database = self._database(db, document=True)
        since = request.arg("since")
        floor = self._parse_date(since, "since") if since else None
        search = request.arg("search")
        found = []
        for doc in database["docs"].values():
            if floor is not None and _seconds(doc["@modified"]) < floor:
                continue
            if search and not _search_matches(search, doc):
                continue
            found.append({"@modified": _iso(doc["@modified"]), "@unid": doc["@unid"],
                          "@href": f"/{db}/api/data/documents/unid/{doc['@unid']}"})
        return Response(200, found)

    @route("GET", DB + r"/api/data/documents/unid/(?P<unid>[0-9A-Fa-f]+)")
    def get_document(self, request, db, unid):
        self._database(db, document=True)
        doc = self._doc(db, unid)
        return Response(200, self._render_doc(db, doc),
                        headers={"Last-Modified": _http_date(doc["@modified"])})

    @route("POST", DB + r"/api/data/documents")
    def create_document(self, request, db):
        self._database(db, document=True)
        items = request.json()
        if not isinstance(items, dict):
            raise das_error(400, "The request body must be a JSON object")
        form = request.arg("form")
        if not form:
            raise das_error(400, "The form parameter is required")
        if items.get("MailAddress") and "@" not in str(items["MailAddress"]):
            raise das_error(400, f"Invalid e-mail address: {items['MailAddress']}")
        items.pop("Form", None)  # DAS ignores Form in the body: ?form= sets it
        doc = self._create_doc(db, form, items)
        return Response(201, body=b"", headers={
            "Location": f"{_base_url(request)}/{quote(db)}/api/data/documents/unid/"
                        f"{doc['@unid']}"})

    @route("POST", DB + r"/api/data/documents/unid/(?P<unid>[0-9A-Fa-f]+)")
    def post_override(self, request, db, unid):
        if request.headers.get("X-HTTP-Method-Override", "").upper() == "PATCH":
            return self.write_document(request, db, unid, replace=False)
        raise das_error(405, "POST on a document needs X-HTTP-Method-Override")

    @route("PATCH", DB + r"/api/data/documents/unid/(?P<unid>[0-9A-Fa-f]+)")
    def patch_document(self, request, db, unid):
        return self.write_document(request, db, unid, replace=False)

    @route("PUT", DB + r"/api/data/documents/unid/(?P<unid>[0-9A-Fa-f]+)")
    def put_document(self, request, db, unid):
        return self.write_document(request, db, unid, replace=True)

    def write_document(self, request, db, unid, *, replace):
        self._database(db, document=True)
        doc = self._doc(db, unid)
        items = request.json()
        if not isinstance(items, dict):
            raise das_error(400, "The request body must be a JSON object")
        if items.get("MailAddress") and "@" not in str(items["MailAddress"]):
            raise das_error(400, f"Invalid e-mail address: {items['MailAddress']}")
        self._check_unmodified(request, doc["@modified"])
        if replace:
            for key in [k for k in doc if not k.startswith("@")]:
                del doc[key]
        doc.update({k: v for k, v in items.items() if not k.startswith("@")})
        doc["@modified"] = self.now()
        return Response(200, body=b"")

    @route("DELETE", DB + r"/api/data/documents/unid/(?P<unid>[0-9A-Fa-f]+)")
    def delete_doc(self, request, db, unid):
        self._database(db, document=True)
        doc = self._doc(db, unid)
        if request.headers.get("If-Unmodified-Since"):
            try:
                self._check_unmodified(request, doc["@modified"])
            except HTTPError:
                raise das_error(409, "Document is not deleted because another user "
                                     "modified it.") from None
        del self.databases[db]["docs"][unid]
        return Response(200, body=b"")

    # -- routes: calendar service --------------------------------------------------------

    @route("GET", DB + r"/api/calendar/events")
    def list_events(self, request, db):
        events = self._calendar(db)
        now = self.now()
        since = self._parse_date(request.arg("since"), "since") if request.arg("since") \
            else now
        before = self._parse_date(request.arg("before"), "before") \
            if request.arg("before") else since.replace(year=since.year + 1)
        start, count = self._window(request, 50)
        chosen = [e for e in events.values()
                  if since <= _event_start(e) < before]
        chosen.sort(key=_event_start)
        summary_keys = ("href", "id", "summary", "location", "start", "end", "class",
                        "last-modified", "x-lotus-appttype")
        page = [{k: copy.deepcopy(e[k]) for k in summary_keys if k in e}
                for e in chosen[start:start + count]]
        for item in page:
            item["href"] = f"/{db}/api/calendar/events/{item['id']}"
        last = start + len(page) - 1 if page else start
        return Response(200, {"events": page, "timezones": []},
                        headers={"Content-Range": f"items {start}-{last}/{len(chosen)}"})

    @route("GET", DB + r"/api/calendar/events/(?P<event_id>[^/]+)")
    def get_event(self, request, db, event_id):
        event = self._calendar(db).get(event_id)
        if event is None:
            raise das_error(404, f"Event {event_id} not found")
        return Response(200, {"events": [self._public_event(event)], "timezones": []},
                        headers={"Last-Modified": _http_date(event["_modified"])})

    @route("POST", DB + r"/api/calendar/events")
    def create_event(self, request, db):
        self._calendar(db)
        body = request.json()
        events = body.get("events") if isinstance(body, dict) else None
        if not events or not isinstance(events, list) or not isinstance(events[0], dict):
            raise das_error(400, 'The body must be {"events": [ {...} ]}')
        event = events[0]
        for key in ("summary", "start", "end"):
            if not event.get(key):
                raise das_error(400, f"The event has no {key}")
        if event.get("id") and event["id"] in self._calendar(db):
            error = das_error(409, "An entry with this id already exists")
            error.json["cserror"] = 1032
            raise error
        created = self._create_event(db, event)
        return Response(201, body=b"", headers={
            "Location": f"{_base_url(request)}/{quote(db)}/api/calendar/events/"
                        f"{created['id']}"})

    @route("PUT", DB + r"/api/calendar/events/(?P<event_id>[^/]+)")
    def put_event(self, request, db, event_id):
        events = self._calendar(db)
        event = events.get(event_id)
        if event is None:
            raise das_error(404, f"Event {event_id} not found")
        body = request.json()
        new = (body.get("events") or [None])[0] if isinstance(body, dict) else None
        if not isinstance(new, dict) or not new.get("start") or not new.get("end"):
            raise das_error(400, 'The body must be {"events": [ {...} ]} with start and end')
        self._check_unmodified(request, event["_modified"])
        now = self.now()
        replaced = dict(copy.deepcopy(new), id=event_id, **{"last-modified": _iso(now)})
        replaced.setdefault("class", "public")
        replaced["_modified"] = now
        events[event_id] = replaced
        return Response(200, body=b"")

    @route("DELETE", DB + r"/api/calendar/events/(?P<event_id>[^/]+)")
    def delete_event_route(self, request, db, event_id):
        events = self._calendar(db)
        if event_id not in events:
            raise das_error(404, f"Event {event_id} not found")
        del events[event_id]
        return Response(200, body=b"")


def _base_url(request: Request) -> str:
    return f"http://{request.headers.get('Host', '127.0.0.1')}"


def _event_start(event: dict) -> datetime:
    start = event.get("start") or {}
    text = f"{start.get('date', '1970-01-01')}T{start.get('time', '00:00:00')}"
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _search_matches(search: str, doc: dict) -> bool:
    """The one full-text form our client uses: FIELD <item> = "<value>"."""
    parts = search.split(None, 3)
    if len(parts) != 4 or parts[0].upper() != "FIELD" or parts[2] != "=":
        raise das_error(400, f"Unsupported search: {search}")
    return str(doc.get(parts[1], "")) == parts[3].strip('"')
