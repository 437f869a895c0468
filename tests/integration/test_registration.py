"""Joining through the emailed link, and a form that never tells whether an address has an account:
a used address gets the same answer as a new one, no second account, and a note to its owner."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash

from app import create_app
from community.db import utcnow
from community.models import MailMessage, PendingSignup, User
from config import TestingConfig
from tests.factories import PASSWORD, make_user
from tests.integration.helpers import CSRF_INPUT, fresh, login, signed_in_as, text
from tests.integration.test_mail import _link, _messages, _path, _send

NEW_PASSWORD = "long-enough-pass-1"


@pytest.fixture
def outbox(app, tmp_path):
    path = tmp_path / "outbox.mbox"
    app.config.update(MAIL_SERVER="", MAIL_OUTBOX_PATH=str(path))
    return path


def _join(client, username: str, email: str, next_url: str | None = None):
    query = {"next": next_url} if next_url is not None else {}
    data = {"username": username, "email": email, "password": NEW_PASSWORD}
    return client.post("/register", query_string=query, data=data)


def _count(db, model) -> int:
    return fresh(db).scalar(select(func.count()).select_from(model))


def _mail_to(outbox, address: str) -> list:
    return [m for m in _messages(outbox) if m["To"] == address]


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def test_joining_is_finished_by_the_emailed_link(app, client, db, outbox):
    response = _join(client, "newbie", "Newbie@Example.COM")
    assert response.status_code == 302 and response.headers["Location"] == "/register/check-email"
    assert "Check your email to finish" in text(client.get("/register/check-email"))
    assert signed_in_as(client) is None and _count(db, User) == 0

    _send(app)
    [message] = _messages(outbox)
    assert message["To"] == "newbie@example.com" and "List-Unsubscribe" not in message
    assert message["Subject"] == "[Hearth] Finish creating your account"
    finish = _path(_link(message, "/register/finish/"))

    page = text(client.get(finish))
    assert "Finish joining" in page and "<strong>newbie</strong>" in page
    assert _count(db, User) == 0  # a mail scanner opening the link makes nothing
    response = client.post(finish)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in_as(client) == "newbie"
    user = fresh(db).scalar(select(User).where(User.username == "newbie"))
    assert user.email == "newbie@example.com" and user.role == "member"
    assert user.email_verified_at is not None  # following the link proved the address
    assert check_password_hash(user.password_hash, NEW_PASSWORD)

    assert app.test_client().get(finish).status_code == 404  # used up
    assert _count(db, PendingSignup) == 0
    assert db.scalar(select(MailMessage.body).where(MailMessage.kind == "finish_signup")) == ""


def _answer(app, username: str, email: str) -> tuple:
    """Everything a visitor sees of the form's answer, a fresh browser each time."""
    client = app.test_client()
    response = _join(client, username, email)
    followed = client.get(response.headers["Location"])
    page = CSRF_INPUT.sub("csrf", text(followed))
    return response.status_code, response.headers["Location"], sorted(response.headers.keys()), followed.status_code, page


def test_a_used_address_gets_the_same_answer_as_a_new_one_and_its_owner_a_note(app, db, outbox):
    make_user(db, "alice")
    db.commit()

    taken = _answer(app, "newcomer", "Alice@Example.com")
    free = _answer(app, "newcomer", "fresh@example.com")
    assert taken == free
    assert taken[0] == 302 and "Check your email to finish" in taken[4]

    # No second account, Alice's is as it was, and only the new address waits for its link.
    assert _count(db, User) == 1
    alice = db.scalar(select(User).where(User.username == "alice"))
    assert check_password_hash(alice.password_hash, PASSWORD)
    assert list(db.scalars(select(PendingSignup.email))) == ["fresh@example.com"]

    _send(app)
    [note] = _mail_to(outbox, "alice@example.com")
    assert note["Subject"] == "[Hearth] Someone tried to join with your address"
    assert "List-Unsubscribe" not in note
    body = _body(note)
    assert "It already belongs to your account alice, so no new account was made." in body
    assert "/register/finish/" not in body
    assert _link(note, "/login") == "http://localhost/login"
    [finish_note] = _mail_to(outbox, "fresh@example.com")
    assert "/register/finish/" in _body(finish_note)

    # The note's reset link works, as the forgot-password one does.
    client = app.test_client()
    reset = _path(_link(note, "/reset-password/"))
    assert client.get(reset).status_code == 200
    assert client.post(reset, data={"password": "alice-chose-anew"}).status_code == 302
    login(client, "alice", "alice-chose-anew")


def test_an_imported_placeholder_address_gets_the_same_answer_and_no_mail(app, db, outbox):
    ghost = make_user(db, "ghost")
    db.execute(update(User).where(User.id == ghost.id).values(placeholder_source="support.example.com"))
    db.commit()

    assert _answer(app, "newcomer", "ghost@example.com") == _answer(app, "newcomer", "fresh@example.com")
    assert _count(db, User) == 1
    assert list(fresh(db).scalars(select(MailMessage.to_address))) == ["fresh@example.com"]


def test_a_link_cannot_finish_when_its_name_or_address_was_taken_meanwhile(app, client, db, outbox):
    _join(app.test_client(), "newbie", "first@example.com")
    _join(app.test_client(), "newbie", "second@example.com")  # names are not held while a link waits
    _join(app.test_client(), "other", "third@example.com")
    _send(app)
    first, second, third = (_path(_link(_mail_to(outbox, a)[0], "/register/finish/")) for a in (
        "first@example.com", "second@example.com", "third@example.com"))
    assert app.test_client().post(first).status_code == 302

    response = client.post(second)
    assert response.status_code == 409
    assert "Someone took the username newbie meanwhile. Register again with another one." in text(response)
    make_user(db, "admin-made", verified=True)
    db.execute(update(User).where(User.username == "admin-made").values(email="third@example.com"))
    db.commit()
    response = client.post(third)
    assert response.status_code == 409 and "An account with this address was made meanwhile" in text(response)
    assert sorted(fresh(db).scalars(select(User.email))) == ["first@example.com", "third@example.com"]
    assert signed_in_as(client) is None


def test_an_expired_or_made_up_link_makes_nothing(app, client, db, outbox):
    _join(client, "newbie", "newbie@example.com")
    _send(app)
    finish = _path(_link(_messages(outbox)[0], "/register/finish/"))
    db.execute(update(PendingSignup).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    for path in (finish, "/register/finish/made-up-token"):
        assert client.get(path).status_code == 404
        response = client.post(path)
        assert response.status_code == 404 and "Register again" in text(response)
    assert _count(db, User) == 0


@pytest.mark.parametrize(("next_url", "lands_on"), [("/ask", "/ask"), ("//evil.com", "/"), ("https://evil.com/", "/")])
def test_joining_keeps_an_on_site_next_for_after_the_link(app, client, db, outbox, next_url, lands_on):
    assert _join(client, "newbie", "newbie@example.com", next_url).headers["Location"] == "/register/check-email"
    _send(app)
    finish = _path(_link(_messages(outbox)[0], "/register/finish/"))
    assert client.post(finish).headers["Location"] == lands_on


class _RegisterLimited(TestingConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_REGISTER = "2 per hour"


def test_joining_is_rate_limited_alike_for_used_and_new_addresses(engine, database_url, db, tmp_path):
    make_user(db, "alice")
    db.commit()
    app = create_app(_RegisterLimited(database_url, search_index_dir=str(tmp_path / "index")))
    try:
        client = app.test_client()
        statuses = [
            _join(client, "newcomer", email).status_code
            for email in ("alice@example.com", "fresh@example.com", "alice@example.com")
        ]
    finally:
        app.extensions["hearth.search"].close()
        app.extensions["hearth.engine"].dispose()
    assert statuses == [302, 302, 429]
    assert _count(db, MailMessage) == 2

