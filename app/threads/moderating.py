"""Views that report or moderate a post: flag it, hide it, show it again."""

from flask import abort, flash, redirect, request, url_for
from flask_login import login_required

from app.db import get_session
from app.extensions import write_limited
from app.threads import bp
from app.threads.forms import FlagForm, HideForm
from app.web import require_action_form, viewer
from community import flags, merging, moderation, permissions, threads
from community.errors import ValidationError
from community.models import Thread


def _back_to(post) -> str:
    """The post if the reader may still see it, else its thread, else the home page."""
    db = get_session()
    found = db.get(Thread, post.thread_id)
    if permissions.can_see_post(viewer(), post) and permissions.can_see_thread(viewer(), found):
        return url_for("threads.post_link", post_id=post.id)
    if permissions.can_see_thread(viewer(), found):
        return url_for("threads.thread", thread_id=found.id, slug=found.slug)
    return url_for("threads.home")


def _form_problems(form) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


@bp.route("/p/<int:post_id>/flag", methods=["POST"])
@login_required
@write_limited
def flag(post_id: int):
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    form = FlagForm()
    if not form.validate_on_submit():
        flash(_form_problems(form) or "The flag could not be sent.", "error")
        return redirect(_back_to(post))
    try:
        flags.flag_post(db, viewer(), post, reason=form.reason.data or "", note=form.note.data or "")
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(_back_to(post))
    db.commit()
    flash("Thanks for the flag: a moderator will review the post.", "success")
    return redirect(_back_to(post))


@bp.route("/p/<int:post_id>/hide", methods=["POST"])
@login_required
@write_limited
def hide(post_id: int):
    if not permissions.can_hide(viewer()):  # before the lookup: a 403 whether or not the post is visible
        abort(403)
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    form = HideForm()
    if not form.validate_on_submit():
        flash(_form_problems(form) or "The post could not be hidden.", "error")
        return redirect(_back_to(post))
    try:
        moderation.hide_post(db, viewer(), post, reason=form.reason.data or "")
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(_back_to(post))
    db.commit()
    flash("The post is hidden: only staff can see it now.", "info")
    return redirect(_back_to(post))


@bp.route("/t/<int:thread_id>/duplicate", methods=["POST"])
@login_required
@write_limited
def close_as_duplicate(thread_id: int):
    require_action_form()
    db = get_session()
    found = threads.get_thread(db, thread_id, viewer())
    try:
        original = moderation.close_as_duplicate(db, viewer(), found, request.form.get("original", "").strip().lstrip("#"))
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash(f"Closed as a duplicate of “{original.title}”; the thread is locked.", "info")
    return redirect(url_for("threads.thread", thread_id=found.id, slug=found.slug))


@bp.route("/t/<int:thread_id>/merge", methods=["POST"])
@login_required
@write_limited
def merge(thread_id: int):
    require_action_form()
    db = get_session()
    found = threads.get_thread(db, thread_id, viewer())
    try:
        target = merging.merge_threads(db, viewer(), found, request.form.get("target", "").strip().lstrip("#"))
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("threads.thread", thread_id=found.id, slug=found.slug))
    db.commit()
    flash(f"Merged into “{target.title}”: the posts are here now, and the old address leads here.", "success")
    return redirect(url_for("threads.thread", thread_id=target.id, slug=target.slug))


@bp.route("/t/<int:thread_id>/reopen", methods=["POST"])
@login_required
@write_limited
def reopen(thread_id: int):
    require_action_form()
    db = get_session()
    found = threads.get_thread(db, thread_id, viewer())
    try:
        moderation.reopen(db, viewer(), found)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash("The thread is reopened: it takes answers again.", "success")
    return redirect(url_for("threads.thread", thread_id=found.id, slug=found.slug))


@bp.route("/p/<int:post_id>/unhide", methods=["POST"])
@login_required
@write_limited
def unhide(post_id: int):
    require_action_form()
    if not permissions.can_hide(viewer()):
        abort(403)
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    try:
        moderation.unhide_post(db, viewer(), post)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(_back_to(post))
    db.commit()
    flash("The post is shown to everyone again.", "success")
    return redirect(_back_to(post))
