"""X API v2 with an OAuth 2.0 user token (authorization code with PKCE).

Posting "@handle text" is what the addon does on X (the seed's behaviour); DMs need a
plan few businesses have. Posting is paid per use since February 2026: an empty
balance is error 402, which becomes a reason saying where to top it up.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from .errors import SocialError, _
from .http import NetworkClient

DEFAULT_API_URL = "https://api.x.com/2"
DEFAULT_AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
DEFAULT_TOKEN_URL = "https://api.x.com/2/oauth2/token"
SCOPES = "tweet.read tweet.write users.read offline.access"
POST_LIMIT = 280


# -- OAuth 2.0 with PKCE (RFC 7636) ---------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_url(authorize_url: str, client_id: str, redirect_uri: str, state: str,
                      challenge: str) -> str:
    return authorize_url + "?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": SCOPES, "state": state, "code_challenge": challenge,
        "code_challenge_method": "S256"})


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds


def _token_call(token_url: str, client_id: str, client_secret: str, form: dict,
                timeout: float = 20.0, revoked=("invalid_grant",)) -> Tokens:
    # Confidential clients authenticate with Basic; public ones send client_id alone.
    auth = (client_id, client_secret) if client_secret else None
    form = dict(form, client_id=client_id)
    try:
        response = requests.post(token_url, data=form, auth=auth, timeout=timeout)
    except requests.RequestException as exc:
        raise SocialError(_("X's token service could not be reached (%(error)s)."),
                          error=type(exc).__name__, retry_after=1.0) from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or "access_token" not in body:
        error = body.get("error") or f"HTTP {response.status_code}"
        description = body.get("error_description") or ""
        if error in (*revoked, "invalid_client", "unauthorized_client"):
            raise SocialError(
                _("X no longer accepts this connection (%(error)s): an administrator "
                  "connects the X account again in Settings."), error=error, auth=True,
                code=error)
        raise SocialError(_("X's token service refused: %(error)s"),
                          error=f"{error} {description}".strip(), code=error)
    return Tokens(body["access_token"], body.get("refresh_token", ""),
                  time.time() + float(body.get("expires_in") or 7200))


def exchange_code(token_url: str, client_id: str, client_secret: str, code: str,
                  verifier: str, redirect_uri: str) -> Tokens:
    return _token_call(token_url, client_id, client_secret, {
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": redirect_uri})


def refresh(token_url: str, client_id: str, client_secret: str, refresh_token: str) -> Tokens:
    if not refresh_token:
        raise SocialError(_("The X connection has expired and has no refresh token: an "
                            "administrator connects the X account again in Settings."),
                          auth=True)
    # X answers a revoked or already rotated refresh token with invalid_request.
    tokens = _token_call(token_url, client_id, client_secret, {
        "grant_type": "refresh_token", "refresh_token": refresh_token},
        revoked=("invalid_grant", "invalid_request"))
    # X rotates refresh tokens; keep the old one only if none came back.
    tokens.refresh_token = tokens.refresh_token or refresh_token
    return tokens


# -- the API ------------------------------------------------------------------------


class XClient(NetworkClient):
    """``tokens`` is refreshed once on a 401 (or when expired) and handed to
    ``on_tokens`` so the caller can store the rotated refresh token."""

    label = "X"

    def __init__(self, tokens: Tokens | None, *, client_id: str, client_secret: str,
                 api_url: str = DEFAULT_API_URL, token_url: str = DEFAULT_TOKEN_URL,
                 on_tokens=None, timeout: float = 20.0):
        if tokens is None or not tokens.access_token:
            raise SocialError(_("No X account is connected: an administrator connects one "
                                "in Settings > CRM > Social networks."), auth=True)
        super().__init__(api_url, timeout=timeout)
        self.tokens = tokens
        self.client_id, self.client_secret, self.token_url = client_id, client_secret, token_url
        self.on_tokens = on_tokens or (lambda tokens: None)

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.tokens.access_token}"}

    def _refresh(self) -> None:
        self.tokens = refresh(self.token_url, self.client_id, self.client_secret,
                              self.tokens.refresh_token)
        self.on_tokens(self.tokens)

    def call(self, method: str, path: str, **kwargs):
        if self.tokens.expires_at - 60 < time.time():
            self._refresh()
        try:
            return self.json(method, path, **kwargs)
        except SocialError as exc:
            if not exc.auth:
                raise
        self._refresh()  # a 401 with a token we thought valid: revoked or rotated early
        return self.json(method, path, **kwargs)

    def me(self) -> dict:
        return self.call("GET", "users/me")["data"]

    def user_by_username(self, username: str) -> dict:
        answer = self.call("GET", f"users/by/username/{username}", params={
            "user.fields": "name,description,location,profile_image_url,url"})
        if not answer.get("data"):
            # X answers an unknown handle with 200 and an "errors" list.
            raise SocialError(_("x.com/%(name)s names no one on X."), name=username)
        return answer["data"]

    def post(self, text: str) -> str:
        if len(text) > POST_LIMIT:
            raise SocialError(_("An X post holds %(limit)s characters; this one has "
                                "%(length)s with the @handle. Shorten the text."),
                              limit=POST_LIMIT, length=len(text))
        return str(self.call("POST", "tweets", json={"text": text})["data"]["id"])

    def error_of(self, response) -> SocialError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        detail = body.get("detail") or body.get("title") or f"HTTP {response.status_code}"
        status = response.status_code
        suffix = f" [X {status}]"
        if status == 401:
            return SocialError(_("X refused the access token."), suffix=suffix, auth=True,
                               code=status)
        if status == 429:
            reset = response.headers.get("x-rate-limit-reset")
            wait = max(0.0, float(reset) - time.time()) if reset else 60.0
            when = time.strftime("%H:%M UTC", time.gmtime(time.time() + wait))
            return SocialError(_("X's rate limit for this account is used up until "
                                 "%(time)s."), time=when, suffix=suffix, retry_after=wait,
                               code=status)
        if status == 402:
            return SocialError(_("X refused: the developer account has no API credits left "
                                 "(posting is paid per use). Top up the credits in the X "
                                 "developer console. (%(error)s)"), error=detail,
                               suffix=suffix, code=status)
        if status == 403:
            return SocialError(_("X does not allow this post: %(error)s"), error=detail,
                               suffix=suffix, code=status)
        if status >= 500:
            return SocialError(_("X had a temporary problem: %(error)s"), error=detail,
                               suffix=suffix, retry_after=5.0, code=status)
        return SocialError(_("X refused the call: %(error)s"), error=detail, suffix=suffix,
                           code=status)
