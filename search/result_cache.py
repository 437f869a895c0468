"""Search results shared by every worker on this machine, kept while the index is unchanged.

Many readers search for the same few things, and the engine plus choosing each thread's best
post is the slow part of a search. Results live in a small SQLite-backed store (diskcache)
beside the index, so a search answered by one worker is reused by the others; the key holds
the index version, so a change to the index makes every older entry unreachable, and the
store drops old entries by itself once it reaches its size.
"""

import logging
import sqlite3
from pathlib import Path

import diskcache

from community.background import FailureLog

log = logging.getLogger(__name__)
# A full or read-only disk makes the store fail; searches then go without it.
STORE_ERRORS = (diskcache.Timeout, sqlite3.Error, OSError)

# Entries of an index version that has moved on are never read again; this only bounds how
# long they take up room before the size limit would push them out anyway.
ENTRY_SECONDS = 3600


class ResultCache:
    def __init__(self, directory: str | Path, size_mb: int) -> None:
        self._store = diskcache.Cache(
            str(directory), size_limit=size_mb * 1024 * 1024, eviction_policy="least-recently-stored"
        )
        self.failures = FailureLog(log, "the shared search result store", then="searching without it")

    def get(self, key: str):
        try:
            return self._store.get(key)
        except diskcache.Timeout:  # another worker holds the store: search without it
            return None
        except STORE_ERRORS as exc:
            self.failures.failed(exc)
            return None

    def put(self, key: str, value, seconds: float = ENTRY_SECONDS) -> None:
        try:
            self._store.set(key, value, expire=seconds)
        except diskcache.Timeout:
            return
        except STORE_ERRORS as exc:
            self.failures.failed(exc)
            return
        self.failures.succeeded()

    def close(self) -> None:
        self._store.close()
