"""The staff care console: the queue, thread assignment and states, notes, escalation, canned responses."""

from flask import Blueprint

bp = Blueprint("care", __name__, url_prefix="/staff/care")

from app.care import canned, routes  # noqa: E402,F401 - registers the views
