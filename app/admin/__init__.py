"""Admin pages: categories, teams and webhooks."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import audit, routes, teams, webhooks  # noqa: E402,F401 - registers the views
