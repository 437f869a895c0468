"""Thread view counts, gathered in memory and written in batches so a page view is not a write."""

import atexit
import logging
import threading
import time
from collections import Counter

from flask import Flask, request
from sqlalchemy.exc import OperationalError

from community import threads

log = logging.getLogger(__name__)
CRAWLER_MARKERS = ("bot", "crawl", "spider", "slurp", "preview")


class ViewCounter:
    def __init__(self, session_factory, flush_seconds: float) -> None:
        self._factory = session_factory
        self._flush_seconds = flush_seconds
        self._pending: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def add(self, thread_id: int) -> None:
        with self._lock:
            self._pending[thread_id] += 1
            due = time.monotonic() - self._last_flush >= self._flush_seconds
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, Counter()
            self._last_flush = time.monotonic()
        if not batch:
            return
        try:
            with self._factory() as session:
                threads.record_views(session, dict(batch))
                session.commit()
        except OperationalError:
            # The database is busy or away: keep the counts for the next flush.
            log.warning("Could not write %d thread view counts; will retry", sum(batch.values()))
            with self._lock:
                self._pending.update(batch)


def count_view(app: Flask, thread_id: int) -> None:
    agent = (request.user_agent.string or "").lower()
    if request.method != "GET" or any(marker in agent for marker in CRAWLER_MARKERS):
        return
    app.extensions["hearth.views"].add(thread_id)


def init_app(app: Flask) -> None:
    counter = ViewCounter(app.extensions["hearth.sessionmaker"], app.config["VIEW_COUNT_FLUSH_SECONDS"])
    app.extensions["hearth.views"] = counter
    atexit.register(counter.flush)
