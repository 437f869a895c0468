"""Every API operation, walked from the URL map: it is documented, and the security its
document declares is what it enforces. Tokens are the only credential: a signed-in browser's
cookie gives no rights, so the API needs no CSRF token. Ids past the integer range and bodies
nested too deep are refused with a 422 problem, never a server error."""

import functools
import re

import pytest
from sqlalchemy import func, select

from community import accepting, api_tokens
from community.db import MAX_ID, Base
from app.api.json_depth import MAX_DEPTH
from community.models import Role
from tests.factories import make_answer, make_category, make_thread, make_user
from tests.integration.api.contract import problem
from tests.integration.helpers import login

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def scene(db):
    admin = make_user(db, "boss", role=Role.ADMIN)
    member = make_user(db, "member")
    category = make_category(db, "Heating", "heating")
    thread = make_thread(db, author=member, category=category, title="The heating will not switch on at night")
    answer = make_answer(db, thread, body="Check the schedule under Settings, then restart it.")
    accepting.accept_answer(db, member, answer)
    db.commit()

    def headers(user, *scopes):
        _, raw = api_tokens.create(db, user, name="walk", scopes=scopes)
        db.commit()
        return {"Authorization": f"Bearer {raw}"}

    return {
        "args": {
            "thread_id": thread.id,
            "post_id": answer.id,
            "category_id": category.id,
            "username": member.username,
        },
        "admin_read": headers(admin, "read"),
        "admin_all": headers(admin, "read", "write", "staff"),
        "member_all": headers(member, "read", "write"),
        "admin": admin,
    }


def operations(app):
    """(method, rule, documented security) for every API route but the document and its page."""
    spec = app.api_doc
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in ("api.openapi_document", "api.reference_page"):
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule, path, spec["paths"][path][method.lower()].get("security")))
    return found


def _url(rule, args) -> str:
    missing = set(rule.arguments) - set(args)
    assert not missing, f"say how to fill {missing} in the scene"
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", lambda m: str(args[m.group(1)]), rule.rule)


def _snapshot(db) -> dict:
    db.expire_all()
    return {table.name: db.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}


def test_every_operation_declares_its_security(app, scene):
    for method, _rule, path, security in operations(app):
        assert security, f"{method} {path} says nothing about who may call it"
        if method in STATE_CHANGING:
            assert {} not in security, f"{method} {path} would let a visitor change something"


def test_each_operation_refuses_callers_its_document_excludes(app, db, scene):
    """No token, a token without the scope, and an admin's session cookie without a token are
    refused with 401 or 403 before anything is read or written."""
    client = app.test_client()
    walked = 0
    for method, rule, path, security in operations(app):
        if {} in security:
            continue
        scopes = {scope for requirement in security for scope in requirement.get("bearerAuth", [])}
        url = _url(rule, scene["args"])
        before = _snapshot(db)
        problem(app, client.open(url, method=method, json={}), method, path, 401)
        if scopes - {"read"}:
            problem(app, client.open(url, method=method, json={}, headers=scene["admin_read"]), method, path, 403)
        if "staff" in scopes:
            problem(app, client.open(url, method=method, json={}, headers=scene["member_all"]), method, path, 403)
        assert _snapshot(db) == before, f"{method} {path} changed data while refusing"
        walked += 1
    browser = app.test_client()
    login(browser, scene["admin"].username)
    for method, rule, path, _security in operations(app):
        if method in STATE_CHANGING:
            response = browser.open(_url(rule, scene["args"]), method=method, json={})
            assert response.status_code == 401, f"{method} {path}: a session cookie must not authenticate"
    assert walked >= 10, f"only {walked} operations need a token: the walk missed some"


# Past PostgreSQL's INTEGER, past every database's BIGINT, and past anything by far.
PAST_RANGE = (MAX_ID + 1, 2**63, 10**20 - 1, 10**400)


def integer_path_parts(app, method: str, path: str) -> list[str]:
    operation = app.api_doc["paths"][path][method.lower()]
    parameters = operation.get("parameters", [])
    return [p["name"] for p in parameters if p["in"] == "path" and p["schema"].get("type") == "integer"]


def test_an_id_past_the_integer_range_in_any_path_is_a_422_naming_it(app, db, scene):
    """Every operation with an integer in its path, called by an admin whose token holds every
    scope, answers a past-range id with the API's validation problem, and changes nothing."""
    client = app.test_client()
    walked = set()
    for method, rule, path, _security in operations(app):
        for name in integer_path_parts(app, method, path):
            walked.add(f"{method} {path}")
            for value in PAST_RANGE:
                before = _snapshot(db)
                url = _url(rule, {**scene["args"], name: value})
                body = {} if method in STATE_CHANGING else None
                response = client.open(url, method=method, json=body, headers=scene["admin_all"])
                found = problem(app, response, method, path, 422)
                assert [e["field"] for e in found["errors"]] == [name], found
                assert str(MAX_ID) in found["detail"]
                assert _snapshot(db) == before, f"{method} {path} changed data while refusing"
    assert len(walked) >= 12, sorted(walked)


DEEP = "[" * 5000 + "]" * 5000
NESTING = "nests arrays and objects more than"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_every_operation_that_reads_a_body_refuses_one_nested_too_deep(app, db, scene):
    """A body nested thousands deep (as a whole, inside a field, as UTF-16) is a 422 problem that
    says so, before the parser recurses; one nested to the limit is still read, and brackets inside
    a string are only text."""
    client = app.test_client()
    walked = 0
    for method, rule, path, _security in operations(app):
        if "requestBody" not in app.api_doc["paths"][path][method.lower()]:
            continue
        walked += 1
        url = _url(rule, scene["args"])
        before = _snapshot(db)
        send = functools.partial(client.open, url, method=method, content_type="application/json", headers=scene["admin_all"])
        for raw in (DEEP, '{"title": ' + DEEP + "}", '{"a":' * 5000 + "1" + "}" * 5000):
            for data in (raw, raw.encode("utf-16")):
                found = problem(app, send(data=data), method, path, 422)
                assert NESTING in found["detail"], f"{method} {path}: {found['detail']}"
        for readable in ('{"title": ' + _nested(MAX_DEPTH - 1) + "}", '{"title": "' + "[" * 5000 + '", "body": 1}'):
            found = problem(app, send(data=readable), method, path, 422)  # the schema's refusal, naming a field
            assert NESTING not in found["detail"] and found["errors"][0]["field"], found
        assert _snapshot(db) == before, f"{method} {path} changed data while refusing"
    assert walked >= 7, walked
