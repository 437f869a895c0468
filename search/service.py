"""Search as readers see it: backend hits turned into threads with their best post and a snippet."""

import html
import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, load_only

from community.models import Post, Thread, visible_post, visible_thread
from search.backend import BackendResult, SearchBackend, SearchRequest, batched
from search.documents import html_to_text
from search.result_cache import ResultCache

EXCERPT_CHARS = 220
# A title shorter than this says too little to look alike: nothing is looked up.
SIMILAR_MIN_CHARS = 8
# How many of a search's best hits (at least) are checked against the database to count them
# (20 pages of 10); a search with more hits reports the checked count as a lower bound ("200+").
RECOUNT_POOL = 200
log = logging.getLogger(__name__)


@dataclass
class ResultItem:
    thread: Thread
    best_post_id: int
    snippet_html: str
    accepted_excerpt: str | None
    position: int


@dataclass
class SearchPage:
    request: SearchRequest
    items: list[ResultItem]
    total: int
    suggestion: str | None = None
    terms: list[str] = field(default_factory=list)
    partial: bool = False
    total_exact: bool = True
    # True when the index could not be read (missing, moved, broken): the page says so.
    unavailable: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))

    @property
    def has_prev(self) -> bool:
        return self.request.page > 1

    @property
    def has_next(self) -> bool:
        return self.request.page < self.pages

    @property
    def page(self) -> int:
        return self.request.page


@dataclass(frozen=True)
class _Match:
    """What a search found in one thread, kept apart from the thread itself (which is loaded
    fresh for every page, so titles, scores and deletions are always current)."""

    thread_id: int
    best_post_id: int
    snippet_html: str
    accepted_excerpt: str | None
    position: int


@dataclass(frozen=True)
class _Found:
    matches: tuple[_Match, ...]
    result: BackendResult


def _cache_key(backend: SearchBackend, cache: ResultCache | None, *request: Hashable) -> str | None:
    """None when results must not be reused: no cache, or a backend that cannot say when its
    index changed."""
    if cache is None:
        return None
    version = backend.version()
    return None if version is None else repr((version, *request))


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def _load_threads(session: Session, ids: list[int]) -> dict[int, Thread]:
    """The live threads among `ids` (the index may trail the database by a moment)."""
    if not ids:
        return {}
    rows = session.scalars(
        select(Thread)
        .options(joinedload(Thread.author), joinedload(Thread.category))
        .where(Thread.id.in_(ids), visible_thread())
    )
    return {t.id: t for t in rows}


def _visible_posts(session: Session, thread_ids: list[int]) -> dict[int, list[Post]]:
    posts: dict[int, list[Post]] = {tid: [] for tid in thread_ids}
    if thread_ids:
        for post in session.scalars(
            select(Post)
            # Only what choosing the best post and its snippet reads: the Markdown source is not needed.
            .options(load_only(Post.id, Post.thread_id, Post.body_html, Post.is_official, Post.is_question))
            .where(Post.thread_id.in_(thread_ids), visible_post())
            .order_by(Post.id)
        ):
            posts[post.thread_id].append(post)
    return posts


def _best_post(backend: SearchBackend, thread: Thread, posts: list[Post], terms: list[str]) -> tuple[Post, str]:
    """The post that matches the most query words; ties go to the accepted answer, then staff, then the question."""

    def rank(post: Post):
        text = html_to_text(post.body_html)
        matched = len(backend.matching_terms(text, terms)) if terms else 0
        return (matched, post.id == thread.accepted_post_id, post.is_official, post.is_question), text

    ranked = [(rank(post), post) for post in posts]
    (key, text), post = max(ranked, key=lambda item: item[0][0])
    return post, text


def _matches(
    session: Session, backend: SearchBackend, request: SearchRequest, found: BackendResult, threads: dict
) -> tuple:
    posts = _visible_posts(session, list(threads))
    matches = []
    for position, thread_id in enumerate(found.thread_ids, start=(request.page - 1) * request.per_page + 1):
        thread = threads.get(thread_id)
        if thread is None or not posts.get(thread_id):
            continue
        best, text = _best_post(backend, thread, posts[thread_id], found.terms)
        snippet = backend.snippet(text, found.terms) if found.terms else ""
        accepted = next((p for p in posts[thread_id] if p.id == thread.accepted_post_id), None)
        matches.append(
            _Match(
                thread_id=thread_id,
                best_post_id=best.id,
                # The plain-text excerpt is escaped too: the page marks snippet_html safe.
                snippet_html=snippet or html.escape(excerpt(text), quote=False),
                accepted_excerpt=excerpt(html_to_text(accepted.body_html)) if accepted else None,
                position=position,
            )
        )
    return tuple(matches)


class _IndexUnusable(Exception):
    """The backend failed (index missing, moved, broken), as opposed to the database."""


def _ask(backend: SearchBackend, request: SearchRequest) -> BackendResult:
    try:
        return backend.search(request)
    except Exception as exc:
        raise _IndexUnusable from exc


def _live_ids(session: Session, ids: list[int]) -> set[int]:
    live: set[int] = set()
    for chunk in batched(ids, 1000):
        live.update(session.scalars(select(Thread.id).where(Thread.id.in_(chunk), visible_thread())))
    return live


def _note_missing(count: int) -> None:
    """Tell admins (once a minute at most) that the index lists threads the database lacks."""
    global _last_missing_note
    now = time.monotonic()
    if now - _last_missing_note >= 60:
        _last_missing_note = now
        log.warning(
            "The search index lists %d threads the database does not show; they are left out of the "
            "results. Run `flask search reconcile` if this lasts.", count,
        )


_last_missing_note = -60.0


def _search_live(
    session: Session, backend: SearchBackend, request: SearchRequest
) -> tuple[BackendResult, dict[int, Thread]]:
    """The page's hits and their threads, counting only threads the database shows.

    The index may list threads the database lacks: for a moment after a deletion, or for good
    when the database was restored under it. So the total is never the index's own count: the
    best RECOUNT_POOL hits (more on a deep page) are checked against the database in
    one query, missing ones are left out (later hits move up to fill the page), and a search
    with more hits than that reports the checked count as a lower bound ("200+"). The page after
    this one is always checked too, so a lower bound still leads on to the next page."""
    limit = request.page * request.per_page
    found = _ask(backend, replace(request, page=1, per_page=max(limit + request.per_page, RECOUNT_POOL)))
    live = _live_ids(session, found.thread_ids)
    ids = [thread_id for thread_id in found.thread_ids if thread_id in live]
    if len(ids) < len(found.thread_ids):
        _note_missing(len(found.thread_ids) - len(ids))
    complete = found.total <= len(found.thread_ids)
    checked = replace(
        found,
        thread_ids=ids[limit - request.per_page : limit],
        total=len(ids),
        total_exact=found.total_exact and complete,
        partial=found.partial and bool(ids),
    )
    return checked, _load_threads(session, checked.thread_ids)


def run_search(
    session: Session, backend: SearchBackend, request: SearchRequest, cache: ResultCache | None = None
) -> SearchPage:
    try:
        key = _cache_key(backend, cache, "search", request)
        cached = cache.get(key) if key is not None else None
    except Exception:  # the index is unusable: the rest of the site must keep working
        log.exception("search failed")
        return SearchPage(request=request, items=[], total=0, unavailable=True)
    threads = _load_threads(session, [m.thread_id for m in cached.matches]) if cached is not None else {}
    if cached is not None and len(threads) < len(cached.matches):
        cached = None  # a thread was deleted since: the results and their total are counted again
    if cached is None:
        try:
            found, threads = _search_live(session, backend, request)
        except _IndexUnusable:
            log.exception("search failed")
            return SearchPage(request=request, items=[], total=0, unavailable=True)
        cached = _Found(_matches(session, backend, request, found, threads), found)
        if key is not None:
            cache.put(key, cached)
    items = [
        ResultItem(
            thread=threads[m.thread_id],
            best_post_id=m.best_post_id,
            snippet_html=m.snippet_html,
            accepted_excerpt=m.accepted_excerpt,
            position=m.position,
        )
        for m in cached.matches
        if m.thread_id in threads
    ]
    found = cached.result
    return SearchPage(
        request=request,
        items=items,
        total=found.total,
        suggestion=found.suggestion,
        terms=found.terms,
        partial=found.partial,
        total_exact=found.total_exact,
    )


@dataclass
class SimilarItem:
    thread: Thread
    accepted_excerpt: str | None


def similar_threads(
    session: Session, backend: SearchBackend, title: str, limit: int = 5, cache: ResultCache | None = None
) -> list[SimilarItem]:
    """Up to `limit` threads that look like the same problem, solved ones first."""
    if len(title.strip()) < SIMILAR_MIN_CHARS:
        return []
    try:
        key = _cache_key(backend, cache, "similar", title, limit)
        found = cache.get(key) if key is not None else None
        if found is None:
            found = backend.similar(title, limit=limit * 2)
            if key is not None:
                cache.put(key, found)
    except Exception:  # an unusable index must not stop anyone asking
        log.exception("similar questions lookup failed")
        return []
    threads = _load_threads(session, found.thread_ids)
    ordered = [threads[tid] for tid in found.thread_ids if tid in threads]
    ordered.sort(key=lambda t: not t.is_solved)  # stable: relevance order kept within each group
    ordered = ordered[:limit]
    accepted_ids = [t.accepted_post_id for t in ordered if t.accepted_post_id]
    accepted = {
        p.id: p for p in session.scalars(select(Post).where(Post.id.in_(accepted_ids), visible_post()))
    } if accepted_ids else {}
    return [
        SimilarItem(
            thread=t,
            accepted_excerpt=excerpt(html_to_text(accepted[t.accepted_post_id].body_html))
            if t.accepted_post_id in accepted
            else None,
        )
        for t in ordered
    ]
