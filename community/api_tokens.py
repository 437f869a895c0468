"""Personal access tokens for the REST API: created, listed and revoked by their owner.

A token is shown once, when it is made; only its SHA-256 is stored, so a copy of the database
cannot be used to call the API. Scopes: `read` reads as the owner, `write` also posts, edits,
votes and accepts, `staff` also reaches the care queue, assignment and metrics.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import permissions
from community.db import utcnow
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import ApiToken, User
from community.suspensions import refuse_if_suspended
from community.text import strip_controls

SCOPES = ("read", "write", "staff")
PREFIX = "hth_"
MAX_ACTIVE = 20
NAME_MAX = 60
# Writing last_used_at on every call would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def scopes_offered(user: User) -> tuple[str, ...]:
    return SCOPES if permissions.is_staff(user) else ("read", "write")


def active_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create(session: Session, user: User, *, name: str, scopes) -> tuple[ApiToken, str]:
    """Make a token; returns the row and the secret, which is never available again."""
    refuse_if_suspended(user)
    if not permissions.can_change_account(user):
        raise PermissionDenied("Sign in to create a token.")
    name = " ".join(strip_controls(name or "").split())
    chosen = set(scopes or ())
    errors = {}
    if not name:
        errors["name"] = "Give the token a name, such as the tool that will use it."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name to {NAME_MAX} characters."
    unknown = chosen - set(SCOPES)
    if unknown:
        errors["scopes"] = f"Unknown scope: {', '.join(sorted(unknown))}."
    elif "staff" in chosen and not permissions.is_staff(user):
        errors["scopes"] = "Only staff can create a token with the staff scope."
    if len(active_tokens(session, user)) >= MAX_ACTIVE:
        errors["name"] = f"You have {MAX_ACTIVE} tokens; revoke one you no longer use first."
    if errors:
        raise ValidationError(errors)
    chosen.add("read")  # every token reads as its owner; write and staff add to that
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_hash(raw),
        prefix=raw[: len(PREFIX) + 4],
        scopes=" ".join(s for s in SCOPES if s in chosen),
    )
    session.add(token)
    session.flush()
    return token, raw


def revoke(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("No such token.")
    token.revoked_at = utcnow()
    return token


def authenticate(session: Session, raw: str) -> ApiToken | None:
    """The live token for this secret; None when unknown or revoked. The caller commits the
    last-used time it may have noted."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(raw)))
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return token


def grants(token: ApiToken, user: User, scope: str) -> bool:
    """Whether this token may act in `scope` now; staff rights are checked against the role today."""
    if scope not in token.scope_set:
        return False
    return scope != "staff" or permissions.is_staff(user)
