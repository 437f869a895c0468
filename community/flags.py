"""Flags: members report posts, moderators uphold or dismiss them; enough trusted flags hide a post."""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from community import audit, moderation, notifications, permissions
from community.db import utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import HELD_FOR_REVIEW, FlagReason, FlagStatus, Post, PostFlag, Thread, User
from community.rules import Privilege, current, threshold
from community.suspensions import refuse_if_suspended

MAX_NOTE = 500
REASON_LABELS = {
    FlagReason.SPAM: "Spam",
    FlagReason.OFFENSIVE: "Rude or offensive",
    FlagReason.OFF_TOPIC: "Off topic",
    FlagReason.NEEDS_STAFF: "Needs a staff member",
}


def _is_trusted(user: User) -> bool:
    return user.is_staff or (user.reputation or 0) >= current().trusted_flagger_reputation


def flag_post(session: Session, flagger: User, post: Post, *, reason: str, note: str = "") -> PostFlag:
    """Report a post to the moderators; one open flag per member per post."""
    refuse_if_suspended(flagger)
    if permissions.is_signed_in(flagger) and post.author_id == flagger.id:
        raise PermissionDenied("You cannot flag your own post; edit or delete it instead.")
    if not permissions.has_privilege(flagger, Privilege.FLAG):
        raise PermissionDenied(
            f"Flagging needs {threshold(Privilege.FLAG)} reputation; you have {getattr(flagger, 'reputation', 0)}."
        )
    if not permissions.can_flag(flagger, post):
        raise PermissionDenied("You cannot flag this post.")
    errors = {}
    if reason not in {r.value for r in FlagReason}:
        errors["reason"] = "Choose why the post needs a moderator."
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        errors["note"] = f"Keep the note to {MAX_NOTE} characters (it has {len(note)})."
    if errors:
        raise ValidationError(errors)
    if _open_flag_of(session, flagger, post) is not None:
        raise ValidationError("You have already flagged this post; a moderator will look at it soon.")
    flag = PostFlag(post_id=post.id, flagger_id=flagger.id, reason=reason, note=note, status=FlagStatus.OPEN.value)
    try:
        with session.begin_nested():
            session.add(flag)
    except IntegrityError:  # the same member's flag from another tab landed first
        raise ValidationError("You have already flagged this post; a moderator will look at it soon.") from None
    _hide_when_flagged_enough(session, post)
    return flag


def _open_flag_of(session: Session, flagger: User, post: Post) -> PostFlag | None:
    return session.scalar(
        select(PostFlag).where(
            PostFlag.post_id == post.id, PostFlag.flagger_id == flagger.id, PostFlag.status == FlagStatus.OPEN.value
        )
    )


def _hide_when_flagged_enough(session: Session, post: Post) -> None:
    if post.is_hidden:
        return
    rules = current()
    open_flags = session.execute(
        select(PostFlag.reason, User)
        .join(User, User.id == PostFlag.flagger_id)
        .where(PostFlag.post_id == post.id, PostFlag.status == FlagStatus.OPEN.value)
    ).all()
    trusted = [(reason, user) for reason, user in open_flags if _is_trusted(user)]
    staff_spam = sum(1 for reason, user in trusted if user.is_staff and reason == FlagReason.SPAM.value)
    if len(trusted) >= rules.flags_to_hide or staff_spam >= rules.staff_spam_flags_to_hide:
        thread = session.get(Thread, post.thread_id)
        moderation.apply_hidden(session, post, thread, by=None, reason=moderation.HIDDEN_BY_FLAGS)
        audit.record(
            session, None, "post.autohide", "post", post.id,
            before={"hidden": False}, after={"hidden": True, "reason": moderation.HIDDEN_BY_FLAGS},
            note=f"{len(trusted)} trusted flags",
        )


# --- The review queue ---------------------------------------------------------------------


@dataclass
class QueueItem:
    """One post waiting for a moderator: its open flags, or a spam hold."""

    post: Post
    thread: Thread
    flags: list[PostFlag] = field(default_factory=list)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        counts = Counter(flag.reason for flag in self.flags)
        return [(REASON_LABELS[FlagReason(r)], n) for r, n in counts.most_common()]

    @property
    def is_held(self) -> bool:
        return self.post.hidden_reason == HELD_FOR_REVIEW


def _require_moderator(user: User | None) -> None:
    if not permissions.is_moderator(user):
        raise PermissionDenied("Only moderators review flags.")


def review_queue(session: Session, moderator: User, limit: int = 100) -> list[QueueItem]:
    """Posts with open flags and posts held for review, oldest first."""
    _require_moderator(moderator)
    flags = list(
        session.scalars(
            select(PostFlag)
            .options(joinedload(PostFlag.flagger))
            .where(PostFlag.status == FlagStatus.OPEN.value)
            .order_by(PostFlag.created_at, PostFlag.id)
        )
    )
    by_post: dict[int, list[PostFlag]] = {}
    for flag in flags:
        by_post.setdefault(flag.post_id, []).append(flag)
    held_ids = session.scalars(
        select(Post.id).where(Post.hidden_reason == HELD_FOR_REVIEW, Post.deleted_at.is_(None)).order_by(Post.id)
    )
    post_ids = list(by_post) + [pid for pid in held_ids if pid not in by_post]
    post_ids = post_ids[:limit]
    posts = {
        p.id: p
        for p in session.scalars(
            select(Post).options(joinedload(Post.author), joinedload(Post.thread)).where(Post.id.in_(post_ids))
        )
    }
    return [
        QueueItem(post=posts[pid], thread=posts[pid].thread, flags=by_post.get(pid, []))
        for pid in post_ids
        if pid in posts
    ]


def open_flag_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(PostFlag.status == FlagStatus.OPEN.value)) or 0


def _resolve(session: Session, moderator: User, post: Post, status: FlagStatus, text: str) -> list[PostFlag]:
    flags = list(
        session.scalars(
            select(PostFlag)
            .where(PostFlag.post_id == post.id, PostFlag.status == FlagStatus.OPEN.value)
            .order_by(PostFlag.id)
            .with_for_update()
        )
    )
    now = utcnow()
    for flag in flags:
        flag.status, flag.resolved_at, flag.resolved_by_id = status.value, now, moderator.id
        notifications.notify(
            session, flag.flagger_id, "flag_resolved",
            actor_id=moderator.id, thread_id=post.thread_id, post_id=post.id, text=text,
        )
    session.flush()
    return flags


def uphold(session: Session, moderator: User, post: Post, *, note: str = "") -> int:
    """The flags were right: the post is hidden (or stays hidden). Returns how many flags closed."""
    _require_moderator(moderator)
    flags = _resolve(session, moderator, post, FlagStatus.UPHELD, "Thanks: the post you flagged is now hidden.")
    if not flags:
        raise ValidationError("This post has no open flags.")
    reasons = Counter(flag.reason for flag in flags).most_common(1)[0][0]
    reason = f"flagged as {REASON_LABELS[FlagReason(reasons)].lower()}"
    before = {"hidden": post.is_hidden, "reason": post.hidden_reason}
    moderation.apply_hidden(session, post, session.get(Thread, post.thread_id), by=moderator, reason=reason)
    audit.record(
        session, moderator, "flag.uphold", "post", post.id,
        before=before, after={"hidden": True, "reason": reason, "flags": [f.id for f in flags]}, note=note,
    )
    return len(flags)


def dismiss(session: Session, moderator: User, post: Post, *, note: str = "") -> int:
    """The post is fine: flags close, and a post hidden only by flags is shown again."""
    _require_moderator(moderator)
    flags = _resolve(session, moderator, post, FlagStatus.DISMISSED, "A moderator reviewed the post you flagged and left it up.")
    if not flags:
        raise ValidationError("This post has no open flags.")
    before = {"hidden": post.is_hidden, "reason": post.hidden_reason}
    if post.is_hidden and post.hidden_reason == moderation.HIDDEN_BY_FLAGS:
        moderation.clear_hidden(session, post, session.get(Thread, post.thread_id))
    audit.record(
        session, moderator, "flag.dismiss", "post", post.id,
        before=before, after={"hidden": post.is_hidden, "flags": [f.id for f in flags]}, note=note,
    )
    return len(flags)
