"""Votes: one per member per post, changeable and withdrawable; never on your own post."""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from community import permissions
from community.errors import PermissionDenied, ValidationError
from community.models import Post, Thread, User, Vote
from community.threads import queue_reindex


def _apply_score(session: Session, post: Post, delta: int) -> None:
    """Change a post's score in one UPDATE so concurrent votes never overwrite each other."""
    if delta == 0:
        return
    session.execute(update(Post).where(Post.id == post.id).values(score=Post.score + delta))
    if post.is_question:
        session.execute(
            update(Thread).where(Thread.id == post.thread_id).values(score=Thread.score + delta)
        )
        queue_reindex(session, post.thread_id)  # "most votes" sorting reads the indexed score


def _current_vote(session: Session, voter: User, post: Post) -> Vote | None:
    return session.scalar(
        select(Vote).where(Vote.user_id == voter.id, Vote.post_id == post.id).with_for_update()
    )


def cast_vote(session: Session, voter: User, post: Post, value: int) -> int:
    """Set the voter's vote to +1, -1, or 0 (withdrawn). Returns the post's new score."""
    if value not in (-1, 0, 1):
        raise ValidationError("A vote is up, down or withdrawn.")
    thread = session.get(Thread, post.thread_id)
    if not permissions.can_vote(voter, post, thread):
        if permissions.is_signed_in(voter) and post.author_id == voter.id:
            raise PermissionDenied("You cannot vote on your own post.")
        if post.is_deleted or thread.is_deleted:
            raise PermissionDenied("This post has been deleted and takes no votes.")
        if thread.is_locked:
            raise PermissionDenied("This thread is locked and takes no votes.")
        raise PermissionDenied("Sign in to vote.")

    existing = _current_vote(session, voter, post)
    previous = existing.value if existing else 0
    if value == previous:
        return post.score
    if existing is None:
        try:
            with session.begin_nested():
                session.add(Vote(user_id=voter.id, post_id=post.id, value=value))
        except IntegrityError:
            # The same member's vote from another tab landed first: change that one instead.
            existing = _current_vote(session, voter, post)
            previous = existing.value
            existing.value = value
    elif value == 0:
        session.delete(existing)
    else:
        existing.value = value
    session.flush()
    _apply_score(session, post, value - previous)
    session.refresh(post)
    return post.score


def votes_by(session: Session, user: User | None, post_ids: list[int]) -> dict[int, int]:
    """The user's vote on each of these posts, in one query."""
    if not permissions.is_signed_in(user) or not post_ids:
        return {}
    rows = session.execute(
        select(Vote.post_id, Vote.value).where(Vote.user_id == user.id, Vote.post_id.in_(post_ids))
    )
    return {post_id: value for post_id, value in rows}
