"""The decision table: (bindings, local changes, remote changes) -> actions.

A pure function over plain data, in the manner of vdirsyncer's sync core. Each bound
item is in one state per side:

    local:  unchanged | changed | deleted | out_of_scope (left the synced category)
    remote: unchanged | changed | deleted

and the table below says what happens (E = only when exporting, I = importing):

    local \\ remote   unchanged          changed                 deleted
    unchanged        -                  update local (I)        delete/release local (I)
    changed          update remote (E)  equal content: refresh  conflict
                                        else conflict
    deleted          delete/release     conflict                forget binding
                     remote (E)
    out_of_scope     release remote     release remote          forget binding

"Changed" means the content hash differs from the one kept in the binding, never an
etag or a timestamp alone. Conflicts go to the account's policy; an item deleted on one
side and edited on the other is recreated on the deleting side when the edit wins.
Unbound items are created on the other side; a remote item carrying the tag of one of
our records (its create response was lost) is adopted, not duplicated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .adapter import RemoteItem
from .hashing import content_hash
from .policies import SyncSettings, check_mass_delete, conflict_winner

# Actions. "local"/"remote" is the side that is written.
CREATE_REMOTE = "create_remote"
UPDATE_REMOTE = "update_remote"
DELETE_REMOTE = "delete_remote"
RELEASE_REMOTE = "release_remote"
CREATE_LOCAL = "create_local"
UPDATE_LOCAL = "update_local"
DELETE_LOCAL = "delete_local"
RELEASE_LOCAL = "release_local"
BIND = "bind"  # adopt a remote item for a binding (or follow a remote id change)
REFRESH = "refresh"  # only the binding's hashes/version/dirty mark change
FORGET = "forget"  # drop the binding, touch neither side

WRITES_REMOTE = {CREATE_REMOTE, UPDATE_REMOTE, DELETE_REMOTE, RELEASE_REMOTE}
WRITES_LOCAL = {CREATE_LOCAL, UPDATE_LOCAL, DELETE_LOCAL, RELEASE_LOCAL}


@dataclass
class Binding:
    """The status row of one synced item, as the planner needs it."""

    local_id: int | None
    remote_id: str | None
    remote_version: str | None = None
    local_hash: str | None = None
    remote_hash: str | None = None
    key: Any = None  # the runner's binding id
    pending: bool = False  # a create was sent, its answer never came back
    local_tag: str | None = None


@dataclass
class LocalChange:
    """A local record that is dirty, new in scope, deleted or out of scope."""

    local_id: int
    values: dict | None = None  # canonical values; None when gone
    gone: str | None = None  # None | "deleted" | "out_of_scope"
    changed_at: datetime | None = None  # on our clock
    local_tag: str | None = None


@dataclass
class Action:
    op: str
    binding: Binding | None = None
    local_id: int | None = None
    remote_id: str | None = None
    values: dict | None = None  # what to write on the written side
    if_match: str | None = None
    remote_version: str | None = None  # the remote version the binding should keep
    local_hash: str | None = None  # hashes the binding keeps once the action succeeded
    remote_hash: str | None = None
    local_tag: str | None = None
    conflict: str | None = None  # how a conflict was decided, for the journal
    discarded: dict | None = None  # the losing side's values, for the journal
    # For a remote write planned from a listed item: its version and content hash. When
    # the write fails, the binding keeps them, so the retry is made against the version
    # the remote has (the token moves past that listing) instead of 412-ing forever.
    listed_version: str | None = None
    listed_hash: str | None = None

    @property
    def side(self) -> str | None:
        if self.op in WRITES_REMOTE:
            return "remote"
        if self.op in WRITES_LOCAL:
            return "local"
        return None


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    conflicts: int = 0

    def counts(self) -> Counter:
        return Counter(a.op for a in self.actions)

    def writes(self) -> list[Action]:
        return [a for a in self.actions if a.op not in (REFRESH, BIND, FORGET)]


def plan(
    bindings: Iterable[Binding],
    local_changes: Iterable[LocalChange],
    remote_items: Iterable[RemoteItem],
    *,
    complete: bool,
    settings: SyncSettings,
    clock_offset: float = 0.0,
    volatile: Iterable[str] = (),
    bound_total: int | None = None,
) -> Plan:
    """Decide every item. ``complete`` says the remote listing is a full one, so a bound
    item absent from it was deleted. Reads and writes nothing but its arguments: an
    adopted or renamed item's Binding is updated in place (its remote id), so the
    actions planned after its BIND refer to it as it will be. ``bound_total`` is how
    many items the account has bound in all (an incremental run is given only the
    bindings it touches); the mass-delete guard weighs deletions against it.
    Raises MassDeleteRefused (nothing decided)."""
    volatile = tuple(volatile)

    def h(values):
        return content_hash(values, volatile)

    bindings = list(bindings)
    by_remote = {b.remote_id: b for b in bindings if b.remote_id}
    by_local = {b.local_id: b for b in bindings if b.local_id is not None}
    local = {c.local_id: c for c in local_changes}
    remote: dict[str, RemoteItem] = {}
    for item in remote_items:  # a later occurrence of an id supersedes an earlier one
        remote[item.remote_id] = item

    out = Plan()
    add = out.actions.append

    # Remote items that are ours under a new id, or whose create answer was lost.
    tags = {b.local_tag: b for b in bindings if b.pending and b.local_tag}
    unbound_local_tags = {c.local_tag: c for c in local.values()
                          if c.local_tag and c.local_id not in by_local and not c.gone}
    for item in list(remote.values()):
        if item.remote_id in by_remote:
            continue
        renamed = next((by_remote[p] for p in item.previous_ids if p in by_remote), None)
        if renamed is not None:
            del by_remote[renamed.remote_id]
            add(Action(BIND, renamed, renamed.local_id, item.remote_id,
                       remote_version=renamed.remote_version))
            renamed.remote_id = item.remote_id
            by_remote[item.remote_id] = renamed
            continue
        if item.deleted or not item.local_tag:
            continue
        pending = tags.pop(item.local_tag, None)
        new_local = unbound_local_tags.pop(item.local_tag, None)
        if pending is None and new_local is None:
            continue
        target = pending or Binding(new_local.local_id, None, local_tag=item.local_tag)
        target.remote_id, target.pending = item.remote_id, False
        # Adopted: both sides start from what was sent (the pending row keeps its hash),
        # so an edit made on either side since the lost create is a change of that
        # side, decided like any other. Without that hash, the remote content is the
        # base and a local difference is pushed.
        base = (pending.local_hash if pending is not None and pending.local_hash
                else h(item.values))
        target.remote_version = item.version
        target.local_hash = target.remote_hash = base
        add(Action(BIND, target, target.local_id, item.remote_id,
                   remote_version=item.version, local_hash=base, remote_hash=base))
        by_remote[item.remote_id] = target
        if target.local_id is not None:
            by_local[target.local_id] = target
        if pending is None:
            bindings.append(target)

    remote_deletions = local_deletions = 0
    for b in bindings:
        if b.remote_id is None:
            continue  # pending and not adopted: handled with the new local records
        change = local.get(b.local_id)
        item = remote.get(b.remote_id)
        l_state, l_values = _local_state(b, change, h)
        r_state = _remote_state(b, item, complete, h)
        action = _decide(b, l_state, l_values, change, r_state, item, settings,
                         clock_offset, h)
        if action is None:
            continue
        if item is not None and not item.deleted and action.op in WRITES_REMOTE:
            action.listed_version, action.listed_hash = item.version, h(item.values)
        if action.conflict:
            out.conflicts += 1
        if action.op in (DELETE_LOCAL, RELEASE_LOCAL) and r_state == "deleted":
            remote_deletions += 1
        if action.op in (DELETE_REMOTE, RELEASE_REMOTE) and l_state == "deleted":
            local_deletions += 1
        add(action)

    # New local records (and pending creates that were not adopted).
    pending_by_local = {b.local_id: b for b in bindings if b.remote_id is None}
    for change in local.values():
        if change.gone:
            stale = pending_by_local.get(change.local_id)
            if stale is not None:
                add(Action(FORGET, stale, change.local_id))
            continue
        bound = by_local.get(change.local_id)
        if bound is not None and bound.remote_id is not None:
            continue
        if not settings.exports:
            continue
        digest = h(change.values)
        add(Action(CREATE_REMOTE, bound, change.local_id, values=change.values,
                   local_tag=change.local_tag or (bound.local_tag if bound else None),
                   local_hash=digest, remote_hash=digest))

    # New remote items.
    if settings.imports:
        for item in remote.values():
            if item.deleted or item.remote_id in by_remote:
                continue
            digest = h(item.values)
            add(Action(CREATE_LOCAL, None, None, item.remote_id, values=item.values,
                       remote_version=item.version, local_hash=digest, remote_hash=digest))

    bound = bound_total if bound_total is not None else sum(1 for b in bindings
                                                             if b.remote_id)
    live_remote = sum(1 for i in remote.values() if not i.deleted)
    check_mass_delete(settings, "remote", remote_deletions, bound,
                      side_empty=complete and live_remote == 0)
    # Local deletions are tombstones of explicit deletions in Odoo, not a listing that
    # came back empty, so only the ratio rule applies to them.
    check_mass_delete(settings, "local", local_deletions, bound, side_empty=False)
    return out


def _local_state(b: Binding, change: LocalChange | None, h):
    if change is None:
        return "unchanged", None
    if change.gone:
        return change.gone, None
    if h(change.values) == b.local_hash:
        return "clean", change.values  # dirty mark without a content change
    return "changed", change.values


def _remote_state(b: Binding, item: RemoteItem | None, complete: bool, h) -> str:
    if item is None:
        return "deleted" if complete else "unchanged"
    if item.deleted:
        return "deleted"
    if h(item.values) == b.remote_hash:
        return "same" if item.version != b.remote_version else "unchanged"
    return "changed"


def _decide(b, l_state, l_values, change, r_state, item, settings, clock_offset, h):
    s = settings
    # "clean": dirty mark without a content change; "same": new etag, same content.
    # Neither is a change; they only refresh the binding.
    touched = l_state == "clean" or r_state == "same"
    l_state = "unchanged" if l_state == "clean" else l_state
    r_state = "unchanged" if r_state == "same" else r_state

    if l_state == "unchanged":
        if r_state == "unchanged":
            if not touched:
                return None
            return Action(REFRESH, b, b.local_id, b.remote_id,
                          remote_version=item.version if item else b.remote_version,
                          local_hash=b.local_hash, remote_hash=b.remote_hash)
        if r_state == "changed":
            if not s.imports:
                return _keep_remote_version(b, item, h)
            digest = h(item.values)
            return Action(UPDATE_LOCAL, b, b.local_id, b.remote_id, values=item.values,
                          remote_version=item.version, local_hash=digest, remote_hash=digest)
        # remote deleted
        if not s.imports:
            return Action(FORGET, b, b.local_id, b.remote_id)
        op = DELETE_LOCAL if s.deletion == "propagate" else RELEASE_LOCAL
        return Action(op, b, b.local_id, b.remote_id)

    if l_state == "out_of_scope":
        if r_state == "deleted":
            return Action(FORGET, b, b.local_id, b.remote_id)
        if not s.exports:
            return Action(FORGET, b, b.local_id, b.remote_id)
        return Action(RELEASE_REMOTE, b, b.local_id, b.remote_id,
                      if_match=item.version if item else b.remote_version)

    if l_state == "deleted":
        if r_state == "deleted":
            return Action(FORGET, b, b.local_id, b.remote_id)
        if r_state == "changed":
            winner = conflict_winner(s, None if change is None else change.changed_at,
                                     item.modified, clock_offset)
            if winner == "remote" and s.imports:
                digest = h(item.values)
                return Action(CREATE_LOCAL, b, None, b.remote_id, values=item.values,
                              remote_version=item.version, local_hash=digest,
                              remote_hash=digest,
                              conflict="deleted in Odoo, edited remotely: the edit wins")
            if not s.exports:
                return Action(FORGET, b, b.local_id, b.remote_id)
            op = DELETE_REMOTE if s.deletion == "propagate" else RELEASE_REMOTE
            return Action(op, b, b.local_id, b.remote_id, if_match=item.version,
                          conflict="deleted in Odoo, edited remotely: the deletion wins",
                          discarded=item.values)
        if not s.exports:
            return Action(FORGET, b, b.local_id, b.remote_id)
        op = DELETE_REMOTE if s.deletion == "propagate" else RELEASE_REMOTE
        return Action(op, b, b.local_id, b.remote_id,
                      if_match=item.version if item else b.remote_version)

    # local changed
    digest_local = h(l_values)
    if r_state == "unchanged":
        if not s.exports:
            return Action(REFRESH, b, b.local_id, b.remote_id, remote_version=b.remote_version,
                          local_hash=b.local_hash, remote_hash=b.remote_hash)
        return Action(UPDATE_REMOTE, b, b.local_id, b.remote_id, values=l_values,
                      if_match=item.version if item else b.remote_version,
                      local_hash=digest_local, remote_hash=digest_local)
    if r_state == "changed":
        digest_remote = h(item.values)
        if digest_remote == digest_local:  # both sides made the same edit
            return Action(REFRESH, b, b.local_id, b.remote_id, remote_version=item.version,
                          local_hash=digest_local, remote_hash=digest_remote)
        winner = conflict_winner(s, change.changed_at, item.modified, clock_offset)
        if winner == "local":
            return Action(UPDATE_REMOTE, b, b.local_id, b.remote_id, values=l_values,
                          if_match=item.version, local_hash=digest_local,
                          remote_hash=digest_local, conflict=_why(s, "Odoo"),
                          discarded=item.values)
        return Action(UPDATE_LOCAL, b, b.local_id, b.remote_id, values=item.values,
                      remote_version=item.version, local_hash=digest_remote,
                      remote_hash=digest_remote, conflict=_why(s, "remote"),
                      discarded=l_values)
    # remote deleted, local changed
    winner = conflict_winner(s, change.changed_at, item.modified if item else None,
                             clock_offset)
    if winner == "local" and s.exports:
        return Action(CREATE_REMOTE, b, b.local_id, values=l_values, local_tag=b.local_tag,
                      local_hash=digest_local, remote_hash=digest_local,
                      conflict="deleted remotely, edited in Odoo: the edit wins")
    if not s.imports:
        return Action(FORGET, b, b.local_id, b.remote_id)
    op = DELETE_LOCAL if s.deletion == "propagate" else RELEASE_LOCAL
    return Action(op, b, b.local_id, b.remote_id, discarded=l_values,
                  conflict="deleted remotely, edited in Odoo: the deletion wins")


def _keep_remote_version(b: Binding, item: RemoteItem, h) -> Action:
    """Export only: a remote edit is not imported, but the binding notes the new version
    and content so the next local edit overwrites it knowingly instead of meeting 412."""
    return Action(REFRESH, b, b.local_id, b.remote_id, remote_version=item.version,
                  local_hash=b.local_hash, remote_hash=h(item.values))


def _why(settings: SyncSettings, winner: str) -> str:
    rule = {"newest": "the newest change wins", "local": "Odoo wins",
            "remote": "the remote side wins"}[settings.policy]
    if settings.direction != "both":
        rule = f"one-way sync ({settings.direction})"
    return f"changed on both sides; {rule}: kept the {winner} version"
