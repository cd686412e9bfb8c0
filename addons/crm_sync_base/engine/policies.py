"""Account settings the planner obeys: direction, conflict policy, deletion behaviour,
and the guard that refuses to mirror a side that suddenly came back empty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

DIRECTIONS = ("import", "export", "both")
POLICIES = ("newest", "local", "remote")  # newest change wins / Odoo wins / remote wins
DELETIONS = ("propagate", "unlink")  # delete on the other side / only leave the sync


@dataclass(frozen=True)
class SyncSettings:
    direction: str = "both"
    policy: str = "newest"
    deletion: str = "propagate"
    allow_mass_delete: bool = False
    # The guard also trips when one run would delete more than this share of the bound
    # items on one side, once at least mass_delete_min items are bound.
    mass_delete_ratio: float = 0.5
    mass_delete_min: int = 20

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}")
        if self.policy not in POLICIES:
            raise ValueError(f"unknown conflict policy {self.policy!r}")
        if self.deletion not in DELETIONS:
            raise ValueError(f"unknown deletion behaviour {self.deletion!r}")

    @property
    def imports(self) -> bool:
        return self.direction in ("import", "both")

    @property
    def exports(self) -> bool:
        return self.direction in ("export", "both")


def conflict_winner(settings: SyncSettings, local_changed_at: datetime | None,
                    remote_modified: datetime | None, clock_offset: float = 0.0) -> str:
    """'local' or 'remote' for an item changed on both sides.

    One-way syncs make their source win. For *newest wins*, the remote time is moved
    onto our clock by the offset measured against the remote server (its Date header),
    so a skewed server clock cannot make old edits win; when either time is unknown
    the remote side wins and the run journal keeps the discarded local values.
    """
    if settings.direction == "import":
        return "remote"
    if settings.direction == "export":
        return "local"
    if settings.policy == "local":
        return "local"
    if settings.policy == "remote":
        return "remote"
    if local_changed_at is None or remote_modified is None:
        return "remote"
    remote_on_our_clock = _naive_utc(remote_modified) - timedelta(seconds=clock_offset)
    return "local" if _naive_utc(local_changed_at) > remote_on_our_clock else "remote"


def _naive_utc(moment: datetime) -> datetime:
    """Naive datetimes are UTC (Odoo's convention); aware ones are converted."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


class MassDeleteRefused(Exception):
    """A run would mirror a sudden mass deletion; nothing was changed."""

    def __init__(self, side: str, count: int, bound: int):
        self.side, self.count, self.bound = side, count, bound
        where = "the remote side" if side == "remote" else "Odoo"
        super().__init__(
            f"{where} reported {count} of {bound} synced items as deleted; the sync "
            "refused to mirror that many deletions. If they were deleted on purpose, "
            "allow mass deletion once on the account and sync again."
        )


def check_mass_delete(settings: SyncSettings, side: str, deletions: int, bound: int,
                      side_empty: bool) -> None:
    """Raise MassDeleteRefused when `side` lost all or too many of its bound items."""
    if settings.allow_mass_delete or not deletions or not bound:
        return
    if side_empty and deletions == bound:
        raise MassDeleteRefused(side, deletions, bound)
    if bound >= settings.mass_delete_min and deletions > settings.mass_delete_ratio * bound:
        raise MassDeleteRefused(side, deletions, bound)
