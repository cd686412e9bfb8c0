"""A JSON-over-HTTP client that turns a provider's answers into the engine's errors.

Every requests-based connector (Graph, Domino, VK, the test provider) shares it, so a
401, a 410, a 412, a 429 with Retry-After or a lost connection mean the same thing
everywhere. Plain Python: no odoo import.
"""

from __future__ import annotations

import email.utils
import os
from datetime import datetime, timezone

import requests

from ..engine.adapter import (
    AuthExpired,
    ItemRejected,
    NotFound,
    RateLimited,
    TokenInvalid,
    Transient,
    VersionConflict,
)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def clock_offset(response: requests.Response) -> float:
    """Seconds the server's clock runs ahead of ours, from its Date header."""
    value = response.headers.get("Date")
    if not value:
        return 0.0
    try:
        server = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return (server - datetime.now(timezone.utc)).total_seconds()


def error_message(response: requests.Response) -> str:
    """The provider's own words, short: its JSON message, else the status line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            text = error.get("message") or error.get("reason") or error.get("status")
        else:
            text = body.get("message") or body.get("error_description") or error
        if text:
            return f"{response.status_code}: {text}"[:300]
    return f"{response.status_code} {response.reason or ''}".strip()


class JsonHttpClient:
    """requests.Session with the error mapping; ``token_gone`` lists statuses meaning
    "sync token refused" for this provider (410 by default; Google People uses 400)."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, token_gone=(410,),
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token_gone = tuple(token_gone)
        self.session = session or self._session(self.base_url)
        self.last_clock_offset = 0.0

    @staticmethod
    def _session(base_url: str) -> requests.Session:
        """A session that reads the proxy and CA settings from the environment once,
        not on every request (requests scans all of os.environ each time otherwise,
        a third of the time of a bulk export)."""
        session = requests.Session()
        session.proxies.update(requests.utils.get_environ_proxies(base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
        session.trust_env = False
        return session

    def headers(self) -> dict:
        """Per-request headers (authorization); subclasses override."""
        return {}

    def request(self, method: str, path: str, *, expect_token=False, **kwargs):
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        headers = dict(self.headers(), **kwargs.pop("headers", {}))
        try:
            response = self.session.request(method, url, headers=headers,
                                            timeout=kwargs.pop("timeout", self.timeout),
                                            **kwargs)
        except requests.Timeout:
            raise Transient(f"no answer from the server within {self.timeout:.0f} s "
                            f"({method} {path})")
        except requests.ConnectionError as exc:
            raise Transient(f"connection to the server failed ({method} {path}): "
                            f"{type(exc).__name__}")
        self.last_clock_offset = clock_offset(response)
        self.raise_for_status(response, expect_token=expect_token)
        return response

    def raise_for_status(self, response: requests.Response, *, expect_token=False) -> None:
        status = response.status_code
        if status < 400:
            return
        message = error_message(response)
        if status == 401:
            raise AuthExpired(message)
        if expect_token and status in self.token_gone:
            raise TokenInvalid(message)
        if status in (404, 410):
            raise NotFound(message)
        if status == 412:
            raise VersionConflict(message)
        if status in (429, 503):
            raise RateLimited(message, retry_after_seconds(response.headers.get("Retry-After")))
        if status >= 500 or status == 408:
            raise Transient(message)
        raise ItemRejected(message)

    def json(self, method: str, path: str, **kwargs):
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise Transient(f"the server answered {method} {path} with something that is "
                            "not JSON")
