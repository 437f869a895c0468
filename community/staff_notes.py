"""Private staff notes on a thread: only staff read them; they are never indexed or sent out."""

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from community import audit
from community.care import can_handle_care
from community.errors import PermissionDenied, ValidationError
from community.models import StaffNote, Thread, User
from community.text import strip_controls

MAX_NOTE = 5000


def add_note(session: Session, actor: User, thread: Thread, body: str) -> StaffNote:
    """Add a private note to the thread; the audit log records that one was written, not its text."""
    if not can_handle_care(actor):
        raise PermissionDenied("Only staff write staff notes.")
    body = strip_controls(body or "").strip()
    if not body:
        raise ValidationError({"body": "Write the note before saving it."})
    if len(body) > MAX_NOTE:
        raise ValidationError({"body": f"Keep a note to {MAX_NOTE} characters (it has {len(body)})."})
    note = StaffNote(thread_id=thread.id, author_id=actor.id, body=body)
    session.add(note)
    session.flush()
    audit.record(session, actor, "care.note", "thread", thread.id, after={"note_id": note.id})
    return note


def notes_for(session: Session, viewer: User | None, thread: Thread) -> list[StaffNote]:
    """The thread's notes, oldest first; staff only."""
    if not can_handle_care(viewer):
        raise PermissionDenied("Only staff read staff notes.")
    return list(
        session.scalars(
            select(StaffNote)
            .options(joinedload(StaffNote.author))
            .where(StaffNote.thread_id == thread.id)
            .order_by(StaffNote.id)
        )
    )
