"""Whether the care team keeps up: recent volume and response times against the staff hours available."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community import care_metrics
from community.models import TeamMember, User


@dataclass
class StaffingSettings:
    target_minutes: int  # the first-response target for staff
    minutes_per_thread: float  # staff handling time of one question
    hours_per_week: float  # staff hours available a week; 0: team members × hours_per_member
    hours_per_member: float
    weeks: int  # how many recent weeks the estimate reads


@dataclass
class StaffingEstimate:
    since: datetime
    until: datetime
    weeks: int
    questions: int
    solved_by_customer: int
    needing_staff_per_week: float
    backlog_start: int
    backlog_end: int
    backlog_growth_per_week: float
    minutes_per_thread: float
    hours_needed: float
    hours_available: float
    team_members: int | None  # set when the hours available come from the team size
    hours_per_member: float
    p90_first_staff_response: float | None
    target_minutes: int

    @property
    def enough_hours(self) -> bool:
        return self.hours_needed <= self.hours_available

    @property
    def meets_target(self) -> bool:
        """No staff response yet in the window counts as missing the target."""
        return self.p90_first_staff_response is not None and self.p90_first_staff_response <= self.target_minutes

    @property
    def keeps_up(self) -> bool:
        return self.enough_hours and self.meets_target

    @property
    def extra_hours(self) -> float:
        return max(0.0, self.hours_needed - self.hours_available)

    @property
    def needing_staff(self) -> int:
        return self.questions - self.solved_by_customer


def _team_members(session: Session) -> int:
    return session.scalar(select(func.count(func.distinct(TeamMember.user_id)))) or 0


def estimate(session: Session, settings: StaffingSettings, now: datetime, *, actor: User | None) -> StaffingEstimate:
    """Staff-hours a week needed for the last `settings.weeks` weeks (today included) against those available.

    needed = (questions a week not solved by a customer + backlog growth a week) × minutes per thread / 60."""
    first_day = now.astimezone(UTC).date() - timedelta(days=7 * settings.weeks - 1)
    since = datetime.combine(first_day, time.min, UTC)
    metrics = care_metrics.report(session, since, now, actor=actor)
    overall = metrics.overall
    needing = overall.questions - overall.solved_by_customer
    backlog_end = metrics.days[-1].backlog if metrics.days else metrics.backlog_at_start
    # Only a growing backlog asks for more hours; a shrinking one is already being worked off.
    growth = max(0.0, (backlog_end - metrics.backlog_at_start) / settings.weeks)
    per_week = needing / settings.weeks
    members = None
    available = settings.hours_per_week
    if available <= 0:
        members = _team_members(session)
        available = members * settings.hours_per_member
    return StaffingEstimate(
        since=since,
        until=now,
        weeks=settings.weeks,
        questions=overall.questions,
        solved_by_customer=overall.solved_by_customer,
        needing_staff_per_week=per_week,
        backlog_start=metrics.backlog_at_start,
        backlog_end=backlog_end,
        backlog_growth_per_week=growth,
        minutes_per_thread=settings.minutes_per_thread,
        hours_needed=(per_week + growth) * settings.minutes_per_thread / 60,
        hours_available=available,
        team_members=members,
        hours_per_member=settings.hours_per_member,
        p90_first_staff_response=overall.p90_first_staff_response,
        target_minutes=settings.target_minutes,
    )
