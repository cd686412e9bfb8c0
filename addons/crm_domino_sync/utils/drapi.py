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

import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import requests

from odoo.addons.crm_sync_base.engine.adapter import (
    AuthExpired,
    AuthFailed,
    ItemRejected,
    NotFound,
    SyncError,
    VersionConflict,
)
from odoo.addons.crm_sync_base.utils.http import JsonHttpClient, error_message

from .das import das_date

BASIS = "/api/v1"
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
        response = self.session.post(
            f"{self.base_url}{BASIS}/auth", json={"username": self.login,
                                                  "password": self._password},
            headers={"Accept": "application/json"}, timeout=self.timeout)
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

    def server_now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.last_clock_offset)


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
