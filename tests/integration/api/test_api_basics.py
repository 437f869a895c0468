"""The API's common ground: the document, tokens, problem+json errors, paging and rate limits."""

import re
import time

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import func, select

from community import api_tokens, threads
from community.models import Post, Role, Thread, Vote
from tests.factories import make_category, make_thread, make_user
from tests.integration.api.contract import app_with, conforms, problem, resolve, token


def test_openapi_document_is_3_1_and_lists_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # against the OpenAPI 3.1 specification's own schema
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.openapi_document", "api.reference_page"):
            path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)  # <digits:thread_id> -> {thread_id}
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((path, method.lower()))
    assert routed == documented
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    descriptions = [op.get("description", "") for item in spec["paths"].values() for op in item.values()]
    assert all("<br/>" not in text for text in descriptions)
    assert any("\n\n" in text for text in descriptions)  # paragraphs kept, as CommonMark


RATE_LIMIT_HEADERS = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_every_response_declares_the_rate_limit_headers_and_only_429_and_503_retry_after(app):
    spec = app.api_doc
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            declared = set(response["headers"])
            assert RATE_LIMIT_HEADERS <= declared, (method, path, status)
            assert ("Retry-After" in declared) == (status in ("429", "503")), (method, path, status)
    assert resolve(spec, {"$ref": "#/components/headers/Retry-After"})["required"]
    assert "503" in spec["paths"]["/api/v1/search"]["get"]["responses"]


def test_every_operation_that_reads_a_body_documents_413_as_a_problem(app):
    spec = app.api_doc
    with_body = 0
    for path, method, operation in operations(spec):
        if "requestBody" in operation:
            with_body += 1
            too_large = operation["responses"]["413"]
            assert too_large["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
            assert "1 MiB" in too_large["description"]
        else:  # nothing reads a body these operations are sent
            assert "413" not in operation["responses"], (method, path)
    assert with_body == 7


def test_a_body_over_the_limit_is_a_413_problem_and_changes_nothing(app, client, db):
    staff = make_user(db, role=Role.STAFF)
    thread = make_thread(db, title="A thread nobody should be able to retitle")
    question = threads.question_of(db, thread)
    headers = token(db, staff, "write", "staff")
    oversized = b'{"body": "' + b"x" * app.config["MAX_CONTENT_LENGTH"] + b'"}'
    sent = 0
    for path, method, operation in operations(app.api_doc):
        if "requestBody" not in operation:
            continue
        url = path.format(thread_id=thread.id, post_id=question.id)
        response = client.open(url, method=method, data=oversized, content_type="application/json", headers=headers)
        body = problem(app, response, method, path, 413)
        assert body["detail"] == "The request body is larger than the 1 MiB this site accepts; send less."
        sent += 1
    assert sent == 7
    db.expire_all()
    assert db.get(Thread, thread.id).title == "A thread nobody should be able to retitle"
    assert db.scalar(select(func.count(Post.id))) == 1 and db.scalar(select(func.count(Vote.id))) == 0
    # An operation without a body does not read one: the call is answered as usual.
    listed = client.get("/api/v1/categories", data=oversized, content_type="application/json")
    conforms(app, listed, "GET", "/api/v1/categories")


def test_a_method_a_path_does_not_take_is_a_405_problem_naming_those_it_takes(app, client):
    spec = app.api_doc
    not_allowed = spec["components"]["responses"]["MethodNotAllowed"]
    assert resolve(spec, not_allowed["headers"]["Allow"])["required"]
    schema = {**not_allowed["content"]["application/problem+json"]["schema"], "components": spec["components"]}
    tried = 0
    for path, item in spec["paths"].items():
        taken = {method.upper() for method in item}
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in sorted(METHODS - taken):
            response = client.open(url, method=method)
            assert response.status_code == 405 and response.mimetype == "application/problem+json", (method, path)
            Draft202012Validator(schema).validate(response.get_json())
            allow = {m.strip() for m in response.headers["Allow"].split(",")}
            assert allow == taken | {"OPTIONS"} | ({"HEAD"} if "GET" in taken else set()), (method, path)
            assert response.get_json()["detail"].endswith(f"not {method}.")
            assert "Retry-After" not in response.headers
            tried += 1
    assert tried > 40


def test_reference_page_lists_operations_and_explains_tokens(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/v1/threads/{thread_id}" in html and "Authorization: Bearer" in html
    assert "application/problem+json" in html


def test_unknown_address_and_method_are_problems(app, client):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.get_json()["detail"]
    wrong = client.delete("/api/v1/categories")
    assert wrong.status_code == 405 and wrong.mimetype == "application/problem+json"
    assert wrong.get_json()["detail"] == "This address takes GET, not DELETE."


def test_bad_or_revoked_token_is_refused_not_read_as_visitor(app, client, db):
    member = make_user(db)
    headers = token(db, member, "read")
    assert client.get("/api/v1/categories", headers=headers).status_code == 200
    found = api_tokens.active_tokens(db, member)[0]
    api_tokens.revoke(db, member, found.id)
    db.commit()
    refused = client.get("/api/v1/categories", headers=headers)
    problem(app, refused, "GET", "/api/v1/categories", 401)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ("Bearer", "Basic dXNlcjpwYXNz", "Bearer hth_wrong"):
        assert client.get("/api/v1/categories", headers={"Authorization": header}).status_code == 401


def test_session_cookie_gives_no_rights(app, client, db):
    """Only a token authenticates: a signed-in browser's cookie reads as a visitor."""
    from tests.integration.helpers import login

    staff = make_user(db, role=Role.STAFF)
    thread = make_thread(db)
    thread.hidden_at = thread.created_at
    db.commit()
    login(client, staff.username)
    assert client.get(f"/api/v1/threads/{thread.id}").status_code == 404
    assert client.get(f"/api/v1/threads/{thread.id}", headers=token(db, staff, "read")).status_code == 200


def test_categories_list_and_one(app, client, db):
    support = make_category(db, name="Support", slug="support")
    make_thread(db, category=support)
    db.commit()
    body = conforms(app, client.get("/api/v1/categories"), "GET", "/api/v1/categories")
    listed = {c["slug"]: c for c in body["items"]}
    assert listed["support"]["thread_count"] == 1 and listed["support"]["url"].endswith("/c/support")
    one = conforms(app, client.get(f"/api/v1/categories/{support.id}"), "GET", "/api/v1/categories/{category_id}")
    assert one["name"] == "Support"
    problem(app, client.get("/api/v1/categories/999999"), "GET", "/api/v1/categories/{category_id}", 404)
    problem(app, client.get("/api/v1/categories/0"), "GET", "/api/v1/categories/{category_id}", 422)


def test_thread_list_pages_with_links(app, client, db):
    category = make_category(db, slug="billing")
    for n in range(5):
        make_thread(db, category=category, title=f"Billing question number {n}")
    db.commit()
    first = conforms(app, client.get("/api/v1/threads?per_page=2&category=billing&sort=newest"), "GET", "/api/v1/threads")
    assert first["total"] == 5 and first["pages"] == 3 and first["prev"] is None
    assert [t["title"] for t in first["items"]] == ["Billing question number 4", "Billing question number 3"]
    second = client.get(first["next"]).get_json()
    assert [t["title"] for t in second["items"]] == ["Billing question number 2", "Billing question number 1"]
    assert second["prev"] and second["next"]
    body = problem(app, client.get("/api/v1/threads?per_page=1000"), "GET", "/api/v1/threads", 422)
    assert body["errors"][0]["field"] == "per_page"
    problem(app, client.get("/api/v1/threads?category=nope"), "GET", "/api/v1/threads", 404)


def test_thread_read_shows_accepted_first_and_hides_hidden_answers(app, client, db):
    from community import accepting
    from tests.factories import make_answer

    asker = make_user(db)
    thread = make_thread(db, author=asker)
    first = make_answer(db, thread, body="The first answer, which works well enough.")
    second = make_answer(db, thread, body="The second answer, which is hidden by a moderator.")
    accepting.accept_answer(db, asker, first)
    second.hidden_at = second.created_at
    db.commit()
    body = conforms(app, client.get(f"/api/v1/threads/{thread.id}"), "GET", "/api/v1/threads/{thread_id}")
    assert body["solved"] and body["accepted_answer"]["id"] == first.id and body["accepted_answer"]["is_accepted"]
    assert body["answers"] == [] and body["question"]["is_question"]
    assert body["question"]["body_html"].startswith("<p>")
    assert not body["can_answer"]


@pytest.fixture
def limited_app(database_url, tmp_path):
    with app_with(
        database_url, tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_API="3 per minute"
    ) as app:
        yield app


def test_calls_past_the_limit_get_429_with_retry_after(limited_app, db):
    client = limited_app.test_client()
    allowed = [client.get("/api/v1/categories") for _ in range(3)]
    for response in allowed:  # each answer reports the budget, and none asks to wait
        conforms(limited_app, response, "GET", "/api/v1/categories")
        assert "Retry-After" not in response.headers and response.headers["X-RateLimit-Limit"] == "3"
    assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    refused = client.get("/api/v1/categories")
    problem(limited_app, refused, "GET", "/api/v1/categories", 429)
    assert int(refused.headers["Retry-After"]) > 0
    assert int(refused.headers["X-RateLimit-Reset"]) >= time.time()
    # A bad token spends the address's budget too: guessing tokens is limited.
    assert client.get("/api/v1/categories", headers={"Authorization": "Bearer hth_guess"}).status_code == 429
    # A member's tokens share one budget, apart from the address's.
    member = make_user(db)
    first, second = token(db, member, "read"), token(db, member, "read")
    for _ in range(2):
        assert client.get("/api/v1/categories", headers=first).status_code == 200
    assert client.get("/api/v1/categories", headers=second).status_code == 200
    problem(limited_app, client.get("/api/v1/categories", headers=second), "GET", "/api/v1/categories", 429)
    assert client.get("/api/v1/categories", headers=token(db, make_user(db), "read")).status_code == 200
