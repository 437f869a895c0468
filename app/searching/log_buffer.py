"""Searches answered from the shared page store are logged in batches, so serving one is not a
database write; a search that runs the engine is logged at once (its page links to its row)."""

import atexit
import logging
import threading
import time
from datetime import datetime

from flask import Flask
from sqlalchemy.exc import OperationalError

from community import search_log
from community.db import utcnow

log = logging.getLogger(__name__)


class SearchLogBuffer:
    def __init__(self, session_factory, flush_seconds: float) -> None:
        self._factory = session_factory
        self._flush_seconds = flush_seconds
        self._pending: list[tuple[str, int, datetime]] = []
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def add(self, text: str, results: int) -> None:
        with self._lock:
            self._pending.append((text, results, utcnow()))
            due = time.monotonic() - self._last_flush >= self._flush_seconds
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
            self._last_flush = time.monotonic()
        if not batch:
            return
        try:
            with self._factory() as session:
                # One multi-row insert: a busy site buffers thousands between flushes.
                search_log.log_queries(session, batch)
                session.commit()
        except OperationalError:
            # The database is busy or away: keep them for the next flush.
            log.warning("Could not log %d searches; will retry", len(batch))
            with self._lock:
                self._pending = batch + self._pending


def init_app(app: Flask) -> SearchLogBuffer:
    buffer = SearchLogBuffer(app.extensions["hearth.sessionmaker"], app.config["SEARCH_LOG_FLUSH_SECONDS"])
    app.extensions["hearth.search_log"] = buffer
    atexit.register(buffer.flush)
    return buffer
