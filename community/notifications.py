"""In-app notifications: written in the caller's transaction, read from the member's notification centre."""

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from community import mail
from community.db import utcnow
from community.models import Follow, Notification, Post, Thread, User
from community.pagination import Page, paginate

# What a notification can be about, with the words the notification centre uses for each.
KINDS: dict[str, str] = {
    "reply": "A new answer in a thread you follow",
    "accepted": "Your answer was accepted",
    "mention": "You were mentioned",
    "badge": "You earned a badge",
    "flag_resolved": "A post you flagged was reviewed",
    "accept_reminder": "A reminder to accept the answer that helped",
    "unanswered": "A thread is waiting past its response target",
    "watchlist": "A new post matches a watchlist",
    "assigned": "A thread was assigned to you",
}
# Kinds only staff receive: members are not offered them in their email settings.
STAFF_KINDS = frozenset({"unanswered", "watchlist", "assigned"})


def kinds_for(user: User) -> dict[str, str]:
    """The kinds of notification this member can receive, with their labels."""
    return {kind: label for kind, label in KINDS.items() if user.is_staff or kind not in STAFF_KINDS}
MAX_TEXT = 300


def notify(
    session: Session,
    recipient_id: int,
    kind: str,
    *,
    actor_id: int | None = None,
    thread_id: int | None = None,
    post_id: int | None = None,
    text: str = "",
) -> Notification | None:
    """Queue one notification; nobody is told about their own action."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if actor_id is not None and actor_id == recipient_id:
        return None
    note = Notification(
        recipient_id=recipient_id,
        kind=kind,
        actor_id=actor_id,
        thread_id=thread_id,
        post_id=post_id,
        text=(text or "")[:MAX_TEXT],
    )
    session.add(note)
    session.flush()
    mail.queue_for_notification(session, note)
    return note


def unread_count(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count()).where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
    ) or 0


def for_user(session: Session, user: User, page: int = 1, per_page: int = 30) -> Page:
    """The member's notifications, newest first."""
    query = (
        select(Notification)
        .options(joinedload(Notification.actor), joinedload(Notification.thread))
        .where(Notification.recipient_id == user.id)
        .order_by(Notification.id.desc())
    )
    return paginate(session, query, page, per_page)


def mark_read(session: Session, user: User, ids: list[int] | None = None) -> int:
    """Mark the given notifications (or all) of this member read; returns how many changed."""
    statement = update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    return session.execute(statement.values(read_at=utcnow())).rowcount


def open_notification(session: Session, user: User, notification_id: int) -> Notification | None:
    """The member's own notification, now marked read; None for anyone else's (it stays as it was)."""
    note = session.scalar(
        select(Notification).options(joinedload(Notification.thread)).where(Notification.id == notification_id)
    )
    if note is None or note.recipient_id != user.id:
        return None
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
    return note


def followers_of(session: Session, thread_id: int) -> list[int]:
    """Ids of the members who follow a thread, in id order."""
    return list(session.scalars(select(Follow.user_id).where(Follow.thread_id == thread_id).order_by(Follow.user_id)))


def notify_reply(session: Session, post: Post, thread: Thread, skip: set[int] = frozenset()) -> int:
    """Tell each follower of the thread (but its author and `skip`) about a new answer; returns how many."""
    told = 0
    for follower_id in followers_of(session, thread.id):
        if follower_id in skip:
            continue
        if notify(session, follower_id, "reply", actor_id=post.author_id, thread_id=thread.id,
                  post_id=post.id, text=thread.title):
            told += 1
    return told


def notify_accepted(session: Session, post: Post, thread: Thread, actor: User) -> None:
    """Tell an answer's author that it was accepted (not when they accepted it themselves)."""
    notify(session, post.author_id, "accepted", actor_id=actor.id, thread_id=thread.id, post_id=post.id,
           text=thread.title)
