from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.db import get_session
from app.extensions import write_limited
from app.users import bp
from app.users.charts import reputation_chart
from app.web import ActionForm, page_arg, require_action_form, viewer
from community import (
    accounts,
    badges,
    categories,
    impact,
    leaderboards,
    permissions,
    reading,
    reputation,
    rules,
    suspensions,
    voting,
)
from community.db import utcnow
from community.errors import ValidationError

TABS = ("activity", "questions", "answers", "accepted", "reputation", "following")


class ChampionForm(FlaskForm):
    reason = StringField(
        "Why this member is a Community Champion",
        validators=[DataRequired(), Length(min=10, max=200)],
        description="Shown on the member's profile with the badge.",
    )


class SuspendForm(FlaskForm):
    days = IntegerField(
        "Days",
        validators=[Optional()],
        description=f"From 1 to {suspensions.MAX_DAYS}; leave empty to suspend until a moderator lifts it.",
    )
    reason = TextAreaField(
        "Reason",
        validators=[Length(max=suspensions.MAX_REASON)],
        description="Shown to the member on every page while the suspension lasts.",
    )


@bp.route("/u/<username>")
def profile(username: str):
    db = get_session()
    user = accounts.get_by_username(db, username)
    tab = request.args.get("tab", "activity")
    if tab not in TABS:
        abort(404)
    per_page = current_app.config["THREADS_PER_PAGE"]
    listing = {
        "activity": reading.recent_posts,
        "questions": reading.asked_by,
        "answers": reading.answers_by,
        "accepted": reading.accepted_by,
        "following": reading.followed_threads,
        "reputation": lambda db, user, _viewer, page, per_page: reputation.history(db, user, page, per_page),
    }[tab](db, user, viewer(), page_arg(), per_page)
    return render_template(
        "users/profile.html",
        user=user,
        tab=tab,
        listing=listing,
        stats=reading.member_stats(db, user),
        rank=rules.rank_for(user.reputation),
        next_rank=rules.next_rank(user.reputation),
        progress=rules.rank_progress(user.reputation),
        chart=reputation_chart(reputation.daily_totals(db, user), utcnow().date(), rules.current().floor),
        held=badges.badges_of(db, user),
        impact=impact.impact_of(db, user.id),
        helped_in=impact.categories_helped(db, user.id),
        reason_label=reputation.reason_label,
        champion_form=ChampionForm(),
        suspend_form=SuspendForm(),
        action_form=ActionForm(),
    )


@bp.route("/u/<username>/champion", methods=["POST"])
@login_required
@write_limited
def award_champion(username: str):
    db = get_session()
    member = accounts.get_by_username(db, username)
    if not permissions.is_staff(viewer()):
        abort(403)
    form = ChampionForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("users.profile", username=member.username))
    try:
        badges.award_champion(db, viewer(), member, form.reason.data)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("users.profile", username=member.username))
    db.commit()
    flash(f"{member.name} is now a Community Champion.", "success")
    return redirect(url_for("users.profile", username=member.username))


@bp.route("/u/<username>/revert-votes", methods=["POST"])
@login_required
@write_limited
def revert_votes(username: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    member = accounts.get_by_username(db, username)
    count = voting.revert_votes(db, viewer(), member)
    db.commit()
    flash(f"Reverted {count} votes by {member.name}: they no longer count for scores or reputation.", "success")
    return redirect(url_for("users.profile", username=member.username))


@bp.route("/u/<username>/suspend", methods=["POST"])
@login_required
@write_limited
def suspend(username: str):
    db = get_session()
    member = accounts.get_by_username(db, username)
    form = SuspendForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:  # the form has no such field when CSRF is off
            abort(400)
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("users.profile", username=member.username))
    try:
        suspensions.suspend(db, viewer(), member, days=form.days.data, reason=form.reason.data or "")
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("users.profile", username=member.username))
    db.commit()
    flash(f"{member.name} is suspended: they can still sign in and read.", "success")
    return redirect(url_for("users.profile", username=member.username))


@bp.route("/u/<username>/unsuspend", methods=["POST"])
@login_required
@write_limited
def unsuspend(username: str):
    require_action_form()
    db = get_session()
    member = accounts.get_by_username(db, username)
    try:
        suspensions.lift(db, viewer(), member)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("users.profile", username=member.username))
    db.commit()
    flash(f"{member.name}'s suspension is lifted.", "success")
    return redirect(url_for("users.profile", username=member.username))


@bp.route("/leaderboard")
def leaderboard():
    db = get_session()
    try:
        period, measure = leaderboards.parse(request.args.get("period"), request.args.get("by"))
    except ValidationError:
        abort(404)
    category = None
    if request.args.get("category"):
        category = categories.get_by_slug(db, request.args["category"])
    entries = leaderboards.leaderboard(db, period, measure, category)
    return render_template(
        "users/leaderboard.html",
        entries=entries,
        period=period,
        measure=measure,
        category=category,
        categories=categories.list_categories(db),
        labels=leaderboards.MEASURE_LABELS,
    )


@bp.route("/badges")
def badge_list():
    db = get_session()
    return render_template("users/badges.html", badges=badges.BADGES, holders=badges.holder_counts(db))


@bp.route("/badges/<key>")
def badge_detail(key: str):
    db = get_session()
    badge = badges.get_badge(key)
    return render_template(
        "users/badge.html", badge=badge, holders=badges.holders(db, badge), count=badges.holder_counts(db).get(key, 0)
    )
