"""The care queue: threads waiting for help, oldest first, in a fixed number of SQL statements.

A thread is in the queue, until staff resolve it, when it is unanswered; answered but still
unsolved after CARE_UNSOLVED_DAYS; escalated; flagged (a post in it awaits a moderator's
review); or unsolved and negative in tone. Age classes (past the unsolved limit, past a day,
past the first-response target, within it) order the queue oldest first, and within one class
a flagged or negative thread comes before the others. Hidden threads (held as spam, or hidden
by moderators) are the moderators' review queue's, not this one's.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload

from community import care
from community.db import parse_id, utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import (
    CareState,
    Category,
    FlagStatus,
    Post,
    PostFlag,
    Role,
    Team,
    TeamCategory,
    Thread,
    ThreadCare,
    User,
)
from community.pagination import Page

ON_TARGET, DUE_SOON, OVERDUE, ANSWERED = "on-target", "due-soon", "overdue", "answered"
QUEUE_STATES = [CareState.NEW.value, CareState.ASSIGNED.value, CareState.WAITING.value]


@dataclass
class QueueFilter:
    category_id: int | None = None
    assignee: str | None = None  # "me", "none" (unassigned) or a staff member's id
    team_id: int | None = None
    state: str | None = None


@dataclass
class QueueRow:
    thread: Thread
    category_name: str
    state: str
    assignee_name: str | None
    team_name: str | None
    assignee_id: int | None
    team_id: int | None  # the team assigned or, with nobody assigned, the one the category routes to
    negative: bool
    escalated: bool
    reasons: list[str]
    age: timedelta
    target: str  # ON_TARGET, DUE_SOON, OVERDUE or ANSWERED


@dataclass
class QueuePage(Page):
    """A page of queue rows (`items`), with notes on filters that could not be applied."""

    problems: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[QueueRow]:
        return self.items


def target_class(created_at: datetime, answered: bool, now: datetime, target: timedelta) -> str:
    """Where an unanswered thread stands against the first-response target (the last quarter is due soon)."""
    if answered:
        return ANSWERED
    age = now - created_at
    if age >= target:
        return OVERDUE
    if age >= target * 3 / 4:
        return DUE_SOON
    return ON_TARGET


def queue(
    session: Session,
    viewer,
    filters: QueueFilter,
    *,
    unsolved_days: int,
    first_response_minutes: int,
    page: int = 1,
    per_page: int = 25,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the queue for staff: a count and one select, whatever the page holds."""
    if not care.can_handle_care(viewer):
        raise PermissionDenied("Only staff see the care queue.")
    now = now or utcnow()
    target = timedelta(minutes=first_response_minutes)
    unsolved_cutoff = now - timedelta(days=unsolved_days)
    question = aliased(Post)
    assignee = aliased(User)
    team = aliased(Team)

    state = func.coalesce(ThreadCare.state, CareState.NEW.value)
    negative = and_(question.tone == "negative", Thread.accepted_post_id.is_(None))
    unanswered = Thread.answer_count == 0
    unsolved = and_(Thread.answer_count > 0, Thread.accepted_post_id.is_(None), Thread.created_at < unsolved_cutoff)
    escalated = ThreadCare.escalated_at.is_not(None)
    flagged = exists().where(
        PostFlag.status == FlagStatus.OPEN.value, PostFlag.post_id == Post.id, Post.thread_id == Thread.id
    )
    # Assigning a person or a team overrides the team the category maps to.
    team_id = case(
        (or_(ThreadCare.assignee_id.is_not(None), ThreadCare.team_id.is_not(None)), ThreadCare.team_id),
        else_=TeamCategory.team_id,
    )
    age_class = case(
        (Thread.created_at < unsolved_cutoff, 0),
        (Thread.created_at < now - timedelta(days=1), 1),
        (Thread.created_at < now - target, 2),
        else_=3,
    )
    query = (
        select(
            Thread,
            Category.name,
            state.label("state"),
            assignee.username,
            team.name,
            ThreadCare.assignee_id,
            team.id,
            negative.label("negative"),
            escalated.label("escalated"),
            unsolved.label("unsolved"),
            flagged.label("flagged"),
        )
        .join(Category, Category.id == Thread.category_id)
        # Loaded with the row, so a row can show its thread's author and category in any list.
        .options(contains_eager(Thread.category), joinedload(Thread.author))
        .outerjoin(ThreadCare, ThreadCare.thread_id == Thread.id)
        .outerjoin(question, and_(question.thread_id == Thread.id, question.is_question.is_(True)))
        .outerjoin(TeamCategory, TeamCategory.category_id == Thread.category_id)
        .outerjoin(assignee, assignee.id == ThreadCare.assignee_id)
        .outerjoin(team, team.id == team_id)
        .where(
            Thread.deleted_at.is_(None),
            Thread.hidden_at.is_(None),
            state != CareState.RESOLVED.value,
            or_(unanswered, unsolved, escalated, flagged, negative),
        )
    )
    problems: list[str] = []
    query = _apply_filters(query, filters, viewer, state, team_id, problems)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    ordered = query.order_by(
        age_class, case((or_(flagged, negative), 0), else_=1), Thread.created_at, Thread.id
    ).limit(per_page).offset((page - 1) * per_page)
    rows = []
    for (
        thread, category_name, row_state, assignee_name, team_name, assignee_id, row_team_id,
        is_negative, is_escalated, is_unsolved, is_flagged,
    ) in session.execute(ordered):
        reasons = []
        if thread.answer_count == 0:
            reasons.append("unanswered")
        if is_unsolved:
            reasons.append(f"unsolved after {unsolved_days} days")
        if is_escalated:
            reasons.append("escalated")
        if is_flagged:
            reasons.append("flagged")
        if is_negative:
            reasons.append("negative tone")
        rows.append(
            QueueRow(
                thread=thread,
                category_name=category_name,
                state=row_state,
                assignee_name=assignee_name,
                team_name=team_name,
                assignee_id=assignee_id,
                team_id=row_team_id,
                negative=bool(is_negative),
                escalated=bool(is_escalated),
                reasons=reasons,
                age=now - thread.created_at,
                target=target_class(thread.created_at, thread.answer_count > 0, now, target),
            )
        )
    return QueuePage(rows, page, per_page, total, problems)


def _apply_filters(query, filters: QueueFilter, viewer, state, team_id, problems: list[str]):
    if filters.category_id is not None:
        query = query.where(Thread.category_id == filters.category_id)
    if filters.state:
        if filters.state not in QUEUE_STATES:
            raise ValidationError({"state": f"Choose a state from: {', '.join(QUEUE_STATES)}."})
        query = query.where(state == filters.state)
    if filters.team_id is not None:
        query = query.where(team_id == filters.team_id)
    if filters.assignee == "me":
        query = query.where(ThreadCare.assignee_id == viewer.id)
    elif filters.assignee == "none":
        query = query.where(ThreadCare.assignee_id.is_(None))
    elif filters.assignee:
        assignee_id = parse_id(filters.assignee)
        if assignee_id is None:
            problems.append("That assignee is not one of the choices; the filter was left out.")
        else:
            query = query.where(ThreadCare.assignee_id == assignee_id)
    return query


def staff_members(session: Session) -> list[User]:
    """Everyone a thread can be assigned to."""
    return list(
        session.scalars(
            select(User).where(User.role.in_([Role.STAFF.value, Role.MODERATOR.value, Role.ADMIN.value])).order_by(User.username)
        )
    )


def all_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))
