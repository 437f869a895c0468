"""The anonymous visitor key and last search time kept in the Flask session, for deflection figures."""

import secrets
from datetime import UTC, datetime

from flask import session
from sqlalchemy.orm import Session

from app.web import viewer
from community import deflection, permissions
from community.db import utcnow
from community.models import Thread

KEY = "visitor_key"
SEARCHED_AT = "searched_at"


def _counted() -> bool:
    """Staff search and read all day for their work: only customers' visits are measured."""
    return not permissions.is_staff(viewer())


def visitor_key() -> str:
    """A random key for this browser session, made on first use; it says nothing about who it is."""
    if KEY not in session:
        session[KEY] = secrets.token_urlsafe(16)
    return session[KEY]


def note_search(now: datetime | None = None) -> None:
    """Remember that this visitor just searched (or was shown similar questions)."""
    if _counted():
        visitor_key()
        session[SEARCHED_AT] = int((now or utcnow()).timestamp())


def last_search() -> datetime | None:
    stamp = session.get(SEARCHED_AT)
    return datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) else None


def thread_opened(db: Session, thread: Thread) -> None:
    """A solved thread opened soon after a search may be a question avoided: record it."""
    searched, now = last_search(), utcnow()
    if not thread.is_solved or searched is None or KEY not in session or not _counted():
        return
    if deflection.within_window(searched, now):
        deflection.record_view(db, session[KEY], thread, now)
        db.commit()


def question_asked(db: Session) -> None:
    """The visitor asked after all: the solved threads just read did not answer it."""
    if KEY in session and deflection.record_question_asked(db, session[KEY]):
        db.commit()


def carry_over() -> dict:
    """What to keep when the session is renewed at sign-in, so asking right after still cancels."""
    return {k: session[k] for k in (KEY, SEARCHED_AT) if k in session}


def restore(kept: dict) -> None:
    session.update(kept)
