
from flask import current_app, jsonify, redirect, render_template, request, url_for

from app.db import get_session
from app.extensions import account_or_ip, limiter, search_limit
from app.searching import backend, bp, result_cache, visitor
from app.web import date_arg, page_arg, viewer
from community import categories, permissions, search_log, threads
from search.backend import SORTS, STATUSES, SearchRequest
from search.service import run_search, similar_threads

MAX_PAGE = 100


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def search_request_from_args(problems: list[str]) -> SearchRequest:
    """Read the search, its filters and sort from the URL, so any search can be shared as a link."""
    status = request.args.get("status") or None
    sort = request.args.get("sort") or "relevance"
    return SearchRequest(
        text=request.args.get("q", ""),
        category_id=_int_arg("category"),
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
    page = run_search(db, backend(), search_request, result_cache())
    if page.unavailable:
        problems.append("Search is unavailable right now; please try again in a few minutes.")
    query_id = None
    if search_request.text.strip() and not page.unavailable:
        visitor.note_search()
        if search_request.page == 1 and not permissions.is_staff(viewer()):
            logged = search_log.log_query(db, search_request.text, page.total)
            db.commit()
            query_id = logged.id if logged else None
    return render_template(
        "search/results.html",
        page=page,
        problems=problems,
        categories=categories.list_categories(db),
        query_id=query_id,
    )


@bp.route("/search/similar")
@limiter.limit(lambda: current_app.config["RATELIMIT_SIMILAR"], key_func=account_or_ip, scope="similar")
def similar():
    """Threads that look like the question being typed, as JSON for the ask page's script."""
    title = request.args.get("title", "")[:300]
    items = similar_threads(get_session(), backend(), title, cache=result_cache()) if len(title.strip()) >= 8 else []
    if items:
        visitor.note_search()
    return jsonify(
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


@bp.route("/search/open/<int:post_id>")
def open_result(post_id: int):
    """Follow a search result to its best-matching post, noting the click when q and pos make sense."""
    db = get_session()
    post = threads.get_post(db, post_id, None)
    query_id, position = _int_arg("q"), _int_arg("pos")
    if query_id and position and search_log.log_click(db, query_id, post.thread_id, position):
        db.commit()
    return redirect(url_for("threads.post_link", post_id=post.id))
