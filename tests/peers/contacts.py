"""ContactsPeer: the "test provider" the sync framework is tested against.

A small REST contacts service with the habits of Google People / Microsoft Graph:
OAuth bearer tokens that expire and refresh (optionally rotating the refresh token),
paged listings, incremental listings by sync token (410 when the token is too old),
etags with If-Match (412), tombstones for deletions, a client tag to find an item
whose create response was lost, and a 400 for a single bad item.
"""

from __future__ import annotations

import copy
import re

from .base import HTTPError, Peer, Request, Response, route

_SYNC_TOKEN = re.compile(r"st-(\d+)-(\d+)")
_PAGE_TOKEN = re.compile(r"pg-(\d+)-(\d+)")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

FULL_SYNC_REQUIRED = {
    "error": {
        "code": 410,
        "reason": "fullSyncRequired",
        "message": "Sync token is no longer valid, a full sync is required.",
    }
}


class ContactsPeer(Peer):
    def __init__(
        self,
        *,
        access_token: str = "at-1",
        refresh_token: str = "rt-1",
        rotate_refresh_token: bool = False,
    ):
        self._initial_auth = (access_token, refresh_token, rotate_refresh_token)
        super().__init__()

    def reset_state(self) -> None:
        self.access_token, self.refresh_token, self.rotate_refresh_token = self._initial_auth
        self._token_serial = 1  # next issued tokens are at-2 / rt-2...
        self._contacts: dict[str, dict] = {}  # id -> internal record, in creation order
        self._id_serial = 0
        self._etag_serial = 0
        self._seq = 0  # change-log position: every write gets the next number
        self._epoch = 1  # bumped by expire_sync_tokens(): older tokens answer 410
        self._pages: dict[int, tuple[list[dict], str]] = {}  # snapshot id -> (items, sync token)
        self._snapshot_serial = 0

    # -- test helpers (no HTTP) ------------------------------------------------------

    def expire_access_token(self) -> None:
        with self.lock:
            self.access_token = None

    def revoke(self) -> None:
        """The user revoked the grant: neither token works any more."""
        with self.lock:
            self.access_token = None
            self.refresh_token = None

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self._epoch += 1

    def add_contact(self, data: dict, tag: str | None = None) -> dict:
        with self.lock:
            self._id_serial += 1
            contact = {"id": f"c{self._id_serial}", "tag": tag, "deleted": False}
            self._contacts[contact["id"]] = contact
            self._write(contact, data)
            return self._render(contact)

    def edit_contact(self, contact_id: str, data: dict) -> dict:
        with self.lock:
            contact = self._live(contact_id)
            if contact is None:
                raise KeyError(contact_id)
            self._write(contact, data)
            return self._render(contact)

    def delete_contact(self, contact_id: str) -> None:
        with self.lock:
            contact = self._live(contact_id)
            if contact is None:
                raise KeyError(contact_id)
            contact["deleted"] = True
            self._write(contact, contact["data"])

    def contacts(self) -> list[dict]:
        """Live contacts as the API renders them, in creation order."""
        with self.lock:
            return [self._render(c) for c in self._contacts.values() if not c["deleted"]]

    def get(self, contact_id: str) -> dict | None:
        """The live contact as the API renders it; None when unknown or deleted."""
        with self.lock:
            contact = self._live(contact_id)
            return self._render(contact) if contact else None

    # -- internals -----------------------------------------------------------------

    def _live(self, contact_id: str) -> dict | None:
        contact = self._contacts.get(contact_id)
        return contact if contact is not None and not contact["deleted"] else None

    def _write(self, contact: dict, data: dict) -> None:
        self._etag_serial += 1
        self._seq += 1
        contact.update(
            data=copy.deepcopy(data),
            etag=f'"{self._etag_serial}"',
            updated=self.now(),
            seq=self._seq,
        )

    @staticmethod
    def _render(contact: dict) -> dict:
        if contact["deleted"]:
            return {"id": contact["id"], "deleted": True}
        return {
            "id": contact["id"],
            "etag": contact["etag"],
            "updated": contact["updated"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "data": copy.deepcopy(contact["data"]),
            "tag": contact["tag"],
        }

    def _item_response(self, contact: dict, status: int = 200) -> Response:
        return Response(status, self._render(contact), headers={"ETag": contact["etag"]})

    def _found(self, contact_id: str) -> dict:
        contact = self._live(contact_id)
        if contact is None:
            raise HTTPError(404, {"error": "not_found", "message": f"No contact {contact_id}"})
        return contact

    @staticmethod
    def _check_if_match(request: Request, contact: dict) -> None:
        expected = request.headers.get("If-Match")
        if expected is not None and expected not in ("*", contact["etag"]):
            raise HTTPError(412, {"error": "precondition_failed"})

    @staticmethod
    def _valid_data(body) -> dict:
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise HTTPError(400, {"error": "invalid_data", "message": "`data` must be an object"})
        email = body["data"].get("email")
        if isinstance(email, str) and "invalid" in email:
            raise HTTPError(
                400, {"error": "invalid_email", "message": "Email address is not valid"}
            )
        return body["data"]

    def _sync_position(self, token: str) -> int:
        match = _SYNC_TOKEN.fullmatch(token)
        if not match or int(match[1]) != self._epoch or int(match[2]) > self._seq:
            raise HTTPError(410, FULL_SYNC_REQUIRED)
        return int(match[2])

    def _page(self, snapshot_id: int, offset: int, size: int) -> dict:
        items, sync_token = self._pages[snapshot_id]
        end = offset + size
        page = {"items": items[offset:end]}
        if end < len(items):
            page["next_page_token"] = f"pg-{snapshot_id}-{end}"
        else:
            page["next_sync_token"] = sync_token  # only once the listing is complete
            del self._pages[snapshot_id]
        return page

    # -- protocol ------------------------------------------------------------------

    def before_request(self, request: Request) -> None:
        if request.method == "POST" and request.path == "/token":
            return
        given = request.headers.get("Authorization")
        if self.access_token is None or given != f"Bearer {self.access_token}":
            raise HTTPError(
                401,
                {"error": "invalid_token"},
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )

    @route("POST", r"/token")
    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != "refresh_token":
            raise HTTPError(400, {"error": "unsupported_grant_type"})
        given = form.get("refresh_token")
        if not given or given != self.refresh_token:
            raise HTTPError(
                400, {"error": "invalid_grant", "error_description": "Bad refresh token"}
            )
        self._token_serial += 1
        self.access_token = f"at-{self._token_serial}"
        answer = {"access_token": self.access_token, "token_type": "Bearer", "expires_in": 3600}
        if self.rotate_refresh_token:
            self.refresh_token = answer["refresh_token"] = f"rt-{self._token_serial}"
        return Response(200, answer)

    @route("GET", r"/me")
    def me(self, request: Request) -> Response:
        return Response(200, {"id": "user-1", "email": "owner@example.com"})

    @route("GET", r"/contacts")
    def list_contacts(self, request: Request) -> Response:
        tag = request.arg("tag")
        if tag is not None:
            items = [
                self._render(c)
                for c in self._contacts.values()
                if not c["deleted"] and c["tag"] == tag
            ]
            return Response(200, {"items": items})
        try:
            size = min(max(int(request.arg("page_size", DEFAULT_PAGE_SIZE)), 1), MAX_PAGE_SIZE)
        except ValueError:
            raise HTTPError(400, {"error": "invalid_page_size"}) from None

        page_token = request.arg("page_token")
        if page_token:
            match = _PAGE_TOKEN.fullmatch(page_token)
            if not match or int(match[1]) not in self._pages:
                raise HTTPError(400, {"error": "invalid_page_token"})
            return Response(200, self._page(int(match[1]), int(match[2]), size))

        # First page: snapshot the whole result, so later writes can't shift pages.
        sync_token = request.arg("sync_token")
        if sync_token is not None:
            since = self._sync_position(sync_token)
            changed = sorted(
                (c for c in self._contacts.values() if c["seq"] > since), key=lambda c: c["seq"]
            )
        else:
            changed = [c for c in self._contacts.values() if not c["deleted"]]
        self._snapshot_serial += 1
        snapshot_id = self._snapshot_serial
        self._pages[snapshot_id] = (
            [self._render(c) for c in changed],
            f"st-{self._epoch}-{self._seq}",
        )
        return Response(200, self._page(snapshot_id, 0, size))

    @route("GET", r"/contacts/(?P<contact_id>[^/]+)")
    def get_contact(self, request: Request, contact_id: str) -> Response:
        return self._item_response(self._found(contact_id))

    @route("POST", r"/contacts")
    def create_contact(self, request: Request) -> Response:
        body = request.json()
        data = self._valid_data(body)
        tag = body.get("tag")
        if tag is not None and not isinstance(tag, str):
            raise HTTPError(400, {"error": "invalid_tag", "message": "`tag` must be a string"})
        item = self.add_contact(data, tag=tag)
        return self._item_response(self._contacts[item["id"]], status=201)

    @route("PUT", r"/contacts/(?P<contact_id>[^/]+)")
    def update_contact(self, request: Request, contact_id: str) -> Response:
        contact = self._found(contact_id)
        self._check_if_match(request, contact)
        self._write(contact, self._valid_data(request.json()))
        return self._item_response(contact)

    @route("DELETE", r"/contacts/(?P<contact_id>[^/]+)")
    def remove_contact(self, request: Request, contact_id: str) -> Response:
        contact = self._found(contact_id)
        self._check_if_match(request, contact)
        self.delete_contact(contact_id)
        return Response(204)
