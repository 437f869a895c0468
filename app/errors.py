"""Friendly error pages; service errors become 400, 403 and 404, an unreachable database 503."""

import logging

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app.api import problems
from app.db import get_session
from community.background import describe
from community.errors import NotFound, PermissionDenied, ValidationError

log = logging.getLogger(__name__)

TITLES = {
    400: "That request could not be used",
    403: "You cannot do that",
    404: "Page not found",
    405: "That is not allowed here",
    413: "That is too large",
    429: "Slow down a little",
    500: "Something went wrong on our side",
}


# What an API client is told when the page's own message is left out.
DETAILS = {
    404: "Nothing is at this address: check the path and the id.",
    405: "This address does not take that method.",
    500: "Something went wrong on our side; it has been logged.",
}

# How long a client is asked to wait when the database cannot be reached (a restart, a
# failover, every connection busy): PostgreSQL usually takes a few seconds to come back.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_DETAIL = (
    f"The database cannot be reached for a moment, so this request could not be completed. Retry "
    f"after {RETRY_AFTER_SECONDS} seconds; before repeating a write, read back whether it was saved."
)


def _page(status: int, message: str | None = None, headers: dict | None = None):
    get_session().rollback()
    if problems.is_api_request():
        return problems.problem(status, message or DETAILS.get(status, TITLES.get(status, "Error")), headers=headers)
    return render_template(
        "errors/error.html", status=status, title=TITLES.get(status, "Error"), message=message
    ), status, headers or {}


def size_text(limit: int) -> str:
    """A byte count as people read it: 1 MiB, 64 KiB, 500 bytes."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} bytes"


def _too_large_message() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return "The request body is too large."
    return f"The request body is larger than the {size_text(limit)} this site accepts; send less."


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _method_not_allowed(exc):
    """405 names the methods the address does take, in `Allow` as RFC 9110 asks and in words."""
    methods = sorted(exc.valid_methods or (), key=lambda m: (METHOD_ORDER + (m,)).index(m))
    taken = [m for m in methods if m not in ("HEAD", "OPTIONS")]
    message = f"This address takes {', '.join(taken)}, not {request.method}." if taken else None
    return _page(405, message, {"Allow": ", ".join(methods)} if methods else None)


def _forget_session() -> None:
    """End the request's session; a connection the database already ended is dropped rather than
    rolled back (the pool checks connections before handing them out again)."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.rollback()
    except DBAPIError:
        session.invalidate()
    session.close()


def database_unavailable(exc: Exception):
    """503 with Retry-After when the database is away, restarting or out of connections:
    the client can try again, and no traceback reaches it."""
    log.warning("database unavailable for %s %s: %s", request.method, request.path, describe(exc))
    _forget_session()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if problems.is_api_request():
        return problems.problem(503, UNAVAILABLE_DETAIL, headers=headers)
    # Rendered without the context processors: Flask-Login's would read the signed-in member
    # from the database.
    page = current_app.jinja_env.get_template("errors/unavailable.html").render(retry_after=RETRY_AFTER_SECONDS)
    return page, 503, headers


def init_app(app: Flask) -> None:
    for error in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error, database_unavailable)

    @app.errorhandler(NotFound)
    def not_found(exc):
        return _page(404, str(exc))

    @app.errorhandler(PermissionDenied)
    def forbidden(exc):
        return _page(403, str(exc))

    @app.errorhandler(ValidationError)
    def invalid(exc):
        if problems.is_api_request():
            get_session().rollback()
            return problems.invalid(exc.errors)
        return _page(400, str(exc))

    @app.errorhandler(CSRFError)
    def csrf_failed(exc):
        return _page(400, "The form expired or came from another site. Go back, reload the page and try again.")

    @app.errorhandler(429)
    def too_many(exc):
        response = app.make_response(
            _page(429, "You are doing that too often. Wait a moment and try again; nothing you wrote was saved yet.")
        )
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(int(retry_after))
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 429:
            return too_many(exc)
        if exc.code == 413:
            return _page(413, _too_large_message())
        if exc.code == 405:
            return _method_not_allowed(exc)
        return _page(exc.code or 500, exc.description if exc.code not in (404, 500) else None)

    @app.errorhandler(500)
    def server_error(exc):
        return _page(500)
