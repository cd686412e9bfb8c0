"""X API v2 with OAuth 2.0 authorization code + PKCE (https://docs.x.com).

/i/oauth2/authorize plays the consent screen (it redirects back at once, or with
error=access_denied when told to deny); /2/oauth2/token checks the PKCE verifier and
rotates refresh tokens; /2/tweets posts and spends credits; errors are problem JSON.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import urlencode

from .base import HTTPError, Peer, Response, route


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> HTTPError:
    return HTTPError(status, {"title": title, "detail": detail, "type": kind,
                              "status": status})


class XPeer(Peer):
    CLIENT_ID = "x-client-1"
    CLIENT_SECRET = "x-secret-1"

    def reset_state(self):
        self.deny = False
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, float] = {}  # token -> expires at
        self.refresh_tokens: set[str] = set()
        self.me = {"id": "42", "name": "Acme Sales", "username": "acme_sales"}
        self.users: dict[str, dict] = {}
        self.posts: list[dict] = []
        self.credits: int | None = None  # None: unlimited
        self.token_lifetime = 7200

    def add_user(self, username: str, **fields) -> dict:
        with self.lock:
            user = {"id": str(len(self.users) + 100), "username": username, **fields}
            self.users[username.lower()] = user
            return user

    def issue_tokens(self) -> dict:
        with self.lock:
            access, refresh = secrets.token_hex(8), secrets.token_hex(8)
            self.access_tokens[access] = time.time() + self.token_lifetime
            self.refresh_tokens.add(refresh)
            return {"token_type": "bearer", "access_token": access, "refresh_token": refresh,
                    "expires_in": self.token_lifetime,
                    "scope": "tweet.read tweet.write users.read offline.access"}

    def revoke_all(self):
        with self.lock:
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    # -- OAuth ------------------------------------------------------------------------

    @route("GET", r"/i/oauth2/authorize")
    def authorize(self, request):
        redirect = request.arg("redirect_uri")
        if request.arg("client_id") != self.CLIENT_ID or not redirect:
            raise HTTPError(400, {"error": "invalid_request"})
        if request.arg("code_challenge_method") != "S256" or not request.arg("code_challenge"):
            raise HTTPError(400, {"error": "invalid_request",
                                  "error_description": "PKCE S256 is required"})
        if self.deny:
            query = {"error": "access_denied", "state": request.arg("state")}
        else:
            code = secrets.token_hex(8)
            self.codes[code] = {"challenge": request.arg("code_challenge"),
                                "redirect_uri": redirect}
            query = {"code": code, "state": request.arg("state")}
        return Response(302, headers={"Location": redirect + "?" + urlencode(query)})

    @route("POST", r"/2/oauth2/token")
    def token(self, request):
        expected = base64.b64encode(f"{self.CLIENT_ID}:{self.CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            raise HTTPError(401, {"error": "invalid_client",
                                  "error_description": "Missing valid authorization header"})
        form = request.form()
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if grant is None or grant["challenge"] != challenge or \
                    grant["redirect_uri"] != form.get("redirect_uri"):
                raise HTTPError(400, {"error": "invalid_request", "error_description":
                                      "Value passed for the authorization code was invalid."})
            return Response(200, self.issue_tokens())
        if form.get("grant_type") == "refresh_token":
            refresh = form.get("refresh_token", "")
            if refresh not in self.refresh_tokens:
                raise HTTPError(400, {"error": "invalid_request", "error_description":
                                      "Value passed for the token was invalid."})
            self.refresh_tokens.discard(refresh)  # X rotates refresh tokens
            return Response(200, self.issue_tokens())
        raise HTTPError(400, {"error": "unsupported_grant_type"})

    # -- API ----------------------------------------------------------------------------

    def _auth(self, request):
        header = request.headers.get("Authorization", "")
        expires = self.access_tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if expires is None or expires < time.time():
            raise problem(401, "Unauthorized", "Unauthorized")

    @route("GET", r"/2/users/me")
    def users_me(self, request):
        self._auth(request)
        return Response(200, {"data": dict(self.me)})

    @route("GET", r"/2/users/by/username/(?P<username>\w+)")
    def user_by_username(self, request, username):
        self._auth(request)
        user = self.users.get(username.lower())
        if user is None:  # X answers 200 with an errors list for an unknown handle
            return Response(200, {"errors": [{
                "value": username, "detail": f"Could not find user with username: "
                                             f"[{username}].", "title": "Not Found Error",
                "resource_type": "user", "parameter": "username", "resource_id": username,
                "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
        return Response(200, {"data": dict(user)})

    @route("POST", r"/2/tweets")
    def create_post(self, request):
        self._auth(request)
        text = (request.json() or {}).get("text") or ""
        if not text or len(text) > 280:
            raise problem(400, "Invalid Request", "One or more parameters to your request "
                                                  "was invalid.",
                          "https://api.twitter.com/2/problems/invalid-request")
        if self.credits is not None:
            if self.credits <= 0:
                raise problem(402, "CreditsDepleted", "Your enrolled account does not have "
                              "any credits to fulfill this request.",
                              "https://api.twitter.com/2/problems/credits")
            self.credits -= 1
        post = {"id": str(1_800_000_000_000 + len(self.posts)), "text": text}
        self.posts.append(post)
        return Response(201, {"data": post})
