"""Tone over time: the share of negative, neutral and positive posts per ISO week, overall and per category."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import permissions
from community.errors import PermissionDenied
from community.models import Category, Post, Thread, User
from community.tone import TONES


@dataclass
class ToneCounts:
    negative: int = 0
    neutral: int = 0
    positive: int = 0

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive

    def share(self, tone: str) -> float:
        """The tone's share of the scored posts, 0 to 1 (0 when there are none)."""
        return getattr(self, tone) / self.total if self.total else 0.0

    def add(self, tone: str) -> None:
        setattr(self, tone, getattr(self, tone) + 1)


@dataclass
class WeekTone:
    label: str  # ISO week, e.g. "2026-W47"
    starts: date  # its Monday
    counts: ToneCounts


@dataclass
class ScopeTone:
    """One line of the report: every category together (id None) or one category."""

    name: str
    id: int | None
    weeks: list[WeekTone]
    totals: ToneCounts = field(default_factory=ToneCounts)


@dataclass
class ToneReport:
    overall: ScopeTone
    categories: list[ScopeTone]  # only categories with posts in the period, by name

    def scope(self, category_id: int | None) -> ScopeTone | None:
        if category_id is None:
            return self.overall
        return next((c for c in self.categories if c.id == category_id), None)


def _week_starts(since: datetime, until: datetime) -> list[date]:
    first = since.astimezone(UTC).date()
    last = (until - timedelta(microseconds=1)).astimezone(UTC).date()
    start, starts = first - timedelta(days=first.weekday()), []
    while start <= last:
        starts.append(start)
        start += timedelta(days=7)
    return starts


def _empty_weeks(starts: list[date]) -> list[WeekTone]:
    weeks = []
    for start in starts:
        year, week, _ = start.isocalendar()
        weeks.append(WeekTone(f"{year}-W{week:02d}", start, ToneCounts()))
    return weeks


def report(session: Session, since: datetime, until: datetime, *, actor: User | None) -> ToneReport:
    """Scored posts created in [since, until), questions and answers alike, on threads still shown.

    Weeks run Monday to Sunday (UTC); the first and last week may be cut by the period.
    """
    if not permissions.is_staff(actor):
        raise PermissionDenied("Only staff can see tone figures.")
    rows = session.execute(
        select(Post.created_at, Post.tone, Category.id, Category.name)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Category, Category.id == Thread.category_id)
        .where(
            Post.created_at >= since,
            Post.created_at < until,
            Post.tone.in_(TONES),
            Post.deleted_at.is_(None),
            Thread.deleted_at.is_(None),
        )
    ).all()
    starts = _week_starts(since, until)
    index = {start: i for i, start in enumerate(starts)}
    overall = ScopeTone("All categories", None, _empty_weeks(starts))
    categories: dict[int, ScopeTone] = {}
    for created_at, tone, category_id, category_name in rows:
        day = created_at.astimezone(UTC).date()
        week = index[day - timedelta(days=day.weekday())]
        scope = categories.get(category_id)
        if scope is None:
            scope = categories[category_id] = ScopeTone(category_name, category_id, _empty_weeks(starts))
        for line in (overall, scope):
            line.weeks[week].counts.add(tone)
            line.totals.add(tone)
    return ToneReport(overall, sorted(categories.values(), key=lambda c: (c.name.casefold(), c.id)))


CSV_HEADER = (
    "week", "week_starts", "category", "posts", "negative", "neutral", "positive",
    "negative_share", "neutral_share", "positive_share",
)


def csv_rows(found: ToneReport) -> list[tuple]:
    """The report as rows under CSV_HEADER: every week overall, then every week of each category."""
    rows = []
    for scope in (found.overall, *found.categories):
        for week in scope.weeks:
            c = week.counts
            rows.append(
                (
                    week.label, week.starts.isoformat(), scope.name, c.total, c.negative, c.neutral, c.positive,
                    *(f"{c.share(tone):.4f}" for tone in TONES),
                )
            )
    return rows
