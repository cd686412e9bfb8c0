"""Peers for crm_webforms: an outside web site that embeds a form, and the captcha
providers' server-side verification endpoints (Cloudflare Turnstile, Google reCAPTCHA).

OutsideSitePeer serves whatever HTML a test puts on a path, from its own origin
(127.0.0.1 on another port than Odoo): the page a site owner pastes a form into, and
the page the form returns to.

CaptchaVerifyPeer plays both siteverify endpoints, which are documented as the same
call: POST application/x-www-form-urlencoded `secret`, `response`, optional `remoteip`;
answer 200 JSON with `success` and `error-codes`.
- Turnstile: https://developers.cloudflare.com/turnstile/get-started/server-side-validation/
- reCAPTCHA: https://developers.google.com/recaptcha/docs/verify
A token is valid once (a second check gives "timeout-or-duplicate").
"""

from __future__ import annotations

from .base import Peer, Request, Response, route


class OutsideSitePeer(Peer):
    def reset_state(self):
        self.pages: dict[str, str] = {}

    def set_page(self, path: str, html: str) -> str:
        """Serve `html` at `path`; returns the page's full URL."""
        with self.lock:
            self.pages[path] = html
        return f"{self.url}{path}"

    @route("GET", r"(?P<path>/.*)")
    def page(self, request: Request, path):
        html = self.pages.get(path)
        if html is None:
            return Response(404, body=b"<h1>Not found</h1>",
                            headers={"Content-Type": "text/html; charset=utf-8"})
        return Response(200, body=html.encode(),
                        headers={"Content-Type": "text/html; charset=utf-8"})

    def visits(self, path: str):
        """The GET requests that reached `path` (with their query), in order."""
        return self.requests_to("GET", path)


class CaptchaVerifyPeer(Peer):
    TURNSTILE_PATH = "/turnstile/v0/siteverify"
    RECAPTCHA_PATH = "/recaptcha/api/siteverify"

    def __init__(self, secret: str = "test-secret"):
        self.secret = secret
        super().__init__()

    def reset_state(self):
        self.valid_tokens: set[str] = set()
        self.used_tokens: set[str] = set()

    def issue_token(self, token: str) -> str:
        """What the provider's widget would put in the visitor's form after a solve."""
        with self.lock:
            self.valid_tokens.add(token)
        return token

    @property
    def turnstile_url(self) -> str:
        return self.url + self.TURNSTILE_PATH

    @property
    def recaptcha_url(self) -> str:
        return self.url + self.RECAPTCHA_PATH

    def _verify(self, request: Request, extra: dict) -> Response:
        form = request.form()
        errors = []
        if not form.get("secret"):
            errors.append("missing-input-secret")
        elif form["secret"] != self.secret:
            errors.append("invalid-input-secret")
        token = form.get("response")
        if not token:
            errors.append("missing-input-response")
        elif token in self.used_tokens:
            errors.append("timeout-or-duplicate")
        elif token not in self.valid_tokens:
            errors.append("invalid-input-response")
        if errors:
            return Response(200, {"success": False, "error-codes": errors})
        self.valid_tokens.discard(token)
        self.used_tokens.add(token)
        return Response(200, {"success": True, "challenge_ts": self.now().isoformat(),
                              "hostname": "site.example", "error-codes": [], **extra})

    @route("POST", TURNSTILE_PATH)
    def turnstile(self, request: Request):
        return self._verify(request, {"action": "", "cdata": ""})

    @route("POST", RECAPTCHA_PATH)
    def recaptcha(self, request: Request):
        return self._verify(request, {})
