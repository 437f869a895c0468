"""Merging one thread into another: its posts move across and its address leads to the target."""

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from community import audit, permissions, reputation
from community.db import get_by_id, utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import Follow, Post, Thread, User
from community.threads import clear_acceptance, count_answers, queue_reindex


def merge_threads(session: Session, moderator: User, source: Thread, target_id) -> Thread:
    """Move every post of `source` into the target; the source's question becomes an answer
    there (answers keep their times), its accept is dropped with its points, and the source
    stays behind as a deleted pointer to the target so its links keep working."""
    if not permissions.can_lock(moderator):
        raise PermissionDenied("Only moderators merge threads.")
    target = get_by_id(session, Thread, target_id)
    if target is None or target.is_deleted or target.is_hidden:
        raise ValidationError({"target": "Give the number of a visible thread to merge into."})
    if target.id == source.id:
        raise ValidationError({"target": "A thread cannot be merged into itself."})
    if target.duplicate_of_id is not None:
        raise ValidationError({"target": "That thread is closed as a duplicate: merge into the one it names."})
    if source.is_deleted:
        raise ValidationError("A deleted thread cannot be merged.")

    before = {"thread_id": source.id, "answer_count": target.answer_count, "accepted_post_id": source.accepted_post_id}
    if source.accepted_post_id is not None:
        dropped = session.get(Post, source.accepted_post_id)
        clear_acceptance(source)
        session.flush()
        reputation.sync_accept(session, dropped, source)
    moved = list(session.scalars(select(Post.id).where(Post.thread_id == source.id)))
    session.execute(update(Post).where(Post.thread_id == source.id).values(thread_id=target.id, is_question=False))
    # Followers of the source now hear about the thread where its answers live.
    followers = select(Follow.user_id).where(Follow.thread_id == source.id)
    already = select(Follow.user_id).where(Follow.thread_id == target.id)
    for user_id in session.scalars(followers.where(Follow.user_id.not_in(already))):
        session.add(Follow(user_id=user_id, thread_id=target.id))
    now = utcnow()
    source.deleted_at, source.duplicate_of_id, source.is_locked, source.answer_count = now, target.id, True, 0
    session.flush()
    session.refresh(target)
    target.answer_count = count_answers(session, target)
    latest = session.scalar(select(func.max(Post.created_at)).where(Post.thread_id == target.id))
    target.last_activity_at = max(target.last_activity_at, latest or target.last_activity_at)
    queue_reindex(session, source.id)
    queue_reindex(session, target.id)
    session.flush()
    audit.record(
        session, moderator, "thread.merge", "thread", source.id,
        before=before, after={"merged_into": target.id, "answer_count": target.answer_count, "posts": moved},
    )
    return target


def merged_into(session: Session, thread_id: int) -> Thread | None:
    """The thread a merged thread now lives in (a merged thread keeps no posts of its own)."""
    thread = get_by_id(session, Thread, thread_id)
    if thread is None or thread.duplicate_of_id is None or not thread.is_deleted:
        return None
    if session.scalar(select(Post.id).where(Post.thread_id == thread.id).limit(1)) is not None:
        return None
    target = session.get(Thread, thread.duplicate_of_id)
    return target if target is not None and not target.is_deleted else None
