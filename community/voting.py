"""Votes: one per member per post, changeable for a few minutes; never on your own post.

Voting up and down are privileges earned by reputation, a member has a daily allowance,
and only answers can be voted down: a customer's question is never punished for asking.
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from community import audit, badges, permissions, reputation
from community.db import lock_row, utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import Post, Thread, User, Vote
from community.rules import Privilege, current, threshold
from community.suspensions import refuse_if_suspended
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
        select(Vote)
        .where(Vote.user_id == voter.id, Vote.post_id == post.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def votes_cast_today(session: Session, voter: User, now: datetime) -> int:
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return session.scalar(select(func.count()).where(Vote.user_id == voter.id, Vote.created_at >= day_start))


def _check_may_vote(session: Session, voter: User, post: Post, thread: Thread) -> None:
    refuse_if_suspended(voter)
    if permissions.can_vote(voter, post, thread):
        return
    if permissions.is_signed_in(voter) and post.author_id == voter.id:
        raise PermissionDenied("You cannot vote on your own post.")
    if post.is_deleted or thread.is_deleted:
        raise PermissionDenied("This post has been deleted and takes no votes.")
    if thread.is_locked:
        raise PermissionDenied("This thread is locked and takes no votes.")
    if post.is_hidden:
        raise PermissionDenied("This post is hidden by a moderator and takes no votes.")
    raise PermissionDenied("Sign in to vote.")


def _check_privilege(voter: User, value: int, post: Post) -> None:
    if value == 1 and not permissions.has_privilege(voter, Privilege.VOTE_UP):
        raise PermissionDenied(
            f"Voting up needs {threshold(Privilege.VOTE_UP)} reputation; you have {voter.reputation}. "
            "Answer a question or ask a good one to earn it."
        )
    if value == -1:
        if post.is_question:
            raise PermissionDenied("Questions cannot be voted down; vote on answers instead.")
        if not permissions.has_privilege(voter, Privilege.VOTE_DOWN):
            raise PermissionDenied(
                f"Voting down needs {threshold(Privilege.VOTE_DOWN)} reputation; you have {voter.reputation}."
            )


def _check_change_window(existing: Vote, post: Post, now: datetime) -> None:
    """A vote can be changed for a few minutes after it was cast, or once the post is edited."""
    window = timedelta(minutes=current().vote_change_minutes)
    if now - existing.voted_at <= window:
        return
    if post.edited_at is not None and post.edited_at > existing.voted_at:
        return
    raise PermissionDenied(
        f"Your vote is locked in: a vote can be changed for {current().vote_change_minutes} minutes "
        "after you cast it, or after the post is edited."
    )


def cast_vote(session: Session, voter: User, post: Post, value: int) -> int:
    """Set the voter's vote to +1, -1, or 0 (withdrawn). Returns the post's new score."""
    if value not in (-1, 0, 1):
        raise ValidationError("A vote is up, down or withdrawn.")
    thread = session.get(Thread, post.thread_id)
    _check_may_vote(session, voter, post, thread)
    now = utcnow()
    lock_row(session, Post, post.id)  # the score changes anyway; reading after the lock keeps `previous` true

    existing = _current_vote(session, voter, post)
    if existing is not None and not existing.counted:
        raise PermissionDenied("Your vote on this post was reverted by a moderator and cannot be cast again.")
    previous = existing.value if existing else 0
    if value == previous:
        return post.score
    _check_privilege(voter, value, post)
    if existing is None:
        limit = current().votes_per_day
        if not voter.is_staff and votes_cast_today(session, voter, now) >= limit:
            raise PermissionDenied(f"You have cast your {limit} votes for today; more are available tomorrow (UTC).")
        try:
            with session.begin_nested():
                session.add(Vote(user_id=voter.id, post_id=post.id, value=value, created_at=now, voted_at=now))
        except IntegrityError:
            # The same member's vote from another tab landed first: treat this as a change of it.
            existing = _current_vote(session, voter, post)
            previous = existing.value
    if existing is not None:
        _check_change_window(existing, post, now)
        existing.value, existing.voted_at = value, now
    session.flush()
    _apply_score(session, post, value - previous)
    reputation.sync_vote(session, post, thread, voter.id)
    badges.evaluate(session, badges.Event.VOTE, {voter.id, post.author_id})
    session.refresh(post)
    return post.score


def void_vote(session: Session, vote: Vote, reason: reputation.Reason) -> None:
    """Stop a vote counting (serial voting, a moderator's revert): its score and reputation go."""
    if not vote.counted:
        return
    post = session.get(Post, vote.post_id)
    thread = session.get(Thread, post.thread_id)
    value = vote.value
    vote.counted, vote.void_reason, vote.voided_at = False, reason.value, utcnow()
    session.flush()
    _apply_score(session, post, -value)
    reputation.sync_vote(session, post, thread, vote.user_id, reversal=reason)


def revert_votes(session: Session, moderator: User, member: User) -> int:
    """A moderator stops every vote of a member (typically a suspended one) from counting."""
    if not permissions.is_moderator(moderator):
        raise PermissionDenied("Only moderators revert votes.")
    votes = list(
        session.scalars(
            select(Vote).where(Vote.user_id == member.id, Vote.counted.is_(True), Vote.value != 0).order_by(Vote.id)
        )
    )
    for vote in votes:
        void_vote(session, vote, reputation.Reason.VOTES_REVERTED)
    audit.record(session, moderator, "user.revert_votes", "user", member.id, after={"votes_reverted": len(votes)})
    return len(votes)


def votes_by(session: Session, user: User | None, post_ids: list[int]) -> dict[int, int]:
    """The user's counted vote on each of these posts, in one query."""
    if not permissions.is_signed_in(user) or not post_ids:
        return {}
    rows = session.execute(
        select(Vote.post_id, Vote.value).where(
            Vote.user_id == user.id, Vote.post_id.in_(post_ids), Vote.counted.is_(True), Vote.value != 0
        )
    )
    return {post_id: value for post_id, value in rows}
