"""The sync engine: plain Python, no odoo import, so it reads and tests on its own."""

from . import adapter, hashing, mapper, plan, policies, registry
from .adapter import (
    AccountContext,
    AuthExpired,
    AuthFailed,
    BaseAdapter,
    ItemRejected,
    Listing,
    NotFound,
    RateLimited,
    RemoteAdapter,
    RemoteItem,
    SyncError,
    TokenInvalid,
    Transient,
    VersionConflict,
)
from .hashing import canonical, content_hash
from .mapper import RecordMapper
from .plan import Action, Binding, LocalChange, Plan
from .policies import MassDeleteRefused, SyncSettings
