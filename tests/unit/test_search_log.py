"""Search analytics: queries kept anonymously and normalised, clicks checked, reports over a period."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from community import search_log
from community.errors import PermissionDenied
from community.models import Role, SearchClick, SearchQuery
from tests.factories import count_rows, make_thread, make_user

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 8, tzinfo=UTC)


@pytest.fixture
def staff(db):
    return make_user(db, role=Role.STAFF)


def logged_at(db, text: str, results: int, at: datetime) -> SearchQuery:
    row = search_log.log_query(db, text, results)
    db.execute(update(SearchQuery).where(SearchQuery.id == row.id).values(created_at=at))
    return row


def clicked_at(db, query, thread, position: int, at: datetime) -> SearchClick:
    click = search_log.log_click(db, query.id, thread.id, position)
    db.execute(update(SearchClick).where(SearchClick.id == click.id).values(created_at=at))
    return click


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("  Reset   the\tThermostat \n", "reset the thermostat"),
        ("WIFI", "wifi"),
        ("x" * 250, "x" * 200),
        ("a" * 199 + " b", "a" * 199),  # cut at 200, no trailing space
    ],
)
def test_a_query_is_kept_normalised(db, typed, kept):
    row = search_log.log_query(db, typed, 3)
    db.commit()
    assert (row.query, row.results, row.source) == (kept, 3, "search")


@pytest.mark.parametrize("typed", ["", "   ", "\t\n", None])
def test_empty_text_is_not_kept(db, typed):
    assert search_log.log_query(db, typed, 0) is None
    assert count_rows(db, SearchQuery) == 0


def test_the_source_is_kept(db):
    assert search_log.log_query(db, "pairing", 1, source="similar").source == "similar"


def test_a_click_on_a_known_query_and_thread_is_kept(db):
    thread = make_thread(db)
    query = search_log.log_query(db, "thermostat", 4)
    click = search_log.log_click(db, query.id, thread.id, 2)
    db.commit()
    assert (click.query_id, click.thread_id, click.position) == (query.id, thread.id, 2)
    assert count_rows(db, SearchClick) == 1


@pytest.mark.parametrize(
    "query_id, thread_id, position",
    [
        ("unknown", "known", 1),
        ("known", "unknown", 1),
        ("abc", "known", 1),
        (None, "known", 1),
        (2**40, "known", 1),
        ("known", "known", 0),
        ("known", "known", -3),
        ("known", "known", "first"),
        ("known", "known", None),
        ("known", "known", 10**9),
    ],
)
def test_a_click_with_unknown_ids_or_odd_positions_is_ignored(db, query_id, thread_id, position):
    thread = make_thread(db)
    query = search_log.log_query(db, "thermostat", 4)
    ids = {"known": None, "unknown": 999_999}
    query_id = query.id if query_id == "known" else ids.get(query_id, query_id)
    thread_id = thread.id if thread_id == "known" else ids[thread_id]
    assert search_log.log_click(db, query_id, thread_id, position) is None
    assert count_rows(db, SearchClick) == 0


def test_the_report_counts_queries_in_the_period_only(db, staff):
    logged_at(db, "reset", 5, SINCE)  # first instant: in
    logged_at(db, "reset", 3, SINCE + timedelta(days=2))
    logged_at(db, "Reset ", 4, UNTIL - timedelta(microseconds=1))
    logged_at(db, "reset", 9, SINCE - timedelta(microseconds=1))  # before: out
    logged_at(db, "reset", 9, UNTIL)  # the end is excluded
    logged_at(db, "pairing", 0, SINCE + timedelta(days=1))
    db.commit()
    found = search_log.report(db, SINCE, UNTIL, actor=staff)
    assert found.searches == 4 and found.zero_result_searches == 1
    top = [(q.query, q.count, q.average_results) for q in found.top_queries]
    assert top == [("reset", 3, 4.0), ("pairing", 1, 0.0)]
    assert found.top_queries[0].last_at == UNTIL - timedelta(microseconds=1)


def test_zero_result_queries_are_listed_by_how_often_they_found_nothing(db, staff):
    at = SINCE + timedelta(hours=1)
    for text, results in [("pairing", 0), ("pairing", 0), ("pairing", 2), ("e42", 0), ("reset", 5)]:
        logged_at(db, text, results, at)
    db.commit()
    zero = [(q.query, q.count) for q in search_log.report(db, SINCE, UNTIL, actor=staff).zero_result_queries]
    assert zero == [("pairing", 2), ("e42", 1)]


def test_most_opened_results_group_by_query_and_thread(db, staff):
    first, second = make_thread(db, title="Thermostat shows error E42"), make_thread(db)
    at = SINCE + timedelta(hours=1)
    e42, again = logged_at(db, "e42", 2, at), logged_at(db, "E42", 2, at)
    other = logged_at(db, "wifi", 2, at)
    clicked_at(db, e42, first, 1, at)
    clicked_at(db, again, first, 1, at)
    clicked_at(db, other, second, 2, at)
    clicked_at(db, other, first, 1, UNTIL)  # outside the period
    db.commit()
    found = search_log.report(db, SINCE, UNTIL, actor=staff)
    opened = [(o.query, o.thread_id, o.title, o.clicks) for o in found.opened]
    assert opened == [("e42", first.id, "Thermostat shows error E42", 2), ("wifi", second.id, second.title, 1)]
    assert found.clicks == 3


def test_the_report_keeps_to_the_limit(db, staff):
    for n in range(5):
        logged_at(db, f"query {n}", 0, SINCE)
    db.commit()
    found = search_log.report(db, SINCE, UNTIL, limit=3, actor=staff)
    assert len(found.top_queries) == 3 and len(found.zero_result_queries) == 3


@pytest.mark.parametrize("role", [None, Role.MEMBER])
def test_only_staff_may_read_the_report(db, role):
    actor = make_user(db, role=role) if role else None
    with pytest.raises(PermissionDenied):
        search_log.report(db, SINCE, UNTIL, actor=actor)


@pytest.mark.parametrize("role", [Role.STAFF, Role.MODERATOR, Role.ADMIN])
def test_every_staff_role_may_read_the_report(db, role):
    assert search_log.report(db, SINCE, UNTIL, actor=make_user(db, role=role)).searches == 0


def test_many_searches_are_kept_in_one_go_normalised_with_their_times(db):
    from datetime import UTC, datetime

    from sqlalchemy import select

    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    kept = search_log.log_queries(db, [("Paper  JAM", 3, at), ("   ", 1, at), ("wifi", -2, at)])
    db.commit()
    rows = db.execute(select(SearchQuery.query, SearchQuery.results, SearchQuery.created_at).order_by(SearchQuery.id)).all()
    assert kept == 2
    assert [tuple(r) for r in rows] == [("paper jam", 3, at), ("wifi", 0, at)]
