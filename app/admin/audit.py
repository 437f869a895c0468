"""The audit log viewer: every staff and moderator action, newest first, with filters."""

from datetime import UTC, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import select

from app.admin import bp
from app.db import get_session
from app.web import date_arg, page_arg, viewer
from community import audit
from community.db import parse_id
from community.models import User
from community.pagination import Page

PER_PAGE = 50
TARGET_TYPES = ("post", "thread", "user", "category", "team", "canned", "watchlist", "webhook", "mail")


def _filters(problems: list[str]) -> tuple[audit.AuditFilter, bool]:
    """The filters in the URL; the flag is False when a filter names nothing (so nothing can match)."""
    db = get_session()
    args = request.args
    found = audit.AuditFilter()
    matchable = True
    action = args.get("action", "").strip()
    if action:
        # A bare area ("post") means every action in it, like "post.".
        found.action = action if "." in action else f"{action}."
    actor = args.get("actor", "").strip().lstrip("@")
    if actor:
        found.actor_id = db.scalar(select(User.id).where(User.username == actor))
        if found.actor_id is None:
            problems.append(f"No member is called “{actor}”.")
            matchable = False
    target_type = args.get("target_type", "").strip()
    if target_type:
        found.target_type = target_type
    target_id = args.get("target_id", "").strip()
    if target_id:
        found.target_id = parse_id(target_id)
        if found.target_id is None:
            problems.append(f"“{target_id}” is not a target id (a whole number); it was left out.")
    first, last = date_arg("from", problems), date_arg("to", problems)
    if first:
        found.since = datetime.combine(first, time.min, UTC)
    if last:
        found.until = datetime.combine(last + timedelta(days=1), time.min, UTC)  # the last day included
    return found, matchable


@bp.route("/audit")
def audit_log():
    problems: list[str] = []
    filters, matchable = _filters(problems)
    if matchable:
        page = audit.entries(get_session(), viewer(), filters, page_arg(), PER_PAGE)
    else:
        page = Page(items=[], page=1, per_page=PER_PAGE, total=0)
    return render_template(
        "admin/audit.html", page=page, problems=problems, target_types=TARGET_TYPES, decoded=audit.decoded
    )
