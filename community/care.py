"""Care operations on one thread: assignment, states, escalation and the ticket reference.

A thread without a ThreadCare row is new and unassigned. Every change made by staff is written
to the audit log in the same transaction, so the thread's staff panel can show its history.

Answers move threads along on their own: a staff answer on a new thread assigns it to that
staff member and leaves it waiting on the customer (the reply is with them now); the asker's
reply on a waiting thread puts it back to assigned, for the assignee to pick up again.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from community import audit, notifications, permissions, webhooks
from community.db import get_by_id, utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import AuditEntry, CareState, Team, TeamCategory, Thread, ThreadCare, User
from community.text import strip_controls

MAX_REASON = 500
MIN_REASON = 5
MAX_TICKET_REF = 120
STATES = [state.value for state in CareState]
# Which state may follow which: resolved threads can only be reopened.
TRANSITIONS: dict[str, set[str]] = {
    CareState.NEW: {CareState.ASSIGNED, CareState.WAITING, CareState.RESOLVED},
    CareState.ASSIGNED: {CareState.NEW, CareState.WAITING, CareState.RESOLVED},
    CareState.WAITING: {CareState.ASSIGNED, CareState.RESOLVED},
    CareState.RESOLVED: {CareState.NEW, CareState.ASSIGNED},
}
# Keys a JSON answer from a ticketing system may hold its reference under, in order of preference.
TICKET_KEYS = ("ticket_ref", "ticket", "id")


def can_handle_care(user: User | None) -> bool:
    """Every brand staff member (staff, moderator, admin) works the care queue."""
    return permissions.is_staff(user)


def _require_staff(actor: User | None) -> None:
    if not can_handle_care(actor):
        raise PermissionDenied("Only staff handle the care queue.")


def care_of(session: Session, thread: Thread) -> ThreadCare:
    """The thread's care row, made (as new and unassigned) when it has none yet."""
    care = session.get(ThreadCare, thread.id)
    if care is None:
        care = ThreadCare(thread_id=thread.id, state=CareState.NEW.value, ticket_ref="", updated_at=utcnow())
        session.add(care)
        session.flush()
    return care


def _snapshot(care: ThreadCare) -> dict:
    return {"state": care.state, "assignee_id": care.assignee_id, "team_id": care.team_id}


def mapped_team_id(session: Session, thread: Thread) -> int | None:
    """The team whose category the thread is in, if any."""
    return session.scalar(select(TeamCategory.team_id).where(TeamCategory.category_id == thread.category_id))


def staff_user(session: Session, user_id) -> User:
    """A staff member by id, or a ValidationError saying why not."""
    user = get_by_id(session, User, user_id)
    if user is None or not user.is_staff:
        raise ValidationError({"assignee": "Choose a staff member: threads are assigned to staff only."})
    return user


def assign(
    session: Session, actor: User, thread: Thread, *, assignee: User | None = None, team: Team | None = None
) -> ThreadCare:
    """Give the thread to a staff member and/or a team (both None: unassign it)."""
    _require_staff(actor)
    if assignee is not None and not assignee.is_staff:
        raise ValidationError({"assignee": "Choose a staff member: threads are assigned to staff only."})
    care = care_of(session, thread)
    before = _snapshot(care)
    new_assignee_id = assignee.id if assignee else None
    new_team_id = team.id if team else None
    if (care.assignee_id, care.team_id) == (new_assignee_id, new_team_id):
        raise ValidationError({"assignee": "The thread is already assigned that way: nothing changed."})
    care.assignee_id, care.team_id = new_assignee_id, new_team_id
    if new_assignee_id is None and new_team_id is None:
        if care.state == CareState.ASSIGNED:
            care.state = CareState.NEW.value
    elif care.state in (CareState.NEW, CareState.RESOLVED):
        care.state = CareState.ASSIGNED.value
    care.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "care.assign", "thread", thread.id, before=before, after=_snapshot(care))
    if assignee is not None and assignee.id != before["assignee_id"]:
        notifications.notify(
            session, assignee.id, "assigned", actor_id=actor.id, thread_id=thread.id, text=thread.title
        )
    return care


def set_state(session: Session, actor: User, thread: Thread, state: str) -> ThreadCare:
    """Move the thread to `state` (new, assigned, waiting, resolved); reopening is resolved → new/assigned."""
    _require_staff(actor)
    if state not in STATES:
        raise ValidationError({"state": f"Choose a state from: {', '.join(STATES)}."})
    care = care_of(session, thread)
    if state == care.state:
        raise ValidationError({"state": f"The thread is already {state}."})
    if state not in TRANSITIONS[CareState(care.state)]:
        raise ValidationError({"state": f"A {care.state} thread cannot move to {state}."})
    before = _snapshot(care)
    care.state = state
    if state == CareState.ASSIGNED and care.assignee_id is None and care.team_id is None:
        care.assignee_id = actor.id  # "assigned" to nobody would mean nothing: the one who moved it takes it
    care.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "care.state", "thread", thread.id, before=before, after=_snapshot(care))
    return care


def after_answer(session: Session, author: User, thread: Thread) -> None:
    """Move the thread along after an answer: see the module docstring for the two rules."""
    care = session.get(ThreadCare, thread.id)
    state = care.state if care is not None else CareState.NEW.value
    if author.is_staff and state == CareState.NEW:
        care = care_of(session, thread)
        before = _snapshot(care)
        care.state = CareState.WAITING.value
        if care.assignee_id is None:
            care.assignee_id = author.id
        care.updated_at = utcnow()
        session.flush()
        audit.record(
            session, author, "care.state", "thread", thread.id, before=before, after=_snapshot(care),
            note="A staff answer: now waiting on the customer.",
        )
    elif not author.is_staff and author.id == thread.author_id and state == CareState.WAITING:
        before = _snapshot(care)
        care.state = CareState.ASSIGNED.value
        care.updated_at = utcnow()
        session.flush()
        audit.record(
            session, author, "care.state", "thread", thread.id, before=before, after=_snapshot(care),
            note="The customer replied.",
        )


def escalate(session: Session, actor: User, thread: Thread, reason: str) -> ThreadCare:
    """Mark the thread escalated, log why, and send the public "thread.escalated" webhook."""
    _require_staff(actor)
    reason = " ".join(strip_controls(reason or "").split())
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": "Say why the thread is escalated (a few words at least)."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason to {MAX_REASON} characters (it has {len(reason)})."})
    care = care_of(session, thread)
    if care.escalated_at is not None and care.state != CareState.RESOLVED:
        raise ValidationError({"reason": "The thread is already escalated."})
    before = {**_snapshot(care), "escalated_at": care.escalated_at}
    care.escalated_at = utcnow()
    care.escalated_by_id = actor.id
    if care.state == CareState.RESOLVED:
        care.state = CareState.ASSIGNED.value if care.assignee_id or care.team_id else CareState.NEW.value
    care.updated_at = care.escalated_at
    session.flush()
    audit.record(
        session, actor, "care.escalate", "thread", thread.id,
        before=before, after={**_snapshot(care), "escalated_at": care.escalated_at}, note=reason,
    )
    # The reason is staff-only: the payload carries the thread's public fields and the time only.
    webhooks.emit(session, "thread.escalated", lambda: escalated_payload(session, thread, care))
    return care


def escalated_payload(session: Session, thread: Thread, care: ThreadCare) -> dict:
    return {"thread": webhooks.thread_data(session, thread), "escalated_at": care.escalated_at.isoformat(timespec="seconds")}


def set_ticket_ref(session: Session, actor: User, thread: Thread, ticket_ref: str) -> ThreadCare:
    """Type in (or clear) the reference of the ticket opened elsewhere for this thread."""
    _require_staff(actor)
    ticket_ref = strip_controls(ticket_ref or "").strip()
    if len(ticket_ref) > MAX_TICKET_REF:
        raise ValidationError({"ticket_ref": f"Keep the reference to {MAX_TICKET_REF} characters."})
    care = care_of(session, thread)
    if ticket_ref == care.ticket_ref:
        raise ValidationError({"ticket_ref": "That is already the ticket reference."})
    before = {"ticket_ref": care.ticket_ref}
    care.ticket_ref = ticket_ref
    care.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "care.ticket", "thread", thread.id, before=before, after={"ticket_ref": ticket_ref})
    return care


def ticket_ref_from_response(body: str) -> str | None:
    """The ticket reference in a receiver's JSON answer ("ticket_ref", "ticket" or "id"), if any."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key in TICKET_KEYS:
        value = data.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return strip_controls(str(value)).strip()[:MAX_TICKET_REF]
    return None


def store_ticket_ref(session: Session, payload: str, response_body: str) -> bool:
    """After a delivered "thread.escalated" event, keep the ticket reference its receiver answered."""
    ticket_ref = ticket_ref_from_response(response_body)
    if ticket_ref is None:
        return False
    try:
        thread_id = int(json.loads(payload)["data"]["thread"]["id"])
    except (ValueError, KeyError, TypeError):
        return False
    care = session.get(ThreadCare, thread_id)
    if care is None:
        return False
    care.ticket_ref = ticket_ref
    care.updated_at = utcnow()
    session.flush()
    return True


@dataclass
class HistoryItem:
    action: str
    actor: User | None
    before: dict
    after: dict
    note: str
    created_at: datetime


def history(session: Session, viewer: User, thread: Thread, limit: int = 50) -> list[HistoryItem]:
    """What staff and moderators did to the thread, newest first, read from the audit log."""
    _require_staff(viewer)
    rows = session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .where(AuditEntry.target_type == "thread", AuditEntry.target_id == thread.id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [
        HistoryItem(e.action, e.actor, audit.decoded(e.before), audit.decoded(e.after), e.note, e.created_at)
        for e in rows
    ]


def team_by_id(session: Session, team_id) -> Team:
    """A team chosen in a form, or a ValidationError."""
    team = get_by_id(session, Team, team_id)
    if team is None:
        raise ValidationError({"team": "Choose a team from the list."})
    return team
