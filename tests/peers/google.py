"""GooglePeer: Google's OAuth token endpoint, People API v1 and Calendar API v3.

Speaks the subset crm_google_sync uses, as ../shared/PROVIDERS.md section 1 describes
it (checked against the bundled discovery documents of google-api-python-client):

- ``POST /token``: authorization_code and refresh_token grants, ``invalid_grant`` for a
  wrong, used or revoked code or refresh token, optional refresh-token rotation;
- People: ``/v1/people/me/connections`` (pageSize ≤ 1000, default 100, snapshot paging,
  ``requestSyncToken`` / ``syncToken``, 400 EXPIRED_SYNC_TOKEN, deletions as
  ``metadata.deleted``), createContact, updateContact (etag check: 400
  failedPrecondition), deleteContact, ``people:batchGet`` (≤ 200 names, a 404 per
  missing name), the three batch endpoints with their size limits (batchUpdateContacts
  refuses the whole request, 400 FAILED_PRECONDITION, when one etag is stale), contact
  groups (409 on a duplicate name) and ``members:modify`` (≤ 1000 names at once; a
  contact keeps at least one group);
- Calendar (under ``/calendar/v3``): calendarList, calendars insert / delete, events
  list (maxResults ≤ 2500, syncToken, 410 fullSyncRequired, cancelled items in an
  incremental listing), insert (client id, 409 duplicate), get, update / patch /
  delete with If-Match (412 conditionNotMet), 404 for a deleted calendar; recurring
  series as v3 keeps them (a master with ``recurrence`` RRULE / EXDATE lines, changed
  or cancelled instances as their own items with ``recurringEventId`` and
  ``originalStartTime``, listed by ``singleEvents=false`` even without showDeleted),
  ``events.instances`` and ``events.move``.

Every API route needs ``Authorization: Bearer <peer.access_token>``; a wrong one gets
Google's 401 body. 429 with Retry-After comes from ``peer.inject``.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import itertools
import re
import secrets
from datetime import datetime, timezone
from urllib.parse import parse_qs

from dateutil import rrule as dateutil_rrule

from .base import HTTPError, Peer, Request, Response, route

PEOPLE_DEFAULT_PAGE = 100
PEOPLE_MAX_PAGE = 1000
EVENTS_DEFAULT_PAGE = 250
EVENTS_MAX_PAGE = 2500
MY_CONTACTS = "contactGroups/myContacts"
STARRED = "contactGroups/starred"

UNAUTHENTICATED = {"error": {
    "code": 401, "status": "UNAUTHENTICATED",
    "message": "Request had invalid authentication credentials. Expected OAuth 2 access "
               "token, login cookie or other valid authentication credential."}}
EXPIRED_SYNC_TOKEN = {"error": {
    "code": 400, "status": "FAILED_PRECONDITION",
    "message": "Sync token is expired. Clear local cache and retry call without the sync "
               "token.",
    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                 "reason": "EXPIRED_SYNC_TOKEN", "domain": "people.googleapis.com"}]}}
FULL_SYNC_REQUIRED = {"error": {
    "errors": [{"domain": "calendar", "reason": "fullSyncRequired",
                "message": "Sync token is no longer valid, a full sync is required.",
                "locationType": "parameter", "location": "syncToken"}],
    "code": 410, "message": "Sync token is no longer valid, a full sync is required."}}
CONDITION_NOT_MET = {"error": {
    "errors": [{"domain": "global", "reason": "conditionNotMet",
                "message": "Precondition Failed", "locationType": "header",
                "location": "If-Match"}],
    "code": 412, "message": "Precondition Failed"}}

PERSON_FIELDS = {
    "addresses", "ageRanges", "biographies", "birthdays", "calendarUrls", "clientData",
    "coverPhotos", "emailAddresses", "events", "externalIds", "genders", "imClients",
    "interests", "locales", "locations", "memberships", "metadata", "miscKeywords", "names",
    "nicknames", "occupations", "organizations", "phoneNumbers", "photos", "relations",
    "sipAddresses", "skills", "urls", "userDefined"}
UPDATABLE_FIELDS = PERSON_FIELDS - {"ageRanges", "coverPhotos", "metadata", "photos",
                                    "skills"}
SINGLETONS = ("biographies", "birthdays", "genders", "names")


def people_error(code: int, message: str, status: str = "INVALID_ARGUMENT",
                 reason: str | None = None) -> HTTPError:
    body = {"error": {"code": code, "message": message, "status": status}}
    if reason:
        body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                     "reason": reason, "domain": "people.googleapis.com"}]
    return HTTPError(code, body)


def calendar_error(code: int, reason: str, message: str) -> HTTPError:
    return HTTPError(code, {"error": {
        "errors": [{"domain": "global", "reason": reason, "message": message}],
        "code": code, "message": message}})


class GooglePeer(Peer):
    def __init__(self, *, rotate_refresh_token: bool = False):
        self._rotate = rotate_refresh_token
        super().__init__()

    def reset_state(self) -> None:
        self.client_id, self.client_secret = "client-1", "secret-1"
        self.access_token, self.refresh_token = "at-1", "rt-1"
        self.rotate_refresh_token = self._rotate
        self.codes: dict[str, dict] = {}  # authorization code -> {redirect_uri, scope}
        self.consent = "allow"  # what the "user" answers on the consent screen
        self.authorize_requests: list[dict] = []
        self._serial = itertools.count(2)
        self._seq = 0  # change-log position shared by people, groups and events
        self._epoch = 1  # bumped by expire_sync_tokens()
        self._snapshots: dict[str, tuple[list, str | None]] = {}
        self.people: dict[str, dict] = {}  # resourceName -> {"person", "seq", "deleted"}
        self.groups: dict[str, dict] = {
            MY_CONTACTS: {"resourceName": MY_CONTACTS, "name": "myContacts",
                          "formattedName": "My Contacts", "groupType": "SYSTEM_CONTACT_GROUP"},
            STARRED: {"resourceName": STARRED, "name": "starred",
                      "formattedName": "Starred", "groupType": "SYSTEM_CONTACT_GROUP"},
        }
        self.calendars: dict[str, dict] = {}  # id -> {"meta", "events": {id: ev}}
        self._edits_before: list[tuple] = []  # (method, path regex, rn, changes)
        self.add_calendar("Primary", calendar_id="primary@example.com", primary=True)

    # -- test helpers (no HTTP) ------------------------------------------------------

    def issue_code(self, redirect_uri: str, scope: str = "") -> str:
        """An authorization code as Google's consent screen would hand it out."""
        with self.lock:
            code = "code-" + secrets.token_hex(6)
            self.codes[code] = {"redirect_uri": redirect_uri, "scope": scope}
            return code

    def expire_access_token(self) -> None:
        with self.lock:
            self.access_token = None

    def revoke(self) -> None:
        """The user removed the app's access: no token works any more."""
        with self.lock:
            self.access_token = self.refresh_token = None

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self._epoch += 1

    def add_group(self, name: str) -> dict:
        with self.lock:
            rn = f"contactGroups/{next(self._serial):x}g"
            self.groups[rn] = {"resourceName": rn, "name": name, "formattedName": name,
                               "groupType": "USER_CONTACT_GROUP",
                               "etag": self._etag(), "members": []}
            return self._render_group(self.groups[rn])

    def group_by_name(self, name: str) -> dict | None:
        with self.lock:
            return next((self._render_group(g) for g in self.groups.values()
                         if g["name"] == name), None)

    def add_person(self, person: dict, groups=(MY_CONTACTS,)) -> dict:
        with self.lock:
            rn = f"people/c{next(self._serial)}"
            data = copy.deepcopy(person)
            data["memberships"] = [self._membership(g) for g in groups]
            self.people[rn] = {"person": data, "deleted": False}
            self._touch(rn)
            return self.person(rn)

    def edit_person(self, rn: str, changes: dict) -> dict:
        with self.lock:
            record = self._live_person(rn)
            record["person"].update(copy.deepcopy(changes))
            self._touch(rn)
            return self.person(rn)

    def edit_before(self, method: str, path: str, rn: str, changes: dict) -> None:
        """Another client edits ``rn`` just before the next request matching method and
        path (full-match regex) is handled: a race between a client's read and write."""
        with self.lock:
            self._edits_before.append((method.upper(), re.compile(path), rn, changes))

    def delete_person(self, rn: str) -> None:
        with self.lock:
            self._live_person(rn)
            self.people[rn]["deleted"] = True
            self._touch(rn)

    def set_membership(self, rn: str, group: str, member: bool) -> None:
        with self.lock:
            record = self._live_person(rn)
            groups = self._groups_of(record)
            if member and group not in groups:
                record["person"]["memberships"].append(self._membership(group))
            elif not member:
                record["person"]["memberships"] = [
                    m for m in record["person"]["memberships"]
                    if m["contactGroupMembership"]["contactGroupResourceName"] != group]
            self._touch(rn)

    def person(self, rn: str) -> dict | None:
        """The live person with every field, as the API renders it; None when gone."""
        with self.lock:
            record = self.people.get(rn)
            if record is None or record["deleted"]:
                return None
            return self._render_person(rn, None)

    def live_people(self, group: str | None = None) -> list[dict]:
        with self.lock:
            return [self._render_person(rn, None) for rn, r in self.people.items()
                    if not r["deleted"] and (group is None or group in self._groups_of(r))]

    def add_calendar(self, summary: str, calendar_id: str | None = None,
                     primary: bool = False, description: str | None = None) -> dict:
        with self.lock:
            cid = calendar_id or f"{next(self._serial):x}c@group.calendar.google.com"
            self.calendars[cid] = {"meta": {
                "kind": "calendar#calendarListEntry", "id": cid, "summary": summary,
                "timeZone": "UTC", "accessRole": "owner", "primary": primary,
                "etag": self._etag()}, "events": {}, "deleted": False}
            if description:
                self.calendars[cid]["meta"]["description"] = description
            return copy.deepcopy(self.calendars[cid]["meta"])

    def calendar_by_summary(self, summary: str) -> dict | None:
        with self.lock:
            return next((copy.deepcopy(c["meta"]) for c in self.calendars.values()
                         if not c["deleted"] and c["meta"]["summary"] == summary), None)

    def delete_calendar(self, cid: str) -> None:
        with self.lock:
            self.calendars[cid]["deleted"] = True

    def add_event(self, cid: str, event: dict) -> dict:
        with self.lock:
            calendar = self._calendar(cid)
            eid = event.get("id") or f"ev{next(self._serial)}"
            stored = dict(copy.deepcopy(event), id=eid, status=event.get("status", "confirmed"))
            stored.setdefault("iCalUID", f"{eid}@google.com")
            stored["created"] = self._rfc3339()
            calendar["events"][eid] = stored
            self._touch_event(stored)
            return copy.deepcopy(stored)

    def edit_event(self, cid: str, eid: str, changes: dict) -> dict:
        with self.lock:
            event = self._calendar(cid)["events"][eid]
            event.update(copy.deepcopy(changes))
            self._touch_event(event)
            return copy.deepcopy(event)

    def cancel_event(self, cid: str, eid: str) -> None:
        with self.lock:
            event = self._calendar(cid)["events"][eid]
            event["status"] = "cancelled"
            self._touch_event(event)

    def cancel_instance(self, cid: str, master_id: str, original_start: str) -> dict:
        """One occurrence of a series deleted in Google's UI: a cancelled exception
        (`original_start` as 'YYYY-MM-DD' or an RFC 3339 UTC date-time)."""
        with self.lock:
            master = self._calendar(cid)["events"][master_id]
            key = "date" if "T" not in original_start else "dateTime"
            eid = f"{master_id}_{_instance_stamp(original_start)}"
            exception = {"id": eid, "status": "cancelled", "recurringEventId": master_id,
                         "originalStartTime": {key: original_start},
                         "iCalUID": master["iCalUID"]}
            self._calendar(cid)["events"][eid] = exception
            self._touch_event(exception)
            return copy.deepcopy(exception)

    def instances(self, cid: str, master_id: str) -> list[dict]:
        """The live occurrences of a series, as events.instances lists them."""
        with self.lock:
            return [i for i in self._expand(self._calendar(cid), master_id)
                    if i["status"] != "cancelled"]

    def events(self, cid: str, *, cancelled: bool = False) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(e) for e in self._calendar(cid)["events"].values()
                    if cancelled or e["status"] != "cancelled"]

    # -- internals ---------------------------------------------------------------------

    def _etag(self) -> str:
        raw = f"{self._epoch}:{next(self._serial)}".encode()
        return "%E" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _rfc3339(self) -> str:
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def _touch(self, rn: str) -> None:
        self._seq += 1
        record = self.people[rn]
        record["seq"] = self._seq
        etag = self._etag()
        record["etag"] = etag
        record["updateTime"] = self._rfc3339()

    def _touch_event(self, event: dict) -> None:
        self._seq += 1
        event["seq"] = self._seq
        event["etag"] = f'"{self._seq}{next(self._serial)}"'
        event["updated"] = self._rfc3339()

    def _membership(self, group: str) -> dict:
        if group not in self.groups:
            raise people_error(400, f"Contact group {group} not found.")
        return {"contactGroupMembership": {
            "contactGroupId": group.split("/", 1)[1], "contactGroupResourceName": group}}

    @staticmethod
    def _groups_of(record: dict) -> list[str]:
        return [m["contactGroupMembership"]["contactGroupResourceName"]
                for m in record["person"].get("memberships", [])
                if "contactGroupMembership" in m]

    def _live_person(self, rn: str) -> dict:
        record = self.people.get(rn)
        if record is None or record["deleted"]:
            raise KeyError(rn)
        return record

    def _render_person(self, rn: str, fields: set | None) -> dict:
        record = self.people[rn]
        if record["deleted"]:
            return {"resourceName": rn, "etag": record["etag"],
                    "metadata": {"deleted": True}}
        out = {"resourceName": rn, "etag": record["etag"]}
        for key, value in record["person"].items():
            if key in PERSON_FIELDS and (fields is None or key in fields):
                out[key] = copy.deepcopy(value)
        if fields is None or "metadata" in fields:
            out["metadata"] = {"sources": [{
                "type": "CONTACT", "id": rn.split("/c", 1)[-1], "etag": record["etag"],
                "updateTime": record["updateTime"]}], "objectType": "PERSON"}
        return out

    def _render_group(self, group: dict, fields: set | None = None) -> dict:
        out = {k: v for k, v in group.items() if k != "members"}
        if group["groupType"] == "USER_CONTACT_GROUP" and (
                fields is None or "memberCount" in fields):
            out["memberCount"] = sum(1 for r in self.people.values() if not r["deleted"]
                                     and group["resourceName"] in self._groups_of(r))
        return copy.deepcopy(out)

    def _expand(self, calendar: dict, master_id: str, limit: int = 730) -> list[dict]:
        """A series' occurrences (Google expands at most 730), its exceptions applied."""
        master = calendar["events"][master_id]
        rules = [r for r in master.get("recurrence") or [] if r.startswith("RRULE")]
        allday = bool(master["start"].get("date"))
        start = _parse_moment(master["start"])
        duration = _parse_moment(master["end"]) - start
        excluded = set()
        for line in master.get("recurrence") or []:
            if line.startswith("EXDATE"):
                excluded.update(_parse_moment_text(v, allday)
                                for v in line.split(":", 1)[1].split(","))
        exceptions = {_parse_moment(e["originalStartTime"]): e
                      for e in calendar["events"].values()
                      if e.get("recurringEventId") == master_id}
        out = []
        if master["status"] == "cancelled" or not rules:
            return out
        rule = dateutil_rrule.rrulestr(rules[0].split(":", 1)[1], dtstart=start)
        for moment in itertools.islice(rule, limit):
            if moment in excluded:
                continue
            if moment in exceptions:
                out.append(copy.deepcopy(exceptions[moment]))
                continue
            stamp = moment.strftime("%Y-%m-%d") if allday else _rfc3339_utc(moment)
            key = "date" if allday else "dateTime"
            end = moment + duration
            out.append({k: copy.deepcopy(v) for k, v in master.items()
                        if k not in ("recurrence", "id", "start", "end", "seq")}
                       | {"id": f"{master_id}_{_instance_stamp(stamp)}",
                          "recurringEventId": master_id, "originalStartTime": {key: stamp},
                          "start": {key: stamp}, "end": {key: end.strftime("%Y-%m-%d")
                                                         if allday else _rfc3339_utc(end)}})
        return out

    def _calendar(self, cid: str) -> dict:
        calendar = self.calendars.get(cid)
        if calendar is None or calendar["deleted"]:
            raise calendar_error(404, "notFound", "Not Found")
        return calendar

    def _snapshot(self, items: list, sync_token: str | None, size: int, prefix: str) -> dict:
        key = f"{prefix}{next(self._serial)}"
        self._snapshots[key] = (items, sync_token)
        return self._page(key, 0, size)

    def _page(self, key: str, offset: int, size: int) -> dict:
        items, sync_token = self._snapshots[key]
        end = offset + size
        page = {"items": items[offset:end]}
        if end < len(items):
            page["nextPageToken"] = f"{key}.{end}"
        else:
            page["nextSyncToken"] = sync_token
            del self._snapshots[key]
        return page

    def _resume(self, token: str, size: int, bad) -> dict:
        key, _, offset = token.rpartition(".")
        if key not in self._snapshots or not offset.isdigit():
            raise bad
        return self._page(key, int(offset), size)

    def _sync_since(self, token: str, kind: str, expired) -> int:
        parts = token.split("-")
        if (len(parts) != 4 or parts[0] != kind or not parts[2].isdigit()
                or not parts[3].isdigit() or int(parts[2]) != self._epoch
                or int(parts[3]) > self._seq):
            raise expired
        return int(parts[3])

    @staticmethod
    def _int_arg(request: Request, name: str, default: int, maximum: int, error) -> int:
        try:
            value = int(request.arg(name, default))
        except ValueError:
            raise error from None
        if value < 1 or value > maximum:
            raise error
        return value

    # -- OAuth -------------------------------------------------------------------------

    def before_request(self, request: Request) -> None:
        for edit in list(self._edits_before):
            method, path, rn, changes = edit
            if method == request.method and path.fullmatch(request.path):
                self._edits_before.remove(edit)
                self.edit_person(rn, changes)
        if request.path in ("/token", "/o/oauth2/auth"):
            return
        given = request.headers.get("Authorization")
        if self.access_token is None or given != f"Bearer {self.access_token}":
            raise HTTPError(401, UNAUTHENTICATED,
                            headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})

    @route("GET", r"/o/oauth2/auth")
    def authorize(self, request: Request) -> Response:
        """The consent screen, answered at once as ``peer.consent`` says ("allow" or
        "deny"): a redirect back to the client with a code, or with access_denied."""
        from urllib.parse import urlencode
        redirect_uri, state = request.arg("redirect_uri"), request.arg("state")
        if request.arg("client_id") != self.client_id or not redirect_uri:
            return Response(400, body=b"Error 401: invalid_client",
                            headers={"Content-Type": "text/plain"})
        if request.arg("response_type") != "code":
            return Response(400, body=b"Error 400: unsupported_response_type",
                            headers={"Content-Type": "text/plain"})
        self.authorize_requests.append({k: v[0] for k, v in request.query.items()})
        if self.consent == "deny":
            query = {"error": "access_denied", "state": state}
        else:
            query = {"code": self.issue_code(redirect_uri, request.arg("scope") or ""),
                     "state": state, "scope": request.arg("scope") or ""}
        separator = "&" if "?" in redirect_uri else "?"
        return Response(302, headers={"Location": redirect_uri + separator + urlencode(query)})

    @route("POST", r"/token")
    def token(self, request: Request) -> Response:
        form = request.form()
        client = (form.get("client_id"), form.get("client_secret"))
        basic = request.headers.get("Authorization") or ""
        if basic.startswith("Basic "):  # RFC 6749 2.3.1: servers must accept both
            from urllib.parse import unquote
            decoded = base64.b64decode(basic[6:]).decode()
            client = tuple(unquote(p) for p in decoded.split(":", 1))
        if client != (self.client_id, self.client_secret):
            raise HTTPError(401, {"error": "invalid_client",
                                  "error_description": "The OAuth client was not found."})
        grant = form.get("grant_type")
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code") or "", None)
            if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                raise HTTPError(400, {"error": "invalid_grant",
                                      "error_description": "Malformed auth code."})
            serial = next(self._serial)
            self.access_token, self.refresh_token = f"at-{serial}", f"rt-{serial}"
            answer = {"access_token": self.access_token, "expires_in": 3599,
                      "refresh_token": self.refresh_token, "token_type": "Bearer"}
            if issued["scope"]:
                answer["scope"] = issued["scope"]
            return Response(200, answer)
        if grant == "refresh_token":
            given = form.get("refresh_token")
            if not given or given != self.refresh_token:
                raise HTTPError(400, {"error": "invalid_grant",
                                      "error_description": "Token has been expired or revoked."})
            serial = next(self._serial)
            self.access_token = f"at-{serial}"
            answer = {"access_token": self.access_token, "expires_in": 3599,
                      "token_type": "Bearer"}
            if self.rotate_refresh_token:
                self.refresh_token = answer["refresh_token"] = f"rt-{serial}"
            return Response(200, answer)
        raise HTTPError(400, {"error": "unsupported_grant_type",
                              "error_description": f"Invalid grant_type: {grant}"})

    # -- People: connections -----------------------------------------------------------

    def _person_fields(self, request: Request, name: str = "personFields",
                       required: bool = True) -> set | None:
        raw = request.arg(name)
        if not raw:
            if required:
                raise people_error(400, f"{name} mask is required. Please specify one or "
                                        "more valid paths.")
            return None
        fields = set(raw.split(","))
        unknown = fields - PERSON_FIELDS
        if unknown:
            raise people_error(400, f"Invalid {name} mask path: {sorted(unknown)[0]}")
        return fields

    @route("GET", r"/v1/people/me/connections")
    def list_connections(self, request: Request) -> Response:
        fields = self._person_fields(request)
        size = self._int_arg(request, "pageSize", PEOPLE_DEFAULT_PAGE, PEOPLE_MAX_PAGE,
                             people_error(400, "Invalid pageSize."))
        page_token = request.arg("pageToken")
        if page_token:
            page = self._resume(page_token, size, people_error(400, "Invalid pageToken."))
        else:
            sync_token = request.arg("syncToken")
            if sync_token:
                since = self._sync_since(sync_token, "pst", people_error(
                    400, EXPIRED_SYNC_TOKEN["error"]["message"], "FAILED_PRECONDITION",
                    "EXPIRED_SYNC_TOKEN"))
                rns = sorted((rn for rn, r in self.people.items() if r["seq"] > since),
                             key=lambda rn: self.people[rn]["seq"])
            else:
                rns = sorted((rn for rn, r in self.people.items() if not r["deleted"]),
                             key=lambda rn: self.people[rn]["seq"])
            items = [self._render_person(rn, fields) for rn in rns]
            token = (f"pst-x-{self._epoch}-{self._seq}"
                     if request.arg("requestSyncToken") == "true" or sync_token else None)
            page = self._snapshot(items, token, size, "pp")
        answer = {"connections": page["items"], "totalItems": len(page["items"])}
        if page.get("nextPageToken"):
            answer["nextPageToken"] = page["nextPageToken"]
        elif page.get("nextSyncToken"):
            answer["nextSyncToken"] = page["nextSyncToken"]
        if not answer["connections"]:
            del answer["connections"]
        return Response(200, answer)

    # -- People: single contacts -------------------------------------------------------

    def _validate_person(self, person, *, creating: bool) -> dict:
        if not isinstance(person, dict):
            raise people_error(400, "Invalid JSON payload: person must be an object.")
        for key in SINGLETONS:
            if len(person.get(key) or []) > 1:
                raise people_error(400, f"Only one {key[:-1]} is allowed per contact.")
        for email in person.get("emailAddresses") or []:
            value = email.get("value", "") if isinstance(email, dict) else ""
            if not isinstance(value, str) or value.count("@") > 1 or " " in value:
                raise people_error(400, f"Invalid email address: {value!r}.")
        memberships = person.get("memberships")
        if memberships is not None:
            groups = [m.get("contactGroupMembership", {}).get("contactGroupResourceName")
                      for m in memberships]
            if not any(groups):
                raise people_error(400, "Must have at least one contact group membership.")
            for group in groups:
                if group not in self.groups:
                    raise people_error(400, f"Contact group {group} not found.")
        elif creating:
            person = dict(person, memberships=[{"contactGroupMembership": {
                "contactGroupResourceName": MY_CONTACTS}}])
        clean = {k: copy.deepcopy(v) for k, v in person.items() if k in UPDATABLE_FIELDS}
        if "memberships" in clean:
            clean["memberships"] = [self._membership(
                m["contactGroupMembership"]["contactGroupResourceName"])
                for m in clean["memberships"]]
        return clean

    def _create_person(self, person: dict) -> str:
        rn = f"people/c{next(self._serial)}"
        self.people[rn] = {"person": self._validate_person(person, creating=True),
                           "deleted": False}
        self._touch(rn)
        return rn

    def _found_person(self, rn: str) -> dict:
        record = self.people.get(rn)
        if record is None or record["deleted"]:
            raise people_error(404, "Requested entity was not found.", "NOT_FOUND")
        return record

    def _update_person(self, rn: str, person: dict, mask: str | None) -> None:
        record = self._found_person(rn)
        if not mask:
            raise people_error(400, "updatePersonFields mask is required. Please specify "
                                    "one or more valid paths.")
        fields = set(mask.split(","))
        if fields - UPDATABLE_FIELDS:
            raise people_error(400, f"Invalid updatePersonFields mask path: "
                                    f"{sorted(fields - UPDATABLE_FIELDS)[0]}")
        if not isinstance(person, dict):
            raise people_error(400, "Invalid JSON payload: person must be an object.")
        given = person.get("etag") or next(
            (s.get("etag") for s in (person.get("metadata") or {}).get("sources", [])), None)
        if not given:
            raise people_error(400, "Request must set person.etag or "
                                    "person.metadata.sources.etag for the source that is "
                                    "being updated.")
        if given != record["etag"]:
            raise people_error(400, "The contact has changed since it was read; read it "
                                    "again and retry.", "FAILED_PRECONDITION",
                               "failedPrecondition")
        clean = self._validate_person({k: person.get(k) for k in fields if k in person},
                                      creating=False)
        for key in fields:
            if key in clean and clean[key]:
                record["person"][key] = clean[key]
            elif key != "memberships":
                record["person"].pop(key, None)  # every listed field is replaced
        self._touch(rn)

    @route("POST", r"/v1/people:createContact")
    def create_contact(self, request: Request) -> Response:
        fields = self._person_fields(request, required=False)
        rn = self._create_person(request.json())
        return Response(200, self._render_person(rn, fields))

    @route("GET", r"/v1/people/(?P<pid>[^/:]+)")
    def get_person(self, request: Request, pid: str) -> Response:
        fields = self._person_fields(request)
        if pid == "me":  # the signed-in user's own profile
            me = {"resourceName": "people/me", "etag": "%Eme",
                  "names": [{"displayName": "Owner"}],
                  "emailAddresses": [{"value": "owner@example.com",
                                      "metadata": {"primary": True}}]}
            return Response(200, {k: v for k, v in me.items()
                                  if k in ("resourceName", "etag") or k in fields})
        rn = f"people/{pid}"
        self._found_person(rn)
        return Response(200, self._render_person(rn, fields))

    @route("PATCH", r"/v1/people/(?P<pid>[^/:]+):updateContact")
    def update_contact(self, request: Request, pid: str) -> Response:
        rn = f"people/{pid}"
        self._update_person(rn, request.json(), request.arg("updatePersonFields"))
        return Response(200, self._render_person(
            rn, self._person_fields(request, required=False)))

    @route("DELETE", r"/v1/people/(?P<pid>[^/:]+):deleteContact")
    def delete_contact(self, request: Request, pid: str) -> Response:
        rn = f"people/{pid}"
        self._found_person(rn)
        self.people[rn]["deleted"] = True
        self._touch(rn)
        return Response(200, {})

    # -- People: batches ---------------------------------------------------------------

    @route("POST", r"/v1/people:batchCreateContacts")
    def batch_create(self, request: Request) -> Response:
        body = request.json() or {}
        contacts = body.get("contacts") or []
        if not contacts or len(contacts) > 200:
            raise people_error(400, "contacts must hold 1 to 200 contacts.")
        people = [c.get("contactPerson") for c in contacts]
        for person in people:  # all or nothing, as the batch is one request
            self._validate_person(person, creating=True)
        mask = body.get("readMask")
        fields = set(mask.split(",")) if mask else None
        created = []
        for person in people:
            rn = self._create_person(person)
            created.append({"person": self._render_person(rn, fields) if fields else
                            {"resourceName": rn, "etag": self.people[rn]["etag"]},
                            "httpStatusCode": 200})
        return Response(200, {"createdPeople": created})

    @route("GET", r"/v1/people:batchGet")
    @route("POST", r"/v1/people:batchGet")
    def batch_get(self, request: Request) -> Response:
        if request.method == "POST":
            # A URI over 2048 characters (200 names) is sent by Google's client as a
            # POST with X-HTTP-Method-Override: GET and the query as a form body.
            if (request.headers.get("X-HTTP-Method-Override") or "").upper() != "GET":
                raise people_error(404, "Method not found.", "NOT_FOUND")
            query = dict(request.query)
            query.update(parse_qs(request.body.decode(), keep_blank_values=True))
            request = dataclasses.replace(request, method="GET", query=query)
        fields = self._person_fields(request)
        names = request.query.get("resourceNames") or []
        if not names or len(names) > 200:
            raise people_error(400, "resourceNames must hold 1 to 200 names.")
        responses = []
        for rn in names:
            record = self.people.get(rn)
            if record is None or record["deleted"]:
                responses.append({"httpStatusCode": 404, "requestedResourceName": rn,
                                  "status": {"code": 5, "message":
                                             "Requested entity was not found."}})
            else:
                responses.append({"httpStatusCode": 200, "requestedResourceName": rn,
                                  "person": self._render_person(rn, fields), "status": {}})
        return Response(200, {"responses": responses})

    @route("POST", r"/v1/people:batchUpdateContacts")
    def batch_update(self, request: Request) -> Response:
        body = request.json() or {}
        contacts = body.get("contacts") or {}
        if not contacts or len(contacts) > 200:
            raise people_error(400, "contacts must hold 1 to 200 contacts.")
        for rn, person in contacts.items():  # validate all before writing any
            record = self._found_person(rn)
            if (person or {}).get("etag") != record["etag"]:
                raise people_error(400, f"The contact {rn} has changed since it was read.",
                                   "FAILED_PRECONDITION", "failedPrecondition")
        mask = body.get("readMask")
        fields = set(mask.split(",")) if mask else None
        results = {}
        for rn, person in contacts.items():
            self._update_person(rn, person, body.get("updateMask"))
            results[rn] = {"person": self._render_person(rn, fields) if fields else
                           {"resourceName": rn, "etag": self.people[rn]["etag"]},
                           "httpStatusCode": 200}
        return Response(200, {"updateResult": results})

    @route("POST", r"/v1/people:batchDeleteContacts")
    def batch_delete(self, request: Request) -> Response:
        names = (request.json() or {}).get("resourceNames") or []
        if not names or len(names) > 500:
            raise people_error(400, "resourceNames must hold 1 to 500 names.")
        for rn in names:
            self._found_person(rn)
        for rn in names:
            self.people[rn]["deleted"] = True
            self._touch(rn)
        return Response(200, {})

    # -- People: contact groups --------------------------------------------------------

    @route("GET", r"/v1/contactGroups")
    def list_groups(self, request: Request) -> Response:
        size = self._int_arg(request, "pageSize", 30, 1000,
                             people_error(400, "Invalid pageSize."))
        page_token = request.arg("pageToken")
        if page_token:
            page = self._resume(page_token, size, people_error(400, "Invalid pageToken."))
        else:
            mask = request.arg("groupFields")
            fields = set(mask.split(",")) if mask else None
            items = [self._render_group(g, fields) for g in self.groups.values()]
            page = self._snapshot(items, None, size, "gp")
        answer = {"contactGroups": page["items"], "totalItems": len(self.groups)}
        if page.get("nextPageToken"):
            answer["nextPageToken"] = page["nextPageToken"]
        return Response(200, answer)

    @route("POST", r"/v1/contactGroups")
    def create_group(self, request: Request) -> Response:
        group = (request.json() or {}).get("contactGroup") or {}
        name = (group.get("name") or "").strip()
        if not name:
            raise people_error(400, "Contact group name must not be empty.")
        if any(g["name"] == name for g in self.groups.values()):
            raise people_error(409, "Contact group name already exists.", "ALREADY_EXISTS")
        created = self.add_group(name)
        if group.get("clientData"):
            self.groups[created["resourceName"]]["clientData"] = group["clientData"]
        return Response(200, self._render_group(self.groups[created["resourceName"]]))

    @route("GET", r"/v1/contactGroups/(?P<gid>[^/:]+)")
    def get_group(self, request: Request, gid: str) -> Response:
        group = self.groups.get(f"contactGroups/{gid}")
        if group is None:
            raise people_error(404, "Requested entity was not found.", "NOT_FOUND")
        out = self._render_group(group)
        max_members = int(request.arg("maxMembers", "0") or 0)
        if max_members:
            out["memberResourceNames"] = [
                rn for rn, r in self.people.items() if not r["deleted"]
                and group["resourceName"] in self._groups_of(r)][:max_members]
        return Response(200, out)

    @route("DELETE", r"/v1/contactGroups/(?P<gid>[^/:]+)")
    def delete_group(self, request: Request, gid: str) -> Response:
        rn = f"contactGroups/{gid}"
        if rn not in self.groups or self.groups[rn]["groupType"] != "USER_CONTACT_GROUP":
            raise people_error(404, "Requested entity was not found.", "NOT_FOUND")
        del self.groups[rn]
        for prn, record in self.people.items():
            if not record["deleted"] and rn in self._groups_of(record):
                self.set_membership(prn, rn, False)
        return Response(200, {})

    @route("POST", r"/v1/contactGroups/(?P<gid>[^/:]+)/members:modify")
    def modify_members(self, request: Request, gid: str) -> Response:
        group = f"contactGroups/{gid}"
        if group not in self.groups:
            raise people_error(404, "Requested entity was not found.", "NOT_FOUND")
        body = request.json() or {}
        add, remove = body.get("resourceNamesToAdd") or [], body.get("resourceNamesToRemove") or []
        if len(add) + len(remove) > 1000:
            raise people_error(400, "At most 1000 resource names may be modified at once.")
        not_found, last = [], []
        for rn in add:
            record = self.people.get(rn)
            if record is None or record["deleted"]:
                not_found.append(rn)
            elif group not in self._groups_of(record):
                self.set_membership(rn, group, True)
        for rn in remove:
            record = self.people.get(rn)
            if record is None or record["deleted"]:
                not_found.append(rn)
            elif group in self._groups_of(record):
                if len(self._groups_of(record)) == 1:
                    last.append(rn)
                else:
                    self.set_membership(rn, group, False)
        answer = {}
        if not_found:
            answer["notFoundResourceNames"] = not_found
        if last:
            answer["canNotRemoveLastContactGroupResourceNames"] = last
        return Response(200, answer)

    # -- Calendar ----------------------------------------------------------------------

    @route("GET", r"/calendar/v3/users/me/calendarList")
    def calendar_list(self, request: Request) -> Response:
        items = [copy.deepcopy(c["meta"]) for c in self.calendars.values() if not c["deleted"]]
        return Response(200, {"kind": "calendar#calendarList", "items": items,
                              "nextSyncToken": f"csl-x-{self._epoch}-{self._seq}"})

    @route("POST", r"/calendar/v3/calendars")
    def calendar_insert(self, request: Request) -> Response:
        body = request.json() or {}
        if not (body.get("summary") or "").strip():
            raise calendar_error(400, "required", "Missing title.")
        meta = self.add_calendar(body["summary"].strip(), description=body.get("description"))
        meta.pop("primary", None)
        meta["kind"] = "calendar#calendar"
        return Response(200, meta)

    @route("GET", r"/calendar/v3/calendars/(?P<cid>[^/]+)")
    def calendar_get(self, request: Request, cid: str) -> Response:
        return Response(200, copy.deepcopy(self._calendar(cid)["meta"]))

    @route("DELETE", r"/calendar/v3/calendars/(?P<cid>[^/]+)")
    def calendar_delete(self, request: Request, cid: str) -> Response:
        self._calendar(cid)
        self.delete_calendar(cid)
        return Response(204)

    @staticmethod
    def _render_event(event: dict) -> dict:
        out = {k: copy.deepcopy(v) for k, v in event.items() if k != "seq"}
        out["kind"] = "calendar#event"
        if event["status"] == "cancelled" and "recurringEventId" not in event:
            out = {"kind": "calendar#event", "id": event["id"], "etag": event["etag"],
                   "status": "cancelled"}
        return out

    @route("GET", r"/calendar/v3/calendars/(?P<cid>[^/]+)/events")
    def events_list(self, request: Request, cid: str) -> Response:
        calendar = self._calendar(cid)
        size = self._int_arg(request, "maxResults", EVENTS_DEFAULT_PAGE, EVENTS_MAX_PAGE,
                             calendar_error(400, "invalid", "Invalid value for maxResults"))
        page_token = request.arg("pageToken")
        if page_token:
            page = self._resume(page_token, size,
                                calendar_error(400, "invalid", "Invalid page token"))
        else:
            sync_token = request.arg("syncToken")
            if sync_token:
                for forbidden in ("timeMin", "timeMax", "updatedMin", "q", "orderBy",
                                  "iCalUID", "privateExtendedProperty",
                                  "sharedExtendedProperty"):
                    if request.arg(forbidden):
                        raise calendar_error(400, "invalid",
                                             f"{forbidden} cannot be used with syncToken")
                since = self._sync_since(
                    sync_token, "cst", HTTPError(410, copy.deepcopy(FULL_SYNC_REQUIRED)))
                events = [e for e in calendar["events"].values() if e["seq"] > since]
            else:
                show_deleted = request.arg("showDeleted") == "true"
                time_min = request.arg("timeMin")
                private = dict(p.split("=", 1) for p in
                               request.query.get("privateExtendedProperty", []) if "=" in p)
                # Cancelled instances of a series are listed even without
                # showDeleted (singleEvents=false), as v3 documents.
                events = [e for e in calendar["events"].values()
                          if (show_deleted or e["status"] != "cancelled"
                              or "recurringEventId" in e)
                          and (not time_min or _event_end(e) >= time_min[:19]
                               # a series may run past timeMin (no UNTIL checked here)
                               or "recurrence" in e or "recurringEventId" in e)
                          and all(((e.get("extendedProperties") or {}).get("private") or {})
                                  .get(k) == v for k, v in private.items())]
            events.sort(key=lambda e: e["seq"])
            page = self._snapshot([self._render_event(e) for e in events],
                                  f"cst-x-{self._epoch}-{self._seq}", size, "ep")
        answer = {"kind": "calendar#events", "summary": calendar["meta"]["summary"],
                  "timeZone": calendar["meta"]["timeZone"], "items": page["items"]}
        if page.get("nextPageToken"):
            answer["nextPageToken"] = page["nextPageToken"]
        else:
            answer["nextSyncToken"] = page["nextSyncToken"]
        return Response(200, answer)

    def _valid_event(self, body) -> dict:
        if not isinstance(body, dict):
            raise calendar_error(400, "invalid", "Invalid JSON payload.")
        start, end = body.get("start"), body.get("end")
        if not isinstance(start, dict) or not isinstance(end, dict):
            raise calendar_error(400, "required", "Missing start or end time.")
        if bool(start.get("date")) != bool(end.get("date")):
            raise calendar_error(400, "invalid", "Start and end times must either both be "
                                                 "date or both be dateTime.")
        if body.get("recurrence") and not start.get("date") and not start.get("timeZone"):
            raise calendar_error(400, "invalid", "Missing time zone definition for start "
                                                 "time.")
        for line in body.get("recurrence") or []:
            if not isinstance(line, str) or line.split(":", 1)[0].split(";")[0] not in (
                    "RRULE", "EXRULE", "RDATE", "EXDATE"):
                raise calendar_error(400, "invalid", "Invalid recurrence rule.")
            if line.startswith("RRULE:"):
                try:
                    dateutil_rrule.rrulestr(line.split(":", 1)[1],
                                            dtstart=_parse_moment(start))
                except (ValueError, KeyError):
                    raise calendar_error(400, "invalid", "Invalid recurrence rule.") from None
        if _event_end(body) < _event_start(body):
            raise calendar_error(400, "timeRangeEmpty", "The specified time range is empty.")
        return copy.deepcopy(body)

    @route("POST", r"/calendar/v3/calendars/(?P<cid>[^/]+)/events")
    def event_insert(self, request: Request, cid: str) -> Response:
        calendar = self._calendar(cid)
        body = self._valid_event(request.json())
        eid = body.get("id")
        if eid is not None and eid in calendar["events"]:
            raise calendar_error(409, "duplicate", "The requested identifier already exists.")
        created = self.add_event(cid, body)
        return Response(200, self._render_event(calendar["events"][created["id"]]))

    def _found_event(self, cid: str, eid: str) -> dict:
        event = self._calendar(cid)["events"].get(eid)
        if event is None:
            raise calendar_error(404, "notFound", "Not Found")
        return event

    @staticmethod
    def _if_match(request: Request, event: dict) -> None:
        expected = request.headers.get("If-Match")
        if expected is not None and expected not in ("*", event["etag"]):
            raise HTTPError(412, copy.deepcopy(CONDITION_NOT_MET))

    @route("GET", r"/calendar/v3/calendars/(?P<cid>[^/]+)/events/(?P<eid>[^/]+)/instances")
    def event_instances(self, request: Request, cid: str, eid: str) -> Response:
        calendar = self._calendar(cid)
        master = self._found_event(cid, eid)
        if not master.get("recurrence"):
            return Response(200, {"kind": "calendar#events", "items": []})
        size = self._int_arg(request, "maxResults", EVENTS_DEFAULT_PAGE, EVENTS_MAX_PAGE,
                             calendar_error(400, "invalid", "Invalid value for maxResults"))
        page_token = request.arg("pageToken")
        if page_token:
            page = self._resume(page_token, size,
                                calendar_error(400, "invalid", "Invalid page token"))
        else:
            show_deleted = request.arg("showDeleted") == "true"
            items = [dict(i, kind="calendar#event") for i in self._expand(calendar, eid)
                     if show_deleted or i["status"] != "cancelled"]
            page = self._snapshot(items, None, size, "ei")
        answer = {"kind": "calendar#events", "items": page["items"]}
        if page.get("nextPageToken"):
            answer["nextPageToken"] = page["nextPageToken"]
        return Response(200, answer)

    @route("POST", r"/calendar/v3/calendars/(?P<cid>[^/]+)/events/(?P<eid>[^/]+)/move")
    def event_move(self, request: Request, cid: str, eid: str) -> Response:
        """events.move: the event keeps its id; the source lists it as cancelled."""
        return Response(200, self._render_event(
            self.move_event(cid, eid, request.arg("destination") or "")))

    def move_event(self, cid: str, eid: str, destination: str) -> dict:
        """events.move, also as a user moving an event to another calendar in Google."""
        with self.lock:
            return self._move_event(cid, eid, destination)

    def _move_event(self, cid: str, eid: str, destination: str) -> dict:
        event = self._found_event(cid, eid)
        if event["status"] == "cancelled":
            raise calendar_error(404, "notFound", "Not Found")
        target = self._calendar(destination)
        if eid in target["events"] and target["events"][eid]["status"] != "cancelled":
            raise calendar_error(409, "duplicate", "The requested identifier already exists.")
        moved = copy.deepcopy(event)
        source = self._calendar(cid)["events"]
        for other in [k for k, e in source.items() if e.get("recurringEventId") == eid]:
            target["events"][other] = source.pop(other)
        event["status"] = "cancelled"
        self._touch_event(event)
        target["events"][eid] = moved
        self._touch_event(moved)
        return moved

    @route("GET", r"/calendar/v3/calendars/(?P<cid>[^/]+)/events/(?P<eid>[^/]+)")
    def event_get(self, request: Request, cid: str, eid: str) -> Response:
        return Response(200, self._render_event(self._found_event(cid, eid)))

    @route("PUT", r"/calendar/v3/calendars/(?P<cid>[^/]+)/events/(?P<eid>[^/]+)")
    def event_update(self, request: Request, cid: str, eid: str) -> Response:
        event = self._found_event(cid, eid)
        self._if_match(request, event)
        body = self._valid_event(request.json())
        keep = {k: event[k] for k in ("id", "iCalUID", "created")}
        event.clear()
        event.update(body, **keep)
        event.setdefault("status", "confirmed")
        self._touch_event(event)
        return Response(200, self._render_event(event))

    @route("PATCH", r"/calendar/v3/calendars/(?P<cid>[^/]+)/events/(?P<eid>[^/]+)")
    def event_patch(self, request: Request, cid: str, eid: str) -> Response:
        event = self._found_event(cid, eid)
        self._if_match(request, event)
        merged = dict(copy.deepcopy(event), **(request.json() or {}))
        self._valid_event(merged)
        event.update(merged)
        self._touch_event(event)
        return Response(200, self._render_event(event))

    @route("DELETE", r"/calendar/v3/calendars/(?P<cid>[^/]+)/events/(?P<eid>[^/]+)")
    def event_delete(self, request: Request, cid: str, eid: str) -> Response:
        event = self._found_event(cid, eid)
        if event["status"] == "cancelled":
            raise calendar_error(410, "deleted", "Resource has been deleted")
        self._if_match(request, event)
        event["status"] = "cancelled"
        self._touch_event(event)
        return Response(204)


def _event_start(event: dict) -> str:
    start = event.get("start") or {}
    return (start.get("dateTime") or start.get("date") or "")[:19]


def _event_end(event: dict) -> str:
    end = event.get("end") or {}
    return (end.get("dateTime") or end.get("date") or "")[:19]


def _parse_moment(value: dict) -> datetime:
    """A start / end / originalStartTime -> a naive UTC datetime (dates at midnight)."""
    if value.get("date"):
        return datetime.fromisoformat(value["date"])
    return _parse_moment_text(value["dateTime"], False)


def _parse_moment_text(text: str, allday: bool) -> datetime:
    text = text.strip()
    if allday or len(text) == 8 or (len(text) == 10 and "-" in text):
        return datetime.strptime(text.replace("-", "")[:8], "%Y%m%d")
    if "-" not in text[:8]:  # iCalendar's basic form, 20261201T090000Z
        return datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S")
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _rfc3339_utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _instance_stamp(original_start: str) -> str:
    """Google's instance id suffix: 20261201T090000Z, or 20261201 for a date."""
    if "T" not in original_start:
        return original_start.replace("-", "")
    return _parse_moment_text(original_start, False).strftime("%Y%m%dT%H%M%SZ")
