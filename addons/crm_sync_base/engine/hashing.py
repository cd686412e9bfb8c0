"""Canonical form and content hash of a mapped item.

Both sides are hashed on the mapper's canonical dict, so "changed" means the synced
content changed: an etag churn, a no-op write or a reordered list moves nothing.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime


def _canonical(value):
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip().replace("\r\n", "\n")
        return value or None
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        cleaned = {str(k): _canonical(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {})} or None
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_canonical(v) for v in value]
        items = [v for v in items if v not in (None, [], {})]
        if isinstance(value, (set, frozenset)):
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return items or None
    return str(value)


def canonical(values: dict | None, volatile: Iterable[str] = ()) -> dict:
    """Values with empties dropped, strings trimmed, volatile keys left out."""
    if not values:
        return {}
    skip = set(volatile)
    return _canonical({k: v for k, v in values.items() if k not in skip}) or {}


def content_hash(values: dict | None, volatile: Iterable[str] = ()) -> str:
    """A stable sha256 of the canonical form (the same on both sides for equal content)."""
    payload = json.dumps(canonical(values, volatile), sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
