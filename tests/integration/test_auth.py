"""Joining, signing in and out, the `next` redirect, and account settings."""

import html

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from community.models import PendingSignup, User
from tests.factories import PASSWORD, make_user
from tests.integration.helpers import fresh, login, set_cookie_headers, signed_in_as, text

GENERIC_LOGIN_ERROR = "That username or password is not right."


def _user_count(db) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(User))


# --- Registering (the emailed link that finishes it: test_registration.py) -------------------


@pytest.mark.parametrize(
    ("username", "email", "password", "message"),
    [
        ("taken", "other@example.com", "long-enough-1", "That username is taken."),
        ("TAKEN", "other@example.com", "long-enough-1", "That username is taken."),
        ("fresh-name", "not-an-email", "long-enough-1", "That email address is not valid"),
        ("fresh-name", "fresh@example.com", "short", "Field must be between 8 and 128 characters long."),
        ("admin", "fresh@example.com", "long-enough-1", "That username is reserved."),
        ("bad name!", "fresh@example.com", "long-enough-1", "Use 3-30 letters, digits"),
    ],
)
def test_register_errors_are_shown_on_the_form_and_nothing_is_saved(
    client, db, username, email, password, message
):
    make_user(db, "taken")
    db.commit()
    before = _user_count(db)

    response = client.post("/register", data={"username": username, "email": email, "password": password})

    page = html.unescape(text(response))
    assert response.status_code == 400
    assert message in page
    assert f'value="{username}"' in page  # the typed username is kept
    assert f'value="{password}"' not in page  # the password is never echoed back
    assert _user_count(db) == before
    assert db.scalar(select(func.count()).select_from(PendingSignup)) == 0
    assert signed_in_as(client) is None


# --- Signing in and out ---------------------------------------------------------------------


@pytest.mark.parametrize("login_name", ["alice", "ALICE", "alice@example.com", "Alice@Example.com"])
def test_login_by_username_or_email(client, db, login_name):
    make_user(db, "alice")
    db.commit()

    response = client.post("/login", data={"login": login_name, "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in_as(client) == "alice"


def test_a_wrong_password_and_an_unknown_user_get_the_same_generic_message(client, db):
    make_user(db, "alice")
    db.commit()

    wrong_password = client.post("/login", data={"login": "alice", "password": "not-the-password"})
    unknown_user = client.post("/login", data={"login": "nobody", "password": "not-the-password"})

    for response in (wrong_password, unknown_user):
        page = text(response)
        assert response.status_code == 400
        assert page.count(GENERIC_LOGIN_ERROR) == 1
        assert "No such" not in page
    assert signed_in_as(client) is None


def test_remember_me_sets_an_httponly_samesite_lax_remember_cookie(client, db):
    make_user(db, "alice")
    db.commit()

    response = login(client, "alice", remember=True)

    [remember] = set_cookie_headers(response, "remember_token")
    assert "HttpOnly" in remember
    assert "SameSite=Lax" in remember
    assert "Expires=" in remember  # it outlives the browser session
    [session_cookie] = set_cookie_headers(response, "session")
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie


def test_remember_cookie_signs_in_again_after_the_session_is_gone(client, db):
    make_user(db, "alice")
    db.commit()
    login(client, "alice", remember=True)

    client.delete_cookie("session")

    assert signed_in_as(client) == "alice"


def test_without_remember_me_there_is_no_remember_cookie(client, db):
    make_user(db, "alice")
    db.commit()

    response = login(client, "alice")

    assert set_cookie_headers(response, "remember_token") == []
    [session_cookie] = set_cookie_headers(response, "session")
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_logout_is_only_by_post(client, db):
    make_user(db, "alice")
    db.commit()
    login(client, "alice", remember=True)

    assert client.get("/logout").status_code == 405
    assert signed_in_as(client) == "alice"

    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "/\\evil.com",
        "https://evil.com",
        "https:evil.com",
        "javascript:alert(1)",
        "http:/evil.com",
    ],
)
def test_next_after_login_never_leaves_the_site(client, db, target):
    make_user(db, "alice")
    db.commit()

    response = client.post(
        "/login", query_string={"next": target}, data={"login": "alice", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_after_login_keeps_a_path_on_the_site(client, db):
    make_user(db, "alice")
    db.commit()

    response = client.post(
        "/login", query_string={"next": "/t/1/x"}, data={"login": "alice", "password": PASSWORD}
    )

    assert response.headers["Location"] == "/t/1/x"


def test_a_page_that_needs_sign_in_sends_visitors_to_login_and_back(client, db):
    make_user(db, "alice")
    db.commit()

    response = client.get("/settings/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")

    back = client.post(response.headers["Location"], data={"login": "alice", "password": PASSWORD})
    assert back.headers["Location"] == "/settings/profile"


# --- Changing the password ------------------------------------------------------------------


def test_change_password_with_a_wrong_current_password_is_refused(client, db):
    make_user(db, "alice")
    db.commit()
    login(client, "alice")

    response = client.post(
        "/settings/password", data={"current_password": "not-my-password", "new_password": "brand-new-pass-1"}
    )

    assert response.status_code == 400
    assert "Your current password is not right." in html.unescape(text(response))
    fresh(db)
    user = db.scalar(select(User).where(User.username == "alice"))
    assert check_password_hash(user.password_hash, PASSWORD)


def test_change_password_with_a_too_short_new_password_is_refused(client, db):
    make_user(db, "alice")
    db.commit()
    login(client, "alice")

    response = client.post("/settings/password", data={"current_password": PASSWORD, "new_password": "short"})

    assert response.status_code == 400
    fresh(db)
    user = db.scalar(select(User).where(User.username == "alice"))
    assert check_password_hash(user.password_hash, PASSWORD)


def test_change_password_keeps_this_browser_signed_in_and_signs_out_the_others(app, db):
    make_user(db, "alice")
    db.commit()
    here, elsewhere, remembered = app.test_client(), app.test_client(), app.test_client()
    login(here, "alice")
    login(elsewhere, "alice")
    login(remembered, "alice", remember=True)

    response = here.post(
        "/settings/password", data={"current_password": PASSWORD, "new_password": "brand-new-pass-1"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/u/alice"
    assert signed_in_as(here) == "alice"
    # The session token changed: the old session and the old remember cookie no longer work.
    assert signed_in_as(elsewhere) is None
    remembered.delete_cookie("session")
    assert signed_in_as(remembered) is None
    # Only the new password signs in now.
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "alice", "password": PASSWORD}).status_code == 400
    login(fresh, "alice", "brand-new-pass-1")


# --- Editing the profile --------------------------------------------------------------------


def test_edit_profile_form_is_filled_in_and_saves(client, db):
    user = make_user(db, "alice")
    user.display_name = "Alice A."
    db.commit()
    login(client, "alice")

    form = text(client.get("/settings/profile"))
    assert 'value="Alice A."' in form

    response = client.post(
        "/settings/profile",
        data={
            "display_name": "Alice Liddell",
            "location": "Oxford",
            "website": "https://alice.example.com",
            "bio": "Follows white rabbits.",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/u/alice"
    profile = text(client.get("/u/alice"))
    assert "Alice Liddell" in profile
    assert "Oxford" in profile
    assert 'href="https://alice.example.com"' in profile
    assert "Follows white rabbits." in profile


def test_edit_profile_rejects_a_website_that_is_not_a_web_address(client, db):
    make_user(db, "alice")
    db.commit()
    login(client, "alice")

    response = client.post(
        "/settings/profile",
        data={"display_name": "Alice Liddell", "location": "", "website": "javascript:alert(1)", "bio": ""},
    )

    assert response.status_code == 400
    assert "Give a full web address starting with http:// or https://." in text(response)
    assert 'value="Alice Liddell"' in text(response)
    fresh(db)
    user = db.scalar(select(User).where(User.username == "alice"))
    assert user.website == "" and user.display_name == ""
