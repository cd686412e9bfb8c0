"""A mapper: Odoo values <-> the canonical plain dict that is hashed and sent.

Plain Python: it receives what ``read()`` returns and gives back ``write()`` values;
relational values are resolved by the model glue through ``resolve``/``describe``
hooks it is handed, never by an ``env`` of its own.
"""

from __future__ import annotations

from collections.abc import Iterable


class RecordMapper:
    kind = ""  # "contacts", "events", "tasks"
    model = ""  # the Odoo model synced, e.g. "res.partner"
    fields: tuple[str, ...] = ()  # read for the mapping; a write to any marks it dirty
    volatile: tuple[str, ...] = ()  # canonical keys left out of the content hash

    def for_settings(self, settings: dict) -> RecordMapper:
        """The mapper for one account's settings (e.g. which fields sync). Returns a
        configured copy, or self when the mapping does not depend on the account."""
        return self

    def to_canonical(self, values: dict) -> dict:
        """From ``read()`` values of one record to the canonical dict."""
        raise NotImplementedError

    def to_odoo(self, canonical: dict) -> dict:
        """From the canonical dict to values for ``create()`` / ``write()``."""
        raise NotImplementedError

    def scope_domain(self, settings: dict) -> list:
        """Which local records this account syncs (an Odoo domain, plain data)."""
        return []

    def scope_values(self, settings: dict) -> dict:
        """Values that put a record created from the remote side in scope."""
        return {}

    def release_values(self, settings: dict) -> dict:
        """Values that take a record out of scope without deleting it (a deletion
        in "unlink only" mode, seed 001: the item leaves the synced category)."""
        return {}


class CategoryScopedPartnerMapper(RecordMapper):
    """Contacts in scope are the partners carrying the account's category
    (``settings["category_id"]``): seed 001's group <-> category. Without a category
    nothing is in scope, rather than every partner of the database."""

    model = "res.partner"

    def scope_domain(self, settings: dict) -> list:
        category = settings.get("category_id")
        return [("category_id", "in", [category])] if category else [("id", "=", 0)]

    def scope_values(self, settings: dict) -> dict:
        category = settings.get("category_id")
        return {"category_id": [(4, category)]} if category else {}

    def release_values(self, settings: dict) -> dict:
        category = settings.get("category_id")
        return {"category_id": [(3, category)]} if category else {}


def tracked_fields(mappers: Iterable[RecordMapper], model: str) -> frozenset[str]:
    return frozenset(f for m in mappers if m.model == model for f in m.fields)
