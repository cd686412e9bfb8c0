"""The provider registry: a connector addon registers its provider here at import time.

    from odoo.addons.crm_sync_base.engine import registry
    registry.register(registry.Provider(
        key="google", label="Google",
        adapters={"contacts": GooglePeopleAdapter},   # AccountContext -> RemoteAdapter
        mappers={"contacts": GooglePartnerMapper()},  # engine.mapper.RecordMapper
        default_endpoint="https://people.googleapis.com/",
    ))

and adds the same key to ``crm.sync.account.provider`` with ``selection_add``, so
crm_sync_base is never edited to add a provider.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .adapter import AccountContext, RemoteAdapter
from .mapper import RecordMapper, tracked_fields


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    adapters: dict[str, Callable[[AccountContext], RemoteAdapter]] = field(default_factory=dict)
    mappers: dict[str, RecordMapper] = field(default_factory=dict)
    default_endpoint: str = ""
    # Secrets the account form asks for, in order: {credential key: label}.
    secrets: dict[str, str] = field(default_factory=dict)
    # OAuth 2 authorization-code flow (models/sync_account_oauth.py); empty: no OAuth.
    oauth_authorize_url: str = ""
    oauth_token_url: str = ""

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k in self.adapters if k in self.mappers)


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    _PROVIDERS[provider.key] = provider
    return provider


def get(key: str) -> Provider:
    try:
        return _PROVIDERS[key]
    except KeyError:
        raise LookupError(f"no sync provider {key!r} is registered (is its addon installed?)")


def registered() -> dict[str, Provider]:
    return dict(_PROVIDERS)


def tracked_fields_of(model: str) -> frozenset[str]:
    """Fields of `model` that some registered provider syncs (for dirty marking)."""
    return tracked_fields((m for p in _PROVIDERS.values() for m in p.mappers.values()), model)
