"""Accounts: registration rules, sign-in checks, password changes and profile edits."""

import pytest
from werkzeug.security import check_password_hash

from community import accounts
from community.errors import NotFound, ValidationError
from community.models import Role, User
from tests.factories import PASSWORD, count_rows, make_user


def register_refused(db, *, username="newcomer", email="newcomer@example.com", password=PASSWORD) -> dict:
    """Register with one bad input; return the errors after checking that no user was written."""
    before = count_rows(db, User)
    with pytest.raises(ValidationError) as info:
        accounts.register(db, username, email, password)
    assert count_rows(db, User) == before
    return info.value.errors


# --- register ------------------------------------------------------------------------------------


def test_register_creates_a_member_with_hashed_password_and_token(db):
    user = accounts.register(db, "  Newcomer_1 ", "  Newcomer@Example.COM ", PASSWORD)
    db.commit()
    stored = db.get(User, user.id)
    assert stored.username == "Newcomer_1"
    assert stored.email == "newcomer@example.com"
    assert stored.role == Role.MEMBER.value
    assert stored.password_hash != PASSWORD
    assert check_password_hash(stored.password_hash, PASSWORD)
    assert len(stored.session_token) == 32
    assert stored.get_id() == f"{stored.id}:{stored.session_token}"


def test_each_account_gets_its_own_session_token(db):
    first, second = make_user(db), make_user(db)
    assert first.session_token != second.session_token


@pytest.mark.parametrize(
    "username",
    [
        "ab",  # too short
        "a" * 31,  # too long
        "_leading",  # must start with a letter or digit
        ".leading",
        "-leading",
        "has space",
        "semi;colon",
        "at@sign",
        "émile",  # letters outside A-Z
        "",
        "   ",
    ],
)
def test_register_refuses_bad_usernames(db, username):
    errors = register_refused(db, username=username)
    assert set(errors) == {"username"}


@pytest.mark.parametrize("username", ["abc", "a" * 30, "9lives", "j.doe-smith_2"])
def test_register_accepts_usernames_at_the_edges(db, username):
    user = accounts.register(db, username, f"{username}@example.com", PASSWORD)
    assert user.id is not None and user.username == username


@pytest.mark.parametrize("username", ["admin", "Admin", "SUPPORT", "hearth", "Moderator", "system"])
def test_register_refuses_reserved_usernames(db, username):
    errors = register_refused(db, username=username)
    assert set(errors) == {"username"}
    assert "reserved" in errors["username"]


def test_reserved_username_allowed_when_asked_explicitly(db):
    user = accounts.register(db, "support", "support@example.com", PASSWORD, Role.STAFF, allow_reserved=True)
    assert user.username == "support" and user.role == "staff"


def test_register_refuses_duplicate_username_ignoring_case(db):
    make_user(db, "Jordan")
    errors = register_refused(db, username="jORDAN", email="other@example.com")
    assert set(errors) == {"username"}
    assert "taken" in errors["username"]


def test_register_refuses_duplicate_email_ignoring_case(db):
    make_user(db, "jordan")  # jordan@example.com
    errors = register_refused(db, username="someone", email="JORDAN@Example.com")
    assert set(errors) == {"email"}


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "@example.com", "two@@example.com", "", "spaces in@example.com"])
def test_register_refuses_invalid_email(db, email):
    errors = register_refused(db, email=email)
    assert set(errors) == {"email"}


@pytest.mark.parametrize("password", ["", "seven77", "x" * 129])
def test_register_refuses_short_or_long_password(db, password):
    errors = register_refused(db, password=password)
    assert set(errors) == {"password"}


@pytest.mark.parametrize("password", ["x" * 8, "x" * 128])
def test_register_accepts_password_lengths_at_the_edges(db, password):
    user = accounts.register(db, "edgecase", "edge@example.com", password)
    assert accounts.authenticate(db, "edgecase", password) is user


def test_register_reports_every_bad_field_at_once(db):
    errors = register_refused(db, username="x", email="nope", password="short")
    assert set(errors) == {"username", "email", "password"}


def test_register_refuses_unknown_role(db):
    before = count_rows(db, User)
    with pytest.raises(ValueError):
        accounts.register(db, "newcomer", "newcomer@example.com", PASSWORD, "superuser")
    assert count_rows(db, User) == before


# --- authenticate -------------------------------------------------------------------------------


def test_authenticate_by_username_ignoring_case(db):
    user = make_user(db, "Casey")
    assert accounts.authenticate(db, "casey", PASSWORD) is user
    assert accounts.authenticate(db, "  CASEY ", PASSWORD) is user


def test_authenticate_by_email_ignoring_case(db):
    user = make_user(db, "casey")
    assert accounts.authenticate(db, "Casey@Example.com", PASSWORD) is user


def test_authenticate_wrong_password_returns_none(db):
    make_user(db, "casey")
    assert accounts.authenticate(db, "casey", PASSWORD + "x") is None
    assert accounts.authenticate(db, "casey@example.com", "") is None
    assert accounts.authenticate(db, "casey", PASSWORD.upper()) is None


def test_authenticate_unknown_user_returns_none(db):
    make_user(db, "casey")
    assert accounts.authenticate(db, "nobody", PASSWORD) is None
    assert accounts.authenticate(db, "nobody@example.com", PASSWORD) is None


def test_authenticate_does_not_mix_up_two_accounts(db):
    make_user(db, "first", password="first-password")
    second = make_user(db, "second", password="second-password")
    assert accounts.authenticate(db, "first", "second-password") is None
    assert accounts.authenticate(db, "second", "second-password") is second


def test_lookups_by_id_and_username(db):
    user = make_user(db, "Robin")
    assert accounts.get_user(db, user.id) is user
    assert accounts.get_by_username(db, "ROBIN") is user
    with pytest.raises(NotFound):
        accounts.get_user(db, user.id + 1000)
    with pytest.raises(NotFound):
        accounts.get_by_username(db, "robin2")


# --- change_password ----------------------------------------------------------------------------


def test_change_password_with_wrong_current_is_refused_and_changes_nothing(db):
    user = make_user(db)
    db.commit()
    old_hash, old_token = user.password_hash, user.session_token
    with pytest.raises(ValidationError) as info:
        accounts.change_password(db, user, "not-my-password", "brand-new-password")
    assert set(info.value.errors) == {"current_password"}
    db.expire(user)
    assert user.password_hash == old_hash
    assert user.session_token == old_token
    assert accounts.authenticate(db, user.username, PASSWORD) is user


@pytest.mark.parametrize("new", ["short", "y" * 129])
def test_change_password_to_bad_new_password_is_refused_and_changes_nothing(db, new):
    user = make_user(db)
    db.commit()
    old_hash, old_token = user.password_hash, user.session_token
    with pytest.raises(ValidationError) as info:
        accounts.change_password(db, user, PASSWORD, new)
    assert set(info.value.errors) == {"new_password"}
    db.expire(user)
    assert (user.password_hash, user.session_token) == (old_hash, old_token)


def test_change_password_success_switches_password_and_session_token(db):
    user = make_user(db)
    db.commit()
    old_hash, old_id = user.password_hash, user.get_id()
    accounts.change_password(db, user, PASSWORD, "brand-new-password")
    db.commit()
    db.expire(user)
    assert user.password_hash != old_hash
    assert user.get_id() != old_id
    assert user.get_id().startswith(f"{user.id}:")
    assert accounts.authenticate(db, user.username, "brand-new-password") is user
    assert accounts.authenticate(db, user.username, PASSWORD) is None


# --- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, staff, moderator, admin",
    [
        (Role.MEMBER, False, False, False),
        (Role.STAFF, True, False, False),
        (Role.MODERATOR, True, True, False),
        (Role.ADMIN, True, True, True),
    ],
)
def test_set_role_changes_what_the_user_is(db, role, staff, moderator, admin):
    user = make_user(db)
    accounts.set_role(db, user, role)
    db.commit()
    db.expire(user)
    assert user.role == role.value
    assert (user.is_staff, user.is_moderator, user.is_admin) == (staff, moderator, admin)


# --- update_profile ---------------------------------------------------------------------------


PROFILE = {"display_name": "Robin H.", "bio": "Fixes boilers.", "location": "Leeds", "website": "https://robin.example"}


def _profile(user):
    return {"display_name": user.display_name, "bio": user.bio, "location": user.location, "website": user.website}


def test_update_profile_saves_trimmed_values(db):
    user = make_user(db)
    accounts.update_profile(
        db, user, display_name="  Robin H. ", bio=" Fixes boilers.\n", location=" Leeds ", website=" https://robin.example "
    )
    db.commit()
    db.expire(user)
    assert _profile(user) == PROFILE
    assert user.name == "Robin H."


def test_update_profile_allows_clearing_fields(db):
    user = make_user(db)
    accounts.update_profile(db, user, **PROFILE)
    accounts.update_profile(db, user, display_name="", bio="", location="", website="")
    db.commit()
    db.expire(user)
    assert _profile(user) == {"display_name": "", "bio": "", "location": "", "website": ""}
    assert user.name == user.username


def test_update_profile_accepts_limits_exactly(db):
    user = make_user(db)
    accounts.update_profile(db, user, display_name="d" * 60, bio="b" * 1000, location="l" * 100, website="http://x.example")
    assert len(user.bio) == 1000


@pytest.mark.parametrize(
    "field, value",
    [
        ("bio", "b" * 1001),
        ("display_name", "d" * 61),
        ("location", "l" * 101),
        ("website", "example.com"),
        ("website", "javascript:alert(1)"),
        ("website", "ftp://files.example.com"),
        ("website", "https://"),
        ("website", "https://exa mple.com"),
        ("website", "https://example.com/" + "p" * 190),
    ],
)
def test_update_profile_validation_changes_nothing(db, field, value):
    user = make_user(db)
    accounts.update_profile(db, user, **PROFILE)
    db.commit()
    with pytest.raises(ValidationError) as info:
        accounts.update_profile(db, user, **{**PROFILE, "display_name": "Changed name", field: value})
    assert set(info.value.errors) == {field}
    assert _profile(user) == PROFILE
    db.expire(user)
    assert _profile(user) == PROFILE
