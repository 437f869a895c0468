"""Errors as `application/problem+json` (RFC 9457), the one error shape every API response uses."""

import json
from http import HTTPStatus

from flask import Response, current_app, request
from pydantic import BaseModel, Field
from pydantic import ValidationError as ModelError

from app.api.json_depth import MAX_DEPTH, nests_deeper_than

MEDIA_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    field: str = Field(description="Where the problem is: a body field, query parameter or path part; empty for the whole request.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = Field(default=None, description="One entry per invalid field (422 only).")


def is_api_request() -> bool:
    return request.path == "/api/v1" or request.path.startswith("/api/")


# RFC 9110 renamed 422; Python still has the older phrase.
TITLES = {422: "Unprocessable Content"}


def title_of(status: int) -> str:
    return TITLES.get(status) or HTTPStatus(status).phrase


def problem(status: int, detail: str, *, errors: list[dict] | None = None, headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": title_of(status), "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def invalid(errors: dict[str, str]) -> Response:
    """A service's ValidationError: one entry per field, with the service's own message."""
    listed = [{"field": field, "message": message} for field, message in errors.items()]
    return problem(422, " ".join(errors.values()) or "The request is not valid.", errors=listed)


def from_model_error(exc: ModelError) -> Response:
    """Input that does not match the documented schema, before any service runs."""
    listed = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        listed.append({"field": where, "message": error["msg"]})
    detail = "; ".join(f"{e['field'] or 'request'}: {e['message']}" for e in listed[:5])
    return problem(422, detail or "The request is not valid.", errors=listed)


def refuse_deep_json() -> Response | None:
    """Runs before every API view: a JSON body nested deeper than MAX_DEPTH is refused before the
    parser recurses into it (a few thousand levels would exhaust the stack: a 500)."""
    # Only operations that take a body read one, and only a JSON media type is parsed as JSON.
    if request.method not in ("POST", "PUT", "PATCH") or not request.is_json:
        return None
    if nests_deeper_than(request.get_data(cache=True), MAX_DEPTH):
        detail = (
            f"The JSON body nests arrays and objects more than {MAX_DEPTH} levels deep; "
            "no operation reads more than a few."
        )
        return problem(422, detail, errors=[{"field": "", "message": detail}])
    return None


def responses(*statuses: int) -> dict:
    """OpenAPI response objects for these error statuses, all served as problem+json."""
    return {
        status: {
            "description": title_of(status),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
