"""Search and similar questions: the web search's service, filters and visibility, as JSON."""

from flask import url_for
from flask_openapi3 import Tag

from app.api import auth, bp, problems, represent
from app.api.pages import meta
from app.api.search_schemas import SearchQuery, SearchResults, SimilarList, SimilarQuery
from app.db import get_session
from app.searching import backend, result_cache
from community import categories, permissions, search_log
from community.pagination import Page
from search.backend import SearchRequest
from search.service import run_search, similar_threads

TAG = Tag(name="Search", description="Find threads by their words, as the site's search does.")
LOG_SOURCE = "api"
# Seconds a caller is asked to wait when the index cannot be read ("a few minutes").
SEARCH_RETRY_AFTER = 120


@bp.get(
    "/search",
    tags=[TAG],
    security=auth.OPTIONAL,
    responses={200: SearchResults, **problems.responses(404, 503)},
    summary="Search threads",
)
def search_threads(query: SearchQuery):
    """The site's search: the same index, filters, sorts and ranking, and only threads a visitor can see.

    Any text is accepted as typed (quotes mark phrases; nothing else is syntax). An unknown category
    slug is 404; 503 while the search index cannot be read. A search from a member or a visitor
    (first page, with words) is kept, without who made it, in the search analytics staff read for
    content gaps, marked as coming from the API; staff searches are not counted, as on the site."""
    db = get_session()
    category = categories.get_by_slug(db, query.category) if query.category else None
    search_request = SearchRequest(
        text=query.q,
        category_id=category.id if category else None,
        tag=query.tag,
        status=query.status,
        since=query.since,
        until=query.until,
        staff_answered=query.staff,
        sort=query.sort,
        page=query.page,
        per_page=query.per_page,
    )
    found = run_search(db, backend(), search_request, result_cache())
    if found.unavailable:
        return problems.problem(
            503, "Search is unavailable right now; please try again in a few minutes.", headers={"Retry-After": str(SEARCH_RETRY_AFTER)}
        )
    _count(db, search_request, found.total)
    items = [
        {
            "position": item.position,
            "thread": represent.thread_summary(item.thread),
            "best_post_id": item.best_post_id,
            "best_post_url": url_for("threads.post_link", post_id=item.best_post_id, _external=True),
            "snippet_html": item.snippet_html,
            "accepted_excerpt": item.accepted_excerpt,
        }
        for item in found.items
    ]
    paged = Page(items, found.page, search_request.per_page, found.total)
    return represent.respond(
        SearchResults,
        {**meta(paged), "items": items, "total_exact": found.total_exact, "partial": found.partial, "suggestion": found.suggestion},
    )


def _count(db, search_request: SearchRequest, total: int) -> None:
    """Log the search as the web does (words, first page, not staff); clicks and deflection need a browser."""
    if not search_request.text.strip() or search_request.page != 1 or permissions.is_staff(auth.actor()):
        return
    if search_log.log_query(db, search_request.text, total, source=LOG_SOURCE):
        db.commit()


@bp.get(
    "/similar",
    tags=[TAG],
    security=auth.OPTIONAL,
    responses={200: SimilarList},
    summary="Find questions like a title",
)
def similar_questions(query: SimilarQuery):
    """The look-alikes the ask page shows while a title is typed: solved ones first, only visible threads.

    An empty list when nothing looks alike, the title is too short, or the index cannot be read
    (asking must never be blocked by search)."""
    found = similar_threads(get_session(), backend(), query.title, cache=result_cache())
    items = [{"thread": represent.thread_summary(item.thread), "accepted_excerpt": item.accepted_excerpt} for item in found]
    return represent.respond(SimilarList, {"items": items})
