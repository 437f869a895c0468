"""Leaderboards of the customers who help: by reputation earned, accepted answers or people helped,
this week, this month or all time, overall or in one category. Staff are left out: they are
paid to help, and the boards celebrate customers."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community.db import utcnow
from community.errors import ValidationError
from community.impact import accepted_answers
from community.models import Category, ReputationEvent, Role, Thread, User


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


class Measure(StrEnum):
    REPUTATION = "reputation"
    ACCEPTED = "accepted"
    HELPED = "helped"


PERIOD_DAYS = {Period.WEEK: 7, Period.MONTH: 30, Period.ALL: None}
MEASURE_LABELS = {
    Measure.REPUTATION: "Reputation earned",
    Measure.ACCEPTED: "Accepted answers",
    Measure.HELPED: "People helped",
}


@dataclass
class Entry:
    position: int
    user: User
    value: int


def parse(period: str | None, measure: str | None) -> tuple[Period, Measure]:
    try:
        return Period(period or Period.WEEK.value), Measure(measure or Measure.REPUTATION.value)
    except ValueError:
        raise ValidationError("Unknown leaderboard period or measure.") from None


def _since(period: Period, now: datetime) -> datetime | None:
    days = PERIOD_DAYS[period]
    return now - timedelta(days=days) if days else None


def leaderboard(
    session: Session,
    period: Period = Period.WEEK,
    measure: Measure = Measure.REPUTATION,
    category: Category | None = None,
    limit: int = 25,
) -> list[Entry]:
    since = _since(period, utcnow())
    if measure is Measure.REPUTATION:
        value = func.sum(ReputationEvent.points)
        # Staff adjustments and carried-over totals are not help given in the period.
        query = (
            select(ReputationEvent.user_id, value)
            .where(ReputationEvent.reason != "adjustment")
            .group_by(ReputationEvent.user_id)
        )
        if since is not None:
            query = query.where(ReputationEvent.created_at >= since)
        if category is not None:
            query = query.join(Thread, Thread.id == ReputationEvent.thread_id).where(Thread.category_id == category.id)
        user_column = ReputationEvent.user_id
    else:
        rows = accepted_answers().subquery()
        value = func.count() if measure is Measure.ACCEPTED else func.count(func.distinct(rows.c.asker_id))
        query = select(rows.c.user_id, value).group_by(rows.c.user_id)
        if since is not None:
            query = query.where(rows.c.accepted_at >= since)
        if category is not None:
            query = query.where(rows.c.category_id == category.id)
        user_column = rows.c.user_id
    query = (
        query.join(User, User.id == user_column)
        .where(User.role == Role.MEMBER.value)
        .having(value > 0)
        .order_by(value.desc(), user_column)
        .limit(limit)
    )
    totals = session.execute(query).all()
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([uid for uid, _ in totals])))}
    return [Entry(position, users[uid], int(total)) for position, (uid, total) in enumerate(totals, 1)]
