"""Friendly error pages; service errors become 400, 403 and 404."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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


def _page(status: int, message: str | None = None):
    get_session().rollback()
    return render_template(
        "errors/error.html", status=status, title=TITLES.get(status, "Error"), message=message
    ), status


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(exc):
        return _page(404, str(exc))

    @app.errorhandler(PermissionDenied)
    def forbidden(exc):
        return _page(403, str(exc))

    @app.errorhandler(ValidationError)
    def invalid(exc):
        return _page(400, str(exc))

    @app.errorhandler(CSRFError)
    def csrf_failed(exc):
        return _page(400, "The form expired or came from another site. Go back, reload the page and try again.")

    @app.errorhandler(429)
    def too_many(exc):
        body, status = _page(
            429, "You are doing that too often. Wait a moment and try again; nothing you wrote was saved yet."
        )
        response = app.make_response((body, status))
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(int(retry_after))
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 429:
            return too_many(exc)
        return _page(exc.code or 500, exc.description if exc.code not in (404, 500) else None)

    @app.errorhandler(500)
    def server_error(exc):
        return _page(500)
