"""Badges: rules evaluated on events, awarded once (or once per post) in the event's transaction.

Each rule finds the members (and, for per-post badges, the posts) that meet its criterion.
After an event, `evaluate` runs the rules that listen to it for the members involved and
awards what is missing; `backfill` runs every rule for everyone, so a new rule reaches the
members who earned it before it existed. Badges are kept once earned.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import case, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from community import audit, notifications, permissions, webhooks
from community.db import utcnow
from community.errors import NotFound, PermissionDenied, ValidationError
from community.impact import accepted_answers
from community.models import BadgeAward, Post, PostRevision, Role, Thread, User, Vote, visible_post, visible_thread


class Tier(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


class Event(StrEnum):
    ASK = "ask"
    ANSWER = "answer"
    VOTE = "vote"
    ACCEPT = "accept"
    EDIT = "edit"
    VIEW = "view"
    PROFILE = "profile"


Found = set[tuple[int, int]]  # (user id, item id); item 0 for once-only badges
Finder = Callable[[Session, set[int] | None], Found]


@dataclass(frozen=True)
class Badge:
    key: str
    name: str
    tier: Tier
    description: str
    criterion: str
    events: frozenset[Event]
    find: Finder | None  # None: awarded by staff
    per_item: bool = False


def _only(query, column, user_ids):
    return query if user_ids is None else query.where(column.in_(sorted(user_ids)))


def _once(query) -> Callable:
    """A finder for a once-only badge from a query selecting qualifying user ids."""

    def find(session, user_ids):
        return {(user_id, 0) for user_id in session.scalars(query(user_ids))}

    return find


def _per_item(query) -> Callable:
    def find(session, user_ids):
        return {(user_id, item) for user_id, item in session.execute(query(user_ids))}

    return find


def _asked(user_ids):
    return _only(select(Thread.author_id).where(visible_thread()).distinct(), Thread.author_id, user_ids)


def _answered(user_ids):
    query = select(Post.author_id).where(Post.is_question.is_(False), visible_post()).distinct()
    return _only(query, Post.author_id, user_ids)


def _accepted_at_least(n: int):
    def query(user_ids):
        rows = accepted_answers(user_ids).subquery()
        return select(rows.c.user_id).group_by(rows.c.user_id).having(func.count() >= n)

    return query


def _helped_at_least(n: int):
    def query(user_ids):
        rows = accepted_answers(user_ids).subquery()
        return select(rows.c.user_id).group_by(rows.c.user_id).having(func.count(func.distinct(rows.c.asker_id)) >= n)

    return query


def _scored(n: int, question: bool):
    def query(user_ids):
        q = select(Post.author_id, Post.id).where(
            Post.is_question.is_(question), Post.score >= n, visible_post()
        )
        return _only(q, Post.author_id, user_ids)

    return query


def _viewed(n: int):
    def query(user_ids):
        q = select(Thread.author_id, Thread.id).where(Thread.view_count >= n, visible_thread())
        return _only(q, Thread.author_id, user_ids)

    return query


def _revived(user_ids):
    """Accepted answers written when the question was already 60 days old. Compared in Python
    below because date arithmetic between two columns differs between databases."""
    rows = accepted_answers(user_ids).subquery()
    return select(rows.c.user_id, rows.c.post_id, rows.c.answered_at, rows.c.asked_at)


def _find_revived(session, user_ids) -> Found:
    return {
        (user_id, post_id)
        for user_id, post_id, answered_at, asked_at in session.execute(_revived(user_ids))
        if answered_at - asked_at >= timedelta(days=60)
    }


def _find_quick(session, user_ids) -> Found:
    rows = accepted_answers(user_ids).subquery()
    found = session.execute(select(rows.c.user_id, rows.c.post_id, rows.c.answered_at, rows.c.asked_at))
    return {(u, p) for u, p, answered, asked in found if answered - asked <= timedelta(hours=1)}


def _find_streak(session, user_ids, days: int = 7) -> Found:
    """Members who answered on `days` consecutive calendar days (UTC)."""
    query = _only(
        select(Post.author_id, Post.created_at).where(Post.is_question.is_(False), visible_post()),
        Post.author_id,
        user_ids,
    )
    if user_ids is not None:
        # After an answer, only a streak ending today can be new: read just the last days.
        query = query.where(Post.created_at >= utcnow() - timedelta(days=days + 1))
    by_user: dict[int, set[date]] = {}
    for user_id, created in session.execute(query):
        by_user.setdefault(user_id, set()).add(created.date())
    found = set()
    for user_id, dates in by_user.items():
        for day in dates:
            if day - timedelta(days=1) not in dates and all(day + timedelta(days=i) in dates for i in range(days)):
                found.add((user_id, 0))
                break
    return found


def _votes_at_least(n: int):
    def query(user_ids):
        q = select(Vote.user_id).where(Vote.counted.is_(True), Vote.value != 0).group_by(Vote.user_id)
        return _only(q, Vote.user_id, user_ids).having(func.count() >= n)

    return query


def _edited(user_ids):
    q = select(PostRevision.editor_id).where(PostRevision.number > 1).distinct()
    return _only(q, PostRevision.editor_id, user_ids)


def _scholar(user_ids):
    q = (
        select(Thread.author_id)
        .join(Post, Post.id == Thread.accepted_post_id)
        .where(Thread.accepted_by_asker.is_(True), Post.author_id != Thread.author_id, visible_thread())
        .distinct()
    )
    return _only(q, Thread.author_id, user_ids)


def _welcomed(user_ids):
    """Answered a question that was its asker's very first."""
    earlier = aliased(Thread)
    is_first = ~exists().where(earlier.author_id == Thread.author_id, earlier.id < Thread.id)
    q = (
        select(Post.author_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.is_question.is_(False),
            visible_post(),
            Post.author_id != Thread.author_id,
            is_first,
        )
        .distinct()
    )
    return _only(q, Post.author_id, user_ids)


def _autobiographer(user_ids):
    return _only(select(User.id).where(func.length(User.bio) > 0), User.id, user_ids)


ADVOCATE_ACCEPTED, ADVOCATE_CATEGORIES, ADVOCATE_BY_CUSTOMERS, ADVOCATE_PEOPLE = 25, 3, 0.8, 20


def _find_advocates(session, user_ids) -> Found:
    """Customers whose help is broad and confirmed by the customers they helped."""
    rows = accepted_answers(user_ids).subquery()
    query = (
        select(rows.c.user_id)
        .join(User, User.id == rows.c.user_id)
        .where(User.role == Role.MEMBER.value)
        .group_by(rows.c.user_id)
        .having(
            func.count() >= ADVOCATE_ACCEPTED,
            func.count(func.distinct(rows.c.category_id)) >= ADVOCATE_CATEGORIES,
            func.count(func.distinct(rows.c.asker_id)) >= ADVOCATE_PEOPLE,
            func.sum(case((rows.c.by_asker.is_(True), 1), else_=0)) >= func.count() * ADVOCATE_BY_CUSTOMERS,
        )
    )
    return {(user_id, 0) for user_id in session.scalars(query)}


def _b(key, name, tier, description, criterion, events, find, per_item=False) -> Badge:
    return Badge(key, name, Tier(tier), description, criterion, frozenset(events), find, per_item)


A, Q, V, C, E = Event.ANSWER, Event.ASK, Event.VOTE, Event.ACCEPT, Event.EDIT

BADGES: tuple[Badge, ...] = (
    _b("curious", "Curious", "bronze", "Asked your first question.",
       "Asked a question that is not deleted.", {Q}, _once(_asked)),
    _b("helping-hand", "Helping Hand", "bronze", "Answered someone's question for the first time.",
       "Posted an answer that is not deleted.", {A}, _once(_answered)),
    _b("solver", "Solver", "bronze", "Your answer solved someone's problem.",
       "Had a first answer accepted by the asker or staff.", {C}, _once(_accepted_at_least(1))),
    _b("problem-solver", "Problem Solver", "silver", "Ten of your answers solved someone's problem.",
       "10 accepted answers.", {C}, _once(_accepted_at_least(10))),
    _b("guru", "Guru", "gold", "A hundred of your answers solved someone's problem.",
       "100 accepted answers.", {C}, _once(_accepted_at_least(100))),
    _b("nice-answer", "Nice Answer", "bronze", "An answer the community found useful.",
       "An answer with a score of 10 or more (once per answer).", {V}, _per_item(_scored(10, False)), True),
    _b("good-answer", "Good Answer", "silver", "An answer many members found useful.",
       "An answer with a score of 25 or more (once per answer).", {V}, _per_item(_scored(25, False)), True),
    _b("great-answer", "Great Answer", "gold", "An answer that helped a great many members.",
       "An answer with a score of 100 or more (once per answer).", {V}, _per_item(_scored(100, False)), True),
    _b("good-question", "Good Question", "bronze", "A question others wanted answered too.",
       "A question with a score of 10 or more (once per question).", {V}, _per_item(_scored(10, True)), True),
    _b("popular-question", "Popular Question", "bronze", "Your question helps readers find answers.",
       "A question viewed 1,000 times (once per question).", {Event.VIEW}, _per_item(_viewed(1_000)), True),
    _b("famous-question", "Famous Question", "gold", "Your question is a landmark of the community.",
       "A question viewed 10,000 times (once per question).", {Event.VIEW}, _per_item(_viewed(10_000)), True),
    _b("quick-fix", "Quick Fix", "bronze", "Solved a problem within the hour.",
       "An accepted answer posted within one hour of the question (once per answer).", {C}, _find_quick, True),
    _b("revival", "Revival", "silver", "Brought an old question back to life.",
       "An accepted answer posted when the question was at least 60 days old (once per answer).",
       {C}, _find_revived, True),
    _b("good-neighbour", "Good Neighbour", "silver", "Helped ten different members.",
       "Accepted answers to the questions of 10 different members.", {C}, _once(_helped_at_least(10))),
    _b("steady-hand", "Steady Hand", "silver", "Helped out a whole week in a row.",
       "Answered questions on 7 consecutive days (UTC).", {A}, _find_streak),
    _b("supporter", "Supporter", "bronze", "Cast your first vote.",
       "Voted on a post.", {V}, _once(_votes_at_least(1))),
    _b("civic-duty", "Civic Duty", "silver", "Voted a hundred times to help good answers rise.",
       "Cast 100 votes that count.", {V}, _once(_votes_at_least(100))),
    _b("editor", "Editor", "bronze", "Improved a post by editing it.",
       "Saved an edit of a post.", {E}, _once(_edited)),
    _b("scholar", "Scholar", "bronze", "Told the community which answer solved your problem.",
       "Accepted someone else's answer to your question.", {C}, _once(_scholar)),
    _b("welcome-committee", "Welcome Committee", "bronze", "Answered a newcomer's very first question.",
       "Answered a question that was its asker's first.", {A}, _once(_welcomed)),
    _b("autobiographer", "Autobiographer", "bronze", "Told the community a little about yourself.",
       "Filled in the About me part of the profile.", {Event.PROFILE}, _once(_autobiographer)),
    _b("customer-advocate", "Customer Advocate", "gold",
       "A customer who helps other customers across the community, and whom they thank for it.",
       f"A member (not staff) with at least {ADVOCATE_ACCEPTED} accepted answers in "
       f"{ADVOCATE_CATEGORIES} or more categories, helping at least {ADVOCATE_PEOPLE} different "
       f"people, with at least {ADVOCATE_BY_CUSTOMERS:.0%} of the accepts made by the asking customer "
       "rather than by staff.", {C}, _find_advocates),
    _b("community-champion", "Community Champion", "gold", "Recognised by the brand's staff for outstanding help.",
       "Awarded by staff, with the reason shown on the member's profile.", set(), None),
)

BY_KEY = {badge.key: badge for badge in BADGES}
CHAMPION = BY_KEY["community-champion"]


def _held(session: Session, badge: Badge, user_ids: set[int] | None) -> Found:
    query = _only(select(BadgeAward.user_id, BadgeAward.item_id).where(BadgeAward.badge == badge.key),
                  BadgeAward.user_id, user_ids)
    return {(user_id, item_id) for user_id, item_id in session.execute(query)}


def _award_missing(session: Session, badge: Badge, user_ids: set[int] | None, tell: bool = True) -> list[BadgeAward]:
    found = badge.find(session, user_ids)
    if not badge.per_item:
        found = {(user_id, 0) for user_id, _ in found}
    new = []
    for user_id, item_id in sorted(found - _held(session, badge, user_ids)):
        award = BadgeAward(user_id=user_id, badge=badge.key, item_id=item_id)
        try:
            with session.begin_nested():
                session.add(award)
        except IntegrityError:
            continue  # another worker awarded it a moment ago
        if tell:
            notifications.notify(session, user_id, "badge", text=badge.name)
        webhooks.emit(session, "badge.awarded", lambda: webhooks.badge_awarded(session, award, badge))
        new.append(award)
    return new


def evaluate(session: Session, event: Event, user_ids: set[int]) -> list[BadgeAward]:
    """Award every badge this event may have earned the given members."""
    user_ids = {u for u in user_ids if u is not None}
    if not user_ids:
        return []
    session.flush()
    new = []
    for badge in BADGES:
        if event in badge.events:
            new += _award_missing(session, badge, user_ids)
    return new


def backfill(session: Session) -> dict[str, int]:
    """Run every rule for every member: how many awards each badge gained."""
    # Not announced: a backfill hands out badges earned long ago, and could flood every inbox.
    return {badge.key: len(_award_missing(session, badge, None, tell=False)) for badge in BADGES if badge.find}


def award_champion(session: Session, staff: User, member: User, reason: str) -> BadgeAward:
    if not permissions.is_staff(staff):
        raise PermissionDenied("Only staff award the Community Champion badge.")
    if member.is_staff:
        raise ValidationError(f"{CHAMPION.name} recognises customers; staff accounts cannot receive it.")
    reason = " ".join(reason.split())
    if not 10 <= len(reason) <= 200:
        raise ValidationError({"reason": "Say in 10 to 200 characters what this member did."})
    if session.scalar(
        select(BadgeAward.id).where(BadgeAward.user_id == member.id, BadgeAward.badge == CHAMPION.key)
    ):
        raise ValidationError(f"{member.name} already holds the {CHAMPION.name} badge.")
    award = BadgeAward(user_id=member.id, badge=CHAMPION.key, item_id=0, awarded_by_id=staff.id, reason=reason)
    session.add(award)
    session.flush()
    audit.record(session, staff, "badge.award", "user", member.id, after={"badge": CHAMPION.key}, note=reason)
    notifications.notify(session, member.id, "badge", actor_id=staff.id, text=CHAMPION.name)
    webhooks.emit(session, "badge.awarded", lambda: webhooks.badge_awarded(session, award, CHAMPION))
    return award


def get_badge(key: str) -> Badge:
    try:
        return BY_KEY[key]
    except KeyError:
        raise NotFound("No such badge.") from None


@dataclass
class Held:
    badge: Badge
    count: int
    reason: str
    first_awarded_at: datetime


def badges_of(session: Session, user: User) -> list[Held]:
    """The member's badges, gold first, with how many times each per-post badge was earned and when first."""
    rows = session.execute(
        select(BadgeAward.badge, func.count(), func.max(BadgeAward.reason), func.min(BadgeAward.awarded_at))
        .where(BadgeAward.user_id == user.id)
        .group_by(BadgeAward.badge)
    )
    order = {Tier.GOLD: 0, Tier.SILVER: 1, Tier.BRONZE: 2}
    held = [Held(BY_KEY[key], count, reason or "", first) for key, count, reason, first in rows if key in BY_KEY]
    return sorted(held, key=lambda h: (order[h.badge.tier], h.badge.name))


def tier_counts(session: Session, user_ids: set[int]) -> dict[int, dict[str, int]]:
    """Gold, silver and bronze counts for each member, in one query (for bylines)."""
    if not user_ids:
        return {}
    counts: dict[int, dict[str, int]] = {}
    tier_of = {b.key: b.tier.value for b in BADGES}
    rows = session.execute(
        select(BadgeAward.user_id, BadgeAward.badge, func.count())
        .where(BadgeAward.user_id.in_(sorted(user_ids)))
        .group_by(BadgeAward.user_id, BadgeAward.badge)
    )
    for user_id, key, count in rows:
        if key in tier_of:
            tiers = counts.setdefault(user_id, {})
            tiers[tier_of[key]] = tiers.get(tier_of[key], 0) + count
    return counts


def holder_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(BadgeAward.badge, func.count(func.distinct(BadgeAward.user_id))).group_by(BadgeAward.badge)
    )
    return dict(rows.all())


def holders(session: Session, badge: Badge, limit: int = 60) -> list[tuple[User, BadgeAward]]:
    rows = session.execute(
        select(User, BadgeAward)
        .join(BadgeAward, BadgeAward.user_id == User.id)
        .where(BadgeAward.badge == badge.key)
        .order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())
        .limit(limit)
    )
    return [(user, award) for user, award in rows]
