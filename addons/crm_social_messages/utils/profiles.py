"""Profile URLs of VK, Facebook and X in the forms people paste, and what they name.

``parse_profile_url("https://m.vk.com/id123")`` gives ``Profile("vk", "id", "123")``;
a screen name gives kind "name" and needs the network to turn it into an id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from .errors import SocialError, _

NETWORKS = ("vk", "facebook", "x")

_HOSTS = {
    "vk": {"vk.com", "vk.ru", "m.vk.com", "m.vk.ru", "vkontakte.ru", "new.vk.com"},
    "facebook": {"facebook.com", "m.facebook.com", "fb.com", "web.facebook.com",
                 "mbasic.facebook.com", "business.facebook.com", "m.me"},
    "x": {"x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"},
}

# First path segments that are pages of the site itself, not somebody's profile.
_RESERVED = {
    "vk": {"feed", "im", "friends", "groups", "search", "settings", "video", "audio",
           "photos", "apps", "dev", "support", "login", "join", "away.php", "wall",
           "market", "services", "docs", "bugs", "blog", "about", "terms", "privacy"},
    "facebook": {"home.php", "groups", "pages", "events", "marketplace", "watch",
                 "login", "login.php", "help", "settings", "privacy", "policies",
                 "messages", "notifications", "search", "sharer.php", "share", "hashtag",
                 "gaming", "stories", "reel", "friends", "bookmarks"},
    "x": {"home", "explore", "notifications", "messages", "search", "settings", "i",
          "login", "signup", "compose", "intent", "share", "hashtag", "tos", "privacy",
          "about", "jobs"},
}

_VK_NAME = re.compile(r"[A-Za-z0-9_.]{2,32}")
_FB_NAME = re.compile(r"[A-Za-z0-9.]{5,50}")
_X_NAME = re.compile(r"[A-Za-z0-9_]{1,15}")


@dataclass(frozen=True)
class Profile:
    network: str  # vk | facebook | x
    kind: str  # "id" (numeric id) or "name" (screen name / handle)
    value: str

    @property
    def url(self) -> str:
        """The canonical form of the URL, stored on the record."""
        if self.network == "vk":
            return f"https://vk.com/{'id' if self.kind == 'id' else ''}{self.value}"
        if self.network == "facebook":
            if self.kind == "id":
                return f"https://www.facebook.com/profile.php?id={self.value}"
            return f"https://www.facebook.com/{self.value}"
        return f"https://x.com/{self.value}"


def network_of_url(url: str) -> str | None:
    """Which network a URL belongs to, or None; never raises."""
    try:
        host = _host(url)
    except SocialError:
        return None
    return next((n for n, hosts in _HOSTS.items() if host in hosts), None)


def parse_profile_url(url: str, network: str | None = None) -> Profile:
    """The profile a URL names; SocialError with what is wrong otherwise.

    ``network`` restricts the answer to one network (the VK field holds VK URLs only)."""
    text = (url or "").strip()
    if not text:
        raise SocialError(_("The profile URL is empty."))
    if network == "x" and text.startswith("@") and _X_NAME.fullmatch(text[1:]):
        return Profile("x", "name", text[1:])
    host = _host(text)
    found = next((n for n, hosts in _HOSTS.items() if host in hosts), None)
    if found is None:
        raise SocialError(_("%(url)s is not a VK, Facebook or X address."), url=text)
    if network and found != network:
        raise SocialError(_("%(url)s is not a %(network)s address."), url=text,
                          network=_LABELS[network])
    split = urlsplit(text if "://" in text else "https://" + text)
    segments = [s for s in split.path.split("/") if s]
    query = parse_qs(split.query)
    profile = _PARSERS[found](host, segments, query)
    if profile is None:
        raise SocialError(_("%(url)s does not name a %(network)s profile."), url=text,
                          network=_LABELS[found])
    return profile


_LABELS = {"vk": "VK", "facebook": "Facebook", "x": "X"}


def _host(text: str) -> str:
    split = urlsplit(text if "://" in text else "https://" + text)
    if split.scheme not in ("http", "https") or not split.hostname:
        raise SocialError(_("%(url)s is not a web address."), url=text)
    host = split.hostname.lower()
    return host[4:] if host.startswith("www.") else host


def _vk(host, segments, query):
    if not segments:
        return None
    first = segments[0]
    if first in ("write", "im") and query.get("sel"):  # vk.com/write123, im?sel=123
        sel = query["sel"][0]
        return Profile("vk", "id", sel) if sel.isdigit() else None
    match = re.fullmatch(r"(?:id|write)(\d+)", first)
    if match:
        return Profile("vk", "id", match.group(1))
    if first.lower() in _RESERVED["vk"] or not _VK_NAME.fullmatch(first):
        return None
    # club123 / public123 are communities, which cannot be written as a person.
    if re.fullmatch(r"(?:club|public|event)\d+", first):
        return None
    return Profile("vk", "name", first)


def _facebook(host, segments, query):
    if host == "m.me":  # Messenger link: m.me/<page-scoped id or name>
        if not segments:
            return None
        value = segments[0]
        return Profile("facebook", "id" if value.isdigit() else "name", value)
    if not segments:
        return None
    first = segments[0]
    if first == "profile.php":
        ids = query.get("id") or []
        return Profile("facebook", "id", ids[0]) if ids and ids[0].isdigit() else None
    if first == "people" and len(segments) >= 3 and segments[2].isdigit():
        return Profile("facebook", "id", segments[2])  # /people/Some-Name/1000123/
    if first.lower() in _RESERVED["facebook"]:
        return None
    if first.isdigit():
        return Profile("facebook", "id", first)
    if not _FB_NAME.fullmatch(first):
        return None
    return Profile("facebook", "name", first)


def _x(host, segments, query):
    if not segments:
        return None
    first = segments[0].lstrip("@")
    if first.lower() in _RESERVED["x"] or not _X_NAME.fullmatch(first):
        return None
    return Profile("x", "name", first)


_PARSERS = {"vk": _vk, "facebook": _facebook, "x": _x}
