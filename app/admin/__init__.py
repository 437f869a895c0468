"""Admin pages: categories, teams, webhooks, outgoing mail and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import audit, mail, routes, teams, webhooks  # noqa: E402,F401 - registers the views
