"""Staff pages: search analytics, measured deflection, tone over time and listening."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from app.staff import flags, listening, routes, tone  # noqa: E402,F401 - registers the views
