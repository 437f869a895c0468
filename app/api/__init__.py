"""The REST API under /api/v1: JSON over the same services and permission checks as the web pages.

Each resource module adds its operations to `bp`; the OpenAPI document is generated from
their declarations (`flask_openapi3`), so it cannot drift from what the views accept.
"""

from flask import Flask
from flask_openapi3 import APIBlueprint

from app.api import auth, problems
from app.extensions import csrf, limiter

def _operation_id(*, name: str = "", **_) -> str:
    """The view's own name (`list_threads`), stable and readable for generated clients."""
    return name


bp = APIBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    operation_id_callback=_operation_id,
    abp_responses=problems.responses(401, 422, 429),
)
bp.before_request(auth.authenticate)
bp.before_request(auth.enforce_documented_security)


def _read_limit() -> str:
    from flask import current_app

    return current_app.config["RATELIMIT_API"]


def _write_limit() -> str:
    from flask import current_app

    return current_app.config["RATELIMIT_API_WRITE"]


# Every call counts against the caller's budget; writes also against a smaller one.
limiter.limit(_read_limit, key_func=auth.limit_key, scope="api")(bp)
limiter.limit(_write_limit, key_func=auth.limit_key, methods=["POST", "PUT", "PATCH", "DELETE"], scope="api-write")(bp)


def init_app(app: Flask) -> None:
    from app.api import care, categories, docs, search, threads, users  # noqa: F401  (each registers its operations on bp)

    csrf.exempt(bp)
    app.register_api(bp)
