"""Who may do what: small pure functions shared by the web pages, services and, later, the API."""

from community.models import Post, Thread, User
from community.rules import Privilege, threshold


def is_signed_in(user: User | None) -> bool:
    return user is not None and getattr(user, "id", None) is not None


def is_staff(user: User | None) -> bool:
    return is_signed_in(user) and user.is_staff


def is_moderator(user: User | None) -> bool:
    return is_signed_in(user) and user.is_moderator


def is_admin(user: User | None) -> bool:
    return is_signed_in(user) and user.is_admin


def has_privilege(user: User | None, privilege: Privilege) -> bool:
    """Staff hold every privilege; members earn each one by reputation."""
    if not is_signed_in(user):
        return False
    return user.is_staff or (user.reputation or 0) >= threshold(privilege)


def can_see_thread(user: User | None, thread: Thread) -> bool:
    return not thread.is_deleted or is_staff(user)


def can_see_post(user: User | None, post: Post) -> bool:
    return not post.is_deleted or is_staff(user)


def can_ask(user: User | None) -> bool:
    return is_signed_in(user)


def can_answer(user: User | None, thread: Thread) -> bool:
    if not is_signed_in(user) or thread.is_deleted:
        return False
    return not thread.is_locked or is_staff(user)


def can_edit(user: User | None, post: Post, thread: Thread) -> bool:
    if not is_signed_in(user):
        return False
    if is_moderator(user):
        return True
    if post.is_deleted or thread.is_deleted or thread.is_locked:
        return False
    return post.author_id == user.id or has_privilege(user, Privilege.EDIT_OTHERS)


def can_delete(user: User | None, post: Post, thread: Thread) -> bool:
    if not is_signed_in(user) or post.is_deleted:
        return False
    if is_moderator(user):
        return True
    return post.author_id == user.id and not thread.is_locked


def can_restore(user: User | None, post: Post) -> bool:
    return post.is_deleted and is_staff(user)


def can_vote(user: User | None, post: Post, thread: Thread) -> bool:
    if not is_signed_in(user) or post.author_id == user.id:
        return False
    return not (post.is_deleted or thread.is_deleted or thread.is_locked)


def can_accept(user: User | None, thread: Thread) -> bool:
    """Staff always; the asker while the thread is open."""
    if not is_signed_in(user) or thread.is_deleted:
        return False
    if is_staff(user):
        return True
    return thread.author_id == user.id and not thread.is_locked


def can_lock(user: User | None) -> bool:
    return is_moderator(user)


def can_follow(user: User | None, thread: Thread) -> bool:
    return is_signed_in(user) and can_see_thread(user, thread)


def can_manage_categories(user: User | None) -> bool:
    return is_admin(user)


def can_manage_webhooks(user: User | None) -> bool:
    return is_admin(user)
