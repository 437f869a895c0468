"""Personal access tokens: the settings page where members create and revoke them."""

from flask import Blueprint

bp = Blueprint("tokens", __name__)

from app.tokens import routes  # noqa: E402,F401 - registers the views
