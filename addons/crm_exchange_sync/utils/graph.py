"""Exchange Online contacts through Microsoft Graph v1.0, with msal for the tokens.

Plain Python (no ORM): takes an AccountContext, returns plain data, raises
crm_sync_base's typed errors whose text is Graph's or Entra's own words.

- Tokens: the client credentials flow (an app with the Contacts.ReadWrite application
  permission; the mailbox is ``/users/{login}``) or the device code flow (delegated;
  ``/me``), whose msal token cache lives in ``credentials["token_cache"]`` and is saved
  through ``ctx.save_credentials`` whenever msal changed it (a rotated refresh token).
- Sync: one delta query per contact folder (``contactFolders/{id}/contacts/delta``,
  the documented form); the sync token is JSON ``{folder id: deltaLink}``.
- Creates carry our tag in a named MAPI property (``singleValueExtendedProperties``),
  found again with ``$filter`` after a lost response; updates and deletes send If-Match
  with the contact's ``@odata.etag``.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from urllib.parse import quote

import msal
import requests
from msal.exceptions import MsalServiceError

from odoo.addons.crm_sync_base.engine.adapter import (
    AccountContext,
    AuthExpired,
    AuthFailed,
    BaseAdapter,
    ItemRejected,
    Listing,
    NotFound,
    RateLimited,
    RemoteItem,
    SyncError,
    TokenInvalid,
    Transient,
    VersionConflict,
)
from odoo.addons.crm_sync_base.utils.http import JsonHttpClient, retry_after_seconds

GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"
AUTHORITY_HOST = "https://login.microsoftonline.com"
GRAPH_RESOURCE = "https://graph.microsoft.com"
APP_SCOPES = [f"{GRAPH_RESOURCE}/.default"]
DELEGATED_SCOPES = [f"{GRAPH_RESOURCE}/Contacts.ReadWrite", f"{GRAPH_RESOURCE}/User.Read"]
LOCAL_TAG_PROPERTY = "String {e9985c97-2c4e-4dd6-80f0-5ab67799407d} Name CrmSyncLocalTag"

DELTA_PAGE_SIZE = 500
BATCH_LIMIT = 20  # requests in one JSON $batch (Graph's limit)
JSON_HEADERS = {"Content-Type": "application/json"}
THROTTLE_RETRIES = 3  # 429 / 503 answers honoured here before RateLimited reaches the runner
MAX_THROTTLE_WAIT = 30.0  # longer Retry-After: leave the wait to the runner
# What a delta / listing asks for (delta takes $select only on its first request).
CONTACT_FIELDS = (
    "id,givenName,surname,displayName,companyName,jobTitle,personalNotes,emailAddresses,"
    "businessPhones,mobilePhone,homePhones,businessAddress,homeAddress,categories,"
    "changeKey,lastModifiedDateTime,parentFolderId"
)
ADDRESS_FIELDS = (("street", "street"), ("city", "city"), ("state", "state"),
                  ("postal_code", "postalCode"), ("country", "countryOrRegion"))
DEVICE_FLOW_PENDING = ("authorization_pending", "slow_down")

__all__ = [
    "APP_SCOPES",
    "AUTHORITY_HOST",
    "DELEGATED_SCOPES",
    "GRAPH_ENDPOINT",
    "LOCAL_TAG_PROPERTY",
    "GraphClient",
    "GraphContactsAdapter",
    "TokenSource",
    "canonical_from_graph",
    "check_credentials",
    "finish_device_flow",
    "graph_exception",
    "graph_from_canonical",
    "list_folders",
    "start_device_flow",
]


# ---------------------------------------------------------------------- tokens

def _setting(ctx: AccountContext, key: str, default=None):
    value = (ctx.settings or {}).get(key)
    return default if value in (None, "") else value


def _session(ctx: AccountContext) -> requests.Session:
    """One session for Entra and Graph: environment read once, our CA when given (msal
    must get verify through its http_client: REQUESTS_CA_BUNDLE would win otherwise)."""
    session = JsonHttpClient._session(ctx.endpoint or GRAPH_ENDPOINT)
    bundle = _setting(ctx, "ca_bundle")
    if bundle:
        session.verify = bundle
    return session


def _entra_message(result: dict) -> str:
    """The first line of Entra's error_description ("AADSTS7000215: Invalid client
    secret provided..."), without the trace and correlation ids."""
    text = (result.get("error_description") or result.get("error") or "").strip()
    return text.splitlines()[0].strip() if text else "unknown error"


def _auth_flow(ctx: AccountContext) -> str:
    flow = _setting(ctx, "auth_flow", "client_credentials")
    if flow not in ("client_credentials", "device_code"):
        raise AuthFailed(f"Unknown sign-in method {flow!r}: use client credentials or the "
                         "device code.")
    return flow


class TokenSource:
    """Access tokens for Graph from msal, for one account context."""

    def __init__(self, ctx: AccountContext, session: requests.Session | None = None):
        self.ctx = ctx
        self.session = session or _session(ctx)
        self._app = None
        self._cache = None

    @property
    def flow(self) -> str:
        return _auth_flow(self.ctx)

    @property
    def authority(self) -> str:
        host = str(_setting(self.ctx, "authority_host", AUTHORITY_HOST)).rstrip("/")
        tenant = _setting(self.ctx, "tenant")
        if not tenant:
            if self.flow == "client_credentials":
                raise AuthFailed("Enter the tenant (directory) id or domain of the "
                                 "Microsoft 365 organisation.")
            tenant = "organizations"
        return f"{host}/{tenant}"

    def _client_id(self) -> str:
        client_id = _setting(self.ctx, "client_id")
        if not client_id:
            raise AuthFailed("Enter the application (client) id registered in Microsoft "
                             "Entra.")
        return client_id

    def app(self, *, fresh_cache: bool = False):
        """The msal application (built once: building it fetches the authority's OpenID
        configuration)."""
        if self._app is not None and not fresh_cache:
            return self._app
        client_id, authority = self._client_id(), self.authority
        kwargs = {"authority": authority, "http_client": self.session,
                  # Our authority host may not be Microsoft's (tests, sovereign clouds
                  # given explicitly): no discovery call to login.microsoftonline.com.
                  "instance_discovery": False, "timeout": self.ctx.timeout}
        try:
            if self.flow == "client_credentials":
                secret = (self.ctx.credentials or {}).get("client_secret")
                if not secret:
                    raise AuthFailed("Enter the client secret of the application.")
                app = msal.ConfidentialClientApplication(
                    client_id, client_credential=secret, **kwargs)
            else:
                cache = msal.SerializableTokenCache()
                serialized = None if fresh_cache else (self.ctx.credentials or {}).get(
                    "token_cache")
                if serialized:
                    try:
                        cache.deserialize(serialized)
                    except ValueError:
                        raise AuthFailed("The saved Microsoft sign-in is unreadable: sign in "
                                         "again with the device code.") from None
                self._cache = cache
                app = msal.PublicClientApplication(client_id, token_cache=cache, **kwargs)
        except ValueError as exc:
            raise AuthFailed(_authority_message(authority, exc)) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(f"Microsoft sign-in at {authority} could not be reached: "
                            f"{type(exc).__name__}") from None
        except (MsalServiceError, RuntimeError) as exc:  # a 5xx of the discovery endpoint
            raise Transient(f"Microsoft sign-in at {authority} is unavailable: {exc}"
                            ) from None
        if not fresh_cache:
            self._app = app
        return app

    def access_token(self, *, force_refresh: bool = False) -> str:
        app = self.app()
        try:
            if self.flow == "client_credentials":
                if force_refresh:  # msal refuses force_refresh here: drop its cached tokens
                    for at in list(app.token_cache.search(
                            app.token_cache.CredentialType.ACCESS_TOKEN)):
                        app.token_cache.remove_at(at)
                result = app.acquire_token_for_client(scopes=APP_SCOPES)
            else:
                accounts = app.get_accounts()
                if not accounts:
                    raise AuthFailed("No Microsoft user is signed in for this account: sign "
                                     "in with the device code.")
                result = app.acquire_token_silent_with_error(
                    DELEGATED_SCOPES, account=accounts[0], force_refresh=force_refresh)
                self._save_cache()
                if result is None:
                    raise AuthFailed("The Microsoft sign-in expired: sign in again with the "
                                     "device code.")
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(f"Microsoft sign-in could not be reached: "
                            f"{type(exc).__name__}") from None
        except MsalServiceError as exc:  # a 5xx of the token endpoint
            raise Transient(f"Microsoft sign-in is unavailable: {exc}") from None
        if "access_token" in result:
            return result["access_token"]
        if result.get("error") in ("temporarily_unavailable", "server_error"):
            raise Transient(f"Microsoft sign-in: {_entra_message(result)}")
        raise AuthFailed(f"Microsoft sign-in refused: {_entra_message(result)}")

    def _save_cache(self) -> None:
        if self._cache is not None and self._cache.has_state_changed:
            serialized = self._cache.serialize()
            self.ctx.credentials = dict(self.ctx.credentials or {}, token_cache=serialized)
            self.ctx.save_credentials({"token_cache": serialized})
            self._cache.has_state_changed = False


def _authority_message(authority: str, exc: ValueError) -> str:
    """msal says "Unable to get authority configuration"; the reason (an unknown
    tenant's AADSTS90002) is in the discovery answer it chained."""
    for error in (exc, exc.__context__):
        match = re.search(r"(AADSTS\d+: [^\\\"\r\n]+)", str(error or ""))
        if match:
            return f"Microsoft sign-in refused: {match.group(1).strip()}"
    return (f"Microsoft sign-in at {authority} is not available: check the tenant and the "
            "sign-in address.")


# ---------------------------------------------------------------------- HTTP

class GraphClient(JsonHttpClient):
    """Graph over requests: bearer tokens from a TokenSource (renewed once on a 401),
    429 / 503 Retry-After honoured a bounded number of times, Graph's errors as
    crm_sync_base's typed errors."""

    def __init__(self, ctx: AccountContext, tokens: TokenSource | None = None):
        session = tokens.session if tokens else _session(ctx)
        super().__init__(ctx.endpoint or GRAPH_ENDPOINT, timeout=ctx.timeout,
                         session=session)
        self.ctx = ctx
        self.tokens = tokens or TokenSource(ctx, session)
        self.sleep = time.sleep
        self.requests_made = 0
        self._token = None

    @property
    def owner(self) -> str:
        """Whose contacts: ``me`` (delegated) or ``users/{mailbox}`` (application).
        Settings are checked on use, so that a wrong one fails the call that needs it
        (with AuthFailed), not the construction."""
        if self.tokens.flow == "device_code":
            return "me"
        if not self.ctx.login:
            raise AuthFailed("Enter the mailbox address (e-mail) to synchronize.")
        return f"users/{quote(self.ctx.login, safe='@.')}"

    def headers(self) -> dict:
        if self._token is None:
            self._token = self.tokens.access_token()
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def refresh(self) -> None:
        self._token = self.tokens.access_token(force_refresh=True)

    def request(self, method: str, path: str, *, expect_token=False, **kwargs):
        throttled = renewed = 0
        while True:
            try:
                self.requests_made += 1
                return super().request(method, path, expect_token=expect_token,
                                       **dict(kwargs))
            except AuthExpired:
                if renewed:
                    raise
                renewed += 1
                self.refresh()
            except RateLimited as exc:
                wait = exc.retry_after if exc.retry_after is not None else 2.0 ** throttled
                if throttled >= THROTTLE_RETRIES or wait > MAX_THROTTLE_WAIT:
                    raise
                throttled += 1
                self.sleep(wait)

    def raise_for_status(self, response: requests.Response, *, expect_token=False) -> None:
        if response.status_code < 400:
            return
        code, message = _graph_error(response)
        raise graph_exception(response.status_code, code, message,
                              response.headers.get("Retry-After"), expect_token=expect_token)

    def batch(self, subrequests: list[dict]) -> list:
        """Requests sent through JSON ``$batch``, BATCH_LIMIT at a time; per request, in
        order, its JSON answer (None when empty) or its SyncError. Requests throttled
        inside a batch are sent again after their Retry-After, a bounded number of
        times. A batch refused as a whole before any succeeded raises (ItemRejected:
        send them one by one); after that, its requests carry the error."""
        results: list = [None] * len(subrequests)
        todo = list(range(len(subrequests)))
        rounds, answered = 0, False
        while todo:
            retry, wait = [], 0.0
            for start in range(0, len(todo), BATCH_LIMIT):
                chunk = todo[start:start + BATCH_LIMIT]
                payload = {"requests": [dict(subrequests[i], id=str(i)) for i in chunk]}
                try:
                    answer = self.json("POST", "$batch", json=payload) or {}
                except SyncError as exc:
                    if not answered:
                        raise
                    for i in chunk:
                        results[i] = exc
                    continue
                answered = True
                by_id = {str(r.get("id")): r for r in answer.get("responses") or ()}
                for i in chunk:
                    sub = by_id.get(str(i))
                    if sub is None:
                        results[i] = Transient("Microsoft Graph left a request of a batch "
                                               "unanswered.")
                        continue
                    status = int(sub.get("status") or 0)
                    if status < 400:
                        results[i] = sub.get("body")
                        continue
                    headers = {k.lower(): v for k, v in (sub.get("headers") or {}).items()}
                    code, message = _error_of(sub.get("body"))
                    exc = graph_exception(status, code, message or f"HTTP {status}",
                                          headers.get("retry-after"))
                    results[i] = exc
                    if isinstance(exc, RateLimited):
                        retry.append(i)
                        wait = max(wait, exc.retry_after if exc.retry_after is not None
                                   else 2.0 ** rounds)
            if not retry or rounds >= THROTTLE_RETRIES or wait > MAX_THROTTLE_WAIT:
                break
            rounds += 1
            self.sleep(wait)
            todo = retry
        return results

    def pages(self, path: str, *, params=None, headers=None, expect_token=False):
        """Every page of a collection, following @odata.nextLink."""
        url, query = path, params
        while url:
            page = self.json("GET", url, params=query, headers=headers or {},
                             expect_token=expect_token) or {}
            yield page
            url, query = page.get("@odata.nextLink"), None


def _graph_error(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        body = None
    code, message = _error_of(body)
    return code, message or f"{response.status_code} {response.reason or ''}".strip()


def _error_of(body) -> tuple[str, str]:
    """Graph's ``{"error": {"code", "message"}}``: its code and words."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error.get("code") or ""), str(error["message"])[:400]
    return "", ""


def graph_exception(status: int, code: str, message: str, retry_after: str | None = None,
                    *, expect_token: bool = False) -> SyncError:
    """A Graph error answer as crm_sync_base's typed error, in Graph's own words."""
    text = f"{code}: {message}" if code else message
    if status == 401:
        return AuthExpired(f"Microsoft Graph refused the token: {text}")
    if status == 403:
        return AuthFailed(f"Microsoft Graph denied access: {text} (the application needs the "
                          "Contacts.ReadWrite permission, with admin consent for application "
                          "permissions)")
    if status == 404 and code in ("ErrorInvalidUser", "MailboxNotEnabledForRESTAPI",
                                  "ResourceNotFound", "Request_ResourceNotFound"):
        return AuthFailed(f"Microsoft Graph does not know this mailbox: {text}")
    if status == 410 and expect_token:
        return TokenInvalid(f"Microsoft Graph refused the sync state: {text}")
    if status in (404, 410):
        return NotFound(text)
    if status == 412 or code == "ErrorIrresolvableConflict":
        return VersionConflict(text)
    if status in (429, 503):
        return RateLimited(f"Microsoft Graph is throttling: {text}",
                           retry_after_seconds(retry_after))
    if status >= 500 or status == 408:
        return Transient(f"Microsoft Graph: {text}")
    return ItemRejected(f"Microsoft Graph refused the request: {text}")


# ---------------------------------------------------------------------- mapping

def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def canonical_from_graph(contact: dict) -> dict:
    """A Graph contact as the canonical dict (every key present, "" / [] when empty)."""
    def address(value) -> dict:
        value = value or {}
        return {ours: _text(value.get(theirs)) for ours, theirs in ADDRESS_FIELDS}

    def first(values) -> str:
        return next((_text(v) for v in values or () if _text(v)), "")

    emails = [_text(e.get("address")) for e in contact.get("emailAddresses") or ()
              if isinstance(e, dict) and _text(e.get("address"))]
    return {
        "given_name": _text(contact.get("givenName")),
        "surname": _text(contact.get("surname")),
        "display_name": _text(contact.get("displayName")),
        "company_name": _text(contact.get("companyName")),
        "job_title": _text(contact.get("jobTitle")),
        "notes": (contact.get("personalNotes") or "").replace("\r\n", "\n").strip(),
        "emails": emails[:3],
        "business_phone": first(contact.get("businessPhones")),
        "mobile_phone": _text(contact.get("mobilePhone")),
        "home_phone": first(contact.get("homePhones")),
        "business_address": address(contact.get("businessAddress")),
        "home_address": address(contact.get("homeAddress")),
        "categories": sorted({_text(c) for c in contact.get("categories") or () if _text(c)}),
    }


def graph_from_canonical(values: dict) -> dict:
    """The canonical dict as a Graph contact body: every field written, so that what
    became empty is cleared."""
    def address(value) -> dict:
        value = value or {}
        return {theirs: value.get(ours) or "" for ours, theirs in ADDRESS_FIELDS}

    def one(value) -> list:
        return [value] if value else []

    return {
        "givenName": values.get("given_name") or "",
        "surname": values.get("surname") or "",
        "displayName": values.get("display_name") or "",
        "companyName": values.get("company_name") or "",
        "jobTitle": values.get("job_title") or "",
        "personalNotes": values.get("notes") or "",
        "emailAddresses": [{"address": e, "name": e}
                           for e in (values.get("emails") or [])[:3] if e],
        "businessPhones": one(values.get("business_phone")),
        "mobilePhone": values.get("mobile_phone") or "",
        "homePhones": one(values.get("home_phone")),
        "businessAddress": address(values.get("business_address")),
        "homeAddress": address(values.get("home_address")),
        "categories": sorted(set(values.get("categories") or [])),
    }


def _modified(contact: dict) -> datetime | None:
    value = contact.get("lastModifiedDateTime")
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(
            timezone.utc).replace(tzinfo=None)
    except ValueError:
        return None


def _tag_of(contact: dict) -> str | None:
    for prop in contact.get("singleValueExtendedProperties") or ():
        if " ".join(str(prop.get("id", "")).split()).lower() == LOCAL_TAG_PROPERTY.lower():
            return prop.get("value") or None
    return None


def _item(contact: dict) -> RemoteItem:
    return RemoteItem(remote_id=contact["id"], version=contact.get("@odata.etag"),
                      values=canonical_from_graph(contact), modified=_modified(contact),
                      local_tag=_tag_of(contact))


# ---------------------------------------------------------------------- adapter

def _odata_quote(value: str) -> str:
    return value.replace("'", "''")


class GraphContactsAdapter(BaseAdapter):
    """Contacts of one Exchange Online mailbox, the RemoteAdapter of crm_sync_base."""

    def __init__(self, context: AccountContext):
        super().__init__(context)
        self.client = GraphClient(context)

    @property
    def owner(self) -> str:
        return self.client.owner

    # -- helpers ------------------------------------------------------------------

    def _path(self, tail: str) -> str:
        return f"{self.owner}/{tail}"

    @staticmethod
    def _fid(folder_id: str) -> str:
        return quote(folder_id, safe="")

    def _chosen_folders(self) -> list[str] | None:
        """The folders the account imports from; None: every contact folder."""
        chosen = (self.context.settings or {}).get("folder_ids")
        return None if chosen is None else list(dict.fromkeys(chosen))

    def _folder_ids(self) -> list[str]:
        chosen = self._chosen_folders()
        if chosen is not None:
            return chosen
        return [f["id"] for f in _folders(self.client, self.owner)]

    # -- protocol -------------------------------------------------------------------

    def check(self) -> dict:
        return _check(self.client, self.owner, self.context)

    def list_changes(self, token: str | None) -> Listing:
        links = None
        if token:
            try:
                links = json.loads(token)
            except ValueError:
                links = None
            if not isinstance(links, dict):
                raise TokenInvalid("The saved Exchange Online sync state is unreadable.")
        items: dict[str, RemoteItem] = {}
        next_links: dict[str, str] = {}
        complete = links is None
        folder_ids = self._folder_ids()
        if links and self._chosen_folders() is None and set(links) - set(folder_ids):
            # A folder synced last time is no longer in the mailbox's tree: deleted in
            # Exchange. Only a full listing tells which of its contacts went with it.
            # (A folder the user stopped choosing is simply left out of the token.)
            return self.list_changes(None)
        for fid in folder_ids:
            link = links.get(fid) if links is not None else None
            try:
                delta_link = self._delta(fid, link, items)
            except NotFound:
                if links is not None and fid in links:
                    # A folder we synced is gone: only a full listing tells the engine
                    # which of its contacts disappeared with it.
                    return self.list_changes(None)
                continue  # a chosen folder deleted before its first sync: nothing to see
            next_links[fid] = delta_link
            if link is None and links is not None:
                complete = False  # a newly chosen folder's full round in an incremental run
        return Listing(items=list(items.values()), next_token=json.dumps(next_links,
                                                                         sort_keys=True),
                       complete=complete, clock_offset=self.client.last_clock_offset)

    def _delta(self, fid: str, link: str | None, items: dict, *, again: bool = True) -> str:
        """One delta round of a folder into `items`; returns its new deltaLink."""
        headers = {"Prefer": f"odata.maxpagesize={DELTA_PAGE_SIZE}"}
        if link:
            pages = self.client.pages(link, headers=headers, expect_token=True)
        else:
            pages = self.client.pages(self._path(f"contactFolders/{self._fid(fid)}/contacts/"
                                                 "delta"),
                                      params={"$select": CONTACT_FIELDS}, headers=headers,
                                      expect_token=True)
        try:
            for page in pages:
                for contact in page.get("value") or ():
                    if "@removed" in contact:
                        # Gone from this folder; if another synced folder lists it alive
                        # (moved), it was not deleted.
                        if contact["id"] not in items:
                            items[contact["id"]] = RemoteItem(remote_id=contact["id"],
                                                              deleted=True)
                    else:
                        items[contact["id"]] = _item(contact)
                if page.get("@odata.deltaLink"):
                    return page["@odata.deltaLink"]
        except TokenInvalid:
            if link or not again:
                raise
            # A nextLink of a first round expired midway: that round is redone once.
            return self._delta(fid, None, items, again=False)
        raise Transient("Microsoft Graph ended a delta listing without a deltaLink.")

    def _export_path(self) -> str:
        fid = _setting(self.context, "export_folder_id")
        return self._path(f"contactFolders/{self._fid(fid)}/contacts" if fid else "contacts")

    def create(self, values: dict, local_tag: str):
        body = dict(graph_from_canonical(values), singleValueExtendedProperties=[
            {"id": LOCAL_TAG_PROPERTY, "value": local_tag}])
        try:
            created = self.client.json("POST", self._export_path(), json=body)
        except NotFound as exc:
            raise ItemRejected(f"The Exchange folder chosen for new contacts no longer "
                               f"exists ({exc}): choose another one.") from None
        return created["id"], created.get("@odata.etag"), canonical_from_graph(created)

    def update(self, remote_id: str, values: dict, if_match: str | None):
        headers = {"If-Match": if_match} if if_match else {}
        updated = self.client.json("PATCH", self._path(f"contacts/{self._fid(remote_id)}"),
                                   json=graph_from_canonical(values), headers=headers)
        return updated.get("@odata.etag"), canonical_from_graph(updated)

    def delete(self, remote_id: str, if_match: str | None) -> None:
        headers = {"If-Match": if_match} if if_match else {}
        self.client.request("DELETE", self._path(f"contacts/{self._fid(remote_id)}"),
                            headers=headers)

    # Optional batch methods of crm_sync_base's runner, through JSON $batch.

    def create_many(self, items: list[tuple[dict, str]]) -> list:
        path = "/" + self._export_path()
        subrequests = [{"method": "POST", "url": path, "headers": JSON_HEADERS,
                        "body": dict(graph_from_canonical(values),
                                     singleValueExtendedProperties=[
                                         {"id": LOCAL_TAG_PROPERTY, "value": tag}])}
                       for values, tag in items]
        out = []
        for result in self.client.batch(subrequests):
            if isinstance(result, NotFound):
                result = ItemRejected(f"The Exchange folder chosen for new contacts no "
                                      f"longer exists ({result}): choose another one.")
            if isinstance(result, SyncError):
                out.append(result)
            else:
                out.append((result["id"], result.get("@odata.etag"),
                            canonical_from_graph(result)))
        return out

    def update_many(self, items: list[tuple[str, dict, str | None]]) -> list:
        subrequests = [{"method": "PATCH",
                        "url": "/" + self._path(f"contacts/{self._fid(remote_id)}"),
                        "headers": dict(JSON_HEADERS, **({"If-Match": if_match}
                                                         if if_match else {})),
                        "body": graph_from_canonical(values)}
                       for remote_id, values, if_match in items]
        return [result if isinstance(result, SyncError)
                else (result.get("@odata.etag"), canonical_from_graph(result))
                for result in self.client.batch(subrequests)]

    def delete_many(self, items: list[tuple[str, str | None]]) -> list:
        subrequests = [{"method": "DELETE",
                        "url": "/" + self._path(f"contacts/{self._fid(remote_id)}"),
                        **({"headers": {"If-Match": if_match}} if if_match else {})}
                       for remote_id, if_match in items]
        return [result if isinstance(result, SyncError) else None
                for result in self.client.batch(subrequests)]

    def find_by_tag(self, local_tag: str) -> RemoteItem | None:
        export = _setting(self.context, "export_folder_id")
        folders = [export] if export else [_root_folder(self.client, self.owner)["id"]]
        folders += [f for f in self._folder_ids() if f not in folders]
        params = {
            "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq "
                       f"'{LOCAL_TAG_PROPERTY}' and ep/value eq '{_odata_quote(local_tag)}')",
            "$expand": f"singleValueExtendedProperties($filter=id eq '{LOCAL_TAG_PROPERTY}')",
            "$select": CONTACT_FIELDS,
        }
        for fid in folders:
            try:
                page = self.client.json(
                    "GET", self._path(f"contactFolders/{self._fid(fid)}/contacts"),
                    params=params)
            except NotFound:
                continue
            for contact in (page or {}).get("value") or ():
                if _tag_of(contact) == local_tag:
                    return _item(contact)
        return None

    def refresh_auth(self) -> None:
        self.client.refresh()


# ---------------------------------------------------------------------- UI calls

def _root_folder(client: GraphClient, owner: str) -> dict:
    return client.json("GET", f"{owner}/contactFolders/contacts")


def _folders(client: GraphClient, owner: str) -> list[dict]:
    root = _root_folder(client, owner)
    out = [{"id": root["id"], "name": root.get("displayName") or "Contacts",
            "parent_id": None, "path": root.get("displayName") or "Contacts"}]
    queue = [(out[0], root.get("childFolderCount"))]
    while queue:
        parent, count = queue.pop(0)
        if count == 0:
            continue
        path = f"{owner}/contactFolders/{quote(parent['id'], safe='')}/childFolders"
        for page in client.pages(path, params={"$top": 100}):
            for folder in page.get("value") or ():
                name = folder.get("displayName") or ""
                entry = {"id": folder["id"], "name": name, "parent_id": parent["id"],
                         "path": f"{parent['path']}/{name}"}
                out.append(entry)
                queue.append((entry, folder.get("childFolderCount")))
    return out


def _check(client: GraphClient, owner: str, ctx: AccountContext) -> dict:
    _root_folder(client, owner)  # proves the token and the Contacts permission
    try:
        user = client.json("GET", owner,
                           params={"$select": "id,displayName,mail,userPrincipalName"})
    except AuthFailed:
        # Reading the profile needs User.Read(.All), which the sync does not: the contacts
        # answered, so the mailbox is the one configured.
        user = {}
    return {"mailbox": user.get("mail") or user.get("userPrincipalName") or ctx.login or "",
            "display_name": user.get("displayName") or ""}


def check_credentials(ctx: AccountContext) -> dict:
    """Sign in and reach the mailbox's contacts now: ``{"mailbox", "display_name"}``;
    AuthFailed with Entra's / Graph's reason otherwise."""
    client = GraphClient(ctx)
    return _check(client, client.owner, ctx)


def list_folders(ctx: AccountContext) -> list[dict]:
    """The mailbox's contact folder tree, the default Contacts folder first:
    ``[{"id", "name", "parent_id", "path"}]``."""
    client = GraphClient(ctx)
    return _folders(client, client.owner)


def start_device_flow(ctx: AccountContext) -> dict:
    """Begin a device code sign-in: ``{"user_code", "verification_uri", "message",
    "expires_at", "flow"}``; keep ``flow`` (JSON-safe) for finish_device_flow."""
    tokens = TokenSource(_device_context(ctx))
    try:
        flow = tokens.app(fresh_cache=True).initiate_device_flow(scopes=DELEGATED_SCOPES)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise Transient(f"Microsoft sign-in could not be reached: {type(exc).__name__}"
                        ) from None
    if "user_code" not in flow:
        raise AuthFailed(f"Microsoft sign-in refused: {_entra_message(flow)}")
    return {"user_code": flow["user_code"], "verification_uri": flow["verification_uri"],
            "message": flow.get("message") or "", "expires_at": flow.get("expires_at"),
            "flow": flow}


def finish_device_flow(ctx: AccountContext, flow: dict) -> dict | None:
    """Poll the sign-in once, without waiting: None while the user has not finished;
    ``{"token_cache", "mailbox", "display_name"}`` once signed in; AuthFailed when
    declined or expired."""
    ctx = _device_context(ctx)
    tokens = TokenSource(ctx)
    app = tokens.app(fresh_cache=True)
    cache = tokens._cache
    try:
        result = app.acquire_token_by_device_flow(dict(flow), exit_condition=lambda f: True)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise Transient(f"Microsoft sign-in could not be reached: {type(exc).__name__}"
                        ) from None
    if "access_token" not in result:
        if result.get("error") in DEVICE_FLOW_PENDING:
            return None
        if result.get("error") == "authorization_declined":
            raise AuthFailed(f"The sign-in was declined: {_entra_message(result)}")
        if result.get("error") in ("expired_token", "bad_verification_code"):
            raise AuthFailed(f"The sign-in code expired: start again. "
                             f"({_entra_message(result)})")
        raise AuthFailed(f"Microsoft sign-in refused: {_entra_message(result)}")
    claims = result.get("id_token_claims") or {}
    serialized = cache.serialize()
    signed_in = AccountContext(account_id=ctx.account_id, provider=ctx.provider,
                               endpoint=ctx.endpoint, login=ctx.login,
                               credentials={"token_cache": serialized},
                               settings=ctx.settings, timeout=ctx.timeout)
    try:
        user = _check(GraphClient(signed_in), "me", signed_in)
    except SyncError:
        user = {"mailbox": claims.get("preferred_username") or "",
                "display_name": claims.get("name") or ""}
    return {"token_cache": signed_in.credentials.get("token_cache", serialized),
            "mailbox": user["mailbox"], "display_name": user["display_name"]}


def _device_context(ctx: AccountContext) -> AccountContext:
    settings = dict(ctx.settings or {}, auth_flow="device_code")
    return AccountContext(account_id=ctx.account_id, provider=ctx.provider,
                          endpoint=ctx.endpoint, login=ctx.login,
                          credentials=dict(ctx.credentials or {}), settings=settings,
                          timeout=ctx.timeout, save_credentials=ctx.save_credentials)
