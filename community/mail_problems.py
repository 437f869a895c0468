"""Outgoing mail as admins see it: what fails and why, what waits, and sending again now."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from community import audit, mail, permissions
from community.db import get_by_id, lock_row, utcnow
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import MailMessage, User
from community.pagination import Page, paginate

# Due mail this old means no sender is running: a sender takes due mail within seconds.
STALLED_AFTER = timedelta(minutes=10)


def _require_admin(actor: User | None) -> None:
    if not permissions.can_manage_mail(actor):
        raise PermissionDenied("Only admins see the outgoing mail.")


@dataclass(frozen=True)
class Backlog:
    waiting: int  # pending, whether due or waiting for a retry
    due: int  # pending and due now: a sender should be on them
    oldest_due_at: datetime | None
    stalled: bool  # due mail has waited longer than STALLED_AFTER


def counts(session: Session, actor: User) -> dict[str, int]:
    """How many messages are failing (still retried) and how many gave up within the past week."""
    _require_admin(actor)
    return mail.problem_counts(session)


def trouble_count(session: Session, actor: User) -> int:
    """Failing and recently failed messages: the number shown beside the admin area's Mail tab."""
    return sum(counts(session, actor).values())


def backlog(session: Session, actor: User, now: datetime | None = None) -> Backlog:
    _require_admin(actor)
    now = now or utcnow()
    waiting, due, oldest = session.execute(
        select(
            func.count(),
            func.count(case((MailMessage.next_attempt_at <= now, 1))),
            func.min(case((MailMessage.next_attempt_at <= now, MailMessage.next_attempt_at))),
        ).where(MailMessage.status == mail.PENDING)
    ).one()
    stalled = oldest is not None and oldest < now - STALLED_AFTER
    return Backlog(waiting=waiting, due=due, oldest_due_at=oldest, stalled=stalled)


def problems(session: Session, actor: User, page: int = 1, per_page: int = 50) -> Page:
    """Failing messages first, then those that gave up; newest first within each."""
    _require_admin(actor)
    query = (
        select(MailMessage)
        .where(mail.problem_filter(utcnow()))
        .order_by((MailMessage.status == mail.FAILED), MailMessage.created_at.desc(), MailMessage.id.desc())
    )
    return paginate(session, query, page, per_page)


def get_message(session: Session, actor: User, message_id) -> MailMessage:
    _require_admin(actor)
    message = get_by_id(session, MailMessage, message_id)
    if message is None:
        raise NotFound("No such message.")
    return message


def _retry(message: MailMessage, now: datetime) -> None:
    if message.status == mail.FAILED:
        message.attempts = 0  # a fresh set of attempts; the last error stays until the next one
    message.status = mail.PENDING
    message.next_attempt_at = now


def retry_now(session: Session, actor: User, message: MailMessage) -> None:
    """Send a failing or failed message at the next chance instead of waiting for its retry."""
    _require_admin(actor)
    lock_row(session, MailMessage, message.id)
    session.refresh(message)
    if message.status == mail.SENT:
        raise ValidationError("This message was sent meanwhile.")
    if message.status == mail.PENDING and message.attempts == 0:
        raise ValidationError("This message has not failed: it goes out with the others.")
    _retry(message, utcnow())
    session.flush()
    audit.record(session, actor, "mail.retry", "mail", message.id, after={"to": message.to_address})


def retry_all(session: Session, actor: User) -> int:
    """Retry every message on the problem list now; how many that was."""
    _require_admin(actor)
    now = utcnow()
    messages = list(session.scalars(select(MailMessage).where(mail.problem_filter(now)).with_for_update()))
    for message in messages:
        _retry(message, now)
    session.flush()
    if messages:
        audit.record(session, actor, "mail.retry_all", "mail", 0, after={"messages": len(messages)})
    return len(messages)
