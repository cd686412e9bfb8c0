"""Google's side of the OAuth 2 authorization-code flow, with google-auth-oauthlib.

The provider-neutral half (signed state, callback, storage) is crm_sync_base's.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from urllib.parse import urlsplit

from odoo.addons.crm_sync_base.engine.adapter import AuthFailed, Transient

from .google_client import SCOPES

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    from google_auth_oauthlib.flow import Flow
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@contextlib.contextmanager
def _loopback_http_allowed(*urls):
    """oauthlib refuses plain http. Loopback addresses (a local test server, an SSH
    tunnel) are allowed plain http by RFC 8252 section 7.3; anything else stays https."""
    if not all(urlsplit(u).scheme == "http" and urlsplit(u).hostname in LOOPBACK
               for u in urls if u and u.startswith("http:")):
        yield
        return
    key = "OAUTHLIB_INSECURE_TRANSPORT"
    previous = os.environ.get(key)
    os.environ[key] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = previous


def _flow(client_id, client_secret, auth_url, token_url, redirect_uri, state=None):
    config = {"web": {"client_id": client_id, "client_secret": client_secret,
                      "auth_uri": auth_url, "token_uri": token_url,
                      "redirect_uris": [redirect_uri]}}
    # PKCE off: the state travels signed through the browser, the verifier would have
    # to be stored between the two requests; a confidential web client needs none.
    return Flow.from_client_config(config, scopes=list(SCOPES), redirect_uri=redirect_uri,
                                   state=state, autogenerate_code_verifier=False)


def authorization_url(*, client_id, client_secret, auth_url, token_url, redirect_uri,
                      state, login_hint=None) -> str:
    flow = _flow(client_id, client_secret, auth_url, token_url, redirect_uri, state)
    extra = {"login_hint": login_hint} if login_hint else {}
    with _loopback_http_allowed(auth_url, redirect_uri):
        # offline + consent: Google hands out a refresh token every time.
        url, _state = flow.authorization_url(access_type="offline", prompt="consent",
                                             include_granted_scopes="true", **extra)
    return url


def exchange_code(*, client_id, client_secret, auth_url, token_url, redirect_uri,
                  code) -> dict:
    """The authorization code -> the secrets to keep."""
    flow = _flow(client_id, client_secret, auth_url, token_url, redirect_uri)
    try:
        with _loopback_http_allowed(token_url, redirect_uri):
            flow.fetch_token(code=code)
    except OAuth2Error as exc:
        raise AuthFailed(f"{exc.error}: {exc.description or ''}".strip(": ")) from None
    except (OSError, ValueError) as exc:
        raise Transient(f"the token endpoint could not be reached: {exc}") from None
    credentials = flow.credentials
    tokens = {"access_token": credentials.token,
              "refresh_token": credentials.refresh_token or False}
    if credentials.expiry:
        tokens["token_expiry"] = credentials.expiry.isoformat()
    return tokens
