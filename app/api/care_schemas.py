"""The shapes of the care queue, a thread's care record and the care metrics (staff only)."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.fields import Day
from app.api.pages import PageMeta, PageQuery
from app.api.schemas import ThreadSummary, UserRef
from community.care import STATES
from community.care_queue import ANSWERED, DUE_SOON, ON_TARGET, OVERDUE, QUEUE_STATES
from community.categories import SLUG_PATTERN
from community.db import MAX_ID


class CareQueueQuery(PageQuery):
    category: str | None = Field(None, max_length=80, pattern=SLUG_PATTERN.pattern, description="A category slug.")
    assignee: str | None = Field(
        None,
        pattern=r"^(me|none|[1-9][0-9]{0,9})$",
        description="`me` (the token's owner), `none` (nobody assigned) or a staff member's id.",
    )
    team: int | None = Field(None, ge=1, le=MAX_ID, description="A team's id: assigned to it, or routed to it by category.")
    state: Literal[tuple(QUEUE_STATES)] | None = Field(None, description="One open state; by default all of them.")


class TeamRef(BaseModel):
    id: int
    name: str


class QueueRow(BaseModel):
    thread: ThreadSummary
    state: Literal[tuple(QUEUE_STATES)]
    assignee_id: int | None
    assignee_username: str | None
    team: TeamRef | None = Field(
        description="The team assigned; when neither a person nor a team is, the team the thread's category routes to."
    )
    reasons: list[str] = Field(
        description="Why it waits, as the queue page words it: unanswered, unsolved after N days, escalated, "
        "flagged (a post awaits a moderator), negative tone."
    )
    escalated: bool
    negative: bool = Field(description="The question reads as negative in tone and is not solved.")
    age_minutes: int = Field(description="Minutes since the question was asked.")
    target: Literal[ON_TARGET, DUE_SOON, OVERDUE, ANSWERED] = Field(
        description="Against the first-response target: within it, in its last quarter, past it, or answered already."
    )


class CareQueue(PageMeta):
    items: list[QueueRow] = Field(description="Oldest first; within the same age, flagged and negative threads first.")
    unsolved_days: int = Field(description="Answered threads come back to the queue when still unsolved after this many days.")
    first_response_target_minutes: int


class CareChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="A staff member's id; null takes the thread from whoever has it. Left out: unchanged."
    )
    team_id: int | None = Field(None, ge=1, le=MAX_ID, description="A team's id; null: no team. Left out: unchanged.")
    state: Literal[tuple(STATES)] | None = Field(
        None,
        description="The care state to move to, after any assignment: resolved threads can only be reopened "
        "(new or assigned); waiting threads go back to assigned. Left out or null: unchanged.",
    )


class CareRecord(BaseModel):
    thread_id: int
    state: Literal[tuple(STATES)]
    assignee: UserRef | None
    team: TeamRef | None = Field(description="The team assigned; null when none is (the category's team then takes it).")
    escalated_at: datetime | None
    ticket_ref: str = Field(description="The reference of the ticket opened elsewhere, or empty.")
    updated_at: datetime


class MetricsQuery(BaseModel):
    since: Day | None = Field(None, description="The first day (UTC), included. Default: 29 days before `until`.")
    until: Day | None = Field(None, description="The last day (UTC), included; later than today counts as today. Default: today.")


class GroupFigures(BaseModel):
    """Times are minutes; shares are fractions from 0 to 1; null where there was nothing to measure."""

    name: str
    id: int | None = Field(description="The category's or team's id; null for all questions and for threads of no team.")
    questions: int = Field(description="Live questions asked in the period.")
    answered: int = Field(description="Of those, answered by someone other than the asker.")
    median_first_response: float | None = Field(description="Minutes from the question to its first answer.")
    p90_first_response: float | None = Field(description="90th percentile (nearest rank), minutes.")
    staff_answered: int
    median_first_staff_response: float | None = Field(description="Minutes from the question to the first staff answer.")
    p90_first_staff_response: float | None
    solved: int
    median_time_to_solved: float | None = Field(description="Minutes from the question to the accept.")
    answered_within_24h: float | None = Field(description="Share of the questions answered within 24 hours.")
    solved_share: float | None = Field(description="Share of the questions with an accepted answer.")
    solved_by_customer: int = Field(description="Solved by an answer not from staff.")
    deflection: float | None = Field(description="Share of the solved questions solved by customers.")


class StaffFigures(BaseModel):
    name: str = Field(description="The staff member's username.")
    id: int
    first_responses: int = Field(description="Questions where theirs was the first staff answer.")
    median_first_response: float | None = Field(description="Minutes to those first staff answers.")
    accepted_answers: int


class DayFigures(BaseModel):
    day: date
    new_questions: int
    backlog: int = Field(description="Unanswered live threads at the end of the day.")


class WeekFigures(BaseModel):
    starts: date = Field(description="The week's Monday.")
    label: str = Field(description="The ISO week, such as 2026-W07.")
    questions: int
    median_first_response: float | None = Field(description="Minutes.")


class CareMetrics(BaseModel):
    since: date = Field(description="The first day measured (UTC).")
    until: date = Field(description="The last day measured (UTC), included.")
    overall: GroupFigures
    categories: list[GroupFigures] = Field(description="Most questions first.")
    teams: list[GroupFigures] = Field(description="Most questions first; threads of no team under `No team`, id null.")
    staff: list[StaffFigures]
    days: list[DayFigures]
    weeks: list[WeekFigures]
    backlog_at_start: int = Field(description="Unanswered live threads when the period began.")
