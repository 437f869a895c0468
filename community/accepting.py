"""Accepted answers: the asker (while open) or staff marks the answer that solved the thread."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from community import audit, badges, notifications, permissions, reputation, webhooks
from community.db import get_by_id, lock_row, utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import Post, Thread, User
from community.rules import current
from community.suspensions import refuse_if_suspended
from community.threads import clear_acceptance, queue_reindex


def _lock_thread(session: Session, thread_id: int) -> Thread:
    """Re-read the thread under a write lock so two accepts cannot interleave."""
    lock_row(session, Thread, thread_id)
    return session.scalars(
        select(Thread).where(Thread.id == thread_id).execution_options(populate_existing=True)
    ).one()


def accept_answer(session: Session, actor: User, post: Post) -> Thread:
    """Mark `post` as the accepted answer, replacing any earlier one."""
    thread = _lock_thread(session, post.thread_id)
    refuse_if_suspended(actor)
    if not permissions.can_accept(actor, thread):
        if thread.is_locked and thread.author_id == actor.id:
            raise PermissionDenied("This thread is locked: only staff can change its accepted answer.")
        raise PermissionDenied("Only the asker or staff can accept an answer.")
    if post.is_question:
        raise ValidationError("Only an answer can be accepted, not the question.")
    if post.is_deleted:
        raise ValidationError("A deleted answer cannot be accepted.")
    if post.is_hidden:
        raise ValidationError("A hidden answer cannot be accepted.")
    if thread.accepted_post_id == post.id:
        return thread
    previous = get_by_id(session, Post, thread.accepted_post_id)
    now = utcnow()
    by_asker = actor.id == thread.author_id
    thread.accepted_post_id = post.id
    thread.accepted_by_id = actor.id
    thread.accepted_by_asker = by_asker
    thread.accepted_at = now
    thread.accepted_view_count = thread.view_count
    thread.accept_held = by_asker and _looks_like_collusion(session, thread, post, now)
    queue_reindex(session, thread.id)
    session.flush()
    # Lock every member whose reputation changes here at once, in id order: each sync below locks
    # only its own pair, so a vote between two of them could deadlock with this accept.
    reputation.lock_members(session, {post.author_id, thread.author_id, previous.author_id if previous else None})
    if previous is not None:
        reputation.sync_accept(session, previous, thread)
    reputation.sync_accept(session, post, thread)
    notifications.notify_accepted(session, post, thread, actor)
    webhooks.emit(session, "answer.accepted", lambda: webhooks.answer_accepted(session, post, thread))
    if previous is None:  # solved just now, rather than one accepted answer replaced by another
        webhooks.emit(session, "thread.solved", lambda: webhooks.thread_solved(session, thread))
    badges.evaluate(session, badges.Event.ACCEPT, {post.author_id, thread.author_id})
    return thread


def _looks_like_collusion(session: Session, thread: Thread, post: Post, now: datetime) -> bool:
    """An asker who keeps accepting the same member's answers: past the limit, staff must approve."""
    if post.author_id == thread.author_id:
        return False
    rules = current()
    answer = aliased(Post)
    recent = session.scalar(
        select(func.count())
        .select_from(Thread)
        .join(answer, answer.id == Thread.accepted_post_id)
        .where(
            Thread.id != thread.id,
            Thread.author_id == thread.author_id,
            Thread.accepted_by_asker.is_(True),
            Thread.accepted_at >= now - timedelta(days=rules.collusion_days),
            answer.author_id == post.author_id,
        )
    )
    return recent >= rules.collusion_accepts


def held_accepts(session: Session, viewer: User) -> list[Thread]:
    """Accepts waiting for staff approval before they earn points, oldest first."""
    if not permissions.is_staff(viewer):
        raise PermissionDenied("Only staff review held accepts.")
    return list(
        session.scalars(
            select(Thread)
            .where(Thread.accept_held.is_(True), Thread.accepted_post_id.is_not(None), Thread.deleted_at.is_(None))
            .order_by(Thread.accepted_at)
        )
    )


def approve_held_accept(session: Session, staff: User, thread: Thread) -> None:
    """Staff judged the accept genuine: it now earns what any accept earns."""
    if not permissions.is_staff(staff):
        raise PermissionDenied("Only staff approve held accepts.")
    thread = _lock_thread(session, thread.id)
    if not thread.accept_held or thread.accepted_post_id is None:
        raise ValidationError("This thread has no accept waiting for approval.")
    thread.accept_held = False
    session.flush()
    audit.record(session, staff, "answer.approve_accept", "thread", thread.id,
                 before={"accept_held": True}, after={"accept_held": False})
    post = session.get(Post, thread.accepted_post_id)
    reputation.sync_accept(session, post, thread)
    badges.evaluate(session, badges.Event.ACCEPT, {post.author_id, thread.author_id})


def unaccept_answer(session: Session, actor: User, thread: Thread) -> Thread:
    thread = _lock_thread(session, thread.id)
    refuse_if_suspended(actor)
    if not permissions.can_accept(actor, thread):
        raise PermissionDenied("Only the asker or staff can withdraw the accepted answer.")
    if thread.accepted_post_id is None:
        return thread
    previous = session.get(Post, thread.accepted_post_id)
    clear_acceptance(thread)
    queue_reindex(session, thread.id)
    session.flush()
    reputation.sync_accept(session, previous, thread)
    return thread
