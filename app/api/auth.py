"""Who is calling: a personal access token in `Authorization: Bearer`, or nobody.

The API never reads the session cookie: a page open in a browser cannot be made to call it
with the member's rights, so it needs no CSRF token.
"""

import re

from flask import abort, current_app, g, request
from flask_limiter.util import get_remote_address

from app.api.problems import problem
from app.db import get_session
from community import api_tokens
from community.models import User

SCHEME = "bearerAuth"
SECURITY_SCHEMES = {
    SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal access token from Settings → API tokens, sent as `Authorization: Bearer hth_…`. "
        "Reads work without one, as a visitor.",
    }
}
# Reads work without a token, as a visitor; a token reads as its owner.
OPTIONAL = [{SCHEME: []}, {}]


def needs(scope: str) -> list[dict]:
    """The security requirement of an operation that needs this scope (OpenAPI 3.1 role names)."""
    return [{SCHEME: [scope]}]


CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hearth"'}


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, raw = header.strip().partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else ""


def _token():
    """The live token the request carries, looked up once per request (the rate limiter asks
    before the views do); None without one or for a bad one."""
    if "api_token_lookup" not in g:
        raw = _bearer()
        token = None
        if raw:
            db = get_session()
            token = api_tokens.authenticate(db, raw)
            db.commit()  # the last-used time, before the view's own work begins
        g.api_token_lookup = token
    return g.api_token_lookup


def authenticate():
    """Runs before every API view; answers 401 at once for a bad token rather than reading as a visitor."""
    g.api_token = None
    g.api_user = None
    raw = _bearer()
    if raw is None:
        return None
    if not raw:
        return problem(401, "Send the token as 'Authorization: Bearer <token>'.", headers=CHALLENGE)
    token = _token()
    if token is None:
        return problem(401, "This token is not valid: it may have been revoked. Create a new one in your settings.", headers=CHALLENGE)
    g.api_token = token
    g.api_user = get_session().get(User, token.user_id)
    return None


def enforce_documented_security():
    """Refuse a call its operation's documented security does not allow, before its input is read.

    The OpenAPI document is the one statement of who may call what; enforcing it here means a
    caller without the right token hears 401/403, not a validation error about the body."""
    rule = request.url_rule
    if rule is None:
        return None
    key = (rule.rule, request.method)
    cache = current_app.extensions.setdefault("hearth.api_scopes", {})
    if key not in cache:
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        operation = current_app.api_doc["paths"].get(path, {}).get(request.method.lower(), {})
        security = operation.get("security", [{}])
        cache[key] = None if {} in security else sorted({s for req in security for s in req.get(SCHEME, [])})
    for scope in cache[key] or ():
        require(scope)
    if cache[key] is not None and not cache[key]:
        require("read")
    return None


def actor() -> User | None:
    """The token's owner, or None for a visitor."""
    return g.get("api_user")


def require(scope: str) -> User:
    """The caller, who must hold a token with this scope; 401 without a token, 403 without the scope."""
    user = actor()
    if user is None:
        abort(problem(401, f"This needs a personal access token with the {scope} scope.", headers=CHALLENGE))
    if not api_tokens.grants(g.api_token, user, scope):
        abort(problem(403, f"This token does not have the {scope} scope."))
    return user


def limit_key() -> str:
    """Count per account when a valid token is sent, however many tokens it has; per address
    otherwise, so guessing at tokens spends the address's budget."""
    token = _token()
    if token is not None:
        return f"user:{token.user_id}"
    return "ip:" + get_remote_address()
