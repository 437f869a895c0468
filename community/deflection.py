"""Measured deflection: solved threads read after a search, by visitors who then did not ask."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from community import permissions
from community.db import utcnow
from community.errors import PermissionDenied
from community.models import Category, DeflectionView, Post, Thread, User

# How long after a search an opened thread is linked to it, and how long after opening a
# solved thread a question from the same visitor cancels it.
WINDOW = timedelta(minutes=30)


def within_window(start: datetime, now: datetime) -> bool:
    """True while `now` lies in [start, start + WINDOW)."""
    return start <= now < start + WINDOW


def _existing(session: Session, visitor_key: str, thread_id: int) -> DeflectionView | None:
    return session.scalar(
        select(DeflectionView).where(DeflectionView.visitor_key == visitor_key, DeflectionView.thread_id == thread_id)
    )


def record_view(session: Session, visitor_key: str, thread: Thread, now: datetime | None = None):
    """Note that this visitor opened this solved thread (once per visitor and thread); None if it is not solved."""
    if not visitor_key or not thread.is_solved or thread.is_deleted:
        return None
    existing = _existing(session, visitor_key, thread.id)
    if existing is not None:
        return existing
    accepted = session.get(Post, thread.accepted_post_id)
    view = DeflectionView(
        visitor_key=visitor_key,
        thread_id=thread.id,
        category_id=thread.category_id,
        answer_author_id=accepted.author_id if accepted is not None else None,
        opened_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(view)
    except IntegrityError:  # the same visitor's other tab recorded it first
        return _existing(session, visitor_key, thread.id)
    return view


def record_question_asked(session: Session, visitor_key: str, now: datetime | None = None) -> int:
    """The visitor asked after all: views opened in the last WINDOW stop counting. Returns how many."""
    if not visitor_key:
        return 0
    now = now or utcnow()
    result = session.execute(
        update(DeflectionView)
        .where(
            DeflectionView.visitor_key == visitor_key,
            DeflectionView.asked_after_at.is_(None),
            DeflectionView.opened_at > now - WINDOW,
            DeflectionView.opened_at <= now,
        )
        .values(asked_after_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


@dataclass
class WeekCount:
    label: str  # ISO week, e.g. "2026-W47"
    starts: date
    count: int


@dataclass
class NamedCount:
    name: str
    count: int
    id: int | None = None


@dataclass
class DeflectionReport:
    total: int
    pending: int
    asked_anyway: int
    weeks: list[WeekCount]
    categories: list[NamedCount]
    threads: list[NamedCount]
    authors: list[NamedCount]


def _counted(since: datetime, until: datetime, now: datetime):
    """Views opened in [since, until) whose WINDOW has passed with no question asked."""
    return and_(
        DeflectionView.opened_at >= since,
        DeflectionView.opened_at < until,
        DeflectionView.opened_at <= now - WINDOW,
        DeflectionView.asked_after_at.is_(None),
    )


def _grouped(session: Session, label, key, join, where, limit: int | None) -> list[NamedCount]:
    n = func.count(DeflectionView.id).label("n")
    stmt = (
        select(label, key, n)
        .select_from(DeflectionView)
        .join(*join)
        .where(where)
        .group_by(key, label)
        .order_by(n.desc(), label)
        .limit(limit)
    )
    return [NamedCount(name, count, ident) for name, ident, count in session.execute(stmt)]


def author_counts(session: Session, since: datetime, until: datetime, now=None, limit=None) -> list[NamedCount]:
    """Questions avoided per author of the accepted answer (name is the username, id the user id)."""
    where = _counted(since, until, now or utcnow())
    return _grouped(session, User.username, User.id, (User, User.id == DeflectionView.answer_author_id), where, limit)


def _weeks(opened: list[datetime], since: datetime, until: datetime) -> list[WeekCount]:
    counts: dict[date, int] = {}
    for moment in opened:
        day = moment.astimezone(UTC).date()
        start = day - timedelta(days=day.weekday())
        counts[start] = counts.get(start, 0) + 1
    first = since.astimezone(UTC).date()
    last = (until - timedelta(microseconds=1)).astimezone(UTC).date()
    start, weeks = first - timedelta(days=first.weekday()), []
    while start <= last:
        year, week, _ = start.isocalendar()
        weeks.append(WeekCount(f"{year}-W{week:02d}", start, counts.get(start, 0)))
        start += timedelta(days=7)
    return weeks


def report(session: Session, since: datetime, until: datetime, now=None, limit=20, *, actor: User | None):
    """Questions avoided among threads opened in [since, until): in total, per week, category, thread, author."""
    if not permissions.is_staff(actor):
        raise PermissionDenied("Only staff can see deflection figures.")
    now = now or utcnow()
    where = _counted(since, until, now)
    in_period = and_(DeflectionView.opened_at >= since, DeflectionView.opened_at < until)
    pending, asked = session.execute(
        select(
            func.sum(case((and_(DeflectionView.opened_at > now - WINDOW, DeflectionView.asked_after_at.is_(None)), 1), else_=0)),
            func.sum(case((DeflectionView.asked_after_at.is_not(None), 1), else_=0)),
        ).where(in_period)
    ).one()
    opened = list(session.scalars(select(DeflectionView.opened_at).where(where)))
    category = (Category, Category.id == DeflectionView.category_id)
    thread = (Thread, Thread.id == DeflectionView.thread_id)
    return DeflectionReport(
        total=len(opened),
        pending=pending or 0,
        asked_anyway=asked or 0,
        weeks=_weeks(opened, since, until),
        categories=_grouped(session, Category.name, Category.id, category, where, limit),
        threads=_grouped(session, Thread.title, Thread.id, thread, where, limit),
        authors=author_counts(session, since, until, now, limit),
    )
