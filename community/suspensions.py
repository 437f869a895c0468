"""Suspensions: a moderator stops a member taking part for some days, or until lifted."""

from datetime import timedelta

from sqlalchemy.orm import Session

from community import audit, permissions, webhooks
from community.db import utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import User

MAX_REASON = 500
MAX_DAYS = 3650


def suspension_message(member: User) -> str:
    """What a suspended member is told when they try to take part."""
    if member.suspended_until is None:
        return "Your account is suspended: you can read, but not post, vote, flag or change your profile."
    until = member.suspended_until.strftime("%d %b %Y at %H:%M UTC")
    return f"Your account is suspended until {until}: you can read, but not post, vote, flag or change your profile."


def refuse_if_suspended(user: User | None) -> None:
    """Raise the suspension's own message, so a refused member learns why rather than 'sign in'."""
    if permissions.is_suspended(user):
        raise PermissionDenied(suspension_message(user))


def _moment(value) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _state(member: User) -> dict:
    return {
        "suspended_at": _moment(member.suspended_at),
        "suspended_until": _moment(member.suspended_until),
        "reason": member.suspension_reason,
        "active": member.is_suspended,
    }


def _check_may_suspend(actor: User, member: User) -> None:
    if permissions.can_suspend(actor, member):
        return
    if permissions.is_signed_in(actor) and actor.id == member.id:
        raise PermissionDenied("You cannot suspend yourself.")
    if permissions.is_moderator(actor):
        raise PermissionDenied(f"Only someone of a higher role can suspend a {member.role}.")
    raise PermissionDenied("Only moderators suspend members.")


def _days(days) -> int | None:
    """None (or empty) means permanent; otherwise a whole number of days from 1 to MAX_DAYS."""
    if days in (None, ""):
        return None
    try:
        count = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": "Give the number of days as a whole number, or leave it empty for permanent."})
    if not 1 <= count <= MAX_DAYS:
        raise ValidationError({"days": f"A suspension lasts from 1 to {MAX_DAYS} days, or is permanent."})
    return count


def user_data(member: User) -> dict:
    """A member's public facts for a webhook: never the reason, which only the member is shown."""
    return {"id": member.id, "username": member.username}


def suspend(session: Session, actor: User, member: User, *, days=None, reason: str) -> None:
    """Suspend `member` for `days` days (None: until lifted), with a reason the member is shown."""
    _check_may_suspend(actor, member)
    reason = " ".join((reason or "").split())
    errors = {}
    if not reason:
        errors["reason"] = "Give the reason: the member sees it while the suspension lasts."
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"Keep the reason to {MAX_REASON} characters (it has {len(reason)})."
    try:
        count = _days(days)
    except ValidationError as exc:
        errors.update(exc.errors)
        count = None
    if errors:
        raise ValidationError(errors)
    before = _state(member)
    now = utcnow()
    member.suspended_at = now
    member.suspended_until = now + timedelta(days=count) if count is not None else None
    member.suspension_reason = reason
    session.flush()
    audit.record(session, actor, "user.suspend", "user", member.id, before=before, after=_state(member))
    until = member.suspended_until.isoformat(timespec="seconds") if member.suspended_until else None
    webhooks.emit(session, "user.suspended", lambda: {"user": user_data(member), "until": until})


def lift(session: Session, actor: User, member: User) -> None:
    """End a suspension now."""
    _check_may_suspend(actor, member)
    if not member.is_suspended:
        raise ValidationError(f"{member.name} is not suspended.")
    before = _state(member)
    member.suspended_at = member.suspended_until = member.suspension_reason = None
    session.flush()
    audit.record(session, actor, "user.unsuspend", "user", member.id, before=before, after=_state(member))
