"""Checks an API response against the OpenAPI document the app itself serves."""

from contextlib import contextmanager

from jsonschema import Draft202012Validator

from app import create_app
from community import api_tokens
from config import TestingConfig


def token(db, user, *scopes: str) -> dict:
    """Authorization headers with a fresh token of `user` holding these scopes."""
    _, raw = api_tokens.create(db, user, name="tests", scopes=scopes)
    db.commit()
    return {"Authorization": f"Bearer {raw}"}


def resolve(spec: dict, node: dict) -> dict:
    """A `$ref` within the document, followed; any other node as it is."""
    ref = node.get("$ref")
    if not ref:
        return node
    for part in ref.removeprefix("#/").split("/"):
        spec = spec[part]
    return spec


def conforms(app, response, method: str, rule: str):
    """The status is documented for this operation and the body matches its schema; returns the JSON."""
    spec = app.api_doc
    operation = spec["paths"][rule][method.lower()]
    status = str(response.status_code)
    documented = operation["responses"]
    assert status in documented, f"{method} {rule} answered {status}, documented: {sorted(documented)}: {response.data[:300]!r}"
    for name, header in documented[status].get("headers", {}).items():
        header = resolve(spec, header)
        assert not header.get("required") or name in response.headers, f"{method} {rule} {status} lacks {name}"
    if "Retry-After" not in documented[status].get("headers", {}):
        assert "Retry-After" not in response.headers, f"{method} {rule} {status} asks to wait"
    content = documented[status].get("content")
    if not content:
        assert response.data == b"", f"{method} {rule} {status} should have no body"
        assert "Content-Type" not in response.headers, f"{method} {rule} {status} has no body to give a type"
        return None
    assert response.mimetype in content, f"{method} {rule} {status} sent {response.mimetype}, documented {list(content)}"
    schema = {**content[response.mimetype]["schema"], "components": spec["components"]}
    body = response.get_json()
    Draft202012Validator(schema).validate(body)
    return body


def problem(app, response, method: str, rule: str, status: int) -> dict:
    """An error response: the status, problem+json, and a detail people can act on."""
    assert response.status_code == status, response.data
    body = conforms(app, response, method, rule)
    assert response.mimetype == "application/problem+json"
    assert body["status"] == status and len(body["detail"]) > 10
    return body


@contextmanager
def app_with(database_url: str, tmp_path, **settings):
    """The testing app with some settings changed (a limiter on, another indexer), closed after."""
    config = TestingConfig(database_url, search_index_dir=str(tmp_path / "index"))
    for name, value in settings.items():
        setattr(config, name, value)
    app = create_app(config)
    try:
        yield app
    finally:
        app.extensions["hearth.search"].close()
        app.extensions["hearth.engine"].dispose()
