"""Friendly error pages; service errors become 400, 403 and 404."""

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.api import problems
from app.db import get_session
from community.errors import NotFound, PermissionDenied, ValidationError

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


def init_app(app: Flask) -> None:
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
