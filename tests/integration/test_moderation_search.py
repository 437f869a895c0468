"""What moderation does to search: duplicates give way to their original, hidden posts vanish."""

import re

import pytest

from community import moderation
from community.models import Role
from tests.factories import make_answer, make_category, make_thread, make_user
from tests.integration.helpers import text

pytestmark = pytest.mark.usefixtures("search_backend_name")

TITLE = re.compile(r'<a href="/search/open/\d+(?:\?[^"]*)?">([^<]*)</a>')


@pytest.fixture
def session(app):
    """A session from the app's own factory: its commits are indexed by the sync indexer."""
    with app.extensions["hearth.sessionmaker"]() as session:
        yield session


def titles(client, q: str) -> list[str]:
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    return TITLE.findall(text(response))


def test_a_duplicate_leaves_search_to_its_original_until_reopened(client, session):
    mod = make_user(session, "mod", role=Role.MODERATOR)
    heating = make_category(session, "Heating", "heating")
    original = make_thread(session, category=heating, title="Thermostat makes a clicking noise at night",
                           body="A loud clicking noise from the thermostat every hour.")
    copy = make_thread(session, category=heating, title="Clicking noise from my thermostat",
                       body="The thermostat clicking noise wakes us up.")
    session.commit()
    assert sorted(titles(client, "thermostat clicking")) == sorted([original.title, copy.title])

    moderation.close_as_duplicate(session, mod, copy, original.id)
    session.commit()
    assert titles(client, "thermostat clicking") == [original.title]

    moderation.reopen(session, mod, copy)
    session.commit()
    assert sorted(titles(client, "thermostat clicking")) == sorted([original.title, copy.title])


def test_a_hidden_answer_is_not_found(client, session):
    mod = make_user(session, "mod", role=Role.MODERATOR)
    thread = make_thread(session, title="Radiator valve is stuck and will not turn")
    answer = make_answer(session, thread, body="Try the zanzibar spanner from our partner shop.")
    session.commit()
    assert titles(client, "zanzibar") == [thread.title]

    moderation.hide_post(session, mod, answer, reason="Advertising")
    session.commit()
    assert titles(client, "zanzibar") == []
    assert titles(client, "radiator valve") == [thread.title]
