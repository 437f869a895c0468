"""Reminders for cron (`flask care remind`): askers who never accepted, threads past the response target."""

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from community.models import CareState, Notification, Post, TeamCategory, TeamMember, Thread, ThreadCare
from community.notifications import notify

# Older threads are left alone: the first run on an imported community must not page staff about
# years of unanswered questions.
LOOKBACK_DAYS = 30


def _not_yet(kind: str):
    """No reminder of this kind has been sent for the thread: each is sent once per thread."""
    return ~exists().where(Notification.thread_id == Thread.id, Notification.kind == kind)


def remind_askers(session: Session, now: datetime, after_days: int) -> int:
    """Remind each asker whose thread got answers `after_days` ago but has none accepted; returns how many."""
    cutoff = now - timedelta(days=after_days)
    answered_before = exists().where(
        Post.thread_id == Thread.id,
        Post.is_question.is_(False),
        Post.deleted_at.is_(None),
        Post.author_id != Thread.author_id,  # a member's own answer is no answer to accept
        Post.created_at <= cutoff,
    )
    due = session.execute(
        select(Thread.id, Thread.author_id, Thread.title)
        .where(
            Thread.deleted_at.is_(None),
            Thread.is_locked.is_(False),
            Thread.accepted_post_id.is_(None),
            Thread.created_at >= now - timedelta(days=after_days + LOOKBACK_DAYS),
            answered_before,
            _not_yet("accept_reminder"),
        )
        .order_by(Thread.id)
    ).all()
    for thread_id, asker_id, title in due:
        notify(session, asker_id, "accept_reminder", thread_id=thread_id, text=title)
    return len(due)


def _team_members(session: Session, team_id: int) -> list[int]:
    return list(session.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id).order_by(TeamMember.user_id)))


def who_responds(session: Session, thread: Thread, care: ThreadCare | None) -> list[int]:
    """The thread's assignee, else the members of its team (its own, or its category's)."""
    if care is not None and care.assignee_id is not None:
        return [care.assignee_id]
    team_id = care.team_id if care is not None else None
    if team_id is None:
        team_id = session.scalar(select(TeamCategory.team_id).where(TeamCategory.category_id == thread.category_id))
    return _team_members(session, team_id) if team_id is not None else []


def remind_unanswered(session: Session, now: datetime, target_minutes: int) -> int:
    """Tell whoever should respond about threads still unanswered past the target; returns threads reminded."""
    rows = session.execute(
        select(Thread, ThreadCare)
        .outerjoin(ThreadCare, ThreadCare.thread_id == Thread.id)
        .where(
            Thread.deleted_at.is_(None),
            Thread.answer_count == 0,
            Thread.created_at <= now - timedelta(minutes=target_minutes),
            Thread.created_at >= now - timedelta(days=LOOKBACK_DAYS),
            (ThreadCare.state.is_(None)) | (ThreadCare.state != CareState.RESOLVED.value),
            _not_yet("unanswered"),
        )
        .order_by(Thread.id)
    ).all()
    reminded = 0
    for thread, care in rows:
        # Nobody to tell yet: no row is written, so a later run tries again once a team is set up.
        recipients = [user_id for user_id in who_responds(session, thread, care) if user_id != thread.author_id]
        for user_id in recipients:
            notify(session, user_id, "unanswered", thread_id=thread.id, text=thread.title)
        reminded += bool(recipients)
    return reminded
