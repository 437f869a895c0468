"""The tone-over-time report and its CSV download."""

import csv
import io

from flask import Response, render_template, request

from app.db import get_session
from app.periods import PRESETS, period_from_args
from app.staff import bp
from app.staff.tone_chart import tone_chart
from app.web import viewer
from community import tone_report
from community.tone import TONES

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _report_and_scope(problems: list[str]):
    period = period_from_args(problems)
    found = tone_report.report(get_session(), period.since, period.until, actor=viewer())
    category_id = request.args.get("category", type=int)
    scope = found.scope(category_id)
    if scope is None:
        problems.append("That category has no scored posts in this period: showing every category.")
        scope = found.overall
    return period, found, scope


@bp.route("/tone")
def tone_over_time():
    problems: list[str] = []
    period, found, scope = _report_and_scope(problems)
    return render_template(
        "staff/tone.html",
        report=found,
        scope=scope,
        chart=tone_chart(scope.weeks),
        period=period,
        problems=problems,
        presets=PRESETS,
        tones=TONES,
    )


@bp.route("/tone.csv")
def tone_csv():
    problems: list[str] = []
    period, found, _ = _report_and_scope(problems)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(tone_report.CSV_HEADER)
    for row in tone_report.csv_rows(found):
        writer.writerow([_cell(value) for value in row])
    name = f"tone-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
