"""Failed sign-ins slow down, then lock, one login-and-address pair for a while.

After a few free failures each further one makes the pair wait longer before the next try
(1 s, 2 s, 4 s ...); after `lock_after` failures it is locked for `lock_minutes`. Other
addresses can still sign in to the same account, so an attacker cannot lock its owner out,
and the messages never depend on whether the account exists.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from community.db import utcnow
from community.models import SignInThrottle


@dataclass(frozen=True)
class GuardRules:
    free_failures: int = 3
    lock_after: int = 10
    lock_minutes: int = 15
    forget_after_minutes: int = 60


RULES = GuardRules()


def _key(login: str) -> str:
    return " ".join((login or "").split()).lower()[:254]


def _row(session: Session, login: str, address: str) -> SignInThrottle | None:
    return session.scalar(
        select(SignInThrottle).where(SignInThrottle.login_key == _key(login), SignInThrottle.address == address[:64])
    )


def wait_seconds(session: Session, login: str, address: str, now: datetime | None = None) -> int:
    """How long this pair must wait before another try; 0 when it may try now."""
    now = now or utcnow()
    row = _row(session, login, address)
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, int((row.blocked_until - now).total_seconds() + 0.999))


def record_failure(session: Session, login: str, address: str, rules: GuardRules = RULES) -> int:
    """Count a failed try; returns the seconds the pair must now wait (0 while still free)."""
    now = utcnow()
    row = _row(session, login, address)
    if row is None:
        row = SignInThrottle(login_key=_key(login), address=address[:64], failures=0, last_failed_at=now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = _row(session, login, address)  # another worker counted the first failure
    if now - row.last_failed_at > timedelta(minutes=rules.forget_after_minutes):
        row.failures = 0  # an old streak is forgotten
    row.failures += 1
    row.last_failed_at = now
    if row.failures >= rules.lock_after:
        row.blocked_until = now + timedelta(minutes=rules.lock_minutes)
    elif row.failures > rules.free_failures:
        row.blocked_until = now + timedelta(seconds=2 ** (row.failures - rules.free_failures - 1))
    session.flush()
    return wait_seconds(session, login, address, now)


def record_success(session: Session, login: str, address: str) -> None:
    session.execute(
        delete(SignInThrottle).where(SignInThrottle.login_key == _key(login), SignInThrottle.address == address[:64])
    )


def forget_old(session: Session, rules: GuardRules = RULES) -> int:
    """Drop streaks nobody has continued for a while (kept small by sign-in itself)."""
    cutoff = utcnow() - timedelta(minutes=rules.forget_after_minutes + rules.lock_minutes)
    result = session.execute(delete(SignInThrottle).where(SignInThrottle.last_failed_at < cutoff))
    return result.rowcount or 0
