"""Public reading pages and the forms that ask, answer, edit, vote and accept."""

from flask import Blueprint

bp = Blueprint("threads", __name__)

from app.threads import actions, moderating, routes  # noqa: E402,F401 - registers the views
