"""google-api-python-client set up against any endpoint, and its errors as the engine's.

The services are built from the discovery documents bundled with the library (no
discovery request), with ``api_endpoint`` pointing wherever the account says: Google
itself, a private endpoint, or the test peer. Credentials refresh themselves on a 401
through google-auth; whatever they obtain (a new access token, a rotated refresh
token) goes back to the account through ``save_credentials`` at once.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timezone

import httplib2
import requests

from odoo.addons.crm_sync_base.engine.adapter import (
    AuthExpired,
    AuthFailed,
    ItemRejected,
    NotFound,
    RateLimited,
    TokenInvalid,
    Transient,
    VersionConflict,
)
from odoo.addons.crm_sync_base.utils.http import retry_after_seconds

with warnings.catch_warnings():
    # google.api_core warns about Python 3.11's end of life on import; harmless here.
    warnings.simplefilter("ignore", FutureWarning)
    import google_auth_httplib2
    from google.auth.exceptions import RefreshError, TransportError
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build
    from googleapiclient.errors import HttpError

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/auth"
PEOPLE_ENDPOINT = "https://people.googleapis.com/"
CALENDAR_ENDPOINT = "https://www.googleapis.com/calendar/v3/"
SCOPES = ("https://www.googleapis.com/auth/contacts",
          "https://www.googleapis.com/auth/calendar")

TOKEN_REFUSED = {"EXPIRED_SYNC_TOKEN", "fullSyncRequired"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED",
                "quotaExceeded"}
CONFLICT_REASONS = {"failedPrecondition", "conditionNotMet"}


class RequestsHttp:
    """The ``httplib2.Http`` interface google-api-python-client and google-auth call,
    carried by requests.

    httplib2 silently sends a request again when the connection closes before the
    answer, whatever the method: a createContact whose answer was lost would then exist
    twice in Google. requests never resends a POST, so a lost answer surfaces as a
    Transient error and the sync adopts the contact by its tag instead."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = True  # HTTPS_PROXY / NO_PROXY as usual

    def request(self, uri, method="GET", body=None, headers=None, redirections=5,
                connection_type=None, **kwargs):
        try:
            answer = self.session.request(method, uri, data=body, headers=headers,
                                          timeout=self.timeout, allow_redirects=False)
        except requests.Timeout as exc:
            raise TimeoutError(str(exc)) from None
        except requests.RequestException as exc:
            raise ConnectionError(str(exc)) from None
        info = {k.lower(): v for k, v in answer.headers.items()}
        info["status"] = str(answer.status_code)
        return httplib2.Response(info), answer.content

    def close(self):
        self.session.close()


class GoogleSession:
    """Credentials + an authorized HTTP transport shared by the services of one run."""

    def __init__(self, *, credentials: dict, client_id: str, client_secret: str,
                 token_url: str, timeout: float = 30.0, save=lambda creds: None):
        self._save = save
        expiry = credentials.get("token_expiry")
        self.credentials = Credentials(
            token=credentials.get("access_token") or None,
            refresh_token=credentials.get("refresh_token") or None,
            token_uri=token_url or GOOGLE_TOKEN_URL, client_id=client_id or None,
            client_secret=client_secret or None, scopes=list(SCOPES),
            expiry=_parse_expiry(expiry))
        self._known = self._snapshot()
        self.http = google_auth_httplib2.AuthorizedHttp(
            self.credentials, http=RequestsHttp(timeout))
        self.requests = 0  # HTTP requests made (the benchmark counts them)

    def _snapshot(self):
        return (self.credentials.token, self.credentials.refresh_token)

    def save_if_changed(self) -> None:
        """Keep what google-auth obtained: a refreshed access token and, when Google
        rotated it, the new refresh token (the old one stops working)."""
        if self._snapshot() == self._known:
            return
        fresh = {"access_token": self.credentials.token}
        if self.credentials.refresh_token and self.credentials.refresh_token != self._known[1]:
            fresh["refresh_token"] = self.credentials.refresh_token
        if self.credentials.expiry:
            fresh["token_expiry"] = self.credentials.expiry.isoformat()
        self._known = self._snapshot()
        self._save(fresh)

    def service(self, api: str, version: str, endpoint: str):
        return build(api, version, http=self.http, cache_discovery=False,
                     static_discovery=True,
                     client_options={"api_endpoint": endpoint.rstrip("/") + "/"})

    def execute(self, request):
        """Run one API request; every failure becomes one of the engine's errors."""
        self.requests += 1
        try:
            return request.execute(num_retries=0)
        except HttpError as exc:
            raise map_http_error(exc) from None
        except RefreshError as exc:
            raise AuthFailed(refresh_error_text(exc)) from None
        except (TimeoutError, TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise Transient(f"Google could not be reached: {exc}") from None
        finally:
            self.save_if_changed()

    def refresh(self) -> None:
        """Get a new access token with the refresh token (after a 401)."""
        if not self.credentials.refresh_token:
            raise AuthFailed("No Google refresh token is stored: connect the account.")
        try:
            self.credentials.refresh(google_auth_httplib2.Request(self.http.http))
        except RefreshError as exc:
            raise AuthFailed(refresh_error_text(exc)) from None
        except (TransportError, OSError) as exc:
            raise Transient(f"Google could not be reached: {exc}") from None
        self.save_if_changed()


def _parse_expiry(value):
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # google-auth compares expiry with a naive UTC now.
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def refresh_error_text(exc: Exception) -> str:
    text = str(exc)
    if "invalid_grant" in text:
        return ("Google refused the refresh token (invalid_grant): access was revoked or "
                "has expired. Reconnect the account.")
    if "invalid_client" in text:
        return ("Google refused the OAuth client (invalid_client): check the client ID "
                "and secret in Settings.")
    return f"Google refused to renew the access token: {text[:200]}"


def _reasons(exc: HttpError) -> set[str]:
    details = exc.error_details
    reasons = set()
    if isinstance(details, list):
        for detail in details:
            if isinstance(detail, dict) and detail.get("reason"):
                reasons.add(detail["reason"])
    return reasons


def map_http_error(exc: HttpError):
    status = exc.status_code
    reasons = _reasons(exc)
    message = f"Google answered {status}: {exc.reason}"[:300]
    if reasons & TOKEN_REFUSED or "Sync token is expired" in (exc.reason or ""):
        return TokenInvalid(message)
    if status == 401:
        return AuthExpired(message)
    if status == 429 or (status == 403 and reasons & RATE_REASONS):
        return RateLimited(message, retry_after_seconds(exc.resp.get("retry-after")))
    if status == 412 or reasons & CONFLICT_REASONS:
        return VersionConflict(message)
    if status in (404, 410):
        return NotFound(message)
    if status >= 500:
        return Transient(message)
    return ItemRejected(message)


def session_for(context) -> GoogleSession:
    """The GoogleSession of an account context (crm_sync_base's AccountContext)."""
    settings = context.settings
    credentials = context.credentials
    return GoogleSession(
        credentials=credentials, client_id=settings.get("google_client_id") or "",
        client_secret=credentials.get("client_secret") or "",
        token_url=settings.get("oauth_token_url") or GOOGLE_TOKEN_URL,
        timeout=context.timeout, save=context.save_credentials)
