"""Listening pages: watchlists and the feed of posts that matched them."""

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.db import get_session
from app.extensions import write_limited
from app.staff import bp
from app.staff.forms import WatchlistForm
from app.web import ActionForm, page_arg, require_action_form, save, viewer
from community import listening
from community.models import Role, User
from community.tone import TONES

FEED_PER_PAGE = 25


def _assignee_choices() -> list[tuple[str, str]]:
    staff_roles = (Role.STAFF.value, Role.MODERATOR.value, Role.ADMIN.value)
    people = get_session().scalars(select(User).where(User.role.in_(staff_roles)).order_by(User.username))
    return [("", "Nobody")] + [(str(u.id), u.name if u.name == u.username else f"{u.name} ({u.username})") for u in people]


def _save_form(form: WatchlistForm, watchlist=None):
    db = get_session()
    fields = {"name": form.name.data or "", "keywords": form.keywords.data or "", "assignee_id": form.assignee.data}
    if watchlist is None:
        return save(form, lambda: listening.create_watchlist(db, viewer(), **fields))
    return save(form, lambda: listening.update_watchlist(db, viewer(), watchlist, **fields))


@bp.route("/listening")
def listening_feed():
    db = get_session()
    problems = []
    watchlists = listening.list_watchlists(db, viewer())
    watchlist_id = request.args.get("watchlist", type=int)
    if watchlist_id is not None and watchlist_id not in {w.id for w in watchlists}:
        problems.append("That watchlist no longer exists: showing every watchlist.")
        watchlist_id = None
    tone = request.args.get("tone") or None
    if tone is not None and tone not in TONES:
        problems.append(f"“{tone}” is not a tone: showing every tone.")
        tone = None
    page = listening.feed(db, viewer(), watchlist_id=watchlist_id, tone=tone, page=page_arg(), per_page=FEED_PER_PAGE)
    return render_template(
        "staff/listening.html",
        page=page,
        watchlists=watchlists,
        watchlist_id=watchlist_id,
        tone=tone,
        tones=TONES,
        problems=problems,
    )


@bp.route("/listening/watchlists", methods=["GET", "POST"])
@write_limited
def watchlist_list():
    db = get_session()
    form = WatchlistForm()
    form.assignee.choices = _assignee_choices()
    if form.validate_on_submit():
        ok, created = _save_form(form)
        if ok:
            flash(f"Watchlist “{created.name}” saved: new posts are matched against it from now on.", "success")
            return redirect(url_for("staff.watchlist_list"))
    status = 400 if form.errors or form.form_errors else 200
    names = dict(_assignee_choices())
    return render_template(
        "staff/watchlists.html",
        form=form,
        watchlists=listening.list_watchlists(db, viewer()),
        assignee_names=names,
        action_form=ActionForm(),
    ), status


@bp.route("/listening/watchlists/<int:watchlist_id>/edit", methods=["GET", "POST"])
@write_limited
def watchlist_edit(watchlist_id: int):
    db = get_session()
    watchlist = listening.get_watchlist(db, viewer(), watchlist_id)
    form = WatchlistForm()
    form.assignee.choices = _assignee_choices()
    if request.method == "GET":
        form.name.data, form.keywords.data = watchlist.name, watchlist.keywords
        form.assignee.data = str(watchlist.assignee_id or "")
    if form.validate_on_submit():
        ok, _ = _save_form(form, watchlist)
        if ok:
            flash(f"Watchlist “{watchlist.name}” saved.", "success")
            return redirect(url_for("staff.watchlist_list"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("staff/watchlist_form.html", form=form, watchlist=watchlist), status


@bp.route("/listening/watchlists/<int:watchlist_id>/delete", methods=["POST"])
@write_limited
def watchlist_delete(watchlist_id: int):
    require_action_form()
    db = get_session()
    watchlist = listening.get_watchlist(db, viewer(), watchlist_id)
    name = watchlist.name
    listening.delete_watchlist(db, viewer(), watchlist)
    db.commit()
    flash(f"Watchlist “{name}” and its matches are deleted.", "info")
    return redirect(url_for("staff.watchlist_list"))
