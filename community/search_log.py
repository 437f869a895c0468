"""Search analytics: what people search for, what finds nothing, and which results they open."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from community import permissions
from community.db import get_by_id
from community.errors import PermissionDenied
from community.models import SearchClick, SearchQuery, Thread, User
from community.text import strip_controls

MAX_QUERY = 200
MAX_POSITION = 10_000


def normalize(text: str) -> str:
    """The form a query is counted under: trimmed, single-spaced, lower case, at most 200 characters."""
    return " ".join(strip_controls(text).split()).lower()[:MAX_QUERY].rstrip()


def log_query(
    session: Session, text: str, results: int, source: str = "search", at: datetime | None = None
) -> SearchQuery | None:
    """Keep one search, with no trace of who made it; empty text is not kept."""
    query = normalize(text)
    if not query:
        return None
    row = SearchQuery(query=query, source=source[:16], results=max(0, int(results)))
    if at is not None:
        row.created_at = at
    session.add(row)
    session.flush()
    return row


def log_queries(session: Session, searches: list[tuple[str, int, datetime]]) -> int:
    """Keep many searches (text, results, when) in one statement; returns how many were kept."""
    rows = [
        {"query": query, "source": "search", "results": max(0, int(results)), "created_at": at}
        for text, results, at in searches
        if (query := normalize(text))
    ]
    if rows:
        session.execute(insert(SearchQuery), rows)
    return len(rows)


def log_click(session: Session, query_id, thread_id, position) -> SearchClick | None:
    """Note that a result was opened; unknown ids or odd positions are ignored, not errors."""
    try:
        position = int(position)
    except (TypeError, ValueError):
        return None
    if not 0 < position <= MAX_POSITION:
        return None
    query, thread = get_by_id(session, SearchQuery, query_id), get_by_id(session, Thread, thread_id)
    if query is None or thread is None:
        return None
    click = SearchClick(query_id=query.id, thread_id=thread.id, position=position)
    session.add(click)
    session.flush()
    return click


@dataclass
class QueryCount:
    query: str
    count: int
    average_results: float
    last_at: datetime


@dataclass
class OpenedResult:
    query: str
    thread_id: int
    title: str
    clicks: int


@dataclass
class SearchReport:
    searches: int
    zero_result_searches: int
    clicks: int
    top_queries: list[QueryCount]
    zero_result_queries: list[QueryCount]
    opened: list[OpenedResult]


def _require_staff(actor: User | None) -> None:
    if not permissions.is_staff(actor):
        raise PermissionDenied("Only staff can see search analytics.")


def _query_counts(session: Session, since: datetime, until: datetime, limit: int, zero_only: bool):
    count = func.count().label("n")
    stmt = select(SearchQuery.query, count, func.avg(SearchQuery.results), func.max(SearchQuery.created_at))
    stmt = stmt.where(SearchQuery.created_at >= since, SearchQuery.created_at < until)
    if zero_only:
        stmt = stmt.where(SearchQuery.results == 0)
    stmt = stmt.group_by(SearchQuery.query).order_by(count.desc(), SearchQuery.query).limit(limit)
    return [QueryCount(q, n, float(avg or 0), last) for q, n, avg, last in session.execute(stmt)]


def report(session: Session, since: datetime, until: datetime, limit: int = 20, *, actor: User | None) -> SearchReport:
    """Searches made in [since, until): the most frequent, those that found nothing, the results opened."""
    _require_staff(actor)
    in_period = (SearchQuery.created_at >= since, SearchQuery.created_at < until)
    searches, zero = session.execute(
        select(func.count(), func.sum(case((SearchQuery.results == 0, 1), else_=0))).where(*in_period)
    ).one()
    clicks = func.count(SearchClick.id).label("clicks")
    opened = session.execute(
        select(SearchQuery.query, Thread.id, Thread.title, clicks)
        .join(SearchClick, SearchClick.query_id == SearchQuery.id)
        .join(Thread, Thread.id == SearchClick.thread_id)
        .where(SearchClick.created_at >= since, SearchClick.created_at < until)
        .group_by(SearchQuery.query, Thread.id, Thread.title)
        .order_by(clicks.desc(), SearchQuery.query, Thread.id)
        .limit(limit)
    )
    total_clicks = session.scalar(
        select(func.count()).where(SearchClick.created_at >= since, SearchClick.created_at < until)
    )
    return SearchReport(
        searches=searches,
        zero_result_searches=zero or 0,
        clicks=total_clicks,
        top_queries=_query_counts(session, since, until, limit, zero_only=False),
        zero_result_queries=_query_counts(session, since, until, limit, zero_only=True),
        opened=[OpenedResult(q, tid, title, n) for q, tid, title, n in opened],
    )
