"""The care metrics page and its CSV downloads: staff only, and the same figures in both."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from app.staff import metric_tables
from community.db import utcnow
from community.models import Role, Thread
from tests import care_scenario
from tests.factories import make_answer, make_category, make_thread, make_user
from tests.integration.helpers import login, text

TABLE_NAMES = ("overall", "categories", "teams", "staff", "daily", "weekly")
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


@pytest.fixture
def scenario(app, db):
    # Far enough back that the whole period lies before today, whatever day the tests run.
    return care_scenario.build(db, utcnow().date() - timedelta(days=20))


def period_query(scenario) -> str:
    return f"from={scenario.first.isoformat()}&to={scenario.last.isoformat()}"


@pytest.fixture
def staff_client(app, scenario):
    client = app.test_client()
    login(client, "stafffirst")
    return client


def page_table(page: str, table_id: str) -> list[list[str]]:
    """The body rows of one table on the page, as the text of their cells."""
    table = re.search(rf'<table class="table metric-table" id="{table_id}">(.*?)</table>', page, re.S).group(1)
    body = table.split("<tbody>", 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[html.unescape(cell).strip() for cell in CELL.findall(row)] for row in rows]


def csv_table(client, scenario, name: str) -> list[dict]:
    response = client.get(f"/staff/metrics/{name}.csv?{period_query(scenario)}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(text(response))))


def as_page(column: metric_tables.Column, value: str) -> str:
    """How the page writes a CSV value."""
    if column.kind == "minutes":
        return metric_tables.format_minutes(float(value) if value else None)
    if column.kind == "share":
        return f"{value}%" if value else "–"
    if column.kind == "count":
        return f"{int(value):,}"
    return value


def test_the_page_shows_the_hand_worked_figures(staff_client, scenario):
    page = text(staff_client.get(f"/staff/metrics?{period_query(scenario)}"))
    cards = dict(re.findall(r"<div><dt>(.*?)</dt><dd>(.*?)</dd></div>", page))
    assert cards == {
        "Questions": "6",
        "Median first response": "45 min",
        "90th pct first response": "25 h 00 min",
        "Median first staff response": "1 h 30 min",
        "90th pct first staff response": "10 h 00 min",
        "Median time to accepted": "2 h 00 min",
        "Answered within 24 h": "66.7%",
        "Solved": "50.0%",
        "Solved by customers": "33.3%",
    }
    assert "nearest-rank" in page
    assert "count in the shares' denominators" in page
    # Every chart is an inline SVG with a title, and no script is involved.
    assert page.count('<figure class="metric-chart"') == 5
    assert "<script" not in page
    assert [row[0] for row in page_table(page, "categories-table")] == ["Billing", "Heating", "Wifi"]


def test_every_csv_matches_the_page(staff_client, scenario):
    page = text(staff_client.get(f"/staff/metrics?{period_query(scenario)}"))
    for name in TABLE_NAMES:
        columns = metric_tables.TABLES[name]
        rows = csv_table(staff_client, scenario, name)
        assert rows, name
        assert list(rows[0]) == [column.key for column in columns]
        from_csv = [[as_page(column, row[column.key]) for column in columns] for row in rows]
        if name == "overall":  # shown as stat cards headed like the table's columns
            cards = dict(re.findall(r"<div><dt>(.*?)</dt><dd>(.*?)</dd></div>", page))
            assert {c.heading: v for c, v in zip(columns, from_csv[0], strict=True) if c.kind != "text"} == cards
            continue
        assert from_csv == page_table(page, f"{name}-table"), name


def test_the_csv_holds_the_scenario_numbers(staff_client, scenario):
    heating = {row["category"]: row for row in csv_table(staff_client, scenario, "categories")}["Heating"]
    assert heating["median_first_response_minutes"] == "10.0"
    assert heating["p90_first_staff_response_minutes"] == "90.0"
    assert heating["deflection_percent"] == "50.0"
    billing = {row["category"]: row for row in csv_table(staff_client, scenario, "categories")}["Billing"]
    assert billing["median_first_staff_response_minutes"] == "" and billing["solved_percent"] == "0.0"
    daily = csv_table(staff_client, scenario, "daily")
    assert [row["backlog_end_of_day"] for row in daily] == ["1", "0", "2", "1", "1", "1", "1"]


def test_an_unknown_table_is_not_found(staff_client, scenario):
    assert staff_client.get("/staff/metrics/secrets.csv").status_code == 404


@pytest.mark.parametrize("url", ["/staff/metrics", "/staff/metrics/overall.csv", "/staff/metrics/staff.csv"])
def test_members_are_refused_and_visitors_sent_to_sign_in(app, scenario, url):
    visitor = app.test_client()
    response = visitor.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    member = app.test_client()
    login(member, "customer")
    assert member.get(url).status_code == 403


def test_the_staff_navigation_links_the_page(staff_client, scenario):
    page = text(staff_client.get("/staff/search"))
    assert 'href="/staff/metrics?days=30"' in page


def test_the_page_runs_the_same_statements_however_many_threads(app, db, staff_client, scenario):
    """A fixed handful of queries: adding questions, answers and staff adds none."""
    engine = app.extensions["hearth.engine"]
    url = f"/staff/metrics?{period_query(scenario)}"

    def statements() -> int:
        seen = []

        def note(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            assert staff_client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return len(seen)

    before = statements()
    staff = make_user(db, "staffthird", role=Role.STAFF)
    category = make_category(db, "Cooling")
    for n in range(6):
        thread = make_thread(db, author=scenario.users["asker"], category=category, title=f"Cooling question number {n} here")
        db.execute(update(Thread).where(Thread.id == thread.id).values(created_at=scenario.base + timedelta(hours=n)))
        make_answer(db, thread, author=staff, body=f"Staff here: try setting number {n}.")
    db.commit()
    assert statements() == before
