"""Slowing down token guessing: too many failed API authentications from one address.

After `API_AUTH_FAILURE_LIMIT` failures within `API_AUTH_FAILURE_WINDOW_SECONDS` from one
client address, every request from that address is rejected for
`API_AUTH_BLOCK_SECONDS` before its token is looked at, valid or not.
"""

import math

from django.conf import settings

from security.failures import FailureThrottle


class Throttled(Exception):
    """The address is in its cooling-off period. `reason` is safe to show the caller."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _throttle() -> FailureThrottle:
    return FailureThrottle(
        scope="api-auth",
        limit=settings.API_AUTH_FAILURE_LIMIT,
        window=settings.API_AUTH_FAILURE_WINDOW_SECONDS,
        block=settings.API_AUTH_BLOCK_SECONDS,
    )


def _key(address: str | None) -> str:
    return address or "unknown"


def check(address: str | None) -> None:
    """Raise Throttled while `address` is blocked after repeated authentication failures."""
    seconds = _throttle().blocked_for(_key(address))
    if seconds > 0:
        minutes = max(1, math.ceil(seconds / 60))
        raise Throttled(
            "Too many failed authentication attempts from this address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
            retry_after=seconds,
        )


def record_failure(address: str | None) -> None:
    """Count one failed authentication from `address`."""
    _throttle().record_failure(_key(address))


def reset(address: str | None) -> None:
    _throttle().reset(_key(address))
