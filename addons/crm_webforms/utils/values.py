"""Turn what a visitor posted into field values, field by field, with a reason for
everything refused. Works on plain field specs (dicts), not on Odoo records."""

from __future__ import annotations

import re
from datetime import date

# The field types a public form may offer; anything else (html, binary, one2many,
# many2many, references, properties...) stays out of reach of visitors.
PUBLIC_TYPES = ("char", "text", "integer", "float", "monetary", "boolean", "date",
                "selection", "many2one")
# Relations a visitor may pick from: public reference lists only. A many2one to users,
# companies, teams or stages would let a visitor steer the record.
PUBLIC_COMODELS = ("res.country", "res.partner.title", "res.partner.industry",
                   "utm.source", "utm.medium", "utm.campaign")
MAX_CHAR = 256
MAX_TEXT = 10_000
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
PHONE_RE = re.compile(r"^[0-9+()\-./\s]{5,40}$")
TRUE_WORDS = {"1", "true", "on", "yes", "y"}
FALSE_WORDS = {"", "0", "false", "off", "no", "n"}


class FieldError(ValueError):
    """One field's value is refused; `code` is machine-readable, the message is English."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def coerce(spec: dict, raw) -> object:
    """The value to write for `raw` (a string, or JSON scalar), or raise FieldError.

    `spec` keys: type, label, size (char max), selection ([value, ...]), options
    ({id: name} of a many2one), kind ("email" / "phone" / None).
    Empty input gives None (the caller decides whether the field was required).
    """
    if isinstance(raw, (list, dict)):
        raise FieldError("invalid", "Send one value.")
    kind = spec["type"]
    if kind == "boolean":
        text = str(raw).strip().lower() if raw is not None else ""
        if isinstance(raw, bool):
            return raw
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise FieldError("invalid", "Expected yes or no.")
    text = "" if raw is None else str(raw)
    if "\x00" in text:
        raise FieldError("invalid", "The value holds a NUL character.")
    text = text.strip()
    if not text:
        return None
    if kind in ("char", "text"):
        limit = MAX_TEXT if kind == "text" else min(spec.get("size") or MAX_CHAR, MAX_CHAR)
        if len(text) > limit:
            raise FieldError("too_long", f"At most {limit} characters.")
        if kind == "char":
            text = " ".join(text.split())  # no line breaks in a one-line field
        if spec.get("kind") == "email" and not EMAIL_RE.match(text):
            raise FieldError("invalid", "Not a valid e-mail address.")
        if spec.get("kind") == "phone" and not PHONE_RE.match(text):
            raise FieldError("invalid", "Not a valid phone number.")
        return text
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d{1,10}", text) or abs(int(text)) > 2**31 - 1:
            raise FieldError("invalid", "Expected a whole number.")
        return int(text)
    if kind in ("float", "monetary"):
        text = text.replace(" ", "").replace(",", ".")
        if not re.fullmatch(r"[+-]?\d{1,15}(\.\d{1,6})?", text):
            raise FieldError("invalid", "Expected a number.")
        return float(text)
    if kind == "date":
        try:
            return date.fromisoformat(text[:10]) if len(text) == 10 else _bad_date()
        except ValueError:
            _bad_date()
    if kind == "selection":
        if text not in spec.get("selection", ()):
            raise FieldError("invalid", "Not one of the offered choices.")
        return text
    if kind == "many2one":
        options = spec.get("options")  # None: any id, checked by the caller
        if not text.isdigit() or int(text) > 2**31 - 1 or (
                options is not None and int(text) not in options):
            raise FieldError("invalid", "Not one of the offered choices.")
        return int(text)
    raise FieldError("invalid", "This field cannot be filled from a form.")


def _bad_date():
    raise FieldError("invalid", "Expected a date as YYYY-MM-DD.")


def phone_key(phone: str | None) -> str | None:
    """The last 10 digits of a phone number: +7 900 123-45-67 and 8 (900) 1234567 match."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 7 else None


def email_key(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return email if EMAIL_RE.match(email) else None
