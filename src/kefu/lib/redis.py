"""One Redis connection pool per process for Django's cache.

Django keeps a cache client per thread, and under ASGI every request runs in a new thread, so
the stock client would open a new Redis connection for every request. This pool class hands
out one shared pool per address instead.
"""

from __future__ import annotations

import threading
from typing import Any, Self, cast

import redis

_pools: dict[tuple[str, tuple[tuple[str, Any], ...]], SharedConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(redis.ConnectionPool):
    """A ``ConnectionPool`` whose ``from_url`` returns the process's pool for that URL."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Self:
        key = (url, tuple(sorted(options.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = super().from_url(url, **options)
                _pools[key] = pool
            return cast(Self, pool)
