"""How care is going: response times, solved and deflected shares, backlog and volume over a period.

Two queries read the facts: one aggregate over the answers gives every thread's first response
and first staff response (for the period's questions and for the backlog alike), a second names
who gave the first staff responses; everything else is counted in Python from those rows, so the
number of queries does not grow with the number of threads.
"""

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from community import permissions
from community.errors import PermissionDenied
from community.models import Category, Post, Team, TeamCategory, Thread, ThreadCare, User

ANSWERED_WITHIN = timedelta(hours=24)
NO_TEAM = "No team"


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it.

    Sorted ascending, that is the value at rank ceil(p/100 × n), counting from 1; so the median
    (p=50) of an even count is the lower of the two middle values, and every figure shown is a
    time that really happened. None when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Iterable[float]) -> float | None:
    """The 50th nearest-rank percentile."""
    return percentile(values, 50)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


@dataclass
class QuestionFacts:
    """What the figures need to know about one question asked in the period (times in minutes)."""

    id: int
    created_at: datetime
    category_id: int
    team_id: int | None
    first_response: float | None = None
    first_staff_response: float | None = None
    first_staff_author_id: int | None = None
    solved_after: float | None = None
    accepted_author_id: int | None = None
    solved_by_staff: bool | None = None


@dataclass
class CareFigures:
    """The figures of one group of questions: all of them, a category or a team."""

    name: str
    id: int | None
    questions: int
    answered: int
    median_first_response: float | None
    p90_first_response: float | None
    staff_answered: int
    median_first_staff_response: float | None
    p90_first_staff_response: float | None
    solved: int
    median_time_to_solved: float | None
    answered_within_24h: float | None
    solved_share: float | None
    solved_by_customer: int
    deflection: float | None


@dataclass
class StaffFigures:
    name: str
    id: int
    first_responses: int
    median_first_response: float | None
    accepted_answers: int


@dataclass
class DayPoint:
    day: date
    new_questions: int
    backlog: int


@dataclass
class WeekPoint:
    starts: date
    label: str  # ISO week, e.g. "2026-W47"
    questions: int
    median_first_response: float | None


@dataclass
class CareMetrics:
    since: datetime
    until: datetime
    overall: CareFigures
    categories: list[CareFigures] = field(default_factory=list)
    teams: list[CareFigures] = field(default_factory=list)
    staff: list[StaffFigures] = field(default_factory=list)
    days: list[DayPoint] = field(default_factory=list)
    weeks: list[WeekPoint] = field(default_factory=list)
    backlog_at_start: int = 0  # unanswered live threads at `since`


def _minutes(later: datetime | None, earlier: datetime) -> float | None:
    return None if later is None else (later - earlier).total_seconds() / 60


def _responses_from_others():
    """Answers that count as a response: live, and not written by the asker."""
    return and_(Post.is_question.is_(False), Post.deleted_at.is_(None), Post.author_id != Thread.author_id)


def _first_responses(until: datetime):
    """Per thread asked before `until`: when the first response came, and the first staff response."""
    official = case((Post.is_official.is_(True), Post.created_at))
    return (
        select(
            Post.thread_id.label("thread_id"),
            func.min(Post.created_at).label("first_at"),
            func.min(official).label("first_staff_at"),
        )
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.created_at < until, _responses_from_others())
        .group_by(Post.thread_id)
        .subquery()
    )


def _facts(session: Session, since: datetime, until: datetime):
    """Facts of the live questions asked in [since, until), and (asked, first response) of every live
    thread that could be unanswered at some moment of the period, those asked before it included.

    One pass over the answers: the same aggregate feeds the per-question figures and the backlog."""
    first = _first_responses(until)
    accepted = aliased(Post)
    team = func.coalesce(ThreadCare.team_id, TeamCategory.team_id)
    in_period = Thread.created_at >= since
    rows = session.execute(
        select(
            Thread.id, Thread.created_at, first.c.first_at, first.c.first_staff_at, in_period,
            Thread.category_id, team, Thread.accepted_at, accepted.author_id, accepted.is_official,
        )
        .outerjoin(first, first.c.thread_id == Thread.id)
        .outerjoin(ThreadCare, ThreadCare.thread_id == Thread.id)
        .outerjoin(TeamCategory, TeamCategory.category_id == Thread.category_id)
        .outerjoin(accepted, and_(accepted.id == Thread.accepted_post_id, accepted.deleted_at.is_(None)))
        .where(
            Thread.created_at < until,
            Thread.deleted_at.is_(None),
            or_(in_period, first.c.first_at.is_(None), first.c.first_at >= since),
        )
    )
    facts, waiting = {}, []
    for row in rows:
        ident, created, first_at, first_staff_at, asked_in_period = row[:5]
        category_id, team_id, accepted_at, accepted_author, official = row[5:]
        # min() over a subquery loses the column type on SQLite, which then returns text.
        first_at, first_staff_at = _as_datetime(first_at), _as_datetime(first_staff_at)
        if first_at is None or first_at >= since:
            waiting.append((created, first_at))
        if not asked_in_period:
            continue
        fact = QuestionFacts(ident, created, category_id, team_id)
        fact.first_response = _minutes(first_at, created)
        fact.first_staff_response = _minutes(first_staff_at, created)
        if accepted_author is not None:
            # An accept without its moment (older data) still counts as solved, just not timed.
            fact.solved_after = _minutes(accepted_at, created)
            fact.accepted_author_id = accepted_author
            fact.solved_by_staff = bool(official)
        facts[ident] = fact
    return facts, waiting


def _add_first_staff_authors(session: Session, facts: dict[int, QuestionFacts], since: datetime, until: datetime):
    """Who gave each question's first staff response, read from the staff answers of the period's questions."""
    rows = session.execute(
        select(Post.thread_id, Post.author_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Thread.created_at >= since, Thread.created_at < until, Thread.deleted_at.is_(None),
            Post.is_official.is_(True), _responses_from_others(),
        )
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    for thread_id, author_id in rows:  # latest first, so the earliest is written last
        if thread_id in facts:
            facts[thread_id].first_staff_author_id = author_id


def _as_datetime(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _days(since: datetime, until: datetime) -> list[date]:
    first, last = since.astimezone(UTC).date(), (until - timedelta(microseconds=1)).astimezone(UTC).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _day_end(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


def _backlog_counter(waiting) -> Callable[[datetime], int]:
    """Unanswered threads at a moment: asked before it, minus those first answered before it."""
    asked = sorted(created for created, _ in waiting)
    answered = sorted(at for _, at in waiting if at is not None)
    return lambda moment: bisect_left(asked, moment) - bisect_left(answered, moment)


def _daily(facts: list[QuestionFacts], backlog: Callable[[datetime], int], since: datetime, until: datetime):
    per_day: dict[date, int] = defaultdict(int)
    for fact in facts:
        per_day[fact.created_at.astimezone(UTC).date()] += 1
    points = []
    for day in _days(since, until):
        points.append(DayPoint(day, per_day.get(day, 0), backlog(min(_day_end(day), until))))
    return points


def _weekly(facts: list[QuestionFacts], since: datetime, until: datetime) -> list[WeekPoint]:
    grouped: dict[date, list[QuestionFacts]] = defaultdict(list)
    for fact in facts:
        day = fact.created_at.astimezone(UTC).date()
        grouped[day - timedelta(days=day.weekday())].append(fact)
    days = _days(since, until)
    start, weeks = days[0] - timedelta(days=days[0].weekday()), []
    while start <= days[-1]:
        year, week, _ = start.isocalendar()
        group = grouped.get(start, [])
        times = [f.first_response for f in group if f.first_response is not None]
        weeks.append(WeekPoint(start, f"{year}-W{week:02d}", len(group), median(times)))
        start += timedelta(days=7)
    return weeks


def figures(name: str, ident: int | None, facts: list[QuestionFacts]) -> CareFigures:
    """The figures of a group; questions without a response count in shares, not in medians."""
    first = [f.first_response for f in facts if f.first_response is not None]
    staff = [f.first_staff_response for f in facts if f.first_staff_response is not None]
    solved = [f for f in facts if f.accepted_author_id is not None]
    solve_times = [f.solved_after for f in solved if f.solved_after is not None]
    within = sum(1 for minutes in first if minutes <= ANSWERED_WITHIN.total_seconds() / 60)
    by_customer = sum(1 for f in solved if not f.solved_by_staff)
    return CareFigures(
        name=name,
        id=ident,
        questions=len(facts),
        answered=len(first),
        median_first_response=median(first),
        p90_first_response=percentile(first, 90),
        staff_answered=len(staff),
        median_first_staff_response=median(staff),
        p90_first_staff_response=percentile(staff, 90),
        solved=len(solved),
        median_time_to_solved=median(solve_times),
        answered_within_24h=share(within, len(facts)),
        solved_share=share(len(solved), len(facts)),
        solved_by_customer=by_customer,
        deflection=share(by_customer, len(solved)),
    )


def _grouped(facts: list[QuestionFacts], key: Callable[[QuestionFacts], int | None], names: dict[int, str]):
    groups: dict[int | None, list[QuestionFacts]] = defaultdict(list)
    for fact in facts:
        groups[key(fact)].append(fact)
    # Only the team can be missing: every thread has a category.
    rows = [figures(names.get(ident, NO_TEAM), ident, group) for ident, group in groups.items()]
    return sorted(rows, key=lambda row: (-row.questions, row.name))


def _per_staff(session: Session, facts: list[QuestionFacts]) -> list[StaffFigures]:
    responses: dict[int, list[float]] = defaultdict(list)
    accepted: dict[int, int] = defaultdict(int)
    for fact in facts:
        if fact.first_staff_author_id is not None:
            responses[fact.first_staff_author_id].append(fact.first_staff_response)
        if fact.solved_by_staff:
            accepted[fact.accepted_author_id] += 1
    people = set(responses) | set(accepted)
    names = {}
    if people:
        names = {ident: name for ident, name in session.execute(select(User.id, User.username).where(User.id.in_(people)))}
    rows = [
        StaffFigures(
            names.get(ident, "?"), ident, len(responses.get(ident, [])), median(responses.get(ident, [])), accepted.get(ident, 0)
        )
        for ident in people
    ]
    return sorted(rows, key=lambda row: (-row.first_responses, -row.accepted_answers, row.name))


def report(session: Session, since: datetime, until: datetime, *, actor: User | None) -> CareMetrics:
    """Care figures for live questions asked in [since, until): overall, per category, team and staff member."""
    if not permissions.is_staff(actor):
        raise PermissionDenied("Only staff can see care metrics.")
    facts_by_id, waiting = _facts(session, since, until)
    _add_first_staff_authors(session, facts_by_id, since, until)
    facts = list(facts_by_id.values())
    categories = {ident: name for ident, name in session.execute(select(Category.id, Category.name))}
    teams = {ident: name for ident, name in session.execute(select(Team.id, Team.name))}
    backlog = _backlog_counter(waiting)
    return CareMetrics(
        since=since,
        until=until,
        overall=figures("All questions", None, facts),
        categories=_grouped(facts, lambda f: f.category_id, categories),
        teams=_grouped(facts, lambda f: f.team_id, teams),
        staff=_per_staff(session, facts),
        days=_daily(facts, backlog, since, until),
        weeks=_weekly(facts, since, until),
        backlog_at_start=backlog(since),
    )
