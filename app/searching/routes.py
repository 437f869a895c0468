
import json

from flask import current_app, g, redirect, render_template, request, url_for

from app import page_cache
from app.db import get_session
from app.extensions import account_or_ip, limiter, search_limit
from app.searching import backend, bp, result_cache, visitor
from app.web import date_arg, id_arg, page_arg, viewer
from community import categories, permissions, search_log, threads
from search.backend import SORTS, STATUSES, SearchRequest
from search.service import run_search, similar_threads

MAX_PAGE = 100


def search_request_from_args(problems: list[str]) -> SearchRequest:
    """Read the search, its filters and sort from the URL, so any search can be shared as a link."""
    status = request.args.get("status") or None
    sort = request.args.get("sort") or "relevance"
    return SearchRequest(
        text=request.args.get("q", ""),
        category_id=id_arg("category"),
        tag=(request.args.get("tag") or "").strip().lower()[:30] or None,
        status=status if status in STATUSES else None,
        since=date_arg("since", problems),
        until=date_arg("until", problems),
        staff_answered=request.args.get("staff") == "1",
        sort=sort if sort in SORTS else "relevance",
        page=min(page_arg(), MAX_PAGE),
        per_page=current_app.config["SEARCH_RESULTS_PER_PAGE"],
    )


@bp.route("/search")
@limiter.limit(search_limit, key_func=account_or_ip, scope="search")
def results():
    problems: list[str] = []
    search_request = search_request_from_args(problems)
    db = get_session()
    # A visitor's results page is shared by every worker while the index is unchanged (and for
    # ANON_CACHE_SECONDS at most, since scores change without it); the search is still counted.
    shared_key = _shared_page_key() if not problems else None
    cached = result_cache().get(shared_key) if shared_key else None
    if cached is not None:
        html, total = cached
        _count_search(db, search_request, total, batched=True)
        return html
    page = run_search(db, backend(), search_request, result_cache())
    if page.unavailable:
        problems.append("Search is unavailable right now; please try again in a few minutes.")
    query_id = None if page.unavailable else _count_search(db, search_request, page.total)
    html = render_template(
        "search/results.html",
        page=page,
        problems=problems,
        categories=categories.list_categories(db),
        query_id=query_id,
    )
    if shared_key and not page.unavailable and current_app.config["WTF_CSRF_FIELD_NAME"] not in g:
        # Its result links carry this search's log id: clicks are reported by query text, so
        # a later visitor's click counts the same under it.
        result_cache().put(shared_key, (html, page.total), seconds=current_app.config["ANON_CACHE_SECONDS"])
    return html


def _shared_page_key() -> str | None:
    if result_cache() is None or current_app.config["ANON_CACHE_SECONDS"] <= 0 or not page_cache.shareable():
        return None
    try:
        version = backend().version()
    except Exception:  # the index is unusable: search without the store and say so
        return None
    return None if version is None else repr(("results-page", version, request.full_path))


def _count_search(db, search_request: SearchRequest, total: int, batched: bool = False) -> int | None:
    """Note the search for deflection and analytics; the log row's id, when one is written now."""
    if not search_request.text.strip():
        return None
    visitor.note_search()
    if search_request.page != 1 or permissions.is_staff(viewer()):
        return None
    if batched:
        current_app.extensions["hearth.search_log"].add(search_request.text, total)
        return None
    logged = search_log.log_query(db, search_request.text, total)
    db.commit()
    return logged.id if logged else None


@bp.route("/search/similar")
@limiter.limit(lambda: current_app.config["RATELIMIT_SIMILAR"], key_func=account_or_ip, scope="similar")
def similar():
    """Threads that look like the question being typed, as JSON for the ask page's script."""
    title = request.args.get("title", "")[:300]
    shared_key = _shared_page_key()
    cached = result_cache().get(shared_key) if shared_key else None
    if cached is None:
        items = similar_threads(get_session(), backend(), title, cache=result_cache())
        cached = json.dumps(
            [
                {
                    "id": item.thread.id,
                    "title": item.thread.title,
                    "url": url_for("threads.thread", thread_id=item.thread.id, slug=item.thread.slug),
                    "solved": item.thread.is_solved,
                    "answers": item.thread.answer_count,
                    "accepted_excerpt": item.accepted_excerpt,
                }
                for item in items
            ]
        )
        if shared_key:
            result_cache().put(shared_key, cached, seconds=current_app.config["ANON_CACHE_SECONDS"])
    if cached != "[]":
        visitor.note_search()
    return current_app.response_class(cached, mimetype="application/json")


@bp.route("/search/open/<int:post_id>")
def open_result(post_id: int):
    """Follow a search result to its best-matching post, noting the click when q and pos make sense."""
    db = get_session()
    post = threads.get_post(db, post_id, None)
    query_id, position = id_arg("q"), id_arg("pos")
    if query_id and position and search_log.log_click(db, query_id, post.thread_id, position):
        db.commit()
    return redirect(url_for("threads.post_link", post_id=post.id))
