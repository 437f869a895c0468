"""When the database cannot be reached, every page and API call answers 503 with Retry-After and
a plain explanation: no traceback, and no template that would need the database to render.

The site is built normally (members sign in for real), then its sessions are pointed at a
PostgreSQL address where nothing listens, so every query fails as it does during a restart."""

import json
import socket

import pytest

from app.errors import RETRY_AFTER_SECONDS
from community.db import make_engine
from tests.factories import make_category, make_thread, make_user
from tests.integration.helpers import login, text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def place(session):
    category = make_category(session)
    thread = make_thread(session, category=category, title="Radiator stays cold upstairs")
    make_user(session, "member_mia")
    make_user(session, "staff_sue", role="staff")
    session.commit()
    return {"thread": f"/t/{thread.id}/{thread.slug}", "thread_id": thread.id}


@pytest.fixture
def database_away(app):
    """Point the site's sessions at an address where no database listens."""
    factory = app.extensions["hearth.sessionmaker"]
    working = factory.kw["bind"]
    away = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/hearth")

    def go_away():
        factory.configure(bind=away)

    yield go_away
    factory.configure(bind=working)
    away.dispose()


def assert_unavailable_page(response, *, sent: bool = False) -> str:
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit() and int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/html"
    page = text(response)
    assert "Back in a moment" in page and "cannot reach its database" in page
    assert ("may not have been saved" in page) is sent
    for leak in ("Traceback", "psycopg", "OperationalError", "127.0.0.1"):
        assert leak not in page
    return page


def test_a_visitor_gets_a_503_page_with_retry_after(app, client, place, database_away):
    database_away()
    response = client.get(place["thread"])
    page = assert_unavailable_page(response)
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    # The page offers to load the same address again, and shows no account links.
    assert f'href="{place["thread"]}">Try again' in page
    assert "Sign out" not in page and "Sign in" not in page


def test_a_signed_in_member_gets_the_page_without_their_account_being_read(app, client, place, database_away):
    login(client, "member_mia")
    client.get(place["thread"])  # a page with the answer form, for its CSRF token
    database_away()
    assert_unavailable_page(client.get(place["thread"]))
    assert_unavailable_page(client.get("/staff/search"))
    # A form sent meanwhile is not confirmed, and the page says it may not have been saved.
    assert_unavailable_page(client.post(f"/t/{place['thread_id']}/answer", data={"body": "Bleed the radiator."}), sent=True)


def test_the_api_answers_problem_json(app, client, place, database_away):
    database_away()
    response = client.get(f"/api/v1/threads/{place['thread_id']}")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    problem = json.loads(text(response))
    assert problem["status"] == 503 and problem["title"] == "Service Unavailable"
    assert "Retry after" in problem["detail"] and "psycopg" not in problem["detail"]


def test_the_site_works_again_once_the_database_is_back(app, client, place, database_away):
    login(client, "member_mia")
    database_away()
    assert client.get(place["thread"]).status_code == 503
    factory = app.extensions["hearth.sessionmaker"]
    factory.configure(bind=app.extensions["hearth.engine"])
    page = client.get(place["thread"])
    assert page.status_code == 200 and "member_mia" in text(page)
