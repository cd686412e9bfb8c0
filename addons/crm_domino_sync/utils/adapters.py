"""The sync engine's adapters for Domino: contacts and To Do through the data service,
events through the calendar service. Plain Python over DasClient.

Incremental listings: DAS's ``documents?since=`` gives the documents changed since a
time but never the deletions, and the calendar service has no "changed since" at all.
So the sync token remembers when the last listing was taken (on the server's clock)
and which items were synced or private then; each run reads the view (or the event
range), which is cheap, fetches in full only what is new or changed, and reports as
deleted what left the view. Private items are never fetched into the sync: one that
becomes private is reported as gone (the account's deletion setting applies).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from odoo.addons.crm_sync_base.engine.adapter import (
    BaseAdapter,
    Listing,
    NotFound,
    RemoteItem,
)

from . import mapping
from .das import DasClient, parse_das_date
from .drapi import DrapiClient

FETCH_WORKERS = 6  # documents are fetched one per request: overlap their latency
SINCE_MARGIN = timedelta(seconds=1)  # DAS compares times to the second
EVENTS_AHEAD = timedelta(days=5 * 366)  # "all events" still needs an end for the range
EVENTS_ALL_SINCE = datetime(1990, 1, 1, tzinfo=timezone.utc)


def _client(context) -> DasClient | DrapiClient:
    """DAS (Basic auth) or the Domino REST API (bearer token), as the account says:
    both offer the same data-service methods."""
    password = context.credentials.get("password") or ""
    if context.settings.get("api") == "drapi":
        if context.settings.get("drapi_auth") == "token":
            password = ""  # the pasted token only: never sign in by ourselves
        return DrapiClient(context.endpoint, context.login or "", password,
                           context.credentials.get("api_token") or "",
                           timeout=context.timeout)
    return DasClient(context.endpoint, context.login or "", password,
                     timeout=context.timeout)


def _load_token(token: str | None) -> dict | None:
    if not token:
        return None
    try:
        state = json.loads(token)
        return {"at": parse_das_date(state["at"]), "ids": set(state.get("ids") or ()),
                "private": set(state.get("private") or ())}
    except (ValueError, KeyError, TypeError):
        return None  # an unreadable token: list everything again (no duplicates)


def _fetch_all(fetch, keys):
    """``{key: fetch(key)}`` for every key, a few requests at a time; a key whose item
    is gone (NotFound: deleted while we listed) is left out, the next run reports it.
    Any other error stops the listing, as a single request would."""

    def one(key):
        try:
            return key, fetch(key)
        except NotFound:
            return key, None

    keys = list(keys)
    if len(keys) < 2:
        results = map(one, keys)
    else:
        with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
            results = list(pool.map(one, keys))
    return {key: value for key, value in results if value is not None}


def _dump_token(at: datetime, ids: set, private: set) -> str:
    return json.dumps({"at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "ids": sorted(ids),
                       "private": sorted(private)})


class _TokenKeeper:
    """The token of a listing names the synced ids. Items this run creates remotely are
    added to it before the runner stores it (it reads ``next_token`` after applying),
    so one deleted in Domino before the next listing is still seen as deleted."""

    _listed = None

    def _listing(self, items, taken_at, ids, private, complete):
        listing = Listing(items, _dump_token(taken_at, ids, private), complete=complete,
                          clock_offset=self.client.last_clock_offset)
        self._listed = (listing, taken_at, ids, private)
        return listing

    def _created(self, remote_id):
        if self._listed is not None:
            listing, taken_at, ids, private = self._listed
            ids.add(remote_id)
            listing.next_token = _dump_token(taken_at, ids, private)


class DominoDocumentAdapter(_TokenKeeper, BaseAdapter):
    """Documents of one form shown in one view of one database."""

    kind = ""
    form = ""
    database_key = ""  # settings key of the database path
    view_key = ""

    def __init__(self, context):
        super().__init__(context)
        self.client = _client(context)
        self.database = context.settings.get(self.database_key) or ""
        self.view = context.settings.get(self.view_key) or ""

    # plain-data conversions, per kind
    def to_canonical(self, doc: dict) -> dict | None:
        raise NotImplementedError

    def to_items(self, values: dict) -> dict:
        raise NotImplementedError

    def check(self) -> dict:
        # The database (or scope) first, then the view.
        self.client.check_documents(self.database, self.form)
        self.client.check_view(self.database, self.view)
        return {"login": self.context.login}

    def _item(self, unid: str, doc: dict) -> RemoteItem | None:
        values = self.to_canonical(doc)
        if values is None:
            return None
        # DRAPI's revision when there is one (sent back on updates), else DAS's time.
        return RemoteItem(unid, version=doc.get("@revision") or doc.get("@modified"),
                          values=values,
                          modified=parse_das_date(doc.get("@modified")),
                          local_tag=mapping._scalar(doc.get(mapping.TAG_ITEM)) or None)

    def list_changes(self, token):
        state = _load_token(token)
        entries = self.client.view_entries(self.database, self.view)
        taken_at = self.client.server_now() - SINCE_MARGIN
        in_view = [e["@unid"] for e in entries if e.get("@unid")]
        in_view_set = set(in_view)
        if state is None:
            wanted = in_view
            ids, private = set(), set()
        else:
            ids, private = state["ids"] & in_view_set, state["private"] & in_view_set
            changed = set(self.client.changed_since(self.database, state["at"]))
            wanted = [u for u in in_view
                      if u in changed or (u not in state["ids"] and u not in private)]
        items = []
        docs = _fetch_all(lambda unid: self.client.document(self.database, unid), wanted)
        for unid in wanted:
            if unid not in docs:
                continue  # deleted while we listed: the next run reports it
            item = self._item(unid, docs[unid])
            if item is None:
                private.add(unid)
                if unid in ids:
                    ids.discard(unid)
                    items.append(RemoteItem(unid, deleted=True))
                continue
            private.discard(unid)
            ids.add(unid)
            items.append(item)
        if state is not None:
            items += [RemoteItem(u, deleted=True) for u in sorted(state["ids"] - in_view_set)]
        return self._listing(items, taken_at, ids, private, complete=state is None)

    # Writes answer 201/200 without the document; it is not read back: the next
    # listing shows it (new in the view, or changed since) with its Last-Modified, and
    # the binding takes that version before any later write is planned.
    def create(self, values, local_tag):
        items = dict(self.to_items(values), **{mapping.TAG_ITEM: local_tag})
        unid = self.client.create_document(self.database, self.form, items)
        self._created(unid)
        return unid, None, None

    def update(self, remote_id, values, if_match):
        self.client.patch_document(self.database, remote_id, self.to_items(values), if_match)
        return None, None

    def delete(self, remote_id, if_match):
        self.client.delete_document(self.database, remote_id, if_match)

    def find_by_tag(self, local_tag):
        for unid in self.client.search(self.database, mapping.TAG_ITEM, local_tag):
            try:
                item = self._item(unid, self.client.document(self.database, unid))
            except NotFound:
                continue
            if item is not None:
                return item
        return None


class DominoContactsAdapter(DominoDocumentAdapter):
    kind, form = "contacts", "Person"
    database_key, view_key = "contacts_db", "contacts_view"

    def to_canonical(self, doc):
        return mapping.contact_canonical(doc)

    def to_items(self, values):
        return mapping.contact_items(values)


class DominoTasksAdapter(DominoDocumentAdapter):
    kind, form = "tasks", "Task"
    database_key, view_key = "mail_db", "tasks_view"

    def to_canonical(self, doc):
        return mapping.task_canonical(doc)

    def to_items(self, values):
        return mapping.task_items(values)


class DominoEventsAdapter(_TokenKeeper, BaseAdapter):
    """The mail file's calendar, within the account's event range."""

    kind = "events"

    def __init__(self, context):
        super().__init__(context)
        self.client = _client(context)
        self.database = context.settings.get("mail_db") or ""
        since = context.settings.get("events_since")
        self.since = (datetime.fromisoformat(since).replace(tzinfo=timezone.utc)
                      if since else EVENTS_ALL_SINCE)

    def check(self):
        self.client.check_calendar(self.database)
        return {"login": self.context.login}

    def _item(self, event: dict) -> RemoteItem | None:
        values = mapping.event_canonical(event)
        if values is None:
            return None
        return RemoteItem(event["id"], version=event.get("last-modified"), values=values,
                          modified=parse_das_date(event.get("last-modified")),
                          local_tag=event.get(mapping.EVENT_TAG) or None)

    def list_changes(self, token):
        state = _load_token(token)
        before = datetime.now(timezone.utc) + EVENTS_AHEAD
        summaries = self.client.events(self.database, self.since, before)
        taken_at = self.client.server_now() - SINCE_MARGIN
        listed = {e["id"]: e for e in summaries if e.get("id")}
        ids = set() if state is None else state["ids"] & set(listed)
        private = set()
        items = []
        to_fetch = []
        for event_id, summary in listed.items():
            if mapping.is_private_event(summary):
                private.add(event_id)
                if state is not None and event_id in state["ids"]:
                    ids.discard(event_id)
                    items.append(RemoteItem(event_id, deleted=True))
                continue
            modified = parse_das_date(summary.get("last-modified"))
            if (state is not None and event_id in state["ids"] and modified is not None
                    and modified < state["at"]):
                continue  # unchanged since the last listing
            to_fetch.append(event_id)
        events = _fetch_all(lambda event_id: self.client.event(self.database, event_id),
                            to_fetch)
        for event_id in to_fetch:
            if event_id not in events:
                continue
            item = self._item(events[event_id])
            if item is None:
                private.add(event_id)
                continue
            ids.add(event_id)
            items.append(item)
        if state is not None:
            items += [RemoteItem(i, deleted=True) for i in sorted(state["ids"] - set(listed))]
        return self._listing(items, taken_at, ids, private, complete=state is None)

    def create(self, values, local_tag, attendees=()):
        event = dict(mapping.event_json(values), **{mapping.EVENT_TAG: local_tag})
        if attendees:
            event["attendees"] = [dict(a, role=a.get("role") or "req-participant")
                                  for a in attendees]
        if values.get("alarm_minutes"):
            event["alarm"] = {"action": "display",
                              "trigger": f"-PT{int(values['alarm_minutes'])}M"}
        event_id = self.client.create_event(self.database, event)
        self._created(event_id)
        return event_id, None, None

    def update(self, remote_id, values, if_match):
        # PUT replaces the entry: keep what Odoo does not map (attendees, organizer...).
        current = self.client.event(self.database, remote_id)
        merged = {k: v for k, v in current.items() if k not in ("href", "last-modified")}
        merged.update(mapping.event_json(values))
        self.client.put_event(self.database, remote_id, merged, if_match)
        return None, None

    def delete(self, remote_id, if_match):
        self.client.delete_event(self.database, remote_id)
