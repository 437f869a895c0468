"""Account links sent by email: password reset and address verification, single-use and expiring.

Only the SHA-256 of a link's token is stored, so a copy of the database opens no account."""

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from community import mail
from community.accounts import check_password_rules, normalize_email
from community.db import utcnow
from community.errors import ValidationError
from community.models import AccountToken, User

RESET, VERIFY = "reset", "verify"
LIFETIME = {RESET: timedelta(hours=1), VERIFY: timedelta(days=7)}
INVALID = "This link is not valid any more: it was used already, it expired, or it was mistyped. Ask for a new one."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(session: Session, user: User, purpose: str) -> str:
    """A new link token for this member; earlier unused ones for the same purpose stop working."""
    now = utcnow()
    session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id, purpose=purpose, token_hash=_digest(token), email=user.email,
            created_at=now, expires_at=now + LIFETIME[purpose],
        )
    )
    session.flush()
    return token


def _valid(session: Session, token: str, purpose: str) -> tuple[AccountToken, User] | None:
    row = session.scalar(
        select(AccountToken).where(AccountToken.token_hash == _digest(token or ""), AccountToken.purpose == purpose)
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or user.email != row.email:
        return None
    return row, user


def request_password_reset(session: Session, email: str) -> tuple[User, str] | None:
    """The member with this address and a fresh reset token, or None; the caller answers the same either way."""
    try:
        email = normalize_email(email)
    except ValidationError:
        return None
    user = session.scalar(select(User).where(User.email == email, User.placeholder_source.is_(None)))
    if user is None:
        return None
    return user, _issue(session, user, RESET)


def reset_token_is_valid(session: Session, token: str) -> bool:
    """Whether a reset link can still be used (unused, unexpired, for the current address)."""
    return _valid(session, token, RESET) is not None


def reset_password(session: Session, token: str, new_password: str) -> User:
    """Set a new password from a reset link, use the link up and end every other session."""
    found = _valid(session, token, RESET)
    if found is None:
        raise ValidationError(INVALID)
    check_password_rules(new_password, "password")
    row, user = found
    row.used_at = utcnow()
    user.password_hash = generate_password_hash(new_password)
    user.session_token = secrets.token_hex(16)
    # Following the link proves the address too.
    user.email_verified_at = user.email_verified_at or row.used_at
    session.flush()
    return user


def issue_verification(session: Session, user: User) -> str | None:
    """A token for the link that proves the member's address; None when it is proven already."""
    if user.email_verified_at is not None:
        return None
    return _issue(session, user, VERIFY)


def verify_email(session: Session, token: str) -> User:
    found = _valid(session, token, VERIFY)
    if found is None:
        raise ValidationError(INVALID)
    row, user = found
    row.used_at = utcnow()
    user.email_verified_at = user.email_verified_at or row.used_at
    session.flush()
    return user


def send_password_reset(session: Session, email: str, link_for: Callable[[str], str], site_name: str) -> None:
    """Email a reset link if the address has an account; nothing tells the caller which it was."""
    found = request_password_reset(session, email)
    if found is None:
        return
    user, token = found
    body = (
        f"Someone (we hope you) asked to reset the password of {user.username} on {site_name}.\n\n"
        f"Choose a new password here within the hour; the link works once:\n{link_for(token)}\n\n"
        "If it was not you, ignore this email: your password stays as it is."
    )
    mail.queue(session, user.email, "password_reset", subject="Reset your password", body=body, user_id=user.id)


def send_verification(session: Session, user: User, link_for: Callable[[str], str], site_name: str) -> bool:
    """Email the link that proves the member's address; False when it is proven already."""
    token = issue_verification(session, user)
    if token is None:
        return False
    body = (
        f"Welcome to {site_name}, {user.username}!\n\n"
        f"Confirm that this address is yours (the link works for 7 days):\n{link_for(token)}\n\n"
        "Until then you can read, ask and answer, but not post links.\n"
        "If you did not join, ignore this email."
    )
    mail.queue(session, user.email, "verify_email", subject="Confirm your email address", body=body, user_id=user.id)
    return True
