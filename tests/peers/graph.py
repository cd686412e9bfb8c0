"""GraphPeer: the Microsoft identity platform and Microsoft Graph v1.0 contacts, over TLS.

msal accepts only an https authority (../shared/PROVIDERS.md 2.1b), so this peer serves
TLS (``peer.ca_file`` verifies it). One server plays both hosts:

- identity platform, under ``/{tenant}/`` (the tenant's id or domain):
  ``v2.0/.well-known/openid-configuration`` (400 ``invalid_tenant`` AADSTS90002 for an
  unknown tenant, which msal reports when building the application),
  ``oauth2/v2.0/devicecode`` and ``oauth2/v2.0/token`` with the client_credentials,
  refresh_token and device_code grants; errors with Entra's body
  (``error``, ``error_description`` starting with the AADSTS code, ``error_codes``...):
  unknown client (AADSTS700016), wrong secret (AADSTS7000215), a public-client flow for
  a confidential app (AADSTS7000218), a locked (AADSTS50053) or disabled (AADSTS50057)
  user, an expired refresh token (AADSTS700082), ``authorization_pending``,
  ``authorization_declined``, ``expired_token``;
- Graph, under ``/v1.0/``: ``/me`` (delegated tokens) and ``/users/{id | upn}``
  (application tokens with the Contacts role), contactFolders (``/contactFolders`` lists
  the folders under the default Contacts folder, ``contactFolders/contacts`` is that
  folder, ``childFolders``), contacts in a folder and by id (GET, POST, PATCH, DELETE),
  ``contactFolders/{id}/contacts/delta`` (``$select`` only on the first request,
  ``Prefer: odata.maxpagesize``, ``@odata.nextLink`` then ``@odata.deltaLink``,
  ``@removed``, 410 ``syncStateNotFound`` after ``expire_delta_tokens()``),
  ``@odata.etag`` + ``changeKey`` with If-Match → 412 ``ErrorIrresolvableConflict``,
  ``singleValueExtendedProperties`` written by POST / PATCH, read with
  ``$expand=singleValueExtendedProperties($filter=id eq '...')`` and searched with
  ``$filter=singleValueExtendedProperties/Any(ep: ep/id eq '...' and ep/value eq '...')``.
  401 ``InvalidAuthenticationToken`` for an expired or unknown token, 403
  ``ErrorAccessDenied`` without the permission, 404 ``ErrorItemNotFound`` for a
  deleted folder or contact. 429 with Retry-After comes from ``peer.throttle()``.
- JSON batching: ``POST /v1.0/$batch`` with at most 20 requests, answered in another
  order than asked (clients must match by ``id``); an injected fault with a status
  (``peer.inject`` / ``peer.throttle``) matching a sub-request answers that
  sub-request alone, as Graph throttles each request of a batch.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

from .base import Headers, HTTPError, Peer, Request, Response, route

GRAPH_RESOURCE = "https://graph.microsoft.com"
DEFAULT_DELTA_PAGE = 10
MAX_PAGE = 1000
MAX_BATCH = 20  # JSON batching: at most 20 requests in one $batch
ACCESS_TOKEN_LIFETIME = 3599

# Every property a contact takes on create / update (microsoft.graph.contact).
CONTACT_PROPERTIES = {
    "givenName", "surname", "middleName", "nickName", "displayName", "fileAs", "title",
    "initials", "generation", "companyName", "department", "jobTitle", "officeLocation",
    "profession", "manager", "assistantName", "spouseName", "birthday", "personalNotes",
    "emailAddresses", "imAddresses", "businessPhones", "homePhones", "mobilePhone",
    "businessAddress", "homeAddress", "otherAddress", "businessHomePage", "categories",
    "children", "yomiGivenName", "yomiSurname", "yomiCompanyName",
    "singleValueExtendedProperties",
}
ADDRESS_KEYS = ("street", "city", "state", "postalCode", "countryOrRegion")
READ_ONLY = {"id", "changeKey", "createdDateTime", "lastModifiedDateTime", "parentFolderId",
             "@odata.etag", "@odata.context"}


def graph_error(status: int, code: str, message: str, headers: dict | None = None) -> HTTPError:
    """Graph's error body (learn.microsoft.com/graph/errors)."""
    return HTTPError(status, {"error": {"code": code, "message": message, "innerError": {
        "date": "2026-11-22T10:00:00", "request-id": str(uuid.uuid4()),
        "client-request-id": str(uuid.uuid4())}}}, headers)


def _ext_id(value: str) -> str:
    """Extended property ids compare case-insensitively, with normalised spacing."""
    return " ".join(value.split()).lower()


class GraphPeer(Peer):
    tls = True
    TENANT_ID = "8c3dad1d-b6bc-4f8b-939b-8263372eced6"
    TENANT_DOMAIN = "contoso.onmicrosoft.com"
    CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
    CLIENT_SECRET = "Qx8Q~secret.value~0123456789"
    PUBLIC_CLIENT_ID = "d3590ed6-52b3-4102-aeff-aad2292ab01c"

    # -- state -------------------------------------------------------------------

    def reset_state(self) -> None:
        self.apps = {
            # A confidential app with the Contacts.ReadWrite application role.
            self.CLIENT_ID: {"secret": self.CLIENT_SECRET, "public": False,
                             "roles": {"Contacts.ReadWrite", "User.Read.All"}},
            # A public client ("Allow public client flows") for the device code flow.
            self.PUBLIC_CLIENT_ID: {"secret": None, "public": True, "roles": set()},
        }
        self.users: dict[str, dict] = {}
        self.mailboxes: dict[str, dict] = {}  # user id -> {"root", "folders", "contacts", "seq"}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.device_codes: dict[str, dict] = {}
        self.delta_states: dict[str, dict] = {}
        self.gone_code = "syncStateNotFound"
        self.user_id = self.add_user("ann@contoso.com", "Ann Smith")

    def add_user(self, mail: str, display_name: str) -> str:
        with self.lock:
            uid = str(uuid.uuid4())
            self.users[uid] = {"id": uid, "mail": mail, "userPrincipalName": mail,
                               "displayName": display_name, "locked": False,
                               "disabled": False}
            root = self._new_id("AQMkAD")
            self.mailboxes[uid] = {
                "root": root, "seq": 0, "contacts": {},
                "folders": {root: {"id": root, "displayName": "Contacts",
                                   "parentFolderId": self._new_id("AQMkAD"),
                                   "wellKnownName": "contacts"}},
            }
            return uid

    def lock_user(self, uid: str | None = None, locked: bool = True) -> None:
        with self.lock:
            self.users[uid or self.user_id]["locked"] = locked

    def disable_user(self, uid: str | None = None, disabled: bool = True) -> None:
        with self.lock:
            self.users[uid or self.user_id]["disabled"] = disabled

    def set_roles(self, client_id: str, roles) -> None:
        """The application permissions an admin granted to the app."""
        with self.lock:
            self.apps[client_id]["roles"] = set(roles)

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.access_tokens.values():
                token["expires"] = self.now() - timedelta(seconds=1)

    def expire_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()

    def expire_delta_tokens(self, code: str = "syncStateNotFound") -> None:
        """Every deltaLink / nextLink handed out is refused with 410 from now on, with
        `code` (Graph sends syncStateNotFound or resyncRequired)."""
        with self.lock:
            self.delta_states.clear()
            self.gone_code = code

    def throttle(self, method: str | None = None, path: str | None = r"/v1\.0/.*",
                 retry_after: int = 1, times: int = 1):
        """The next `times` Graph requests get 429 with Retry-After (Outlook's
        MailboxConcurrency limit)."""
        return self.inject(method, path, status=429, times=times,
                           headers={"Retry-After": str(retry_after)},
                           json={"error": {"code": "ApplicationThrottled",
                                           "message": "Application is over its "
                                                      "MailboxConcurrency limit."}})

    # -- device code helpers -------------------------------------------------------

    def _device(self, user_code: str) -> dict:
        for flow in self.device_codes.values():
            if flow["user_code"] == user_code:
                return flow
        raise KeyError(user_code)

    def approve_device_code(self, user_code: str, uid: str | None = None) -> None:
        """The user opened the verification page, typed the code and consented."""
        with self.lock:
            flow = self._device(user_code)
            flow["status"], flow["user_id"] = "approved", uid or self.user_id

    def decline_device_code(self, user_code: str) -> None:
        with self.lock:
            self._device(user_code)["status"] = "declined"

    def expire_device_code(self, user_code: str) -> None:
        with self.lock:
            self._device(user_code)["expires"] = self.now() - timedelta(seconds=1)

    # -- mailbox helpers --------------------------------------------------------------

    def mailbox(self, uid: str | None = None) -> dict:
        return self.mailboxes[uid or self.user_id]

    def root_folder_id(self, uid: str | None = None) -> str:
        return self.mailbox(uid)["root"]

    def add_folder(self, name: str, parent_id: str | None = None,
                   uid: str | None = None) -> str:
        with self.lock:
            box = self.mailbox(uid)
            fid = self._new_id("AAMkAD")
            box["folders"][fid] = {"id": fid, "displayName": name,
                                   "parentFolderId": parent_id or box["root"]}
            return fid

    def delete_folder(self, fid: str, uid: str | None = None) -> None:
        """Delete a folder, its subfolders and their contacts (as Outlook does)."""
        with self.lock:
            box = self.mailbox(uid)
            doomed = {fid}
            while True:
                more = {f for f, folder in box["folders"].items()
                        if folder["parentFolderId"] in doomed} - doomed
                if not more:
                    break
                doomed |= more
            for f in doomed:
                box["folders"].pop(f, None)
            for cid, contact in list(box["contacts"].items()):
                if contact["parentFolderId"] in doomed and not contact.get("_deleted"):
                    self._tombstone(box, cid)

    def add_contact(self, values: dict, folder_id: str | None = None,
                    uid: str | None = None) -> dict:
        with self.lock:
            box = self.mailbox(uid)
            return copy.deepcopy(self._create(box, folder_id or box["root"], values))

    def edit_contact(self, cid: str, changes: dict, uid: str | None = None) -> dict:
        with self.lock:
            box = self.mailbox(uid)
            self._patch(box, cid, changes)
            return copy.deepcopy(self._render(box, cid))

    def move_contact(self, cid: str, folder_id: str, uid: str | None = None) -> None:
        """Move a contact to another folder, keeping its id (as with immutable ids):
        the old folder's delta reports it @removed, the new one's lists it."""
        with self.lock:
            box = self.mailbox(uid)
            contact = self._live(box, cid)
            self._folder(box, folder_id)
            contact["parentFolderId"] = folder_id
            contact["_folders"].add(folder_id)
            self._stamp(box, contact)

    def delete_contact(self, cid: str, uid: str | None = None) -> None:
        with self.lock:
            self._tombstone(self.mailbox(uid), cid)

    def contacts(self, folder_id: str | None = None, uid: str | None = None) -> list[dict]:
        """Live contacts (as Graph renders them, with their extended properties)."""
        with self.lock:
            box = self.mailbox(uid)
            return [copy.deepcopy(self._render(box, cid, expand=True))
                    for cid, c in box["contacts"].items()
                    if not c.get("_deleted")
                    and (folder_id is None or c["parentFolderId"] == folder_id)]

    def contact(self, cid: str, uid: str | None = None) -> dict | None:
        with self.lock:
            box = self.mailbox(uid)
            c = box["contacts"].get(cid)
            if c is None or c.get("_deleted"):
                return None
            return copy.deepcopy(self._render(box, cid, expand=True))

    # -- internals -----------------------------------------------------------------

    @staticmethod
    def _new_id(prefix: str) -> str:
        # Graph ids are base64 (url-safe in REST), often ending with "=".
        raw = base64.urlsafe_b64encode(uuid.uuid4().bytes + secrets.token_bytes(8))
        return prefix + raw.decode().rstrip("=") + "="

    def _stamp(self, box: dict, contact: dict) -> None:
        box["seq"] += 1
        contact["_seq"] = box["seq"]
        contact["changeKey"] = base64.b64encode(secrets.token_bytes(12)).decode()
        contact["lastModifiedDateTime"] = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def _validate(self, values: dict) -> None:
        if not isinstance(values, dict):
            raise graph_error(400, "RequestBodyRead", "The request body must be a JSON object.")
        for key, value in values.items():
            if key in READ_ONLY:
                continue
            if key not in CONTACT_PROPERTIES:
                raise graph_error(400, "RequestBodyRead",
                                  f"The property '{key}' does not exist on type "
                                  "'microsoft.graph.contact'. Make sure to only use "
                                  "property names that are defined by the type or mark "
                                  "the type as open type.")
            if key == "emailAddresses" and value is not None and len(value) > 3:
                raise graph_error(400, "ErrorInvalidArgument",
                                  "A contact can have at most 3 email addresses.")
            if key.endswith("Address") and value is not None and key != "emailAddresses":
                unknown = set(value) - set(ADDRESS_KEYS)
                if unknown:
                    raise graph_error(400, "RequestBodyRead",
                                      f"The property '{sorted(unknown)[0]}' does not exist "
                                      "on type 'microsoft.graph.physicalAddress'.")

    def _apply(self, contact: dict, values: dict) -> None:
        for key, value in values.items():
            if key in READ_ONLY:
                continue
            if key == "singleValueExtendedProperties":
                props = contact.setdefault("_ext", {})
                for prop in value or ():
                    props[_ext_id(prop["id"])] = (prop["id"], prop.get("value"))
                continue
            contact[key] = copy.deepcopy(value)

    def _create(self, box: dict, folder_id: str, values: dict) -> dict:
        self._validate(values)
        cid = self._new_id("AAMkAGI2")
        now = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        contact = {"id": cid, "createdDateTime": now, "parentFolderId": folder_id,
                   "categories": [], "emailAddresses": [], "businessPhones": [],
                   "homePhones": [], "mobilePhone": None, "businessAddress": {},
                   "homeAddress": {}, "otherAddress": {}, "givenName": None,
                   "surname": None, "displayName": "", "companyName": None,
                   "jobTitle": None, "personalNotes": ""}
        self._apply(contact, values)
        contact["_folders"] = {folder_id}  # every folder it was in: delta reports moves
        if not contact.get("displayName"):
            contact["displayName"] = " ".join(
                p for p in (contact.get("givenName"), contact.get("surname")) if p)
        self._stamp(box, contact)
        box["contacts"][cid] = contact
        return self._render(box, cid, expand=True)

    def _patch(self, box: dict, cid: str, values: dict) -> None:
        self._validate(values)
        contact = box["contacts"][cid]
        self._apply(contact, values)
        self._stamp(box, contact)

    def _tombstone(self, box: dict, cid: str) -> None:
        contact = box["contacts"][cid]
        contact["_deleted"] = True
        box["seq"] += 1
        contact["_seq"] = box["seq"]

    def _render(self, box: dict, cid: str, select: set | None = None,
                expand: str | bool | None = None) -> dict:
        contact = box["contacts"][cid]
        out = {"@odata.etag": f'W/"{contact["changeKey"]}"'}
        for key, value in contact.items():
            if key.startswith("_"):
                continue
            if select is None or key in select or key == "id":
                out[key] = copy.deepcopy(value)
        if expand:
            props = [{"id": pid, "value": value}
                     for pid, value in contact.get("_ext", {}).values()
                     if expand is True or _ext_id(pid) == _ext_id(expand)]
            if props:  # Graph leaves the navigation property out when nothing matched
                out["singleValueExtendedProperties"] = props
        return out

    def _live(self, box: dict, cid: str) -> dict:
        contact = box["contacts"].get(cid)
        if contact is None or contact.get("_deleted"):
            raise graph_error(404, "ErrorItemNotFound",
                              "The specified object was not found in the store.")
        return contact

    def _folder(self, box: dict, fid: str) -> dict:
        if fid.lower() == "contacts":  # the well-known name of the default folder
            fid = box["root"]
        folder = box["folders"].get(fid)
        if folder is None:
            raise graph_error(404, "ErrorItemNotFound",
                              "The specified object was not found in the store.")
        return folder

    def _check_if_match(self, request: Request, contact: dict) -> None:
        wanted = request.headers.get("If-Match")
        if wanted and wanted.strip() != "*" and wanted.strip() not in (
                f'W/"{contact["changeKey"]}"', f'"{contact["changeKey"]}"'):
            raise graph_error(412, "ErrorIrresolvableConflict",
                              "The send or update operation could not be performed because "
                              "the change key passed in the request does not match the "
                              "current change key for the item.")

    @staticmethod
    def _expand_arg(request: Request) -> str | bool | None:
        value = request.arg("$expand")
        if not value:
            return None
        match = re.fullmatch(r"singleValueExtendedProperties(?:\(\$filter=id eq '(.+)'\))?",
                             value.strip())
        if match is None:
            raise graph_error(400, "BadRequest", f"Invalid $expand: {value}")
        return match.group(1) or True

    @staticmethod
    def _select_arg(request: Request) -> set | None:
        value = request.arg("$select")
        return {s.strip() for s in value.split(",") if s.strip()} if value else None

    @staticmethod
    def _page_size(request: Request, default: int) -> int:
        prefer = request.headers.get("Prefer") or ""
        match = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", prefer)
        size = int(match.group(1)) if match else default
        top = request.arg("$top")
        if top is not None:
            size = int(top)
        return max(1, min(size, MAX_PAGE))

    def _link(self, owner: str, tail: str) -> str:
        return f"{self.url}/v1.0/{owner}/{tail}"

    # -- identity platform -------------------------------------------------------

    def _tenant(self, tenant: str) -> None:
        if tenant.lower() not in (self.TENANT_ID, self.TENANT_DOMAIN, "organizations"):
            raise HTTPError(400, self._aad_error(
                "invalid_request", 90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct "
                "tenant ID and are signing into the correct cloud. Check with your "
                "subscription administrator, this may happen if there are no active "
                "subscriptions for the tenant."))

    @staticmethod
    def _aad_error(error: str, code: int, text: str) -> dict:
        trace, correlation = uuid.uuid4(), uuid.uuid4()
        return {
            "error": error,
            "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\n"
                                 f"Correlation ID: {correlation}\r\n"
                                 "Timestamp: 2026-11-22 10:00:00Z",
            "error_codes": [code], "timestamp": "2026-11-22 10:00:00Z",
            "trace_id": str(trace), "correlation_id": str(correlation),
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        }

    @route("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration")
    def openid_configuration(self, request: Request, tenant: str) -> Response:
        if tenant.lower() not in (self.TENANT_ID, self.TENANT_DOMAIN, "organizations"):
            raise HTTPError(400, self._aad_error(
                "invalid_tenant", 90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct "
                "tenant ID and are signing into the correct cloud. Check with your "
                "subscription administrator, this may happen if there are no active "
                "subscriptions for the tenant."))
        base = f"{self.url}/{tenant}"
        return Response(200, {
            "issuer": f"{self.url}/{self.TENANT_ID}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token",
                                         "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "private_key_jwt",
                                                      "client_secret_basic"],
            "tenant_region_scope": "EU",
        })

    def _client(self, form: dict) -> dict:
        client_id = form.get("client_id", "")
        app = self.apps.get(client_id)
        if app is None:
            raise HTTPError(400, self._aad_error(
                "unauthorized_client", 700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                "'Contoso'. This can happen if the application has not been installed by "
                "the administrator of the tenant or consented to by any user in the "
                "tenant. You may have sent your authentication request to the wrong "
                "tenant."))
        return app

    def _check_secret(self, app: dict, form: dict) -> None:
        if app["public"]:
            return
        secret = form.get("client_secret")
        if not secret:
            raise HTTPError(401, self._aad_error(
                "invalid_client", 7000218,
                "The request body must contain the following parameter: 'client_assertion' "
                "or 'client_secret'."))
        if secret != app["secret"]:
            raise HTTPError(401, self._aad_error(
                "invalid_client", 7000215,
                "Invalid client secret provided. Ensure the secret being sent in the "
                "request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{form.get('client_id')}'."))

    def _check_user(self, uid: str) -> None:
        user = self.users[uid]
        if user["locked"]:
            raise HTTPError(400, self._aad_error(
                "invalid_grant", 50053,
                "The account is locked, you've tried to sign in too many times with an "
                "incorrect user ID or password."))
        if user["disabled"]:
            raise HTTPError(400, self._aad_error(
                "invalid_grant", 50057,
                "The user account is disabled. The account has been disabled by an "
                "administrator."))

    def _issue(self, client_id: str, uid: str | None, scopes: list[str]) -> dict:
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(24)
        self.access_tokens[token] = {
            "client_id": client_id, "user_id": uid, "scopes": set(scopes),
            "roles": set(self.apps[client_id]["roles"]) if uid is None else set(),
            "expires": self.now() + timedelta(seconds=ACCESS_TOKEN_LIFETIME)}
        answer = {"token_type": "Bearer", "expires_in": ACCESS_TOKEN_LIFETIME,
                  "ext_expires_in": ACCESS_TOKEN_LIFETIME, "access_token": token}
        if uid is None:
            return answer
        user = self.users[uid]
        refresh = "0.AX" + secrets.token_urlsafe(32)
        self.refresh_tokens[refresh] = {"client_id": client_id, "user_id": uid,
                                        "scopes": list(scopes)}

        def b64(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

        now = int(self.now().timestamp())
        claims = {"aud": client_id, "iss": f"{self.url}/{self.TENANT_ID}/v2.0",
                  "iat": now, "nbf": now, "exp": now + 3600, "name": user["displayName"],
                  "oid": uid, "preferred_username": user["userPrincipalName"],
                  "sub": uid, "tid": self.TENANT_ID, "ver": "2.0"}
        answer.update({
            "scope": " ".join(s for s in scopes if s not in ("openid", "profile",
                                                               "offline_access")),
            "refresh_token": refresh,
            "id_token": f"{b64({'typ': 'JWT', 'alg': 'none'})}.{b64(claims)}.",
            "client_info": b64({"uid": uid, "utid": self.TENANT_ID}),
        })
        return answer

    @route("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/devicecode")
    def device_code(self, request: Request, tenant: str) -> Response:
        self._tenant(tenant)
        form = request.form()
        self._client(form)
        user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                            for _ in range(9))
        device = secrets.token_urlsafe(32)
        self.device_codes[device] = {
            "user_code": user_code, "client_id": form["client_id"],
            "scopes": form.get("scope", "").split(), "status": "pending", "user_id": None,
            "expires": self.now() + timedelta(seconds=900)}
        uri = "https://microsoft.com/devicelogin"
        return Response(200, {
            "user_code": user_code, "device_code": device, "verification_uri": uri,
            "expires_in": 900, "interval": 5,
            "message": f"To sign in, use a web browser to open the page {uri} and enter "
                       f"the code {user_code} to authenticate."})

    @route("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token")
    def token(self, request: Request, tenant: str) -> Response:
        self._tenant(tenant)
        form = request.form()
        app = self._client(form)
        grant = form.get("grant_type")
        scopes = form.get("scope", "").split()
        if grant == "client_credentials":
            if app["public"]:
                raise HTTPError(401, self._aad_error(
                    "invalid_client", 7000218,
                    "The request body must contain the following parameter: "
                    "'client_assertion' or 'client_secret'."))
            self._check_secret(app, form)
            if scopes != [f"{GRAPH_RESOURCE}/.default"]:
                raise HTTPError(400, self._aad_error(
                    "invalid_scope", 1002012,
                    f"The provided value for scope {' '.join(scopes)} is not valid. Client "
                    "credential flows must have a scope value with /.default suffixed to "
                    "the resource identifier (application ID URI)."))
            return Response(200, self._issue(form["client_id"], None, scopes))
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            self._check_secret(app, form)
            flow = self.device_codes.get(form.get("device_code", ""))
            if flow is None or flow["client_id"] != form["client_id"]:
                raise HTTPError(400, self._aad_error(
                    "bad_verification_code", 70019, "Verification code expired."))
            if flow["expires"] <= self.now():
                raise HTTPError(400, self._aad_error(
                    "expired_token", 70020,
                    "The provided value for the input parameter 'device_code' is not "
                    "valid. This device code has expired."))
            if flow["status"] == "pending":
                raise HTTPError(400, self._aad_error(
                    "authorization_pending", 70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue "
                    "polling."))
            if flow["status"] == "declined":
                raise HTTPError(400, self._aad_error(
                    "authorization_declined", 70000,
                    "The user declined to authorize the application."))
            if flow["status"] == "used":
                raise HTTPError(400, self._aad_error(
                    "invalid_grant", 54005, "OAuth2 Authorization code was already "
                    "redeemed, please retry with a new valid code or use an existing "
                    "refresh token."))
            self._check_user(flow["user_id"])
            flow["status"] = "used"
            return Response(200, self._issue(form["client_id"], flow["user_id"],
                                             flow["scopes"]))
        if grant == "refresh_token":
            self._check_secret(app, form)
            held = self.refresh_tokens.get(form.get("refresh_token", ""))
            if held is None or held["client_id"] != form["client_id"]:
                raise HTTPError(400, self._aad_error(
                    "invalid_grant", 700082,
                    "The refresh token has expired due to inactivity. The token was issued "
                    "on 2026-08-01T10:00:00Z and was inactive for 90.00:00:00."))
            self._check_user(held["user_id"])
            return Response(200, self._issue(form["client_id"], held["user_id"],
                                             scopes or held["scopes"]))
        raise HTTPError(400, self._aad_error(
            "unsupported_grant_type", 70003,
            f"The app requested an unsupported grant type '{grant}'."))

    # -- Graph -------------------------------------------------------------------

    def before_request(self, request: Request) -> None:
        if not request.path.startswith("/v1.0/"):
            return
        header = request.headers.get("Authorization") or ""
        token = self.access_tokens.get(header[7:] if header.startswith("Bearer ") else "")
        if token is None:
            raise graph_error(401, "InvalidAuthenticationToken",
                              "Access token validation failure. Invalid audience."
                              if header else "Access token is empty.",
                              {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})
        if token["expires"] <= self.now():
            raise graph_error(401, "InvalidAuthenticationToken",
                              "Lifetime validation failed, the token is expired.",
                              {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})
        self._token = token

    def _owner(self, request: Request, owner: str, *, write: bool = False,
               contacts: bool = True) -> tuple[str, dict]:
        """The user a request is about, and its mailbox; checks the token's rights."""
        token = self._token
        if owner == "me":
            if token["user_id"] is None:
                raise graph_error(400, "BadRequest",
                                  "/me request is only valid with delegated authentication "
                                  "flow.")
            uid = token["user_id"]
            granted = {s.rsplit("/", 1)[-1] for s in token["scopes"]}
        else:
            key = owner.split("/", 1)[1].lower()
            uid = next((u for u, user in self.users.items()
                        if key in (u, user["userPrincipalName"].lower())), None)
            if token["user_id"] is not None:
                if uid != token["user_id"]:
                    raise graph_error(403, "ErrorAccessDenied",
                                      "Access is denied. Check credentials and try again.")
                granted = {s.rsplit("/", 1)[-1] for s in token["scopes"]}
            else:
                granted = token["roles"]
            if uid is None:
                raise graph_error(404, "ErrorInvalidUser",
                                  f"The requested user '{owner.split('/', 1)[1]}' is "
                                  "invalid.")
        if not contacts:
            if not granted & {"User.Read", "User.Read.All"}:
                raise graph_error(403, "Authorization_RequestDenied",
                                  "Insufficient privileges to complete the operation.")
            return uid, self.mailboxes[uid]
        needed = {"Contacts.ReadWrite"} if write else {"Contacts.Read", "Contacts.ReadWrite"}
        if not granted & needed:
            raise graph_error(403, "ErrorAccessDenied",
                              "Access is denied. Check credentials and try again.")
        return uid, self.mailboxes[uid]

    OWNER = r"/v1\.0/(?P<owner>me|users/[^/]+)"

    @route("GET", OWNER)
    def get_user(self, request: Request, owner: str) -> Response:
        uid, _ = self._owner(request, owner, contacts=False)
        user = self.users[uid]
        return Response(200, {"@odata.context": f"{self.url}/v1.0/$metadata#users/$entity",
                              **{k: user[k] for k in ("id", "displayName", "mail",
                                                      "userPrincipalName")}})

    def _with_counts(self, box: dict, folders: list[dict]) -> list[dict]:
        out = []
        for folder in folders:
            folder = dict(folder)
            folder["childFolderCount"] = sum(1 for f in box["folders"].values()
                                             if f["parentFolderId"] == folder["id"])
            out.append(folder)
        return out

    @route("GET", OWNER + r"/contactFolders")
    def list_folders(self, request: Request, owner: str) -> Response:
        _, box = self._owner(request, owner)
        return self._child_page(owner, box, box["root"], request, "contactFolders")

    @route("GET", OWNER + r"/contactFolders/(?P<fid>[^/]+)/childFolders")
    def list_child_folders(self, request: Request, owner: str, fid: str) -> Response:
        _, box = self._owner(request, owner)
        folder = self._folder(box, fid)
        return self._child_page(owner, box, folder["id"], request,
                                f"contactFolders/{quote(folder['id'])}/childFolders")

    def _child_page(self, owner, box, parent_id, request, tail) -> Response:
        children = [f for f in box["folders"].values() if f["parentFolderId"] == parent_id]
        size = self._page_size(request, 10)
        skip = int(request.arg("$skip") or 0)
        page = self._with_counts(box, children[skip:skip + size])
        for folder in page:
            folder.pop("wellKnownName", None)
        out = {"value": page}
        if skip + size < len(children):
            out["@odata.nextLink"] = self._link(owner, f"{tail}?%24top={size}&%24skip="
                                                       f"{skip + size}")
        return Response(200, out)

    @route("GET", OWNER + r"/contactFolders/(?P<fid>[^/]+)")
    def get_folder(self, request: Request, owner: str, fid: str) -> Response:
        _, box = self._owner(request, owner)
        return Response(200, self._with_counts(box, [self._folder(box, fid)])[0])

    @route("POST", OWNER + r"/contactFolders")
    def create_folder(self, request: Request, owner: str) -> Response:
        _, box = self._owner(request, owner, write=True)
        body = request.json() or {}
        parent = body.get("parentFolderId") or box["root"]
        self._folder(box, parent)
        fid = self._new_id("AAMkAD")
        box["folders"][fid] = {"id": fid, "displayName": body.get("displayName", ""),
                               "parentFolderId": parent}
        return Response(201, dict(box["folders"][fid], childFolderCount=0))

    # contacts ----------------------------------------------------------------------

    @route("GET", OWNER + r"/contactFolders/(?P<fid>[^/]+)/contacts/delta")
    def contacts_delta(self, request: Request, owner: str, fid: str) -> Response:
        _, box = self._owner(request, owner)
        folder = self._folder(box, fid)
        skip_token, delta_token = request.arg("$skiptoken"), request.arg("$deltatoken")
        size = self._page_size(request, DEFAULT_DELTA_PAGE)
        if skip_token or delta_token:
            if self._select_arg(request) is not None:
                raise graph_error(400, "ErrorInvalidUrlQuery",
                                  "Query parameters are not allowed with a state token: "
                                  "they were fixed by the first request.")
            state = self.delta_states.get(skip_token or delta_token)
            if state is None or state["folder"] != folder["id"]:
                raise graph_error(410, self.gone_code,
                                  "The sync state generation is not found. Resync is "
                                  "required." if self.gone_code == "syncStateNotFound" else
                                  "Resync required. Replace any local cached data with the "
                                  "full data set and restart the sync.")
            if delta_token:  # a new round from the stored deltaLink
                state = self._new_round(box, folder["id"], state["upto"], state["select"])
        else:
            state = self._new_round(box, folder["id"], None, self._select_arg(request))
        ids = state["ids"][state["offset"]:state["offset"] + size]
        value = []
        for cid in ids:
            contact = box["contacts"][cid]
            if contact.get("_deleted") or contact["parentFolderId"] != folder["id"]:
                value.append({"@odata.type": "#microsoft.graph.contact", "id": cid,
                              "@removed": {"reason": "deleted"}})
            else:
                value.append(self._render(box, cid, state["select"]))
        out = {"@odata.context": f"{self.url}/v1.0/$metadata#Collection(contact)",
               "value": value}
        offset = state["offset"] + len(ids)
        tail = f"contactFolders/{quote(folder['id'], safe='')}/contacts/delta"
        if offset < len(state["ids"]):
            token = secrets.token_urlsafe(16)
            self.delta_states[token] = dict(state, offset=offset)
            out["@odata.nextLink"] = self._link(owner, f"{tail}?%24skiptoken={token}")
        else:
            token = secrets.token_urlsafe(16)
            self.delta_states[token] = dict(state, ids=[], offset=0)
            out["@odata.deltaLink"] = self._link(owner, f"{tail}?%24deltatoken={token}")
        return Response(200, out)

    def _new_round(self, box: dict, folder_id: str, since: int | None,
                   select: set | None) -> dict:
        """What this round reports: changed since `since` (everything live if None)."""
        ids = []
        for cid, contact in box["contacts"].items():
            if since is None:
                if not contact.get("_deleted") and contact["parentFolderId"] == folder_id:
                    ids.append(cid)
            elif contact["_seq"] > since and folder_id in contact["_folders"]:
                ids.append(cid)  # changed here, or moved away / deleted (@removed)
        return {"folder": folder_id, "ids": ids, "offset": 0, "upto": box["seq"],
                "select": select}

    @route("GET", OWNER + r"/(?:contactFolders/(?P<fid>[^/]+)/)?contacts")
    def list_contacts(self, request: Request, owner: str, fid: str | None = None) -> Response:
        _, box = self._owner(request, owner)
        folder = self._folder(box, fid or box["root"])
        expand = self._expand_arg(request)
        wanted = None
        flt = request.arg("$filter")
        if flt:
            match = re.fullmatch(
                r"singleValueExtendedProperties/any\((\w+): \1/id eq '(.+)' and "
                r"\1/value eq '((?:[^']|'')*)'\)", flt.strip(), re.I)
            if match is None:
                raise graph_error(400, "ErrorInvalidUrlQueryFilter",
                                  "The query filter contains one or more invalid nodes.")
            wanted = (_ext_id(match.group(2)), match.group(3).replace("''", "'"))
        size = self._page_size(request, 10)
        skip = int(request.arg("$skip") or 0)
        live = []
        for cid, contact in box["contacts"].items():
            if contact.get("_deleted") or contact["parentFolderId"] != folder["id"]:
                continue
            if wanted is not None:
                prop = contact.get("_ext", {}).get(wanted[0])
                if prop is None or prop[1] != wanted[1]:
                    continue
            live.append(cid)
        select = self._select_arg(request)
        out = {"value": [self._render(box, cid, select, expand)
                         for cid in live[skip:skip + size]]}
        if skip + size < len(live):
            query = "&".join(f"{quote(k)}={quote(v[0])}" for k, v in request.query.items()
                             if k not in ("$skip", "$top"))
            out["@odata.nextLink"] = (f"{self.url}{request.path}?{query}&%24top={size}"
                                      f"&%24skip={skip + size}")
        return Response(200, out)

    @route("POST", OWNER + r"/(?:contactFolders/(?P<fid>[^/]+)/)?contacts")
    def create_contact(self, request: Request, owner: str, fid: str | None = None
                       ) -> Response:
        _, box = self._owner(request, owner, write=True)
        folder = self._folder(box, fid or box["root"])
        created = self._create(box, folder["id"], request.json() or {})
        return Response(201, created, headers={
            "Location": self._link(owner, f"contacts('{created['id']}')")})

    @route("GET", OWNER + r"/(?:contactFolders/(?P<fid>[^/]+)/)?contacts/(?P<cid>[^/]+)")
    def get_contact(self, request: Request, owner: str, cid: str, fid: str | None = None
                    ) -> Response:
        _, box = self._owner(request, owner)
        if fid is not None:
            self._folder(box, fid)
        self._live(box, cid)
        return Response(200, self._render(box, cid, self._select_arg(request),
                                          self._expand_arg(request)))

    @route("PATCH", OWNER + r"/(?:contactFolders/(?P<fid>[^/]+)/)?contacts/(?P<cid>[^/]+)")
    def update_contact(self, request: Request, owner: str, cid: str, fid: str | None = None
                       ) -> Response:
        _, box = self._owner(request, owner, write=True)
        if fid is not None:
            self._folder(box, fid)
        contact = self._live(box, cid)
        self._check_if_match(request, contact)
        self._patch(box, cid, request.json() or {})
        return Response(200, self._render(box, cid))

    @route("DELETE", OWNER + r"/(?:contactFolders/(?P<fid>[^/]+)/)?contacts/(?P<cid>[^/]+)")
    def remove_contact(self, request: Request, owner: str, cid: str, fid: str | None = None
                       ) -> Response:
        _, box = self._owner(request, owner, write=True)
        if fid is not None:
            self._folder(box, fid)
        contact = self._live(box, cid)
        self._check_if_match(request, contact)
        self._tombstone(box, cid)
        return Response(204)

    # batching -------------------------------------------------------------------------

    @route("POST", r"/v1\.0/\$batch")
    def batch(self, request: Request) -> Response:
        """learn.microsoft.com/graph/json-batching"""
        body = request.json() or {}
        subs = body.get("requests")
        if not isinstance(subs, list) or not subs:
            raise graph_error(400, "BadRequest", "Invalid batch payload format.")
        if len(subs) > MAX_BATCH:
            raise graph_error(400, "BadRequest",
                              f"Number of batch requests exceeds the max limit of {MAX_BATCH}.")
        if len({str(s.get("id")) for s in subs}) != len(subs):
            raise graph_error(400, "BadRequest", "Batch request ids must be unique.")
        outer = self._token
        responses = []
        for sub in subs:
            split = urlsplit(str(sub.get("url") or ""))
            headers = Headers(sub.get("headers") or {})
            headers["Authorization"] = request.headers.get("Authorization") or ""
            inner = Request(method=str(sub.get("method") or "GET").upper(),
                            path="/v1.0/" + split.path.lstrip("/"),
                            query=parse_qs(split.query, keep_blank_values=True),
                            headers=headers,
                            body=json.dumps(sub["body"]).encode() if "body" in sub else b"")
            fault = self._take_fault(inner.method, inner.path, status_only=True)
            if fault is not None:
                answer = Response(fault.status, fault.json, headers=dict(fault.headers))
            else:
                answer = self._dispatch(inner)
            responses.append({"id": str(sub.get("id")), "status": answer.status,
                              "headers": dict(answer.headers, **(
                                  {"Content-Type": "application/json"}
                                  if answer.json is not None else {})),
                              "body": answer.json})
            self._token = outer
        # Graph answers in whatever order the requests finished.
        return Response(200, {"responses": responses[::-1]})

