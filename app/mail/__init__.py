"""Account email: password reset, address verification, email settings and unsubscribe links."""

from flask import Blueprint

bp = Blueprint("mail", __name__)

from app.mail import routes  # noqa: E402,F401 - registers the views
