"""The care console for staff: the queue, assigning and moving a thread along, and the response-time metrics.

Every operation needs a token with the staff scope whose owner is staff today; the services then
check the same rule the staff pages do. Members never reach care data, notes or tone from here.
"""

from dataclasses import asdict

from flask import current_app
from flask_openapi3 import Tag

from app.api import auth, bp, problems, represent
from app.api.care_schemas import CareChange, CareMetrics, CareQueue, CareQueueQuery, CareRecord, MetricsQuery
from app.api.pages import meta
from app.api.schemas import ThreadPath
from app.db import get_session
from app.periods import MAX_DAYS, period_between
from community import care, care_metrics, care_queue, categories, threads
from community.errors import ValidationError
from community.models import Team, Thread, ThreadCare, User

TAG = Tag(name="Care", description="Staff only: the care queue, assignment and response-time metrics.")
STAFF = auth.needs("staff")
# Assigning changes the thread and is audited under the token's owner: it is staff work and a write.
STAFF_WRITE = [{auth.SCHEME: ["staff", "write"]}]
# The services name the people and teams they refuse; the body calls them by their id fields.
FIELD_NAMES = {"assignee": "assignee_id", "team": "team_id"}


@bp.get(
    "/care/queue",
    tags=[TAG],
    security=STAFF,
    responses={200: CareQueue, **problems.responses(403, 404)},
    summary="List the care queue",
)
def list_care_queue(query: CareQueueQuery):
    """The staff care queue with the same filters and order: threads waiting for help, oldest first.

    A thread is listed, until staff resolve it, when it is unanswered, unsolved after the configured
    days, escalated, flagged, or negative in tone. Needs a token with the staff scope (403 otherwise);
    an unknown category slug is 404."""
    staff = auth.require("staff")
    db = get_session()
    config = current_app.config
    category = categories.get_by_slug(db, query.category) if query.category else None
    filters = care_queue.QueueFilter(
        category_id=category.id if category else None, assignee=query.assignee, team_id=query.team, state=query.state
    )
    found = care_queue.queue(
        db,
        staff,
        filters,
        unsolved_days=config["CARE_UNSOLVED_DAYS"],
        first_response_minutes=config["CARE_FIRST_RESPONSE_MINUTES"],
        page=query.page,
        per_page=query.per_page,
    )
    if found.problems:  # a filter the page would drop with a note: a program is told instead
        raise ValidationError({"assignee": " ".join(found.problems)})
    items = [
        {
            "thread": represent.thread_summary(row.thread),
            "state": row.state,
            "assignee_id": row.assignee_id,
            "assignee_username": row.assignee_name,
            "team": {"id": row.team_id, "name": row.team_name} if row.team_id is not None else None,
            "reasons": row.reasons,
            "escalated": row.escalated,
            "negative": row.negative,
            "age_minutes": int(row.age.total_seconds() // 60),
            "target": row.target,
        }
        for row in found.rows
    ]
    return represent.respond(
        CareQueue,
        {
            **meta(found),
            "items": items,
            "unsolved_days": config["CARE_UNSOLVED_DAYS"],
            "first_response_target_minutes": config["CARE_FIRST_RESPONSE_MINUTES"],
        },
    )


@bp.patch(
    "/threads/<digits:thread_id>/care",
    tags=[TAG],
    security=STAFF_WRITE,
    responses={200: CareRecord, **problems.responses(403, 404)},
    summary="Assign a thread or change its care state",
)
def update_care(path: ThreadPath, body: CareChange):
    """Assign the thread to a staff member and/or a team, and/or move its care state, as its staff panel does.

    Needs a token with both the staff and the write scopes: assigning changes the thread, notifies
    the new assignee and is written to the audit log under the token's owner (403 without either).
    Fields left out keep their value. The assignment is made first (it moves a new or resolved
    thread to assigned), then the state; sent together, a state the assignment already left the
    thread in is not applied twice. A change that changes nothing, an assignee who is not staff, an
    unknown team or a move the states do not allow is 422 naming the field, and nothing is saved."""
    staff = auth.require("staff")
    auth.require("write")
    db = get_session()
    thread = threads.get_thread(db, path.thread_id, staff)
    given = body.model_fields_set - ({"state"} if body.state is None else set())
    if not given:
        raise ValidationError({"": "Send assignee_id, team_id or state: there is nothing to change."})
    try:
        record = _apply(db, staff, thread, body, given)
    except ValidationError as exc:
        raise ValidationError({FIELD_NAMES.get(field, field): message for field, message in exc.errors.items()}) from exc
    db.commit()
    return represent.respond(CareRecord, _record(db, record))


def _apply(db, staff: User, thread: Thread, body: CareChange, given: set[str]) -> ThreadCare:
    record = db.get(ThreadCare, thread.id)
    if given & {"assignee_id", "team_id"}:
        assignee_id = body.assignee_id if "assignee_id" in given else (record.assignee_id if record else None)
        team_id = body.team_id if "team_id" in given else (record.team_id if record else None)
        assignee = care.staff_user(db, assignee_id) if assignee_id is not None else None
        team = care.team_by_id(db, team_id) if team_id is not None else None
        record = care.assign(db, staff, thread, assignee=assignee, team=team)
        if body.state == record.state:
            return record
    if body.state is not None:
        record = care.set_state(db, staff, thread, body.state)
    return record


def _record(db, record: ThreadCare) -> dict:
    assignee = db.get(User, record.assignee_id) if record.assignee_id else None
    team = db.get(Team, record.team_id) if record.team_id else None
    return {
        "thread_id": record.thread_id,
        "state": record.state,
        "assignee": represent.user_ref(assignee) if assignee else None,
        "team": {"id": team.id, "name": team.name} if team else None,
        "escalated_at": record.escalated_at,
        "ticket_ref": record.ticket_ref,
        "updated_at": record.updated_at,
    }


@bp.get(
    "/care/metrics",
    tags=[TAG],
    security=STAFF,
    responses={200: CareMetrics, **problems.responses(403)},
    summary="Get the care metrics",
)
def get_care_metrics(query: MetricsQuery):
    """The figures of the staff metrics page for questions asked in a period of whole UTC days.

    Overall, per category, per team and per staff member: first response and first staff response
    (median and 90th percentile, minutes), time to the accepted answer, the share answered within
    24 hours, the solved share and the share solved by customers (deflection), with counts, and the
    daily and weekly series. The period defaults as on the page (the last 30 days, today included;
    with one end given, 30 days from or to it) and is kept between 2000-01-01 and today; `since`
    after `until` or a period over the maximum is 422. Needs a token with the staff scope."""
    staff = auth.require("staff")
    if query.since and query.until and query.since > query.until:
        raise ValidationError({"since": "The period starts after it ends: make since no later than until."})
    adjusted: list[str] = []
    period = period_between(query.since, query.until, None, adjusted)
    if adjusted:  # the page would shorten it and say so; a program is told instead
        raise ValidationError({"since": f"A period is at most {MAX_DAYS} days: choose a later since or an earlier until."})
    found = care_metrics.report(get_session(), period.since, period.until, actor=staff)
    return represent.respond(CareMetrics, {**asdict(found), "since": period.first, "until": period.last})
