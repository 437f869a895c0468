"""Accepted answers: the asker (while open) or staff marks the answer that solved the thread."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import permissions
from community.db import utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import Post, Thread, User
from community.threads import clear_acceptance, queue_reindex


def _lock_thread(session: Session, thread_id: int) -> Thread:
    """Re-read the thread under a row lock (PostgreSQL) so two accepts cannot interleave."""
    return session.scalars(
        select(Thread).where(Thread.id == thread_id).with_for_update().execution_options(populate_existing=True)
    ).one()


def accept_answer(session: Session, actor: User, post: Post) -> Thread:
    """Mark `post` as the accepted answer, replacing any earlier one."""
    thread = _lock_thread(session, post.thread_id)
    if not permissions.can_accept(actor, thread):
        if thread.is_locked and thread.author_id == actor.id:
            raise PermissionDenied("This thread is locked: only staff can change its accepted answer.")
        raise PermissionDenied("Only the asker or staff can accept an answer.")
    if post.is_question:
        raise ValidationError("Only an answer can be accepted, not the question.")
    if post.is_deleted:
        raise ValidationError("A deleted answer cannot be accepted.")
    if thread.accepted_post_id == post.id:
        return thread
    thread.accepted_post_id = post.id
    thread.accepted_by_id = actor.id
    thread.accepted_by_asker = actor.id == thread.author_id
    thread.accepted_at = utcnow()
    queue_reindex(session, thread.id)
    session.flush()
    return thread


def unaccept_answer(session: Session, actor: User, thread: Thread) -> Thread:
    thread = _lock_thread(session, thread.id)
    if not permissions.can_accept(actor, thread):
        raise PermissionDenied("Only the asker or staff can withdraw the accepted answer.")
    if thread.accepted_post_id is None:
        return thread
    clear_acceptance(thread)
    queue_reindex(session, thread.id)
    session.flush()
    return thread
