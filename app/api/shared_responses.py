"""What every operation shares at the HTTP level, added to the document once it is built.

Every response of an operation reports the caller's rate-limit budget; 429 and 503 ask the caller
to wait with `Retry-After`; an operation that reads a body answers 413 past the size limit. A
method that a path does not take answers 405 with `Allow`: OpenAPI lists responses only under the
operations a path has, so that answer is the named response `MethodNotAllowed` in `components`.
"""

from app.api.problems import MEDIA_TYPE, title_of
from app.errors import size_text
from app.extensions import ASKS_TO_WAIT

PROBLEM = {"$ref": "#/components/schemas/Problem"}

HEADERS = {
    "X-RateLimit-Limit": {
        "description": "Sent while rate limiting is on (the default): the calls allowed in the window of the budget "
        "this call counts against that has the shortest window, or of the budget it exceeded.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Remaining": {
        "description": "The calls left in that window, this one counted.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Reset": {
        "description": "When that window starts afresh, in seconds since 1970-01-01 UTC.",
        "schema": {"type": "integer"},
    },
    "Retry-After": {
        "description": "Seconds to wait before calling again. Sent with 429 and 503 only.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "Allow": {
        "description": "The methods this path takes.",
        "required": True,
        "schema": {"type": "string"},
    },
}
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
WAIT_STATUSES = {str(status) for status in ASKS_TO_WAIT}


def _refs(*names: str) -> dict:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def problem_response(status: int, description: str | None = None, headers: tuple[str, ...] = ()) -> dict:
    response = {"description": description or title_of(status), "content": {MEDIA_TYPE: {"schema": PROBLEM}}}
    if headers:
        response["headers"] = _refs(*headers)
    return response


def complete(spec: dict, max_body_bytes: int | None) -> None:
    """Add the shared headers and responses to every operation of `spec`, in place."""
    components = spec.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    components.setdefault("responses", {})["MethodNotAllowed"] = problem_response(
        405, "The path does not take this method; `Allow` lists those it takes.", headers=("Allow",)
    )
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation and max_body_bytes:
                responses.setdefault("413", problem_response(413, f"The body is larger than {size_text(max_body_bytes)}."))
            for status, response in responses.items():
                names = RATE_LIMIT_HEADERS + (("Retry-After",) if status in WAIT_STATUSES else ())
                response.setdefault("headers", {}).update(_refs(*names))
