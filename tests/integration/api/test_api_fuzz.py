"""Schemathesis against the served OpenAPI document: generated requests to every operation,
valid and invalid, find no server error and no response that breaks the document."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from community import accepting
from community.models import Role
from tests.factories import make_answer, make_category, make_thread, make_user
from tests.integration.api.contract import app_with, token

# Operations whose services refuse some schema-valid input by their own rules, with a 422 that
# names the field (only staff can be assigned; a metrics period is at most 366 days): generated
# valid cases may meet those rules. Every other check still runs on them.
RULE_CHECKED = {
    "PATCH /api/v1/threads/{thread_id}/care",
    "GET /api/v1/care/metrics",
    # Which category ids exist, whether an edit changes anything, which tags a member may create,
    # that a text is more than spaces, that the post accepted is an answer of that thread.
    "POST /api/v1/threads",
    "PATCH /api/v1/threads/{thread_id}",
    "POST /api/v1/threads/{thread_id}/answers",
    "PUT /api/v1/threads/{thread_id}/accepted-answer",
    "PATCH /api/v1/posts/{post_id}",
}

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def app(database_url, tmp_path):
    """The site with its search index left to the separate worker. Hypothesis seeds `random` alike
    for every example and Whoosh names new segments with it, so indexing after each generated
    write would reuse a live segment's name; the search pages have tests of their own."""
    with app_with(database_url, tmp_path, SEARCH_INDEXER="worker") as app:
        yield app


@pytest.fixture
def community(db):
    """A small community to act on, and a staff token that may do everything."""
    asker = make_user(db, username="asker")
    staff = make_user(db, username="agent", role=Role.STAFF)
    category = make_category(db, name="Support", slug="support")
    for n in range(3):
        thread = make_thread(db, author=asker, category=category, title=f"Thermostat question number {n}")
        answer = make_answer(db, thread, author=staff, body=f"Reset the thermostat, step {n}.")
        if n == 0:
            accepting.accept_answer(db, asker, answer)
    db.commit()
    return token(db, staff, "write", "staff")


def test_every_operation_keeps_to_its_document(app, community):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Every request carries the fixture's token: a generated Authorization header would be
    # replaced by it, so a "no token" case would be answered as authorised and seem accepted.
    schema.config.generation.update(with_security_parameters=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if error := _exercise(operation, mode, community):
                failures.append(error)
    assert not failures, "\n\n".join(failures)


def _exercise(operation, mode, headers) -> str | None:
    """Run one operation's generated cases; the failure as text, or None."""

    label = f"{operation.method.upper()} {operation.path}"
    excluded = [positive_data_acceptance] if label in RULE_CHECKED else []

    @given(case=operation.as_strategy(mode))
    @SETTINGS
    def exercise(case):
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    try:
        exercise()
    except Unsatisfiable:  # nothing to make invalid: an operation without parameters or body
        return None
    except Exception as exc:  # every operation is tried; all failures are reported together
        return f"{label} ({mode.value}): {exc}"
    return None
