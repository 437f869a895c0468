"""CSRF protection on every state-changing form, security headers, and secret-key handling."""

import stat

import pytest
from sqlalchemy import func, select

import config
from app import create_app
from community.models import Category, MailMessage, PendingSignup, Post, Thread, User, Vote
from config import DevelopmentConfig, ProductionConfig
from tests.factories import PASSWORD, VOTER_REPUTATION, make_answer, make_category, make_thread, make_user
from tests.integration.helpers import csrf_token, fresh, signed_in_as, text

CSRF_MESSAGE = "The form expired or came from another site."


class CsrfConfig(config.TestingConfig):
    WTF_CSRF_ENABLED = True


@pytest.fixture
def csrf_app(engine, database_url):
    app = create_app(CsrfConfig(database_url))
    yield app
    app.extensions["hearth.engine"].dispose()


@pytest.fixture
def scene(db):
    """An asker's thread with one answer by another member, and an admin."""
    asker = make_user(db, "asker", reputation=VOTER_REPUTATION)  # the asker votes on the answer
    helper = make_user(db, "helper")
    make_user(db, "boss", role="admin")
    thread = make_thread(db, author=asker, title="The heating will not switch on at night")
    answer = make_answer(db, thread, author=helper, body="Check the schedule under Settings.")
    db.commit()
    return {"thread": thread, "answer": answer}


def _sign_in(app, username):
    """Sign in through the form, with the token the login page handed out."""
    client = app.test_client()
    token = csrf_token(text(client.get("/login")))
    response = client.post("/login", data={"login": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def _count(db, model, *where) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(model).where(*where))


def _refused(response) -> None:
    assert response.status_code == 400
    assert CSRF_MESSAGE in text(response)


def test_login_without_a_token_is_refused(csrf_app, db):
    make_user(db, "alice")
    db.commit()
    client = csrf_app.test_client()

    _refused(client.post("/login", data={"login": "alice", "password": PASSWORD}))

    assert signed_in_as(client) is None


def test_register_without_a_token_is_refused_and_saves_nothing(csrf_app, db):
    client = csrf_app.test_client()
    data = {"username": "newbie", "email": "newbie@example.com", "password": "long-enough-1"}

    _refused(client.post("/register", data=data))
    _refused(client.post("/register", data={**data, "csrf_token": "forged"}))
    assert _count(db, PendingSignup) == 0 and _count(db, MailMessage) == 0

    token = csrf_token(text(client.get("/register")))
    assert client.post("/register", data={**data, "csrf_token": token}).status_code == 302
    assert _count(db, PendingSignup) == 1 and _count(db, MailMessage) == 1


def test_a_token_from_another_session_is_refused(csrf_app, db):
    other = csrf_app.test_client()
    foreign_token = csrf_token(text(other.get("/register")))
    client = csrf_app.test_client()
    client.get("/register")

    _refused(
        client.post(
            "/register",
            data={
                "username": "newbie",
                "email": "newbie@example.com",
                "password": "long-enough-1",
                "csrf_token": foreign_token,
            },
        )
    )
    assert _count(db, User) == 0 and _count(db, PendingSignup) == 0


def test_answer_without_a_token_is_refused(csrf_app, db, scene):
    client = _sign_in(csrf_app, "boss")
    url = f"/t/{scene['thread'].id}/answer"
    body = "Replace the batteries in the thermostat."

    _refused(client.post(url, data={"body": body}))
    assert _count(db, Post, Post.body_md == body) == 0

    token = csrf_token(text(client.get(f"/t/{scene['thread'].id}/{scene['thread'].slug}")))
    assert client.post(url, data={"body": body, "csrf_token": token}).status_code == 302
    assert _count(db, Post, Post.body_md == body) == 1


def test_vote_without_a_token_is_refused(csrf_app, db, scene):
    client = _sign_in(csrf_app, "asker")
    url = f"/p/{scene['answer'].id}/vote"

    _refused(client.post(url, data={"value": "up"}))
    assert _count(db, Vote) == 0

    token = csrf_token(text(client.get("/")))
    assert client.post(url, data={"value": "up", "csrf_token": token}).status_code == 302
    assert _count(db, Vote) == 1


def test_accept_without_a_token_is_refused(csrf_app, db, scene):
    client = _sign_in(csrf_app, "asker")
    url = f"/p/{scene['answer'].id}/accept"

    _refused(client.post(url))
    assert _count(db, Thread, Thread.accepted_post_id.is_not(None)) == 0

    token = csrf_token(text(client.get("/")))
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    assert _count(db, Thread, Thread.accepted_post_id == scene["answer"].id) == 1


def test_logout_without_a_token_is_refused(csrf_app, db, scene):
    client = _sign_in(csrf_app, "asker")

    _refused(client.post("/logout"))
    assert signed_in_as(client) == "asker"

    token = csrf_token(text(client.get("/")))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert signed_in_as(client) is None


def test_admin_category_create_without_a_token_is_refused(csrf_app, db, scene):
    client = _sign_in(csrf_app, "boss")
    data = {"name": "Forged", "slug": "forged", "description": "", "position": "0"}
    before = _count(db, Category)

    _refused(client.post("/admin/categories/new", data=data))
    assert _count(db, Category) == before

    token = csrf_token(text(client.get("/admin/categories/new")))
    assert client.post("/admin/categories/new", data={**data, "csrf_token": token}).status_code == 302
    assert _count(db, Category, Category.slug == "forged") == 1


def test_admin_category_delete_without_a_token_is_refused(csrf_app, db, scene):
    empty = make_category(db, "Empty", "empty")
    db.commit()
    client = _sign_in(csrf_app, "boss")

    _refused(client.post(f"/admin/categories/{empty.id}/delete"))
    assert _count(db, Category, Category.id == empty.id) == 1


# --- Security headers -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/t/999999", "/static/css/hearth.css"])
def test_security_headers_are_on_every_response(client, path):
    response = client.get(path)
    response.close()  # a static file is streamed from an open file

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http in tests


def test_hsts_is_sent_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- Secret keys ----------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig()


def test_create_app_in_production_without_a_secret_key_fails(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("HEARTH_ENV", "production")

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_uses_the_secret_key_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")

    assert ProductionConfig().SECRET_KEY == "from-the-environment"


def test_an_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("HEARTH_ENV", "staging")

    with pytest.raises(RuntimeError, match="HEARTH_ENV"):
        config.config_from_env()


def test_development_creates_a_secret_key_file_once_and_reuses_it(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE_DIR", instance)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    key_file = instance / "secret_key"

    first = DevelopmentConfig().SECRET_KEY

    assert key_file.read_text().strip() == first
    assert len(first) == 64 and int(first, 16) >= 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    written = key_file.stat().st_mtime_ns

    assert DevelopmentConfig().SECRET_KEY == first
    assert key_file.stat().st_mtime_ns == written
    assert [p.name for p in instance.iterdir()] == ["secret_key"]


def test_development_reuses_a_key_file_that_already_exists(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("kept-from-last-time\n")

    assert DevelopmentConfig().SECRET_KEY == "kept-from-last-time"


def test_development_prefers_a_secret_key_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")

    assert DevelopmentConfig().SECRET_KEY == "from-the-environment"
    assert not (tmp_path / "instance").exists()
