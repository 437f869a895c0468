"""Staff pages: search analytics and measured deflection."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from app.staff import flags, routes  # noqa: E402,F401 - registers the views
