"""The member's notification centre, and the unread count in the page header."""

from flask import Blueprint, Flask

bp = Blueprint("notifications", __name__)

from app.notifications import routes  # noqa: E402 - registers the views


def init_app(app: Flask) -> None:
    app.jinja_env.globals["unread_notifications"] = routes.unread_for_header
    app.register_blueprint(bp)
