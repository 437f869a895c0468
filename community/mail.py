"""Email: the outgoing queue (written in the caller's transaction) and each member's email preferences."""

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from community.db import utcnow
from community.errors import ValidationError
from community.models import EmailOptOut, MailMessage, Notification, User

PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
# How long a message that gave up stays on the admins' list of problems.
FAILED_SHOWN_FOR = timedelta(days=7)
# Kinds that are account business, not notifications: always sent, never unsubscribed from.
ACCOUNT_KINDS = frozenset({"password_reset", "verify_email", "finish_signup", "signup_attempt"})


def retry_delay(attempts: int) -> timedelta:
    """A minute after the first failure, then twice as long each time."""
    return FIRST_RETRY * (2 ** max(0, attempts - 1))


def queue(
    session: Session,
    to_address: str,
    kind: str,
    *,
    subject: str = "",
    body: str = "",
    user_id: int | None = None,
    notification_id: int | None = None,
) -> MailMessage:
    """Queue one email; it goes out after this transaction commits."""
    message = MailMessage(
        user_id=user_id,
        notification_id=notification_id,
        kind=kind,
        to_address=to_address,
        subject=subject[:200],
        body=body,
        status=PENDING,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    session.flush()
    return message


def can_email(user: User) -> bool:
    """Only a checked address gets notifications by email (an imported placeholder never does)."""
    return user.email_verified_at is not None and user.placeholder_source is None


def wants_email(session: Session, user_id: int, kind: str) -> bool:
    """Whether the member still wants this kind of notification by email."""
    return session.get(EmailOptOut, (user_id, kind)) is None


def queue_for_notification(session: Session, note: Notification) -> MailMessage | None:
    """Email a notification too, when the member's address is checked and they want this kind."""
    user = session.get(User, note.recipient_id)
    if user is None or not can_email(user) or not wants_email(session, user.id, note.kind):
        return None
    return queue(session, user.email, note.kind, user_id=user.id, notification_id=note.id)


def email_kinds_off(session: Session, user: User) -> set[str]:
    """The kinds of notification this member turned off by email."""
    return set(session.scalars(select(EmailOptOut.kind).where(EmailOptOut.user_id == user.id)))


def set_email_kinds(session: Session, user: User, wanted: set[str], known: set[str]) -> None:
    """Email the member only the `wanted` kinds of notification."""
    if unknown := wanted - known:
        raise ValidationError(f"Unknown kinds of notification: {', '.join(sorted(unknown))}.")
    session.execute(delete(EmailOptOut).where(EmailOptOut.user_id == user.id, EmailOptOut.kind.in_(known)))
    session.add_all(EmailOptOut(user_id=user.id, kind=kind) for kind in sorted(known - wanted))
    session.flush()


def unsubscribe(session: Session, user_id: int, kind: str) -> bool:
    """Stop emailing this kind to this member (from an email's link); False if the member is gone."""
    if session.get(User, user_id) is None:
        return False
    if session.get(EmailOptOut, (user_id, kind)) is None:
        session.add(EmailOptOut(user_id=user_id, kind=kind))
        session.flush()
    return True


def pending_count(session: Session, now: datetime | None = None) -> int:
    """Messages waiting to be sent (only those due by `now`, when given)."""
    query = select(func.count()).select_from(MailMessage).where(MailMessage.status == PENDING)
    if now is not None:
        query = query.where(MailMessage.next_attempt_at <= now)
    return session.scalar(query) or 0


def problem_filter(now: datetime):
    """Messages that need an admin's eye: failing and still retried, or failed within the past week."""
    return or_(
        and_(MailMessage.status == PENDING, MailMessage.attempts > 0),
        and_(MailMessage.status == FAILED, MailMessage.created_at >= now - FAILED_SHOWN_FOR),
    )


def problem_counts(session: Session, now: datetime | None = None) -> dict[str, int]:
    """How many messages are failing (still retried) and how many failed within the past week."""
    now = now or utcnow()
    rows = session.execute(
        select(MailMessage.status, func.count()).where(problem_filter(now)).group_by(MailMessage.status)
    )
    counts = dict(rows.all())
    return {"failing": counts.get(PENDING, 0), "failed": counts.get(FAILED, 0)}
