"""Fixtures for the integration tests: a small indexed community that the search page and
search API tests both read."""

import pytest

from community import accepting, threads
from community.models import Role
from tests.factories import TAGGER_REPUTATION, make_answer, make_category, make_thread, make_user


@pytest.fixture
def session(app):
    """A session from the app's own factory: its commits are indexed by the sync indexer."""
    with app.extensions["hearth.sessionmaker"]() as session:
        yield session


@pytest.fixture
def world(session):
    heating = make_category(session, "Heating", "heating")
    billing = make_category(session, "Billing", "billing")
    # Both askers create new tags, a privilege earned by reputation.
    alice = make_user(session, "alice", reputation=TAGGER_REPUTATION)
    bob = make_user(session, "bob", reputation=TAGGER_REPUTATION)
    sam = make_user(session, "samuel", role=Role.STAFF)
    mo = make_user(session, "molly", role=Role.MODERATOR)
    boiler = make_thread(
        session, author=alice, category=heating, tags="boiler error",
        title="Boiler shows error E17 after a power cut",
        body="The display shows E17 and the radiators stay cold since the storm.",
    )
    reset = make_answer(session, boiler, author=bob, body="Hold the reset button for ten seconds until the display restarts.")
    gauge = make_answer(
        session, boiler, author=sam, body="Check the water pressure gauge: it must read above one bar before you reset."
    )
    accepting.accept_answer(session, alice, reset)
    invoice = make_thread(
        session, author=bob, category=billing, tags="invoice",
        title="Invoice shows the wrong postal address",
        body="My invoice still has the old postal address after moving house.",
    )
    session.commit()
    return {
        "heating": heating.id, "billing": billing.id, "alice": alice, "bob": bob, "sam": sam, "mo": mo,
        "boiler": boiler.id, "question": threads.question_of(session, boiler).id, "reset": reset.id,
        "gauge": gauge.id, "invoice": invoice.id,
    }
