"""Counting failures per key in Django's cache, and blocking a key that fails too often.

Both the API token check and the admin sign-in use it. A key (an address, a username)
that reaches `limit` failures within `window` seconds is blocked for `block` seconds.
The window is fixed: it starts at the first failure and is not extended by later ones.
With the Redis cache every web process shares the counts. With the local-memory cache
each process keeps its own, so the limit is per process.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _key_digest(key: str) -> str:
    # Hashed so a username with spaces or odd characters is a valid cache key, and so
    # the cache does not store the usernames people tried.
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:32]


@dataclass(frozen=True)
class FailureThrottle:
    """A failure limit for one scope, such as 'api-auth' or 'login-username'."""

    scope: str
    limit: int
    window: int
    block: int

    def _count_key(self, key: str) -> str:
        return f"throttle:{self.scope}:count:{_key_digest(key)}"

    def _block_key(self, key: str) -> str:
        return f"throttle:{self.scope}:blocked:{_key_digest(key)}"

    def blocked_for(self, key: str) -> int:
        """Return the seconds left on `key`'s block, or 0 when it is not blocked."""
        until = cache.get(self._block_key(key))
        if until is None:
            return 0
        return max(1, int(until - time.time()))

    def record_failure(self, key: str) -> bool:
        """Count one failure for `key` and return True when this failure starts a block."""
        count_key = self._count_key(key)
        cache.add(count_key, 0, timeout=self.window)
        try:
            count = cache.incr(count_key)
        except ValueError:
            # The counter expired between add() and incr(): this failure opens a new window.
            cache.set(count_key, 1, timeout=self.window)
            count = 1
        if count < self.limit:
            return False
        cache.set(self._block_key(key), time.time() + self.block, timeout=self.block)
        cache.delete(count_key)
        logger.warning(
            "Throttle %s: %d failures within %d s; blocked for %d s",
            self.scope,
            count,
            self.window,
            self.block,
        )
        return True

    def reset(self, key: str) -> None:
        cache.delete_many([self._count_key(key), self._block_key(key)])
