"""Chart layout and CSV output of the care metrics page."""

import csv
import io
from datetime import UTC, datetime

from app.staff import metric_charts, metric_tables
from community.care_metrics import CareMetrics, figures


def test_axis_steps_are_round_and_reach_the_highest_value():
    assert metric_charts.nice_scale(37, whole=True) == (40, [0, 10, 20, 30, 40])
    assert metric_charts.nice_scale(3, whole=True) == (3, [0, 1, 2, 3])  # counts never step by less than 1
    assert metric_charts.nice_scale(2.3, whole=False) == (3, [0, 1, 2, 3])
    assert metric_charts.nice_scale(1.8, whole=False) == (2, [0, 0.5, 1, 1.5, 2])
    assert metric_charts.nice_scale(0, whole=True) == (1, [0, 1])


def test_a_missing_value_breaks_the_line():
    chart = metric_charts.line_chart("t", "x", "y", [("a", 1), ("b", 2), ("c", None), ("d", 4), ("e", 3)])
    assert len(chart.segments) == 2
    assert [tick.label for tick in chart.x_ticks] == ["a", "c", "e"]
    assert chart.y_ticks[-1].label == "4" and chart.y_ticks[-1].position == chart.top
    lone = metric_charts.line_chart("t", "x", "y", [(str(n), None if n % 2 else n) for n in range(40)])
    assert lone.segments == [] and len(lone.dots) == 20  # isolated points still show


def test_bars_scale_to_the_longest_and_rows_without_a_value_get_no_bar():
    chart = metric_charts.bar_chart("t", "x", [("Heating", 20), ("Billing", None), ("Wifi", 10)])
    heating, billing, wifi = chart.bars
    assert heating.length == chart.right - chart.left and wifi.length == heating.length / 2
    assert (billing.length, billing.value_label) == (0, "–")


def test_durations_and_shares_read_like_the_page():
    assert [metric_tables.format_minutes(m) for m in (None, 44.6, 90, 1500, 2890)] == [
        "–", "45 min", "1 h 30 min", "25 h 00 min", "2 d 0 h",
    ]
    assert metric_tables.format_share(2 / 3) == "66.7%" and metric_tables.format_share(None) == "–"


def test_csv_names_cannot_run_as_spreadsheet_formulas():
    since = datetime(2026, 1, 1, tzinfo=UTC)
    metrics = CareMetrics(since, since, figures("=HYPERLINK(1)", None, []))
    row = next(csv.DictReader(io.StringIO(metric_tables.to_csv(metrics, "overall"))))
    assert row["group"].startswith("'=") and row["questions"] == "0" and row["solved_percent"] == ""
