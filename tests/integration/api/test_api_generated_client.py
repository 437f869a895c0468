"""A client generated from the served document (openapi-python-client) works against the API.

The client is generated once per module, offline, from the document the app serves, and talks to
the real app (WSGI over httpx) on the test database. It raises on any status its operation does not
document, its models refuse responses that lack documented fields, and every model it parses is
checked for fields the document does not list: so a document that drifts from the API fails here.
"""

import importlib
import subprocess
import sys

import attrs
import httpx
import pytest
from sqlalchemy import func, select

from community import accepting
from community.models import Post, Role, Thread
from tests.factories import make_answer, make_category, make_thread, make_user
from tests.integration.api.contract import app_with, token

PACKAGE = "hearth_client"


@pytest.fixture(scope="module")
def generated(database_url, tmp_path_factory):
    """The generated client package, imported from a temporary folder."""
    folder = tmp_path_factory.mktemp("generated_client")
    with app_with(database_url, folder) as app:
        served = app.test_client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    (folder / "openapi.json").write_bytes(served.data)
    (folder / "config.yaml").write_text("post_hooks: []\n")  # no formatter pass: nothing else to run
    command = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(folder / "openapi.json"), "--config", str(folder / "config.yaml"),
        "--meta", "none", "--output-path", str(folder / PACKAGE), "--fail-on-warning",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    # A warning means an operation or a model the generator could not build from the document.
    assert result.returncode == 0, result.stdout + result.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(folder))
        yield importlib.import_module(PACKAGE)
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def operation(generated, tag: str, name: str):
    """One generated operation module, by its tag's folder and its operationId."""
    return importlib.import_module(f"{generated.__name__}.api.{tag}.{name}")


def model(generated, name: str):
    return getattr(importlib.import_module(f"{generated.__name__}.models"), name)


def connect(generated, app, headers: dict | None = None):
    """A generated client on the app itself, with the token from `headers` when given."""
    settings = {
        "base_url": "http://localhost",
        "raise_on_unexpected_status": True,
        "httpx_args": {"transport": httpx.WSGITransport(app=app)},
    }
    if headers:
        return generated.AuthenticatedClient(token=headers["Authorization"].removeprefix("Bearer "), **settings)
    return generated.Client(**settings)


def undocumented(value, where: str = "") -> list[str]:
    """Fields the API sent that the document does not list, anywhere in a parsed model."""
    if isinstance(value, list):
        return [found for n, item in enumerate(value) for found in undocumented(item, f"{where}[{n}]")]
    if not attrs.has(type(value)):
        return []
    found = [f"{where}.{name}" for name in value.additional_properties]
    for field in attrs.fields(type(value)):
        if field.name != "additional_properties":
            found += undocumented(getattr(value, field.name), f"{where}.{field.name}")
    return found


def parsed(response, model_class, status: int):
    """The response's model, of the expected class and status, with nothing undocumented in it."""
    assert response.status_code == status, response.content[:300]
    assert isinstance(response.parsed, model_class), response.parsed
    assert undocumented(response.parsed) == []
    return response.parsed


def test_a_visitor_lists_categories_and_reads_a_thread(app, db, generated):
    heating = make_category(db, name="Heating", slug="heating")
    asker = make_user(db, "asker")
    thread = make_thread(db, author=asker, category=heating, title="Boiler shows error E17 after a power cut")
    answer = make_answer(db, thread, body="Hold the reset button for ten seconds.")
    accepting.accept_answer(db, asker, answer)
    db.commit()
    client = connect(generated, app)

    listed = operation(generated, "categories", "list_categories").sync_detailed(client=client)
    categories = parsed(listed, model(generated, "CategoryList"), 200).items
    assert [(c.slug, c.thread_count) for c in categories] == [("heating", 1)]
    assert "retry-after" not in listed.headers

    read = operation(generated, "threads", "get_thread").sync_detailed(thread_id=thread.id, client=client)
    one = parsed(read, model(generated, "Thread"), 200)
    assert one.title == "Boiler shows error E17 after a power cut" and one.solved
    assert one.accepted_answer.id == answer.id and "ten seconds" in one.accepted_answer.body_html
    assert one.question.author.username == "asker" and one.answers == []

    missing = operation(generated, "threads", "get_thread").sync_detailed(thread_id=999_999, client=client)
    assert parsed(missing, model(generated, "Problem"), 404).status == 404


def test_a_member_asks_answers_and_deletes_the_answer_with_a_token(app, db, generated):
    category = make_category(db, name="Billing", slug="billing")
    member = make_user(db, "member")
    client = connect(generated, app, token(db, member, "write"))
    ask = model(generated, "AskBody")(
        title="Invoice shows the wrong postal address", body="My invoice still has the old address.", category_id=category.id
    )

    asked = operation(generated, "threads", "create_thread").sync_detailed(client=client, body=ask)
    thread = parsed(asked, model(generated, "Thread"), 201)
    assert thread.category.slug == "billing" and thread.question.can_delete
    assert asked.headers["location"].endswith(f"/api/v1/threads/{thread.id}")

    answer_body = model(generated, "AnswerBody")(body="Change it under Settings, then ask for a new invoice.")
    answered = operation(generated, "threads", "create_answer").sync_detailed(thread_id=thread.id, client=client, body=answer_body)
    answer = parsed(answered, model(generated, "Post"), 201)

    deleted = operation(generated, "posts", "delete_post").sync_detailed(post_id=answer.id, client=client)
    assert deleted.status_code == 204 and deleted.parsed is None
    assert deleted.content == b"" and "content-type" not in deleted.headers  # no body, so no type
    db.expire_all()
    assert db.get(Post, answer.id).is_deleted

    gone = operation(generated, "posts", "get_post").sync_detailed(post_id=answer.id, client=client)
    assert parsed(gone, model(generated, "Problem"), 404).detail


@pytest.fixture
def limited_app(database_url, tmp_path):
    with app_with(
        database_url, tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_API="2 per minute"
    ) as app:
        yield app


def test_refusals_arrive_as_documented_problems(limited_app, db, generated):
    category = make_category(db)
    staff = make_user(db, role=Role.STAFF)
    visitor = connect(generated, limited_app)
    list_categories = operation(generated, "categories", "list_categories")
    problem_class = model(generated, "Problem")

    allowed = [list_categories.sync_detailed(client=visitor) for _ in range(2)]
    assert [r.headers["x-ratelimit-remaining"] for r in allowed] == ["1", "0"]
    assert not any("retry-after" in r.headers for r in allowed)
    refused = list_categories.sync_detailed(client=visitor)
    assert parsed(refused, problem_class, 429).status == 429
    assert int(refused.headers["retry-after"]) > 0

    member = connect(generated, limited_app, token(db, staff, "write"))
    too_long = model(generated, "AskBody")(title="A question far too long to send", body="x" * (1024 * 1024), category_id=category.id)
    oversized = operation(generated, "threads", "create_thread").sync_detailed(client=member, body=too_long)
    assert "1 MiB" in parsed(oversized, problem_class, 413).detail
    assert db.scalar(select(func.count(Thread.id))) == 0

    # No generated operation sends a method a path does not take; the document's named 405
    # response still parses with the same model.
    wrong = member.get_httpx_client().put("/api/v1/threads")
    assert wrong.status_code == 405 and wrong.headers["allow"]
    assert problem_class.from_dict(wrong.json()).detail == "This address takes GET, POST, not PUT."
