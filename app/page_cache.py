"""Rendered pages for visitors who are not signed in, kept for a short while in each worker.

Most visitors only read, and they all see the same page: a page rendered for one of them is
served to the next for ANON_CACHE_SECONDS. A thread page's key also holds the thread's
revision, so a new answer, an edit, an accept or a moderator's change shows at once; what
only a TTL refreshes is vote scores, view counts and the author cards beside the posts.

Never cached: pages for a signed-in member, for a visitor with a message waiting to be shown,
and any page that rendered a CSRF token (it would hand one visitor's token to another).
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app, g, request, session
from flask_login import current_user

EXTENSION = "hearth.page_cache"


class PageCache:
    """An LRU of rendered HTML with a time to live, bounded by the bytes it holds."""

    def __init__(self, max_bytes: int, ttl_seconds: float) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, html = entry
            if time.monotonic() >= expires:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return html

    def put(self, key: Hashable, html: str) -> None:
        size = len(html)
        if size > self.max_bytes // 8:
            return  # one huge page must not push out everything else
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic() + self.ttl, html)
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        _, html = self._entries.pop(key)
        self._bytes -= len(html)


def shareable() -> bool:
    """Whether this request sees the page every visitor sees."""
    return not current_user.is_authenticated and "_flashes" not in session


def _cache() -> PageCache | None:
    if request.method not in ("GET", "HEAD") or not shareable():
        return None
    return current_app.extensions.get(EXTENSION)


def lookup(*version: Hashable) -> str | None:
    """This URL's cached page at `version`, when this visitor may be shown it."""
    cache = _cache()
    return cache.get((request.full_path, *version)) if cache is not None else None


def cached(render: Callable[[], str], *version: Hashable) -> str:
    """The page `render` makes for this URL, from the cache when a visitor may share it.
    `version` joins the URL in the key: a new version is a different page."""
    cache = _cache()
    if cache is None:
        return render()
    key = (request.full_path, *version)
    html = cache.get(key)
    if html is None:
        html = render()
        if current_app.config["WTF_CSRF_FIELD_NAME"] not in g:
            cache.put(key, html)
    return html


def init_app(app: Flask) -> None:
    seconds = app.config["ANON_CACHE_SECONDS"]
    if seconds > 0:
        app.extensions[EXTENSION] = PageCache(app.config["ANON_CACHE_MB"] * 1024 * 1024, seconds)
