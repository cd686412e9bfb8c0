"""The one error the clients raise: a reason a person can read, and whether to wait."""

from __future__ import annotations


class SocialError(Exception):
    """``reason`` is shown to the user and kept on a failed message.

    ``retry_after``: seconds after which the same call may succeed (throttling);
    ``auth``: the credentials are bad or revoked (the administrator must act);
    ``code``: the network's own error code, when it gave one."""

    def __init__(self, reason: str, *, retry_after: float | None = None,
                 auth: bool = False, code: int | str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.auth = auth
        self.code = code


def with_retries(call, *, attempts: int = 3, max_wait: float = 30.0, sleep=None):
    """Run ``call``; on throttling wait as the network asks and try again.

    A wait longer than ``max_wait`` is not worth holding a person's click for: the
    error goes up with its reason (and the time to try again)."""
    import time

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
