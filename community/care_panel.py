"""What the staff-only panel on a thread page shows: state, assignee, team, history, notes, escalation."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from community import canned, care, care_queue, staff_notes
from community.errors import PermissionDenied
from community.models import CannedResponse, CareState, StaffNote, Team, Thread, User


@dataclass
class CarePanel:
    state: str
    assignee: User | None
    team: Team | None
    team_from_category: bool  # the team comes from the category's mapping, not an assignment
    escalated_at: object
    escalated_by: User | None
    ticket_ref: str
    history: list[care.HistoryItem]
    notes: list[StaffNote]
    canned: list[CannedResponse]
    staff: list[User]
    teams: list[Team]
    next_states: list[str]


def panel(session: Session, viewer: User | None, thread: Thread) -> CarePanel:
    """Everything the panel needs, for staff only."""
    if not care.can_handle_care(viewer):
        raise PermissionDenied("Only staff see the care panel.")
    row = session.get(care.ThreadCare, thread.id)
    state = row.state if row else CareState.NEW.value
    assignee = session.get(User, row.assignee_id) if row and row.assignee_id else None
    team_id = row.team_id if row and (row.assignee_id or row.team_id) else None
    from_category = False
    if team_id is None and not (row and row.assignee_id):
        team_id = care.mapped_team_id(session, thread)
        from_category = team_id is not None
    return CarePanel(
        state=state,
        assignee=assignee,
        team=session.get(Team, team_id) if team_id else None,
        team_from_category=from_category,
        escalated_at=row.escalated_at if row else None,
        escalated_by=session.get(User, row.escalated_by_id) if row and row.escalated_by_id else None,
        ticket_ref=row.ticket_ref if row else "",
        history=care.history(session, viewer, thread),
        notes=staff_notes.notes_for(session, viewer, thread),
        canned=canned.list_canned(session, viewer),
        staff=care_queue.staff_members(session),
        teams=care_queue.all_teams(session),
        next_states=sorted(care.TRANSITIONS[CareState(state)], key=care.STATES.index),
    )
