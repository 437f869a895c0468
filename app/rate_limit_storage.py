"""Rate-limit counters shared by every worker process on one machine, without Redis.

Flask-Limiter's in-memory storage counts in each gunicorn worker alone, so with N workers a
limit lets N times as many requests through. This `limits` storage keeps the counters in a
small SQLite-backed store (diskcache) that every process of the machine opens: each increment
runs in one SQLite transaction, so concurrent workers count every hit exactly once.

Registered as the `diskcache://` scheme: `diskcache:///path/to/folder`. It serves the fixed-window
strategy, Flask-Limiter's default (a moving window needs Redis or memory storage).
"""

import sqlite3
import time
import urllib.parse
from pathlib import Path

import diskcache
from limits.storage import Storage

SCHEME = "diskcache"
# How long a worker waits for another one's write before giving up on this count (the limiter
# then lets the request through and logs it, rather than failing it).
BUSY_TIMEOUT_SECONDS = 5


def storage_uri(folder: str | Path) -> str:
    """The storage URI for counters kept in `folder` (an absolute path)."""
    return f"{SCHEME}://{urllib.parse.quote(str(Path(folder).resolve()))}"


class SharedDiskStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        folder = urllib.parse.unquote(urllib.parse.urlsplit(uri or "").path)
        if not folder.startswith("/"):
            raise ValueError(f"{SCHEME}:// needs an absolute folder, as in {SCHEME}:///srv/hearth/rate-limits")
        self.folder = folder
        # diskcache reopens its SQLite connection in a forked worker by itself; nothing is
        # opened here, so an app created only to run a command leaves no folder behind.
        self._cache: diskcache.Cache | None = None
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def cache(self) -> diskcache.Cache:
        if self._cache is None:
            # Counters are a few bytes each and expire within their window: never evict one early.
            self._cache = diskcache.Cache(self.folder, timeout=BUSY_TIMEOUT_SECONDS, eviction_policy="none")
        return self._cache

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return (diskcache.Timeout, sqlite3.Error, OSError)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the key's count; the first hit of a window sets when the window ends."""
        with self.cache.transact():
            if self.cache.get(key) is None:  # absent or expired: a new window starts
                self.cache.set(key, amount, expire=expiry)
                return amount
            return self.cache.incr(key, amount)  # keeps the window's end

    def get(self, key: str) -> int:
        return self.cache.get(key, default=0)

    def get_expiry(self, key: str) -> float:
        _, expires = self.cache.get(key, default=None, expire_time=True)
        return expires or time.time()

    def check(self) -> bool:
        try:
            self.cache.get("health-check")
        except self.base_exceptions:
            return False
        return True

    def reset(self) -> int | None:
        return self.cache.clear()

    def clear(self, key: str) -> None:
        self.cache.delete(key)
