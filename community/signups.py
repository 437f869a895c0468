"""Joining: the form's answer never tells whether an address has an account.

A sign-up is kept as a pending row and its address gets a link; following the link makes the
account (its address proven). When the address has an account already, its owner gets an email
saying someone tried to join with it, with a sign-in and a reset link, and the form answers
exactly as for a new address. Only the SHA-256 of a link's token is stored."""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from community import account_email, accounts, mail
from community.db import utcnow
from community.errors import ValidationError
from community.models import PendingSignup, User

LIFETIME = timedelta(hours=24)
INVALID = "This link is not valid any more: it was used already, it expired, or it was mistyped. Register again."


@dataclass(frozen=True)
class Links:
    """Absolute addresses for the emails (built by the web layer, which knows the site's URL)."""

    finish: Callable[[str], str]  # token -> the link that finishes joining
    reset: Callable[[str], str]  # token -> the password reset link
    sign_in: str
    site_name: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, username: str, email: str, password: str, links: Links, next_url: str = "") -> None:
    """Check the form, then email the address: a link that finishes joining, or, when the address
    has an account, a note to its owner. The caller answers the same either way."""
    username, email = accounts.check_new_account(session, username, email, password)
    # Hashed whether or not it is kept, so both answers take as long.
    password_hash = accounts.hash_password(password)
    owner = session.scalar(select(User).where(User.email == email))
    if owner is not None:
        _tell_owner(session, owner, links)
        return
    now = utcnow()
    session.execute(delete(PendingSignup).where(PendingSignup.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(
        PendingSignup(
            username=username, email=email, password_hash=password_hash, token_hash=_digest(token),
            next_url=next_url[:500], created_at=now, expires_at=now + LIFETIME,
        )
    )
    body = (
        f"Welcome to {links.site_name}!\n\n"
        f"Follow this link within 24 hours to finish creating your account {username}:\n{links.finish(token)}\n\n"
        "If you did not ask to join, ignore this email: no account is made without this link."
    )
    mail.queue(session, email, "finish_signup", subject="Finish creating your account", body=body)


def _tell_owner(session: Session, owner: User, links: Links) -> None:
    """Someone tried to join with this member's address: tell them how to get in, if it was them."""
    found = account_email.request_password_reset(session, owner.email)
    if found is None:  # an imported placeholder: its address reaches nobody
        return
    _, token = found
    body = (
        f"Someone (we hope you) tried to create a new account on {links.site_name} with this email "
        f"address. It already belongs to your account {owner.username}, so no new account was made.\n\n"
        f"Sign in here:\n{links.sign_in}\n\n"
        f"Forgot your password? Choose a new one within the hour; the link works once:\n{links.reset(token)}\n\n"
        "If it was not you, ignore this email: your account and password stay as they are."
    )
    mail.queue(
        session, owner.email, "signup_attempt", subject="Someone tried to join with your address",
        body=body, user_id=owner.id,
    )


def _pending(session: Session, token: str) -> PendingSignup | None:
    row = session.scalar(select(PendingSignup).where(PendingSignup.token_hash == _digest(token or "")))
    if row is None or row.expires_at <= utcnow():
        return None
    return row


def pending_username(session: Session, token: str) -> str | None:
    """The username a finish link is for, or None when the link is not valid."""
    row = _pending(session, token)
    return row.username if row is not None else None


def finish(session: Session, token: str) -> tuple[User, str]:
    """Make the account of a followed link (its address is proven by it); the account and where to go next."""
    row = _pending(session, token)
    if row is None:
        raise ValidationError(INVALID)
    if session.scalar(select(User.id).where(User.email == row.email)):
        raise ValidationError(
            "An account with this address was made meanwhile. Sign in, or ask for a new password if you need one."
        )
    if session.scalar(select(User.id).where(func.lower(User.username) == row.username.lower())):
        raise ValidationError(f"Someone took the username {row.username} meanwhile. Register again with another one.")
    user = accounts.create_account(session, row.username, row.email, row.password_hash, verified=True)
    next_url = row.next_url
    # Every other pending sign-up for this address is void now.
    session.execute(delete(PendingSignup).where(PendingSignup.email == row.email))
    session.flush()
    return user, next_url
