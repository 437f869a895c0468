"""Staff reports over a chosen period: search content gaps, questions avoided and care metrics."""

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import login_required

from app.db import get_session
from app.periods import PRESETS, period_from_args
from app.staff import bp, metric_tables
from app.staff.metric_charts import metrics_charts
from app.web import ActionForm, viewer
from community import (
    accepting,
    care_metrics,
    care_staffing,
    deflection,
    permissions,
    search_log,
    threads,
    vote_audit,
)
from community.db import utcnow


@bp.before_request
@login_required
def require_staff():
    if not permissions.is_staff(viewer()):
        abort(403)


@bp.route("/search")
def search_report():
    problems: list[str] = []
    period = period_from_args(problems)
    found = search_log.report(get_session(), period.since, period.until, actor=viewer())
    return render_template(
        "staff/search.html", report=found, period=period, problems=problems, presets=PRESETS
    )


@bp.route("/deflection")
def deflection_report():
    problems: list[str] = []
    period = period_from_args(problems)
    found = deflection.report(get_session(), period.since, period.until, actor=viewer())
    return render_template(
        "staff/deflection.html",
        report=found,
        period=period,
        problems=problems,
        presets=PRESETS,
        window=deflection.WINDOW,
    )


def staffing_settings() -> care_staffing.StaffingSettings:
    """The staffing estimate's inputs, from the configuration."""
    config = current_app.config
    return care_staffing.StaffingSettings(
        target_minutes=config["CARE_FIRST_RESPONSE_MINUTES"],
        minutes_per_thread=config["CARE_MINUTES_PER_THREAD"],
        hours_per_week=config["CARE_STAFF_HOURS_PER_WEEK"],
        hours_per_member=config["CARE_HOURS_PER_STAFF_MEMBER"],
        weeks=config["CARE_STAFFING_WEEKS"],
    )


@bp.route("/metrics")
def care_metrics_report():
    problems: list[str] = []
    period = period_from_args(problems)
    db = get_session()
    found = care_metrics.report(db, period.since, period.until, actor=viewer())
    staffing = care_staffing.estimate(db, staffing_settings(), utcnow(), actor=viewer())
    return render_template(
        "staff/metrics.html",
        report=found,
        staffing=staffing,
        charts=metrics_charts(found),
        tables=metric_tables,
        period=period,
        problems=problems,
        presets=PRESETS,
    )


@bp.route("/metrics/<table>.csv")
def care_metrics_csv(table: str):
    if table not in metric_tables.TABLES:
        abort(404)
    problems: list[str] = []
    period = period_from_args(problems)
    found = care_metrics.report(get_session(), period.since, period.until, actor=viewer())
    filename = f"care-{table}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        metric_tables.to_csv(found, table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/reputation")
def reputation_review():
    db = get_session()
    return render_template(
        "staff/reputation.html",
        held=accepting.held_accepts(db, viewer()),
        cases=vote_audit.report(db, viewer()),
        action_form=ActionForm(),
    )


@bp.route("/held/<int:thread_id>/approve", methods=["POST"])
def approve_held_accept(thread_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    thread = threads.get_thread(db, thread_id, viewer())
    accepting.approve_held_accept(db, viewer(), thread)
    db.commit()
    flash(f"Approved the accept in “{thread.title}”: it now earns its points.", "success")
    return redirect(url_for("staff.reputation_review"))
