"""Canned responses: replies staff insert into the answer box and then edit before posting."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import audit
from community.care import can_handle_care
from community.db import get_by_id, utcnow
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import CannedResponse, User
from community.text import strip_controls

MAX_TITLE = 100
MAX_BODY = 10_000


def _require_staff(actor: User | None) -> None:
    if not can_handle_care(actor):
        raise PermissionDenied("Only staff manage canned responses.")


def list_canned(session: Session, viewer: User | None) -> list[CannedResponse]:
    _require_staff(viewer)
    return list(session.scalars(select(CannedResponse).order_by(CannedResponse.title)))


def get_canned(session: Session, viewer: User | None, canned_id) -> CannedResponse:
    _require_staff(viewer)
    canned = get_by_id(session, CannedResponse, canned_id)
    if canned is None:
        raise NotFound("No such canned response.")
    return canned


def _clean(session: Session, title: str, body: str, current: CannedResponse | None) -> tuple[str, str]:
    title = " ".join(strip_controls(title or "").split())
    body = strip_controls(body or "").strip()
    errors = {}
    if not title:
        errors["title"] = "Give the response a title staff will recognise in the list."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters."
    else:
        taken = session.scalar(select(CannedResponse.id).where(CannedResponse.title == title))
        if taken is not None and (current is None or taken != current.id):
            errors["title"] = "Another canned response has this title: choose a different one."
    if not body:
        errors["body"] = "Write the text of the response."
    elif len(body) > MAX_BODY:
        errors["body"] = f"Keep the text to {MAX_BODY} characters (it has {len(body)})."
    if errors:
        raise ValidationError(errors)
    return title, body


def create_canned(session: Session, actor: User, *, title: str, body: str) -> CannedResponse:
    """Add a canned response."""
    _require_staff(actor)
    title, body = _clean(session, title, body, None)
    now = utcnow()
    canned = CannedResponse(title=title, body_md=body, created_by_id=actor.id, created_at=now, updated_at=now)
    session.add(canned)
    session.flush()
    audit.record(session, actor, "canned.create", "canned", canned.id, after={"title": title})
    return canned


def update_canned(session: Session, actor: User, canned: CannedResponse, *, title: str, body: str) -> None:
    """Change a canned response's title and text."""
    _require_staff(actor)
    title, body = _clean(session, title, body, canned)
    before = {"title": canned.title, "body_md": canned.body_md}
    canned.title, canned.body_md, canned.updated_at = title, body, utcnow()
    session.flush()
    audit.record(session, actor, "canned.update", "canned", canned.id, before=before, after={"title": title, "body_md": body})


def delete_canned(session: Session, actor: User, canned: CannedResponse) -> None:
    """Remove a canned response; answers already posted with it are not touched."""
    _require_staff(actor)
    audit.record(session, actor, "canned.delete", "canned", canned.id, before={"title": canned.title})
    session.delete(canned)
    session.flush()
