"""Hiding and unhiding posts: kept in the database, shown to staff only, out of search and lists."""

from sqlalchemy import update
from sqlalchemy.orm import Session

from community import audit, listening, notifications, permissions, reputation, webhooks
from community.db import get_by_id, utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import HELD_FOR_REVIEW, Post, Thread, User
from community.threads import clear_acceptance, queue_reindex

MAX_REASON = 200
# Why a post is hidden when members' flags, not a moderator, hid it.
HIDDEN_BY_FLAGS = "flagged by members, awaiting review"


def _state(post: Post) -> dict:
    return {"hidden": post.is_hidden, "reason": post.hidden_reason}


def apply_hidden(session: Session, post: Post, thread: Thread, *, by: User | None, reason: str) -> None:
    """Hide without a permission check or audit row: the callers (moderators, flags, the spam
    hold) each check and record in their own terms. Counts, accept and search follow."""
    if post.is_hidden:
        post.hidden_reason = reason
        if post.is_question:
            thread.hidden_reason = reason
        session.flush()
        return
    now = utcnow()
    post.hidden_at, post.hidden_by_id, post.hidden_reason = now, getattr(by, "id", None), reason
    dropped_accept = None
    if post.is_question:
        thread.hidden_at, thread.hidden_reason = now, reason
    elif not post.is_deleted:
        # A hidden answer does not count in lists, and cannot stay the accepted one.
        session.execute(update(Thread).where(Thread.id == thread.id).values(answer_count=Thread.answer_count - 1))
        if thread.accepted_post_id == post.id:
            clear_acceptance(thread)
            dropped_accept = post
    queue_reindex(session, thread.id)
    session.flush()
    session.refresh(thread)
    if dropped_accept is not None:
        reputation.sync_accept(session, dropped_accept, thread)


def clear_hidden(session: Session, post: Post, thread: Thread) -> None:
    """Show a hidden post again (an accept dropped when it was hidden stays dropped)."""
    if not post.is_hidden:
        return
    post.hidden_at = post.hidden_by_id = post.hidden_reason = None
    if post.is_question:
        thread.hidden_at = thread.hidden_reason = None
    elif not post.is_deleted:
        session.execute(update(Thread).where(Thread.id == thread.id).values(answer_count=Thread.answer_count + 1))
    queue_reindex(session, thread.id)
    session.flush()
    session.refresh(thread)


def hide_post(session: Session, moderator: User, post: Post, *, reason: str) -> None:
    """A moderator hides a post, with a reason staff see beside it."""
    if not permissions.can_hide(moderator):
        raise PermissionDenied("Only moderators hide posts.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the post is hidden: other staff see it beside the post."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason to {MAX_REASON} characters (it has {len(reason)})."})
    if post.is_hidden and post.hidden_reason == reason:
        raise ValidationError("This post is already hidden for that reason.")
    thread = session.get(Thread, post.thread_id)
    before = _state(post)
    apply_hidden(session, post, thread, by=moderator, reason=reason)
    audit.record(session, moderator, "post.hide", "post", post.id, before=before, after=_state(post), note=reason)


def set_pinned(session: Session, actor: User, thread: Thread, pinned: bool) -> None:
    """Pin a thread above the rest of its category's list, or unpin it."""
    if not permissions.can_lock(actor):
        raise PermissionDenied("Only moderators pin threads.")
    if thread.is_pinned == pinned:
        return
    audit.record(session, actor, "thread.pin" if pinned else "thread.unpin", "thread", thread.id,
                 before={"pinned": thread.is_pinned}, after={"pinned": pinned})
    thread.pinned_at = utcnow() if pinned else None
    queue_reindex(session, thread.id)
    session.flush()


def close_as_duplicate(session: Session, moderator: User, thread: Thread, original_id) -> Thread:
    """Point the thread at the question it repeats and lock it; returns the original."""
    if not permissions.can_lock(moderator):
        raise PermissionDenied("Only moderators close threads as duplicates.")
    original = get_by_id(session, Thread, original_id)
    if original is None or original.is_deleted or original.is_hidden:
        raise ValidationError({"original": "Give the number of a visible thread (the number after /t/ in its address)."})
    if original.id == thread.id:
        raise ValidationError({"original": "A thread cannot duplicate itself."})
    if original.duplicate_of_id is not None:
        raise ValidationError({"original": "That thread is itself closed as a duplicate: point at the one it names."})
    before = {"duplicate_of_id": thread.duplicate_of_id, "locked": thread.is_locked}
    thread.duplicate_of_id, thread.is_locked = original.id, True
    queue_reindex(session, thread.id)
    session.flush()
    audit.record(session, moderator, "thread.duplicate", "thread", thread.id, before=before,
                 after={"duplicate_of_id": original.id, "locked": True})
    return original


def reopen(session: Session, moderator: User, thread: Thread) -> None:
    """Undo a close as duplicate: the thread takes answers again."""
    if not permissions.can_lock(moderator):
        raise PermissionDenied("Only moderators reopen threads.")
    if thread.duplicate_of_id is None:
        raise ValidationError("This thread is not closed as a duplicate.")
    before = {"duplicate_of_id": thread.duplicate_of_id, "locked": thread.is_locked}
    thread.duplicate_of_id, thread.is_locked = None, False
    queue_reindex(session, thread.id)
    session.flush()
    audit.record(session, moderator, "thread.reopen", "thread", thread.id, before=before,
                 after={"duplicate_of_id": None, "locked": False})


def unhide_post(session: Session, moderator: User, post: Post) -> None:
    """A moderator shows a hidden post again (also how a held post is published)."""
    if not permissions.can_hide(moderator):
        raise PermissionDenied("Only moderators unhide posts.")
    if not post.is_hidden:
        raise ValidationError("This post is not hidden.")
    thread = session.get(Thread, post.thread_id)
    before = _state(post)
    published = post.hidden_reason == HELD_FOR_REVIEW
    clear_hidden(session, post, thread)
    audit.record(session, moderator, "post.publish" if published else "post.unhide", "post", post.id,
                 before=before, after=_state(post))
    if published:  # what posting would have set off, held back until now
        listening.post_saved(session, post, thread.title if post.is_question else None)
        if post.is_question:
            webhooks.emit(session, "thread.created", lambda: webhooks.thread_created(session, thread))
        else:
            notifications.notify_reply(session, post, thread)
            webhooks.emit(session, "post.created", lambda: webhooks.post_created(session, post, thread))
