"""The REST API under /api/v1: JSON over the same services and permission checks as the web pages.

Each resource module adds its operations to `bp`; the OpenAPI document is generated from
their declarations (`flask_openapi3`), so it cannot drift from what the views accept.
"""

from flask import Flask
from flask_openapi3 import APIBlueprint

from app.api import auth, problems
from app.extensions import NEW_ACCOUNT_POSTS, account_key, csrf, limiter, new_account_post_limit


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
bp.before_request(problems.refuse_deep_json)


def _read_limit() -> str:
    from flask import current_app

    return current_app.config["RATELIMIT_API"]


def _write_limit() -> str:
    from flask import current_app

    return current_app.config["RATELIMIT_API_WRITE"]


# Every call counts against the caller's budget; writes also against a smaller one.
limiter.limit(_read_limit, key_func=auth.limit_key, scope="api")(bp)
limiter.limit(_write_limit, key_func=auth.limit_key, methods=["POST", "PUT", "PATCH", "DELETE"], scope="api-write")(bp)


def _owner_or_address() -> str:
    user = auth.actor()
    return account_key(user) if user is not None else auth.limit_key()


def _established_or_visitor() -> bool:
    from community.spam_hold import is_new_account

    user = auth.actor()
    return user is None or not is_new_account(user)


# A new account's questions and answers draw on the web's daily budget, keyed on the token's
# owner, so posting through the API (or with many tokens) never adds to it. Only a saved post
# counts; the budgets above still apply (override_defaults=False).
new_account_posts = limiter.shared_limit(
    new_account_post_limit,
    NEW_ACCOUNT_POSTS,
    key_func=_owner_or_address,
    methods=["POST"],
    exempt_when=_established_or_visitor,
    deduct_when=lambda response: response.status_code == 201,
    override_defaults=False,
)


def init_app(app: Flask) -> None:
    # Importing each resource module registers its operations on bp.
    from app.api import care, categories, docs, posts, search, shared_responses, threads, users  # noqa: F401

    csrf.exempt(bp)
    app.register_api(bp)
    docs.tidy_descriptions(app.api_doc)  # the document is built once, here, and kept
    shared_responses.complete(app.api_doc, app.config.get("MAX_CONTENT_LENGTH"))
