"""Who may do what: the full matrix of roles against open, locked and deleted posts and threads.

The permission functions are pure, so these tests build unsaved model objects and need no database.
"""

from datetime import UTC, datetime

import pytest

from community import permissions
from community.models import Post, Role, Thread, User

ROLES = ("visitor", "member", "author", "staff", "moderator", "admin")
SITUATIONS = ("open", "locked", "deleted")
AUTHOR_ID = 2
DELETED_AT = datetime(2024, 1, 1, tzinfo=UTC)


def user_for(role: str) -> User | None:
    """The actor: None for a visitor; "author" is the member who asked the thread and wrote the post."""
    if role == "visitor":
        return None
    ids = {"member": 1, "author": AUTHOR_ID, "staff": 3, "moderator": 4, "admin": 5}
    role_value = Role.MEMBER.value if role in ("member", "author") else Role(role).value
    return User(id=ids[role], username=role, role=role_value)


def situation(name: str) -> tuple[Post, Thread]:
    """An answer by the author in a thread the author asked.

    open: nothing special; locked: the thread is locked; deleted: the post and its thread are deleted.
    """
    thread = Thread(id=10, author_id=AUTHOR_ID, is_locked=name == "locked", deleted_at=None)
    post = Post(id=20, thread_id=10, author_id=AUTHOR_ID, is_question=False, deleted_at=None)
    if name == "deleted":
        thread.deleted_at = post.deleted_at = DELETED_AT
    return post, thread


# Expected booleans per role, in SITUATIONS order (open, locked, deleted).
MATRIX = {
    "can_answer": {
        "visitor": (False, False, False),
        "member": (True, False, False),
        "author": (True, False, False),
        "staff": (True, True, False),
        "moderator": (True, True, False),
        "admin": (True, True, False),
    },
    "can_edit": {
        "visitor": (False, False, False),
        "member": (False, False, False),
        "author": (True, False, False),
        "staff": (True, False, False),  # staff hold every privilege, editing others' posts included
        "moderator": (True, True, True),
        "admin": (True, True, True),
    },
    "can_delete": {
        "visitor": (False, False, False),
        "member": (False, False, False),
        "author": (True, False, False),
        "staff": (False, False, False),
        "moderator": (True, True, False),
        "admin": (True, True, False),
    },
    "can_restore": {
        "visitor": (False, False, False),
        "member": (False, False, False),
        "author": (False, False, False),
        "staff": (False, False, True),
        "moderator": (False, False, True),
        "admin": (False, False, True),
    },
    "can_vote": {
        "visitor": (False, False, False),
        "member": (True, False, False),
        "author": (False, False, False),
        "staff": (True, False, False),
        "moderator": (True, False, False),
        "admin": (True, False, False),
    },
    "can_accept": {
        "visitor": (False, False, False),
        "member": (False, False, False),
        "author": (True, False, False),
        "staff": (True, True, False),
        "moderator": (True, True, False),
        "admin": (True, True, False),
    },
    "can_lock": {
        "visitor": (False, False, False),
        "member": (False, False, False),
        "author": (False, False, False),
        "staff": (False, False, False),
        "moderator": (True, True, True),
        "admin": (True, True, True),
    },
    "can_manage_categories": {
        "visitor": (False, False, False),
        "member": (False, False, False),
        "author": (False, False, False),
        "staff": (False, False, False),
        "moderator": (False, False, False),
        "admin": (True, True, True),
    },
    "can_see_thread": {
        "visitor": (True, True, False),
        "member": (True, True, False),
        "author": (True, True, False),
        "staff": (True, True, True),
        "moderator": (True, True, True),
        "admin": (True, True, True),
    },
    "can_follow": {
        "visitor": (False, False, False),
        "member": (True, True, False),
        "author": (True, True, False),
        "staff": (True, True, True),
        "moderator": (True, True, True),
        "admin": (True, True, True),
    },
}


def call(check: str, user: User | None, post: Post, thread: Thread) -> bool:
    function = getattr(permissions, check)
    if check in ("can_edit", "can_delete", "can_vote"):
        return function(user, post, thread)
    if check in ("can_restore", "can_see_post"):
        return function(user, post)
    if check in ("can_answer", "can_accept", "can_see_thread", "can_follow"):
        return function(user, thread)
    return function(user)


CASES = [
    pytest.param(check, role, where, MATRIX[check][role][index], id=f"{check}-{role}-{where}")
    for check in MATRIX
    for role in ROLES
    for index, where in enumerate(SITUATIONS)
]


def test_matrix_covers_every_role():
    assert all(set(rows) == set(ROLES) for rows in MATRIX.values())


@pytest.mark.parametrize("check, role, where, expected", CASES)
def test_permission_matrix(check, role, where, expected):
    post, thread = situation(where)
    result = call(check, user_for(role), post, thread)
    assert result is expected


# --- situations the matrix does not cover -----------------------------------------------------


def deleted_answer_in_live_thread() -> tuple[Post, Thread]:
    post, thread = situation("open")
    post.deleted_at = DELETED_AT
    return post, thread


@pytest.mark.parametrize(
    "role, edit, delete, restore, vote, see",
    [
        ("visitor", False, False, False, False, False),
        ("member", False, False, False, False, False),
        ("author", False, False, False, False, False),
        ("staff", False, False, True, False, True),
        ("moderator", True, False, True, False, True),
        ("admin", True, False, True, False, True),
    ],
)
def test_deleted_answer_in_live_thread(role, edit, delete, restore, vote, see):
    post, thread = deleted_answer_in_live_thread()
    user = user_for(role)
    assert permissions.can_edit(user, post, thread) is edit
    assert permissions.can_delete(user, post, thread) is delete
    assert permissions.can_restore(user, post) is restore
    assert permissions.can_vote(user, post, thread) is vote
    assert permissions.can_see_post(user, post) is see
    # The thread itself is still open for answers and acceptance.
    assert permissions.can_answer(user, thread) is (role != "visitor")


def test_member_may_edit_and_delete_only_own_post_but_accept_only_in_own_thread():
    asker = user_for("author")
    answerer = User(id=7, username="answerer", role=Role.MEMBER.value)
    thread = Thread(id=10, author_id=asker.id, is_locked=False, deleted_at=None)
    post = Post(id=21, thread_id=10, author_id=answerer.id, deleted_at=None)
    assert permissions.can_edit(answerer, post, thread) and permissions.can_delete(answerer, post, thread)
    assert not permissions.can_edit(asker, post, thread) and not permissions.can_delete(asker, post, thread)
    assert permissions.can_accept(asker, thread) and not permissions.can_accept(answerer, thread)
    assert permissions.can_vote(asker, post, thread) and not permissions.can_vote(answerer, post, thread)


def test_an_unsaved_user_is_not_signed_in():
    ghost = User(username="ghost", role=Role.ADMIN.value)
    post, thread = situation("open")
    assert not permissions.is_signed_in(ghost)
    assert not permissions.is_admin(ghost)
    assert not permissions.can_ask(ghost)
    assert not permissions.can_manage_categories(ghost)
    assert not permissions.can_edit(ghost, post, thread)


@pytest.mark.parametrize("role, expected", [("visitor", False), ("member", True), ("staff", True), ("admin", True)])
def test_can_ask(role, expected):
    assert permissions.can_ask(user_for(role)) is expected
