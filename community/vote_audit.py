"""Serial voting: one member voting over and over on another member's posts.

`audit` (run daily by `flask reputation audit`) keeps the first few votes one member cast
on another's posts within 24 hours and reverses the rest, with a ledger reason the author
can read. Staff see every reversal in `report`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from community import permissions, reputation, voting
from community.db import utcnow
from community.errors import PermissionDenied
from community.models import Post, User, Vote
from community.rules import current


@dataclass
class Case:
    voter: User
    author: User
    votes: int
    reversed: int
    last_vote_at: datetime


def audit(session: Session, now: datetime | None = None) -> list[Case]:
    now = now or utcnow()
    limit = current().serial_votes_per_day
    since = now - timedelta(hours=24)
    pairs = session.execute(
        select(Vote.user_id, Post.author_id)
        .join(Post, Post.id == Vote.post_id)
        .where(Vote.counted.is_(True), Vote.value != 0, Vote.voted_at >= since)
        .group_by(Vote.user_id, Post.author_id)
        .having(func.count() > limit)
    ).all()
    cases = []
    for voter_id, author_id in pairs:
        votes = list(
            session.scalars(
                select(Vote)
                .join(Post, Post.id == Vote.post_id)
                .where(
                    Vote.user_id == voter_id,
                    Post.author_id == author_id,
                    Vote.counted.is_(True),
                    Vote.value != 0,
                    Vote.voted_at >= since,
                )
                .order_by(Vote.voted_at, Vote.id)
            )
        )
        for vote in votes[limit:]:
            voting.void_vote(session, vote, reputation.Reason.SERIAL_VOTING)
        cases.append(
            Case(session.get(User, voter_id), session.get(User, author_id), len(votes), len(votes) - limit,
                 votes[-1].voted_at)
        )
    session.flush()
    return cases


def report(session: Session, viewer: User, days: int = 30) -> list[Case]:
    """Serial-voting reversals of the last `days` days, most recent first."""
    if not permissions.is_staff(viewer):
        raise PermissionDenied("Only staff see the serial voting report.")
    voter, author = aliased(User), aliased(User)
    rows = session.execute(
        select(voter, author, func.count(), func.max(Vote.voided_at))
        .select_from(Vote)
        .join(Post, Post.id == Vote.post_id)
        .join(voter, voter.id == Vote.user_id)
        .join(author, author.id == Post.author_id)
        .where(
            Vote.void_reason == reputation.Reason.SERIAL_VOTING.value,
            Vote.voided_at >= utcnow() - timedelta(days=days),
        )
        .group_by(voter.id, author.id)
        .order_by(func.max(Vote.voided_at).desc())
    )
    return [Case(v, a, count, count, last) for v, a, count, last in rows]
