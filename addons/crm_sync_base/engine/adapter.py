"""What a provider gives the engine: a RemoteAdapter per record kind, and typed errors.

Plain Python: no odoo import. An adapter speaks its provider's protocol and takes and
returns plain data; the engine and the runner never see HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class RemoteItem:
    """One item as the remote side reports it in a listing.

    ``values`` is the canonical dict (the mapper's shape), ``None`` for a deletion.
    ``modified`` is the remote's own clock; the engine corrects it by the account's
    measured clock offset before comparing it with a local change time.
    ``local_tag`` is the tag our side attached when creating the item, if any.
    """

    remote_id: str
    version: str | None = None
    values: dict | None = None
    deleted: bool = False
    modified: datetime | None = None
    local_tag: str | None = None
    previous_ids: tuple[str, ...] = ()  # ids this item had before (e.g. a People API merge)


@dataclass
class Listing:
    """The answer of ``list_changes``: items, the next token, and whether it is complete.

    ``complete`` is True for a full listing (no token was given, or the provider
    refused it): then a bound item that is absent was deleted remotely.
    """

    items: list[RemoteItem]
    next_token: str | None
    complete: bool
    clock_offset: float = 0.0  # seconds the remote clock runs ahead of ours


@dataclass
class AccountContext:
    """What an adapter may know of its account: plain data, and two callbacks.

    ``credentials`` is a dict of secrets (passwords, tokens); ``save_credentials``
    stores new ones (a rotated refresh token, a fresh access token) at once, so that a
    crash later in the run never loses them. Nothing here may be logged.
    """

    account_id: int
    provider: str
    endpoint: str
    login: str | None = None
    credentials: dict = field(default_factory=dict, repr=False)
    settings: dict = field(default_factory=dict)
    timeout: float = 30.0
    save_credentials: Callable[[dict], None] = field(default=lambda creds: None, repr=False)


class SyncError(Exception):
    """Base of the errors an adapter raises. ``str()`` is safe to show and to log."""


class TokenInvalid(SyncError):
    """The sync token was refused (expired, 410): start over with a full listing."""


class AuthExpired(SyncError):
    """401: the runner refreshes the credentials once, then gives up."""


class AuthFailed(SyncError):
    """Credentials are wrong or revoked and cannot be refreshed: the user must act."""


class RateLimited(SyncError):
    """429 or 503: wait ``retry_after`` seconds (None: the runner picks a back-off)."""

    def __init__(self, message: str = "rate limited", retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Transient(SyncError):
    """A timeout, a dropped connection or a 5xx: retry later. For a write, the remote
    may or may not have applied it (the response was lost)."""


class NotFound(SyncError):
    """404: the item is gone remotely. A delete that meets it counts as done."""


class VersionConflict(SyncError):
    """412 / etag mismatch: the item changed remotely since we read it."""


class ItemRejected(SyncError):
    """The provider refused this item (400 and alike): it fails alone."""


@runtime_checkable
class RemoteAdapter(Protocol):
    """One remote collection (contacts of one account, events of one calendar...)."""

    def check(self) -> dict:
        """Verify the connection and credentials; return facts to show (e.g. login)."""

    def list_changes(self, token: str | None) -> Listing:
        """Everything changed since ``token``; a full listing when token is None.
        Raises TokenInvalid when the provider refuses the token."""

    def create(self, values: dict, local_tag: str) -> tuple[str, str | None, dict | None]:
        """Create an item tagged with ``local_tag``; return (remote_id, version, values
        as stored remotely, or None when they are the values sent)."""

    # Optional: ``create_many(items: list[tuple[values, local_tag]]) -> list`` creates
    # several items in one call and returns, in order, (remote_id, version, values) or
    # the SyncError of each item. Raising ItemRejected refuses the whole batch (the
    # runner then creates one by one); Transient means the answer was lost.

    def update(self, remote_id: str, values: dict, if_match: str | None
               ) -> tuple[str | None, dict | None]:
        """Replace an item; return (new version, values as stored or None), or
        (new version, values, new remote id) when the update moved the item to another
        id (e.g. a Google event moved to another calendar)."""

    def delete(self, remote_id: str, if_match: str | None) -> None:
        """Delete an item. NotFound means it is already gone."""

    def release(self, remote_id: str, if_match: str | None) -> None:
        """Stop syncing the item without deleting it (e.g. take it out of the synced
        group). Providers without such a notion do nothing."""

    def find_by_tag(self, local_tag: str) -> RemoteItem | None:
        """The live item created with ``local_tag``, if any (adoption after a lost
        create response)."""

    def refresh_auth(self) -> None:
        """Renew credentials after AuthExpired (and save them through the context);
        raise AuthFailed when that is impossible."""


class BaseAdapter:
    """Defaults for the optional parts of the protocol."""

    def __init__(self, context: AccountContext):
        self.context = context

    def release(self, remote_id: str, if_match: str | None) -> None:
        return None

    def refresh_auth(self) -> None:
        raise AuthFailed("The credentials were refused and cannot be renewed.")

    def find_by_tag(self, local_tag: str) -> RemoteItem | None:
        return None


def describe(exc: BaseException) -> str:
    """A one-line reason for the journal, never containing a secret."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500]

