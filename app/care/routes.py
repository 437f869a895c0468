"""The care queue and the staff actions on one thread; each action validates, calls one service,
commits and goes back to the thread's staff panel."""

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm

from app.care import bp
from app.care.forms import AssignForm, EscalateForm, NoteForm, StateForm, TicketForm
from app.db import get_session
from app.extensions import write_limited
from app.web import id_arg, page_arg, viewer
from community import care, care_queue, categories, staff_notes, threads
from community.errors import ValidationError
from community.models import Thread


@bp.before_request
@login_required
def require_staff():
    if not care.can_handle_care(viewer()):
        abort(403)


@bp.route("")
def queue():
    db = get_session()
    filters = care_queue.QueueFilter(
        category_id=id_arg("category"),
        assignee=request.args.get("assignee") or None,
        team_id=id_arg("team"),
        state=request.args.get("state") or None,
    )
    try:
        found = care_queue.queue(
            db,
            viewer(),
            filters,
            unsolved_days=current_app.config["CARE_UNSOLVED_DAYS"],
            first_response_minutes=current_app.config["CARE_FIRST_RESPONSE_MINUTES"],
            page=page_arg(),
            per_page=current_app.config["CARE_QUEUE_PER_PAGE"],
        )
    except ValidationError as exc:
        abort(400, str(exc))
    return render_template(
        "care/queue.html",
        queue=found,
        filters=filters,
        categories=categories.list_categories(db),
        staff=care_queue.staff_members(db),
        teams=care_queue.all_teams(db),
        states=care_queue.QUEUE_STATES,
        unsolved_days=current_app.config["CARE_UNSOLVED_DAYS"],
        target_minutes=current_app.config["CARE_FIRST_RESPONSE_MINUTES"],
    )


def _panel_url(thread: Thread) -> str:
    return url_for("threads.thread", thread_id=thread.id, slug=thread.slug, _anchor="care-panel")


def _act(thread_id: int, form: FlaskForm, action: Callable[[Thread], object], done: str):
    """Run one staff action on a thread: a bad form or a refused change is flashed and changes nothing."""
    db = get_session()
    thread = threads.get_thread(db, thread_id, viewer())
    if not form.validate_on_submit():  # a missing CSRF token was refused before this view
        flash(" ".join(m for messages in form.errors.values() for m in messages), "error")
        return redirect(_panel_url(thread))
    try:
        action(thread)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash(done, "success")
    return redirect(_panel_url(thread))


@bp.route("/t/<int:thread_id>/assign", methods=["POST"])
@write_limited
def assign(thread_id: int):
    db = get_session()
    form = AssignForm()

    def action(thread: Thread) -> None:
        choice = form.assignee.data or ""
        assignee = viewer() if choice == "me" else care.staff_user(db, choice) if choice else None
        team = care.team_by_id(db, form.team.data) if form.team.data else None
        care.assign(db, viewer(), thread, assignee=assignee, team=team)

    return _act(thread_id, form, action, "The assignment is saved.")


@bp.route("/t/<int:thread_id>/state", methods=["POST"])
@write_limited
def set_state(thread_id: int):
    form = StateForm()
    return _act(
        thread_id, form, lambda thread: care.set_state(get_session(), viewer(), thread, form.state.data or ""),
        f"The thread is now {form.state.data}.",
    )


@bp.route("/t/<int:thread_id>/escalate", methods=["POST"])
@write_limited
def escalate(thread_id: int):
    form = EscalateForm()
    return _act(
        thread_id, form, lambda thread: care.escalate(get_session(), viewer(), thread, form.reason.data or ""),
        "The thread is escalated.",
    )


@bp.route("/t/<int:thread_id>/ticket", methods=["POST"])
@write_limited
def set_ticket(thread_id: int):
    form = TicketForm()
    return _act(
        thread_id, form, lambda thread: care.set_ticket_ref(get_session(), viewer(), thread, form.ticket_ref.data or ""),
        "The ticket reference is saved.",
    )


@bp.route("/t/<int:thread_id>/notes", methods=["POST"])
@write_limited
def add_note(thread_id: int):
    form = NoteForm()
    return _act(
        thread_id, form, lambda thread: staff_notes.add_note(get_session(), viewer(), thread, form.body.data or ""),
        "Your note is saved; only staff can read it.",
    )
