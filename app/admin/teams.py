"""Admin pages for teams: create, rename, delete, members and the categories each covers."""

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from app.admin import bp
from app.db import get_session
from app.extensions import write_limited
from app.web import ActionForm, require_action_form, save, viewer
from community import care_queue, categories, teams
from community.errors import ValidationError


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[Length(max=teams.MAX_NAME)])


@bp.route("/teams", methods=["GET", "POST"])
@write_limited
def team_list():
    db = get_session()
    form = TeamForm()
    if form.validate_on_submit():
        ok, created = save(form, lambda: teams.create_team(db, viewer(), form.name.data or ""))
        if ok:
            flash(f"Team “{created.name}” is created.", "success")
            return redirect(url_for("admin.team_list"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "admin/teams.html",
        teams=teams.overview(db, viewer()),
        form=form,
        staff=care_queue.staff_members(db),
        categories=categories.list_categories(db),
        action_form=ActionForm(),
    ), status


def _change(team_id: int, change, done: str):
    """Apply one change to a team: a refused one is flashed and nothing is saved."""
    require_action_form()
    db = get_session()
    team = teams.get_team(db, viewer(), team_id)
    try:
        change(db, team)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash(done, "success")
    return redirect(url_for("admin.team_list"))


@bp.route("/teams/<int:team_id>/rename", methods=["POST"])
@write_limited
def team_rename(team_id: int):
    return _change(team_id, lambda db, team: teams.rename_team(db, viewer(), team, request.form.get("name", "")), "The team is renamed.")


@bp.route("/teams/<int:team_id>/delete", methods=["POST"])
@write_limited
def team_delete(team_id: int):
    return _change(team_id, lambda db, team: teams.delete_team(db, viewer(), team), "The team is deleted.")


@bp.route("/teams/<int:team_id>/members", methods=["POST"])
@write_limited
def team_members(team_id: int):
    """Add (op=add) or remove (op=remove) the staff member `user_id`."""
    adding = request.form.get("op") != "remove"
    return _change(
        team_id,
        lambda db, team: teams.set_member(db, viewer(), team, request.form.get("user_id"), adding),
        "The member is added." if adding else "The member is removed.",
    )


@bp.route("/teams/<int:team_id>/categories", methods=["POST"])
@write_limited
def team_categories(team_id: int):
    """Map (op=add) or unmap (op=remove) the category `category_id`."""
    adding = request.form.get("op") != "remove"
    return _change(
        team_id,
        lambda db, team: teams.set_category(db, viewer(), team, request.form.get("category_id"), adding),
        "The category now belongs to this team." if adding else "The category no longer belongs to this team.",
    )
