"""Captchas: a built-in one that needs no outside service, and the server-side check of
Cloudflare Turnstile and Google reCAPTCHA tokens.

The built-in challenge is stateless on the server: the token carries the form, an expiry
and a random nonce, signed with the database secret; the expected answer is derived
from the same secret and the nonce, so it is never in the token and no session is
needed (the page lives on another site, so Odoo's session cookie never comes back).
A used nonce is remembered by the caller until the token expires, so an answer cannot
be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import random
import secrets
import time
from dataclasses import dataclass

import requests

TOKEN_LIFETIME = 20 * 60  # seconds a visitor has to fill the form
TURNSTILE_VERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
RECAPTCHA_VERIFY_URL = "https://www.google.com/recaptcha/api/siteverify"
# The field names the providers' widgets put in the form.
TURNSTILE_FIELD = "cf-turnstile-response"
RECAPTCHA_FIELD = "g-recaptcha-response"


@dataclass(frozen=True)
class Challenge:
    token: str
    question: str  # "7 + 5 = ?"
    image_png: bytes  # the same question drawn, for the <img>


class CaptchaError(Exception):
    """The captcha was not solved; `code` is a short machine-readable reason."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()[:18])


def _operands(secret: str, nonce: str) -> tuple[int, str, int]:
    """The question a nonce stands for, derived from the secret (not guessable from it)."""
    seed = hmac.new(secret.encode(), b"question:" + nonce.encode(), hashlib.sha256).digest()
    rng = random.Random(seed)
    if rng.random() < 0.5:
        left, right = rng.randint(2, 9), rng.randint(2, 9)
        return left, "+", right
    left = rng.randint(10, 19)
    return left, "-", rng.randint(1, 9)


def expected_answer(secret: str, nonce: str) -> int:
    left, operator, right = _operands(secret, nonce)
    return left + right if operator == "+" else left - right


def new_challenge(secret: str, form_key: str, now: float | None = None,
                  font_path: str | None = None) -> Challenge:
    nonce = secrets.token_urlsafe(12)
    expires = int((now or time.time()) + TOKEN_LIFETIME)
    payload = f"{form_key}.{expires}.{nonce}"
    token = f"{payload}.{_sign(secret, payload)}"
    left, operator, right = _operands(secret, nonce)
    question = f"{left} {operator} {right} = ?"
    return Challenge(token, question, draw(question, nonce, font_path))


def check(secret: str, form_key: str, token: str, answer: str,
          now: float | None = None) -> str:
    """Return the nonce of a correctly answered token (to mark it used) or raise."""
    parts = (token or "").split(".")
    if len(parts) != 4 or not answer:
        raise CaptchaError("captcha_missing", "Answer the captcha question.")
    key, expires, nonce, signature = parts
    payload = f"{key}.{expires}.{nonce}"
    if not hmac.compare_digest(signature, _sign(secret, payload)) or key != form_key:
        raise CaptchaError("captcha_invalid", "The captcha is not valid: reload the page.")
    if not expires.isdigit() or int(expires) < (now or time.time()):
        raise CaptchaError("captcha_expired", "The captcha has expired: reload the page.")
    try:
        given = int(answer.strip())
    except ValueError:
        given = None
    if given != expected_answer(secret, nonce):
        raise CaptchaError("captcha_wrong", "The captcha answer is wrong.")
    return nonce


def token_expiry(token: str) -> int:
    parts = (token or "").split(".")
    return int(parts[1]) if len(parts) == 4 and parts[1].isdigit() else 0


def draw(question: str, nonce: str, font_path: str | None = None) -> bytes:
    """The question as a small PNG with noise, so it is not plain text in the page."""
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(nonce)
    width, height = 160, 48
    image = Image.new("RGB", (width, height), (245, 245, 240))
    pen = ImageDraw.Draw(image)
    for _ in range(8):
        pen.line([(rng.randint(0, width), rng.randint(0, height)),
                  (rng.randint(0, width), rng.randint(0, height))],
                 fill=(rng.randint(150, 210),) * 3, width=1)
    font = ImageFont.truetype(font_path, 24) if font_path else ImageFont.load_default()
    x = 10
    for char in question:
        pen.text((x, 10 + rng.randint(-4, 4)), char, font=font,
                 fill=(rng.randint(0, 90), rng.randint(0, 90), rng.randint(60, 140)))
        x += 12 if char == " " else 16
    for _ in range(120):
        pen.point((rng.randint(0, width - 1), rng.randint(0, height - 1)), fill=(120, 120, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def verify_remote(verify_url: str, secret_key: str, response_token: str,
                  remote_ip: str | None = None, timeout: float = 10) -> None:
    """Check a Turnstile / reCAPTCHA token with the provider's siteverify endpoint.

    Both document the same call: POST form `secret`, `response`, `remoteip`; the answer is
    JSON with `success` and `error-codes`. Raises CaptchaError when it is not a success,
    also when the provider cannot be reached (a form must not accept unverified posts).
    """
    if not response_token:
        raise CaptchaError("captcha_missing", "Complete the captcha.")
    data = {"secret": secret_key, "response": response_token}
    if remote_ip:
        data["remoteip"] = remote_ip
    try:
        answer = requests.post(verify_url, data=data, timeout=timeout)
        answer.raise_for_status()
        result = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise CaptchaError("captcha_unavailable",
                           f"The captcha service could not be reached: {exc}") from exc
    if not result.get("success"):
        codes = ", ".join(result.get("error-codes") or []) or "not solved"
        raise CaptchaError("captcha_wrong", f"The captcha was refused ({codes}).")
