"""The audit log: every staff and moderator action, appended in the same transaction as the action."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from community import permissions
from community.errors import PermissionDenied
from community.models import AuditEntry, User
from community.pagination import Page, paginate

MAX_NOTE = 500


def _as_json(state: dict[str, Any] | None) -> str:
    return json.dumps(state, sort_keys=True, default=str) if state else ""


def record(
    session: Session,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one row; `action` is a dotted name such as "post.hide" or "user.suspend"."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=_as_json(before),
        after=_as_json(after),
        note=(note or "")[:MAX_NOTE],
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class AuditFilter:
    action: str | None = None  # an exact action, or a prefix ending in "." ("post.")
    actor_id: int | None = None
    target_type: str | None = None
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries(session: Session, viewer: User | None, filters: AuditFilter, page: int = 1, per_page: int = 50) -> Page:
    """Newest first; admins only."""
    if not permissions.is_admin(viewer):
        raise PermissionDenied("Only admins can read the audit log.")
    query = select(AuditEntry).options(joinedload(AuditEntry.actor)).order_by(AuditEntry.id.desc())
    if filters.action:
        if filters.action.endswith("."):
            query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == filters.action)
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id is not None:
        query = query.where(AuditEntry.target_id == filters.target_id)
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.created_at < filters.until)
    return paginate(session, query, page, per_page)


def decoded(text: str) -> dict[str, Any]:
    """A stored before/after state as a dict (empty when none was recorded)."""
    return json.loads(text) if text else {}
