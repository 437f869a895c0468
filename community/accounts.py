"""Accounts: registration, sign-in checks, passwords and profiles."""

import re
import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from community import badges
from community.db import get_by_id, utcnow
from community.errors import NotFound, ValidationError
from community.models import Role, User
from community.suspensions import refuse_if_suspended
from community.text import strip_controls

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,29}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 128
RESERVED_USERNAMES = {"admin", "administrator", "staff", "moderator", "support", "system", "hearth"}
# Checked against when the username is unknown, so a failed sign-in takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError({"email": f"That email address is not valid: {exc}"}) from None


def check_password_rules(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError({field: f"Use at least {MIN_PASSWORD} characters."})
    if len(password) > MAX_PASSWORD:
        raise ValidationError({field: f"Use at most {MAX_PASSWORD} characters."})


def find_by_login(session: Session, login: str) -> User | None:
    """Find a user by username or email, ignoring case."""
    login = login.strip().lower()
    column = User.email if "@" in login else func.lower(User.username)
    return session.scalar(select(User).where(column == login))


def get_user(session: Session, user_id: int) -> User:
    user = get_by_id(session, User, user_id)
    if user is None:
        raise NotFound("No such member.")
    return user


def get_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise NotFound("No such member.")
    return user


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def _new_account(
    session: Session, username: str, email: str, password: str, allow_reserved: bool
) -> tuple[str, str, dict[str, str]]:
    """The username and address cleaned up, and what is wrong with them and the password.
    Whether the address has an account already is left to the caller."""
    username = username.strip()
    errors: dict[str, str] = {}
    if not USERNAME_PATTERN.match(username):
        errors["username"] = (
            "Use 3-30 letters, digits, '_', '.' or '-', starting with a letter or digit."
        )
    elif username.lower() in RESERVED_USERNAMES and not allow_reserved:
        errors["username"] = "That username is reserved."
    elif session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors["username"] = "That username is taken."  # usernames are public anyway
    try:
        email = normalize_email(email)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        check_password_rules(password)
    except ValidationError as exc:
        errors.update(exc.errors)
    return username, email, errors


def check_new_account(session: Session, username: str, email: str, password: str) -> tuple[str, str]:
    """The cleaned-up username and address of a sign-up form, or a ValidationError naming each
    field at fault. It never says whether the address has an account: sign-up must not tell."""
    username, email, errors = _new_account(session, username, email, password, allow_reserved=False)
    if errors:
        raise ValidationError(errors)
    return username, email


def create_account(
    session: Session, username: str, email: str, password_hash: str, role: Role = Role.MEMBER, *, verified: bool
) -> User:
    """Add the account for checked details (the database still refuses a duplicate name or address)."""
    user = User(
        username=username,
        email=email,
        password_hash=password_hash,
        role=Role(role).value,
        session_token=secrets.token_hex(16),
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    return user


def register(
    session: Session,
    username: str,
    email: str,
    password: str,
    role: Role = Role.MEMBER,
    *,
    allow_reserved: bool = False,
    verified: bool = False,
) -> User:
    """Create an account at once, for admins and set-up (`flask users create`, the demo); every
    rule is checked before anything is written, and a used address is named as such. Visitors
    join through `community.signups`, which never says whether an address has an account.
    `verified`: the address is known to be the member's (an account made by an administrator)."""
    username, email, errors = _new_account(session, username, email, password, allow_reserved)
    if "email" not in errors and session.scalar(select(User.id).where(User.email == email)):
        errors["email"] = "An account with that email already exists."
    if errors:
        raise ValidationError(errors)
    return create_account(session, username, email, hash_password(password), role, verified=verified)


def authenticate(session: Session, login: str, password: str) -> User | None:
    """Return the user whose credentials match, or None without saying which part was wrong."""
    user = find_by_login(session, login)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Allowed while suspended too: nobody should be kept from securing their account."""
    if not check_password_hash(user.password_hash, current):
        raise ValidationError({"current_password": "Your current password is not right."})
    check_password_rules(new, "new_password")
    user.password_hash = generate_password_hash(new)
    user.session_token = secrets.token_hex(16)
    session.flush()


def end_sessions(session: Session, user: User) -> None:
    """Make every session and remember cookie of this member stop working (sign-out).

    Sessions live in signed cookies, so a copied cookie could otherwise outlive sign-out."""
    user.session_token = secrets.token_hex(16)
    session.flush()


def set_role(session: Session, user: User, role: Role) -> None:
    user.role = Role(role).value
    session.flush()


def update_profile(
    session: Session, user: User, *, display_name: str, bio: str, location: str, website: str
) -> None:
    refuse_if_suspended(user)
    display_name, bio = strip_controls(display_name).strip(), strip_controls(bio).strip()
    location, website = strip_controls(location).strip(), strip_controls(website).strip()
    errors: dict[str, str] = {}
    if len(display_name) > 60:
        errors["display_name"] = "Use at most 60 characters."
    if len(bio) > 1000:
        errors["bio"] = "Use at most 1,000 characters."
    if len(location) > 100:
        errors["location"] = "Use at most 100 characters."
    if website and (len(website) > 200 or not re.match(r"^https?://[^\s/$.?#].[^\s]*$", website)):
        errors["website"] = "Give a full web address starting with http:// or https://."
    if errors:
        raise ValidationError(errors)
    user.display_name, user.bio, user.location, user.website = display_name, bio, location, website
    session.flush()
    badges.evaluate(session, badges.Event.PROFILE, {user.id})
