"""The one error the clients raise: a reason a person can read, and whether to wait.

The reason is a template marked with ``_`` (a no-op here, so Odoo's term extraction
finds it without utils importing odoo) and its parameters; the models show it
translated with ``env._(error.template, **error.params)`` (see ``reason_for``)."""

from __future__ import annotations

import time


def _(template: str) -> str:
    """Marks a message for translation; the caller translates it."""
    return template


class SocialError(Exception):
    """``reason`` is shown to the user and kept on a failed message.

    ``retry_after``: seconds after which the same call may succeed (throttling);
    ``auth``: the credentials are bad or revoked (the administrator must act);
    ``code``: the network's own error code; ``suffix``: untranslated detail appended
    (the network's code, its own words)."""

    def __init__(self, template: str, *, retry_after: float | None = None,
                 auth: bool = False, code: int | str | None = None, suffix: str = "",
                 **params):
        self.template = template
        self.params = params
        self.suffix = suffix
        self.retry_after = retry_after
        self.auth = auth
        self.code = code
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        """In English; ``translated(gettext)`` gives it in the user's language."""
        return self.translated(lambda template, **params: template % params if params
                               else template)

    def translated(self, gettext) -> str:
        return gettext(self.template, **self.params) + self.suffix


def with_retries(call, *, attempts: int = 3, max_wait: float = 30.0, sleep=None):
    """Run ``call``; on throttling wait as the network asks and try again.

    A wait longer than ``max_wait`` is not worth holding a person's click for: the
    error goes up with its reason (and the time to try again)."""
    sleep = sleep or time.sleep
    for attempt in range(attempts):
        try:
            return call()
        except SocialError as exc:
            wait = exc.retry_after
            if wait is None or attempt == attempts - 1 or wait > max_wait:
                raise
            sleep(max(wait, 0.2 * 2 ** attempt))
    raise AssertionError("unreachable")
