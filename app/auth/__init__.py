"""Sign-up, sign-in, sign-out and account settings."""

from flask import Blueprint, Flask

from app.db import get_session
from app.extensions import login_manager
from community.models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user from '<id>:<token>'; a changed password changes the token and ends old sessions."""
    uid, _, token = user_id.partition(":")
    if not uid.isdigit():
        return None
    user = get_session().get(User, int(uid))
    if user is None or user.session_token != token:
        return None
    return user


def init_app(app: Flask) -> None:
    from app.auth import routes  # noqa: F401 - registers the views

    app.register_blueprint(bp)
