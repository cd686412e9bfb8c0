"""DominoRestPeer: a Domino server with the Domino REST API (DRAPI) beside it.

What it plays (PROVIDERS.md §3.2, HCL's openapi.basis.json):

- ``POST /api/v1/auth`` with ``{"username", "password"}`` → ``{"bearer", "claims",
  "expSeconds", "leeway", "issueDate"}``; every other ``/api/v1`` call wants
  ``Authorization: Bearer <token>`` and answers 401 when it is missing, unknown or
  expired (``expire_tokens()``).
- Scopes: a database is reached only through a scope (``?dataSource=``) whose schema
  lists the forms (with the modes' read/write rights) and the views exposed. A scope
  that does not exist answers 404, a form or view the schema does not expose 403
  (a view it does not know, 404).
- ``GET /lists?dataSource=`` (the scope's views), ``GET /lists/{view}`` (entries,
  ``start``/``count``), ``POST /query?action=execute`` with a DQL query (the terms our
  client uses: ``Form = '…'``, ``<item> = '…'``, ``@ModifiedInThisFile > @dt('…')``,
  joined by ``and``), ``GET|PATCH|PUT|DELETE /document/{unid}``, ``POST /document``
  (body with ``Form``), ``GET /docmeta/{unid}``. Documents carry ``@meta{unid, noteid,
  created, lastmodified, etag, revision}``.
- Optimistic concurrency: with ``requireRevisionToUpdate`` (on by default here), an
  update must pass ``?revision=``; none answers 400, a stale one 409.

The databases and documents are DominoPeer's, so the same helpers fill them
(``add_contact``, ``add_task``...); DAS stays reachable with Basic auth beside DRAPI.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from datetime import datetime, timedelta, timezone

from .base import HTTPError, Request, Response, route
from .domino import DominoPeer, _event_start, _iso, _seconds

BASIS = r"/api/v1"
CALENDAR = r"/api/pim-v1/calendar/default"
PAGE_MAX = 1000


def drapi_error(status: int, message: str) -> HTTPError:
    """DRAPI's JSON error body: {status, message, errorId}."""
    return HTTPError(status, {"status": status, "message": message, "errorId": 0})


class DominoRestPeer(DominoPeer):
    def reset_state(self) -> None:
        super().reset_state()
        # scope name -> {"db": path, "forms": {form: "rw" | "r"}, "views": {name}}
        self.scopes = {
            "contacts": {"db": self.contacts_db, "forms": {"Person": "rw"},
                         "views": {self.contacts_view}},
            "mail": {"db": self.mail_db, "forms": {"Task": "rw", "Appointment": "rw"},
                     "views": {self.tasks_view}},
        }
        self.require_revision = True
        self.tokens: set[str] = set()
        self.sign_ins = 0

    # -- helpers for tests ----------------------------------------------------------

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def issue_token(self) -> str:
        """A token as the admin UI would hand one out (for the "pasted token" mode)."""
        with self.lock:
            token = f"eyJ.{uuid.uuid4().hex}.sig"
            self.tokens.add(token)
            return token

    def unexpose(self, scope: str, *, form: str | None = None,
                 view: str | None = None) -> None:
        with self.lock:
            if form:
                self.scopes[scope]["forms"].pop(form, None)
            elif view:
                self.scopes[scope]["views"].discard(view)
            else:
                del self.scopes[scope]

    @staticmethod
    def revision(doc: dict) -> str:
        return hashlib.md5(f"{doc['@unid']}{doc['@modified'].isoformat()}".encode()
                           ).hexdigest()

    # -- internals --------------------------------------------------------------------

    def before_request(self, request: Request) -> None:
        if not request.path.startswith(("/api/v1", "/api/pim-v1")):
            return super().before_request(request)  # DAS: Basic auth
        if request.path == f"{BASIS}/auth":
            return None
        header = request.headers.get("Authorization") or ""
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            raise drapi_error(401, "Token is invalid or expired")
        return None

    def _scope(self, request: Request) -> dict:
        name = request.arg("dataSource")
        if not name:
            raise drapi_error(400, "dataSource is required")
        scope = self.scopes.get(name)
        if scope is None:
            raise drapi_error(404, f"The DataSource '{name}' could not be found")
        return dict(scope, name=name, database=self.databases[scope["db"]])

    def _form_allowed(self, scope: dict, form: str, write=False) -> None:
        rights = scope["forms"].get(form)
        if rights is None or (write and "w" not in rights):
            raise drapi_error(403, f"Form '{form}' is not configured for mode 'default' "
                                   f"in scope '{scope['name']}'")

    def _doc_in(self, scope: dict, unid: str, write=False) -> dict:
        doc = scope["database"]["docs"].get(unid.upper())
        if doc is None:
            raise drapi_error(404, f"Document {unid} not found")
        self._form_allowed(scope, doc["@form"], write)
        return doc

    def _render(self, doc: dict) -> dict:
        out = {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("@")}
        out["Form"] = doc["@form"]
        revision = self.revision(doc)
        out["@meta"] = {"unid": doc["@unid"], "noteid": int(doc["@noteid"], 16),
                        "created": _iso(doc["@created"]),
                        "lastmodified": _iso(doc["@modified"]),
                        "etag": f'W/"{revision}"', "revision": revision}
        return out

    # -- routes -------------------------------------------------------------------------

    @route("POST", BASIS + r"/auth")
    def auth(self, request):
        body = request.json() or {}
        if (body.get("username"), body.get("password")) != (self.user, self.password):
            raise drapi_error(401, "Invalid username or password")
        self.sign_ins += 1
        token = f"eyJ.{uuid.uuid4().hex}.sig"
        self.tokens.add(token)
        now = int(datetime.now(timezone.utc).timestamp())
        return Response(200, {"bearer": token, "claims": {"sub": self.user, "iat": now},
                              "expSeconds": 21600, "leeway": 5, "issueDate": now})

    @route("GET", BASIS + r"/lists")
    def lists(self, request):
        scope = self._scope(request)
        return Response(200, [{"name": name, "@type": "view"}
                              for name in sorted(scope["views"])])

    @route("GET", BASIS + r"/lists/(?P<view>[^/]+)")
    def list_entries(self, request, view):
        scope = self._scope(request)
        spec = scope["database"]["views"].get(view)
        if spec is None:
            raise drapi_error(404, f"View '{view}' not found")
        if view not in scope["views"]:
            raise drapi_error(403, f"View '{view}' is not active in scope "
                                   f"'{scope['name']}'")
        start, count = int(request.arg("start", "0")), int(request.arg("count", "100"))
        if count > PAGE_MAX:
            raise drapi_error(400, f"count must be at most {PAGE_MAX}")
        docs = [d for d in scope["database"]["docs"].values() if d["@form"] == spec["form"]]
        return Response(200, [{"@unid": d["@unid"], "@noteid": int(d["@noteid"], 16),
                               "@index": str(start + i + 1)}
                              for i, d in enumerate(docs[start:start + count])])

    @route("POST", BASIS + r"/query")
    def query(self, request):
        scope = self._scope(request)
        if request.arg("action") != "execute":
            raise drapi_error(400, "action must be execute")
        terms = _parse_dql((request.json() or {}).get("query") or "")
        found = []
        for doc in scope["database"]["docs"].values():
            if all(term(doc) for term in terms):
                found.append(doc)
        for term in terms:
            if term.form:
                self._form_allowed(scope, term.form)
        found = [d for d in found if d["@form"] in scope["forms"]]
        count = int(request.arg("count", "0") or 0)
        if count:
            found = found[:count]
        return Response(200, [{"@meta": self._render(d)["@meta"], "Form": d["@form"]}
                              for d in found])

    @route("GET", BASIS + r"/document/(?P<unid>[0-9A-Fa-f]+)")
    def get_document(self, request, unid):
        return Response(200, self._render(self._doc_in(self._scope(request), unid)))

    @route("GET", BASIS + r"/docmeta/(?P<unid>[0-9A-Fa-f]+)")
    def get_docmeta(self, request, unid):
        return Response(200, {"@meta": self._render(
            self._doc_in(self._scope(request), unid))["@meta"]})

    @route("POST", BASIS + r"/document")
    def create_doc(self, request):
        scope = self._scope(request)
        body = request.json()
        if not isinstance(body, dict) or not body.get("Form"):
            raise drapi_error(400, "The body must be a JSON object with a Form")
        form = body.pop("Form")
        self._form_allowed(scope, form, write=True)
        if body.get("MailAddress") and "@" not in str(body["MailAddress"]):
            raise drapi_error(400, f"Invalid e-mail address: {body['MailAddress']}")
        doc = self._create_doc(scope["db"], form, body)
        return Response(200, self._render(doc))

    @route("PATCH", BASIS + r"/document/(?P<unid>[0-9A-Fa-f]+)")
    def patch_doc(self, request, unid):
        return self._write(request, unid, replace=False)

    @route("PUT", BASIS + r"/document/(?P<unid>[0-9A-Fa-f]+)")
    def put_doc(self, request, unid):
        return self._write(request, unid, replace=True)

    def _write(self, request, unid, *, replace):
        scope = self._scope(request)
        doc = self._doc_in(scope, unid, write=True)
        revision = request.arg("revision")
        if self.require_revision and not revision:
            raise drapi_error(400, "This database requires the revision to update a "
                                   "document (requireRevisionToUpdate)")
        if revision and revision != self.revision(doc):
            raise drapi_error(409, "The document was modified since revision "
                                   f"{revision}; read it again before changing it.")
        body = request.json()
        if not isinstance(body, dict):
            raise drapi_error(400, "The body must be a JSON object")
        body.pop("Form", None)
        if replace:
            for key in [k for k in doc if not k.startswith("@")]:
                del doc[key]
        doc.update({k: v for k, v in body.items() if not k.startswith("@")})
        doc["@modified"] = self.now()
        return Response(200, self._render(doc))

    @route("DELETE", BASIS + r"/document/(?P<unid>[0-9A-Fa-f]+)")
    def delete_doc_route(self, request, unid):
        scope = self._scope(request)
        doc = self._doc_in(scope, unid, write=True)
        del scope["database"]["docs"][doc["@unid"]]
        return Response(200, {"statusText": "OK", "status": 200,
                              "message": f"Document {unid} deleted"})


    # -- PIM calendar (JSCalendar); entries live in DominoPeer's calendar store ---------

    def _calendar_scope(self, request: Request) -> dict:
        scope = self._scope(request)
        self._form_allowed(scope, "Appointment", write=request.method != "GET")
        return scope

    @route("GET", CALENDAR)
    def pim_list(self, request):
        scope = self._calendar_scope(request)
        try:
            first = datetime.fromisoformat(request.arg("startdate", "1970-01-01"))
            last = datetime.fromisoformat(request.arg("enddate", "2100-01-01"))
        except ValueError:
            raise drapi_error(400, "startdate and enddate must be YYYY-MM-DD") from None
        first, last = (d.replace(tzinfo=timezone.utc) for d in (first, last))
        return Response(200, [_jscal(e) for e in self._calendar(scope["db"]).values()
                              if first <= _event_start(e) <= last])

    @route("GET", CALENDAR + r"/(?P<event_id>[^/]+)")
    def pim_get(self, request, event_id):
        return Response(200, _jscal(self._entry(request, event_id)))

    @route("POST", CALENDAR)
    def pim_create(self, request):
        scope = self._calendar_scope(request)
        body = request.json()
        if not isinstance(body, dict) or body.get("@type") != "jsevent":
            raise drapi_error(400, "The body must be a jsevent")
        event = self._create_event(scope["db"], _from_jscal(body))
        return Response(200, _jscal(event))

    @route("PUT", CALENDAR + r"/(?P<event_id>[^/]+)")
    def pim_put(self, request, event_id):
        event = self._entry(request, event_id)
        body = request.json()
        if not isinstance(body, dict) or body.get("@type") != "jsevent":
            raise drapi_error(400, "The body must be a jsevent")
        for key in [k for k in event if k not in ("id", "_modified")]:
            del event[key]
        event.update(_from_jscal(body))
        event["last-modified"] = _iso(self.now())
        event["_modified"] = self.now()
        return Response(200, _jscal(event))

    @route("DELETE", CALENDAR + r"/(?P<event_id>[^/]+)")
    def pim_delete(self, request, event_id):
        scope = self._calendar_scope(request)
        self._entry(request, event_id)
        del self._calendar(scope["db"])[event_id]
        return Response(200, {"status": 200, "message": f"{event_id} deleted"})

    def _entry(self, request, event_id):
        scope = self._calendar_scope(request)
        event = self._calendar(scope["db"]).get(event_id)
        if event is None:
            raise drapi_error(404, f"Calendar entry {event_id} not found")
        return event


def _jscal(event: dict) -> dict:
    """A stored entry (calendar service shape) as the PIM API shows it (JSCalendar)."""
    start, end = event.get("start") or {}, event.get("end") or event.get("start") or {}
    first = _event_start(event)
    last = _event_start({"start": end})
    js = {"@type": "jsevent", "uid": event["id"], "title": event.get("summary", ""),
          "description": event.get("description", ""), "updated": event["last-modified"],
          "privacy": "private" if event.get("class") == "private" else "public"}
    seconds = int((last - first).total_seconds())
    if not start.get("time"):
        js.update(start=first.strftime("%Y-%m-%dT00:00:00"), showWithoutTime=True,
                  duration=f"P{max(seconds // 86400, 1)}D")
    else:
        js.update(start=first.strftime("%Y-%m-%dT%H:%M:%S"), timeZone="Etc/UTC",
                  duration=f"PT{max(seconds, 0)}S")
    if event.get("location"):
        js["locations"] = {"l1": {"@type": "Location", "name": event["location"]}}
    if event.get("attendees"):
        js["participants"] = {
            f"p{n}": dict({"@type": "Participant", "email": a["email"],
                           "roles": {"attendee": True}},
                          **({"name": a["displayName"]} if a.get("displayName") else {}))
            for n, a in enumerate(event["attendees"], 1)}
    for key, value in event.items():
        if key.startswith("x-"):
            js[key] = copy.deepcopy(value)
    return js


_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def _from_jscal(js: dict) -> dict:
    """A JSCalendar body as the store keeps entries (the calendar service's shape)."""
    match = _DURATION.fullmatch(js.get("duration") or "PT0S")
    if not match or not js.get("start"):
        raise drapi_error(400, "start and a duration like P1DT2H30M are required")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    length = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    first = datetime.fromisoformat(js["start"])
    if js.get("showWithoutTime"):
        start = {"date": first.strftime("%Y-%m-%d")}
        end = {"date": (first + length).strftime("%Y-%m-%d")}
    else:
        if js.get("timeZone") not in (None, "Etc/UTC", "UTC"):
            raise drapi_error(400, "this server only plays UTC times")
        last = first + length
        start = {"date": first.strftime("%Y-%m-%d"), "time": first.strftime("%H:%M:%S"),
                 "utc": True}
        end = {"date": last.strftime("%Y-%m-%d"), "time": last.strftime("%H:%M:%S"),
               "utc": True}
    event = {"summary": js.get("title", ""), "description": js.get("description", ""),
             "start": start, "end": end,
             "class": "private" if js.get("privacy") in ("private", "secret") else "public"}
    location = next(iter((js.get("locations") or {}).values()), None)
    if location and location.get("name"):
        event["location"] = location["name"]
    attendees = []
    for person in (js.get("participants") or {}).values():
        attendee = {"email": person["email"]}
        if person.get("name"):
            attendee["displayName"] = person["name"]
        attendees.append(attendee)
    if attendees:
        event["attendees"] = attendees
    event.update({k: v for k, v in js.items() if k.startswith("x-")})
    return event


class _Term:
    def __init__(self, test, form=None):
        self.test, self.form = test, form

    def __call__(self, doc):
        return self.test(doc)


_MODIFIED = re.compile(r"@ModifiedInThisFile\s*>\s*@dt\('([^']+)'\)", re.IGNORECASE)
_EQUALS = re.compile(r"(\S+)\s*=\s*'((?:[^']|'')*)'")


def _parse_dql(query: str) -> list[_Term]:
    """The DQL our client sends; anything else is a 400, as a syntax error would be."""
    terms = []
    for part in re.split(r"\s+and\s+", query.strip(), flags=re.IGNORECASE):
        modified = _MODIFIED.fullmatch(part)
        equals = _EQUALS.fullmatch(part)
        if modified:
            try:
                floor = datetime.fromisoformat(modified.group(1).replace("Z", "+00:00"))
            except ValueError:
                raise drapi_error(400, f"Invalid date in DQL: {part}") from None
            terms.append(_Term(lambda d, f=floor: _seconds(d["@modified"]) >= f))
        elif equals:
            item, value = equals.group(1), equals.group(2).replace("''", "'")
            if item.lower() == "form":
                terms.append(_Term(lambda d, v=value: d["@form"] == v, form=value))
            else:
                terms.append(_Term(lambda d, i=item, v=value: str(d.get(i, "")) == v))
        else:
            raise drapi_error(400, f"DQL syntax error near: {part}")
    return terms
