"""Admin pages: categories and webhooks."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import audit, routes, webhooks  # noqa: E402,F401 - registers the views
