"""Normalization shared by the loader and the search, so both sides agree.

A search key is lower case, "ё" is "е", runs of spaces are one space. A query typed
with the keyboard in the Latin layout ("vjcrdf") is mapped key by key to what the same
keys give in the Russian layout ("москва").
"""

from __future__ import annotations

import re

_LATIN_KEYS = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./" + '~QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?'
_RUSSIAN_KEYS = "ёйцукенгшщзхъфывапролджэячсмитьбю." + "ЁЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,"
_LAYOUT = str.maketrans(_LATIN_KEYS, _RUSSIAN_KEYS)
_SPACES = re.compile(r"\s+")
_LATIN_LETTER = re.compile(r"[a-zA-Z]")


def search_key(text: str | None) -> str:
    """The form names are stored and compared in."""
    if not text:
        return ""
    return _SPACES.sub(" ", text.lower().replace("ё", "е")).strip()


def from_latin_layout(text: str) -> str | None:
    """The text as if typed in the Russian layout, or None when it has no Latin letter
    (nothing to convert)."""
    if not _LATIN_LETTER.search(text or ""):
        return None
    return text.translate(_LAYOUT)


def query_keys(query: str | None) -> list[str]:
    """The search keys to try for what the user typed: as typed, then as if the
    keyboard had been in the Russian layout."""
    keys = []
    key = search_key(query)
    if key:
        keys.append(key)
    converted = from_latin_layout(query or "")
    if converted:
        converted_key = search_key(converted)
        if converted_key and converted_key not in keys:
            keys.append(converted_key)
    return keys


def like_escape(text: str) -> str:
    """Escape LIKE wildcards so a user's "%" or "_" matches itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
