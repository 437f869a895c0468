"""The reputation ledger: every change is an appended row, every total a cached sum.

Services never add or subtract points directly. After an event they call `sync_vote`,
`sync_accept` or `sync_post`, which compare what a post *should* be earning now (from its
votes, its acceptance, whether it is deleted) with what the ledger says it earns, and append
awards or reversals for the difference. Each award has a key; rows for one key alternate
award / reversal, and (key, sequence) is unique, so an award is written at most once however
often or however concurrently an event is replayed.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from community import audit, permissions
from community.db import utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import Post, ReputationEvent, Thread, User, Vote
from community.pagination import Page, paginate
from community.rules import current


class Reason(StrEnum):
    ANSWER_UPVOTED = "answer_upvoted"
    QUESTION_UPVOTED = "question_upvoted"
    DOWNVOTED = "downvoted"
    DOWNVOTE_COST = "downvote_cost"
    ANSWER_ACCEPTED = "answer_accepted"
    ACCEPTED_ANSWER = "accepted_answer"
    ADJUSTMENT = "adjustment"
    # Reversals
    VOTE_WITHDRAWN = "vote_withdrawn"
    ACCEPT_WITHDRAWN = "accept_withdrawn"
    POST_DELETED = "post_deleted"
    SERIAL_VOTING = "serial_voting"
    VOTES_REVERTED = "votes_reverted"


REASON_LABELS = {
    Reason.ANSWER_UPVOTED: "answer upvoted",
    Reason.QUESTION_UPVOTED: "question upvoted",
    Reason.DOWNVOTED: "post voted down",
    Reason.DOWNVOTE_COST: "you voted an answer down",
    Reason.ANSWER_ACCEPTED: "answer accepted",
    Reason.ACCEPTED_ANSWER: "you accepted an answer",
    Reason.ADJUSTMENT: "adjusted by staff",
    Reason.VOTE_WITHDRAWN: "vote withdrawn or changed",
    Reason.ACCEPT_WITHDRAWN: "acceptance withdrawn or moved",
    Reason.POST_DELETED: "post deleted",
    Reason.SERIAL_VOTING: "serial voting reversed",
    Reason.VOTES_REVERTED: "votes reverted by a moderator",
}


def reason_label(reason: str) -> str:
    try:
        return REASON_LABELS[Reason(reason)]
    except ValueError:
        return reason.replace("_", " ")


@dataclass(frozen=True)
class Award:
    key: str
    user_id: int
    points: int
    reason: Reason
    capped: bool
    actor_id: int | None


# ---- what a post should earn now -------------------------------------------------------


def _vote_keys(voter_id: int, post_id: int) -> set[str]:
    return {f"up:{voter_id}:{post_id}", f"down:{voter_id}:{post_id}", f"downcost:{voter_id}:{post_id}"}


def _vote_awards(post: Post, thread: Thread, vote: Vote | None) -> list[Award]:
    if vote is None or vote.value == 0 or not vote.counted or post.is_deleted or thread.is_deleted:
        return []
    rules, voter = current(), vote.user_id
    # Staff answer as part of their job: their official posts earn nothing.
    earns = not post.is_official
    awards = []
    if vote.value > 0 and earns:
        points, reason = (
            (rules.question_upvoted, Reason.QUESTION_UPVOTED)
            if post.is_question
            else (rules.answer_upvoted, Reason.ANSWER_UPVOTED)
        )
        awards.append(Award(f"up:{voter}:{post.id}", post.author_id, points, reason, True, voter))
    elif vote.value < 0:
        if earns:
            awards.append(
                Award(f"down:{voter}:{post.id}", post.author_id, rules.downvoted, Reason.DOWNVOTED, False, voter)
            )
        if not post.is_question:
            awards.append(
                Award(f"downcost:{voter}:{post.id}", voter, rules.downvote_cost, Reason.DOWNVOTE_COST, False, voter)
            )
    return awards


def _accept_keys(post_id: int) -> set[str]:
    return {f"accept:{post_id}", f"acceptor:{post_id}"}


def _accept_awards(post: Post, thread: Thread) -> list[Award]:
    if (
        thread.accepted_post_id != post.id
        or post.is_deleted
        or thread.is_deleted
        or thread.accept_held
        or post.author_id == thread.author_id  # accepting your own answer earns nothing
    ):
        return []
    rules, awards = current(), []
    if not post.is_official:
        awards.append(
            Award(
                f"accept:{post.id}", post.author_id, rules.answer_accepted, Reason.ANSWER_ACCEPTED,
                False, thread.accepted_by_id,
            )
        )
    if thread.accepted_by_asker:
        awards.append(
            Award(
                f"acceptor:{post.id}", thread.author_id, rules.accepted_by_asker, Reason.ACCEPTED_ANSWER,
                False, thread.accepted_by_id,
            )
        )
    return awards


# ---- writing the ledger ----------------------------------------------------------------


def _day_start(now: datetime) -> datetime:
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)


def capped_points_on_day(session: Session, user_id: int, now: datetime) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(ReputationEvent.points), 0)).where(
            ReputationEvent.user_id == user_id,
            ReputationEvent.capped.is_(True),
            ReputationEvent.created_at >= _day_start(now),
            ReputationEvent.created_at < _day_start(now) + timedelta(days=1),
        )
    )


def _lock_users(session: Session, user_ids: set[int]) -> dict[int, int]:
    """Read reputations under row locks taken in id order, so two workers never deadlock.

    FOR NO KEY UPDATE (key_share), not FOR UPDATE: the transaction's own inserts (a vote, an
    answer) already hold FOR KEY SHARE locks on users rows through their foreign keys, which
    FOR UPDATE waits for, so two votes between the same members deadlocked on PostgreSQL."""
    rows = session.execute(
        select(User.id, User.reputation)
        .where(User.id.in_(sorted(user_ids)))
        .order_by(User.id)
        .with_for_update(key_share=True)
    )
    return dict(rows.all())


def lock_members(session: Session, user_ids: set[int | None]) -> None:
    """Lock, in id order, the members that several syncs in one transaction will change."""
    _lock_users(session, {u for u in user_ids if u is not None})


def _reconcile(
    session: Session,
    keys: set[str],
    desired: list[Award],
    *,
    user_ids: set[int],
    post_id: int | None,
    thread_id: int | None,
    reversal: Reason,
    actor_id: int | None = None,
) -> None:
    wanted = {a.key: a for a in desired}
    reputations = _lock_users(session, user_ids | {a.user_id for a in desired})
    state: dict[str, tuple[int, int, int, bool]] = {}
    rows = session.execute(
        select(
            ReputationEvent.award_key, ReputationEvent.sequence, ReputationEvent.points,
            ReputationEvent.user_id, ReputationEvent.capped,
        )
        .where(ReputationEvent.award_key.in_(sorted(keys)))
        .order_by(ReputationEvent.award_key, ReputationEvent.sequence)
    )
    for key, sequence, points, user_id, capped in rows:
        state[key] = (sequence + 1, points, user_id, capped)

    rules, now = current(), utcnow()
    capped_today: dict[int, int] = {}
    changed: dict[int, int] = {}
    # Reversals first, so an award that replaces another (a vote changed from up to down) is
    # measured against the floor after the old award is gone.
    for key in sorted(keys, key=lambda k: (k in wanted, k)):
        next_sequence, last_points, holder, capped = state.get(key, (0, 0, 0, False))
        active = next_sequence % 2 == 1
        award = wanted.get(key)
        if award is not None and not active:
            holder, points, reason, capped, actor = (
                award.user_id, award.points, award.reason, award.capped, award.actor_id
            )
            if capped and points > 0:
                if holder not in capped_today:
                    capped_today[holder] = capped_points_on_day(session, holder, now)
                points = min(points, max(0, rules.daily_vote_cap - capped_today[holder]))
        elif award is None and active:
            if holder not in reputations:
                reputations.update(_lock_users(session, {holder}))
            points, reason, actor = -last_points, reversal, actor_id
        else:
            continue
        points = max(points, rules.floor - reputations[holder])  # reputation never drops below the floor
        if capped:
            capped_today[holder] = capped_today.get(holder, 0) + points
        session.add(
            ReputationEvent(
                user_id=holder, points=points, reason=reason.value, award_key=key, sequence=next_sequence,
                capped=capped, post_id=post_id, thread_id=thread_id, actor_id=actor, created_at=now,
            )
        )
        reputations[holder] += points
        changed[holder] = changed.get(holder, 0) + points
    session.flush()
    for user_id, delta in changed.items():
        if delta:
            session.execute(update(User).where(User.id == user_id).values(reputation=User.reputation + delta))


def sync_vote(session: Session, post: Post, thread: Thread, voter_id: int, *, reversal=Reason.VOTE_WITHDRAWN) -> None:
    """Bring the ledger in line with one member's current vote on a post."""
    vote = session.scalar(select(Vote).where(Vote.user_id == voter_id, Vote.post_id == post.id))
    _reconcile(
        session, _vote_keys(voter_id, post.id), _vote_awards(post, thread, vote),
        user_ids={post.author_id, voter_id}, post_id=post.id, thread_id=thread.id, reversal=reversal,
    )


def sync_accept(session: Session, post: Post, thread: Thread, *, reversal=Reason.ACCEPT_WITHDRAWN) -> None:
    """Bring the ledger in line with whether `post` is the thread's accepted answer now."""
    _reconcile(
        session, _accept_keys(post.id), _accept_awards(post, thread),
        user_ids={post.author_id, thread.author_id}, post_id=post.id, thread_id=thread.id, reversal=reversal,
    )


def sync_post(session: Session, post: Post, thread: Thread, *, reversal=Reason.POST_DELETED) -> None:
    """Everything a post earns, after it was deleted or restored (or its thread was)."""
    votes = list(session.scalars(select(Vote).where(Vote.post_id == post.id)))
    keys = _accept_keys(post.id)
    desired = _accept_awards(post, thread)
    for vote in votes:
        keys |= _vote_keys(vote.user_id, post.id)
        desired += _vote_awards(post, thread, vote)
    _reconcile(
        session, keys, desired, user_ids={post.author_id, thread.author_id} | {v.user_id for v in votes},
        post_id=post.id, thread_id=thread.id, reversal=reversal,
    )


def sync_thread(session: Session, thread: Thread, *, reversal=Reason.POST_DELETED) -> None:
    posts = list(session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.id)))
    # Everyone any post of the thread can pay or earn, locked once in id order up front.
    voters = session.scalars(select(Vote.user_id).where(Vote.post_id.in_([p.id for p in posts])))
    lock_members(session, {thread.author_id, *(p.author_id for p in posts), *voters})
    for post in posts:
        sync_post(session, post, thread, reversal=reversal)


def grant(session: Session, user: User, points: int, note: str, actor: User | None = None) -> ReputationEvent:
    """A one-off adjustment with a stated reason (a staff correction, an imported total)."""
    reputations = _lock_users(session, {user.id})
    points = max(points, current().floor - reputations[user.id])
    event = ReputationEvent(
        user_id=user.id, points=points, reason=Reason.ADJUSTMENT.value,
        award_key=f"adjust:{secrets.token_hex(12)}", sequence=0, note=note[:200],
        actor_id=actor.id if actor else None,
    )
    session.add(event)
    session.flush()
    session.execute(update(User).where(User.id == user.id).values(reputation=User.reputation + points))
    return event


def adjust(session: Session, staff: User, user: User, points: int, note: str) -> ReputationEvent:
    if not permissions.is_admin(staff):
        raise PermissionDenied("Only admins adjust reputation.")
    note = " ".join(note.split())
    if not note:
        raise ValidationError({"note": "Say why, so the member can see the reason."})
    if not -10_000 <= points <= 10_000 or points == 0:
        raise ValidationError({"points": "Give a number of points between -10,000 and 10,000, not 0."})
    event = grant(session, user, points, note, actor=staff)
    audit.record(session, staff, "user.adjust_reputation", "user", user.id, after={"points": points}, note=note)
    return event


# ---- reading and checking -------------------------------------------------------------


@dataclass
class Difference:
    user_id: int
    username: str
    cached: int
    ledger: int


def ledger_totals(session: Session) -> dict[int, int]:
    floor = current().floor
    rows = session.execute(
        select(ReputationEvent.user_id, func.sum(ReputationEvent.points)).group_by(ReputationEvent.user_id)
    )
    return {user_id: floor + total for user_id, total in rows}


def recompute(session: Session) -> list[Difference]:
    """Rebuild every cached total from the ledger; return the totals that were wrong."""
    totals, floor, fixed = ledger_totals(session), current().floor, []
    for user_id, username, cached in session.execute(
        select(User.id, User.username, User.reputation).order_by(User.id)
    ):
        actual = totals.get(user_id, floor)
        if actual != cached:
            fixed.append(Difference(user_id, username, cached, actual))
            session.execute(update(User).where(User.id == user_id).values(reputation=actual))
    session.flush()
    return fixed


def history(session: Session, user: User, page: int, per_page: int = 20) -> Page:
    """The member's ledger, newest first, with the thread each change came from."""
    query = (
        select(ReputationEvent)
        .options(joinedload(ReputationEvent.thread))
        .where(ReputationEvent.user_id == user.id, ReputationEvent.points != 0)
        .order_by(ReputationEvent.created_at.desc(), ReputationEvent.id.desc())
    )
    return paginate(session, query, page, per_page)


def daily_totals(session: Session, user: User) -> list[tuple[str, int]]:
    """Reputation at the end of each day it changed: the points for the chart on the profile."""
    day = func.date(ReputationEvent.created_at)  # SQLite stores UTC text: its date part
    if session.get_bind().dialect.name == "postgresql":
        day = func.to_char(func.timezone("UTC", ReputationEvent.created_at), "YYYY-MM-DD")
    rows = session.execute(
        select(day, func.sum(ReputationEvent.points))
        .where(ReputationEvent.user_id == user.id)
        .group_by(day)
        .order_by(day)
    )
    running, series = current().floor, []
    for date, points in rows:
        running += points
        series.append((date, running))
    return series
