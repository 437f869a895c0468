"""Who may do what: small pure functions shared by the web pages, services and, later, the API."""

from community.models import HELD_FOR_REVIEW, Post, Role, Thread, User
from community.rules import Privilege, threshold


def is_signed_in(user: User | None) -> bool:
    return user is not None and getattr(user, "id", None) is not None


def is_suspended(user: User | None) -> bool:
    return is_signed_in(user) and user.is_suspended


def is_active_member(user: User | None) -> bool:
    """Signed in and not suspended: may take part, not only read. Every can_* below starts here."""
    return is_signed_in(user) and not user.is_suspended


# A suspended staff member keeps the role on paper but may use none of it until the suspension ends.
def is_staff(user: User | None) -> bool:
    return is_active_member(user) and user.is_staff


def is_moderator(user: User | None) -> bool:
    return is_active_member(user) and user.is_moderator


def is_admin(user: User | None) -> bool:
    return is_active_member(user) and user.is_admin


def has_privilege(user: User | None, privilege: Privilege) -> bool:
    """Staff hold every privilege; members earn each one by reputation."""
    if not is_active_member(user):
        return False
    return user.is_staff or (user.reputation or 0) >= threshold(privilege)


def _is_own_held(user: User | None, author_id: int, hidden_reason: str | None) -> bool:
    """An author sees their own post while it waits for review, so nothing they wrote seems lost."""
    return hidden_reason == HELD_FOR_REVIEW and is_signed_in(user) and author_id == user.id


def can_see_thread(user: User | None, thread: Thread) -> bool:
    if is_staff(user):
        return True
    if thread.is_deleted:
        return False
    return not thread.is_hidden or _is_own_held(user, thread.author_id, thread.hidden_reason)


def can_see_post(user: User | None, post: Post) -> bool:
    if is_staff(user):
        return True
    if post.is_deleted:
        return False
    return not post.is_hidden or _is_own_held(user, post.author_id, post.hidden_reason)


def can_hide(user: User | None) -> bool:
    return is_moderator(user)


def can_flag(user: User | None, post: Post) -> bool:
    """Any active member may flag a visible post that is not their own."""
    if not has_privilege(user, Privilege.FLAG) or post.author_id == user.id:
        return False
    return not (post.is_deleted or post.is_hidden)  # a hidden post is already with the moderators


def can_ask(user: User | None) -> bool:
    return is_active_member(user)


def can_answer(user: User | None, thread: Thread) -> bool:
    if not is_active_member(user) or thread.is_deleted:
        return False
    return not thread.is_locked or is_staff(user)


def can_edit(user: User | None, post: Post, thread: Thread) -> bool:
    if not is_active_member(user):
        return False
    if is_moderator(user):
        return True
    if post.is_deleted or thread.is_deleted or thread.is_locked:
        return False
    return post.author_id == user.id or has_privilege(user, Privilege.EDIT_OTHERS)


def can_delete(user: User | None, post: Post, thread: Thread) -> bool:
    if not is_active_member(user) or post.is_deleted:
        return False
    if is_moderator(user):
        return True
    return post.author_id == user.id and not thread.is_locked


def can_restore(user: User | None, post: Post) -> bool:
    return post.is_deleted and is_staff(user)


def can_vote(user: User | None, post: Post, thread: Thread) -> bool:
    if not is_active_member(user) or post.author_id == user.id:
        return False
    return not (post.is_deleted or post.is_hidden or thread.is_deleted or thread.is_locked)


def can_accept(user: User | None, thread: Thread) -> bool:
    """Staff always; the asker while the thread is open."""
    if not is_active_member(user) or thread.is_deleted:
        return False
    if is_staff(user):
        return True
    return thread.author_id == user.id and not thread.is_locked


def can_lock(user: User | None) -> bool:
    return is_moderator(user)


def can_follow(user: User | None, thread: Thread) -> bool:
    return is_active_member(user) and can_see_thread(user, thread)


def can_change_account(user: User | None) -> bool:
    """Profile and password: a suspended member may only read until the suspension ends."""
    return is_active_member(user)


_ROLE_RANK = {Role.MEMBER.value: 0, Role.STAFF.value: 1, Role.MODERATOR.value: 2, Role.ADMIN.value: 3}


def can_suspend(actor: User | None, member: User) -> bool:
    """Moderators suspend members and staff of their own role or below; never themselves."""
    if not is_moderator(actor) or actor.id == member.id:
        return False
    return _ROLE_RANK.get(member.role, 0) <= _ROLE_RANK.get(actor.role, 0)


def can_manage_categories(user: User | None) -> bool:
    return is_admin(user)


def can_manage_webhooks(user: User | None) -> bool:
    return is_admin(user)


def can_manage_mail(user: User | None) -> bool:
    """Seeing failing mail and sending it again: admins (the list holds members' addresses)."""
    return is_admin(user)
