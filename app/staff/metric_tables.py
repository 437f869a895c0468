"""The tables of the care metrics page, defined once for the page and its CSV downloads."""

import csv
import io
from dataclasses import dataclass

from community.care_metrics import CareMetrics


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header
    heading: str  # the page's column heading
    attribute: str
    kind: str  # "text", "count", "minutes" or "share"


GROUP_COLUMNS = (
    Column("questions", "Questions", "questions", "count"),
    Column("median_first_response_minutes", "Median first response", "median_first_response", "minutes"),
    Column("p90_first_response_minutes", "90th pct first response", "p90_first_response", "minutes"),
    Column("median_first_staff_response_minutes", "Median first staff response", "median_first_staff_response", "minutes"),
    Column("p90_first_staff_response_minutes", "90th pct first staff response", "p90_first_staff_response", "minutes"),
    Column("median_time_to_accepted_minutes", "Median time to accepted", "median_time_to_solved", "minutes"),
    Column("answered_within_24h_percent", "Answered within 24 h", "answered_within_24h", "share"),
    Column("solved_percent", "Solved", "solved_share", "share"),
    Column("deflection_percent", "Solved by customers", "deflection", "share"),
)

TABLES = {
    "overall": (Column("group", "Group", "name", "text"), *GROUP_COLUMNS),
    "categories": (Column("category", "Category", "name", "text"), *GROUP_COLUMNS),
    "teams": (Column("team", "Team", "name", "text"), *GROUP_COLUMNS),
    "staff": (
        Column("staff_member", "Staff member", "name", "text"),
        Column("first_staff_responses", "First staff responses", "first_responses", "count"),
        Column("median_first_staff_response_minutes", "Median time to them", "median_first_response", "minutes"),
        Column("accepted_answers", "Accepted answers", "accepted_answers", "count"),
    ),
    "daily": (
        Column("day", "Day", "day", "text"),
        Column("new_questions", "New questions", "new_questions", "count"),
        Column("backlog_end_of_day", "Unanswered at the end of the day", "backlog", "count"),
    ),
    "weekly": (
        Column("week", "Week", "label", "text"),
        Column("questions", "Questions", "questions", "count"),
        Column("median_first_response_minutes", "Median first response", "median_first_response", "minutes"),
    ),
}


def table_rows(metrics: CareMetrics, name: str) -> list:
    """The objects one table lists, one per row."""
    return {
        "overall": [metrics.overall],
        "categories": metrics.categories,
        "teams": metrics.teams,
        "staff": metrics.staff,
        "daily": metrics.days,
        "weekly": metrics.weeks,
    }[name]


def format_minutes(minutes: float | None) -> str:
    """A duration for people: "–" for none, "45 min", "3 h 05 min", "2 d 4 h"."""
    if minutes is None:
        return "–"
    whole = round(minutes)
    if whole < 60:
        return f"{whole} min"
    hours, rest = divmod(whole, 60)
    if hours < 48:
        return f"{hours} h {rest:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def format_share(value: float | None) -> str:
    """A share as a percentage with one decimal ("–" when there was nothing to count)."""
    return "–" if value is None else f"{value * 100:.1f}%"


def page_value(column: Column, row) -> str:
    value = getattr(row, column.attribute)
    if column.kind == "minutes":
        return format_minutes(value)
    if column.kind == "share":
        return format_share(value)
    if column.kind == "count":
        return f"{value:,}"
    return str(value)


def csv_value(column: Column, row) -> str:
    """Minutes with one decimal, percentages with one decimal, empty when there is no value."""
    value = getattr(row, column.attribute)
    if value is None:
        return ""
    if column.kind == "minutes":
        return f"{value:.1f}"
    if column.kind == "share":
        return f"{value * 100:.1f}"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def to_csv(metrics: CareMetrics, name: str) -> str:
    """One table as CSV text, a header line first."""
    columns = TABLES[name]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.key for column in columns])
    for row in table_rows(metrics, name):
        # A leading =, +, - or @ would run as a formula in a spreadsheet: names come from people.
        writer.writerow([_defused(csv_value(column, row)) if column.kind == "text" else csv_value(column, row) for column in columns])
    return out.getvalue()


def _defused(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
