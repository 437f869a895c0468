"""Extensions created unbound here and bound to the app in create_app()."""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to do that."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

csrf = CSRFProtect()

# When the shared storage (Redis) is unreachable, count in this worker's memory until it is back
# (checked again with a growing pause) rather than failing the request; any other error of the
# limiter is logged and the request goes on unlimited.
limiter = Limiter(
    key_func=get_remote_address, default_limits=[], in_memory_fallback_enabled=True, swallow_errors=True
)


# Retry-After asks a client to wait before trying again: it belongs on 429 and 503 alone (on a
# redirect it would delay following it). Flask-Limiter writes it on every limited response.
ASKS_TO_WAIT = (429, 503)


def _retry_after_only_when_asked_to_wait(response):
    if response.status_code not in ASKS_TO_WAIT:
        response.headers.pop("Retry-After", None)
    return response


def init_limiter(app) -> None:
    """Bind the limiter. Flask runs after-request hooks in the reverse order they were added, so
    the hook added here first sees the headers the limiter's own hook writes."""
    app.after_request(_retry_after_only_when_asked_to_wait)
    limiter.init_app(app)


def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def register_limit() -> str:
    return current_app.config["RATELIMIT_REGISTER"]


def write_limit() -> str:
    return current_app.config["RATELIMIT_WRITE"]


def write_ip_limit() -> str:
    return current_app.config["RATELIMIT_WRITE_PER_ADDRESS"]


def search_limit() -> str:
    return current_app.config["RATELIMIT_SEARCH"]


def account_key(user) -> str:
    """One account's budget, whether it writes through the web pages or the API."""
    return f"user:{user.id}"


def account_or_ip() -> str:
    """Count writes per account when signed in, per address otherwise."""
    from flask_login import current_user

    if current_user.is_authenticated:
        return account_key(current_user)
    return f"ip:{get_remote_address()}"


_per_account = limiter.limit(write_limit, key_func=account_or_ip, methods=["POST"])
# One budget per address across every kind of write.
_per_address = limiter.limit(write_ip_limit, key_func=get_remote_address, methods=["POST"], scope="write-address")


# The shared budget's name: the API's ask and answer operations draw on the same one.
NEW_ACCOUNT_POSTS = "new-account-posts"


def new_account_post_limit() -> str:
    return current_app.config["RATELIMIT_NEW_ACCOUNT_POSTS"]


def _established_or_visitor() -> bool:
    from flask_login import current_user

    from community.spam_hold import is_new_account

    return not (current_user.is_authenticated and is_new_account(current_user))


# One budget for asking and answering; only posts that were saved count (a form sent back with
# errors does not), and only for new accounts.
new_account_posts = limiter.shared_limit(
    new_account_post_limit,
    NEW_ACCOUNT_POSTS,
    key_func=account_or_ip,
    methods=["POST"],
    exempt_when=_established_or_visitor,
    deduct_when=lambda response: response.status_code == 302,
)


def write_limited(view):
    """Writes are limited per account and, more loosely, per address."""
    return _per_address(_per_account(view))


def mail_limit() -> str:
    return current_app.config["RATELIMIT_MAIL"]
