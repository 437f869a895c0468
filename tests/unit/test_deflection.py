"""Measured deflection: the 30-minute windows, one view per visitor and thread, and the report."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from community import accepting, deflection, threads
from community.db import make_session_factory
from community.errors import PermissionDenied
from community.models import DeflectionView, Role
from tests.factories import count_rows, make_answer, make_category, make_thread, make_user

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday, ISO week 2026-W47
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


@pytest.fixture
def staff(db):
    return make_user(db, role=Role.STAFF)


def solved(db, *, category=None, answerer=None, title=None):
    """A thread whose answer by `answerer` was accepted by the asker."""
    asker = make_user(db)
    thread = make_thread(db, author=asker, category=category, title=title)
    answer = make_answer(db, thread, author=answerer or make_user(db))
    accepting.accept_answer(db, asker, answer)
    return thread


def report(db, staff, now, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1)):
    return deflection.report(db, since, until, now=now, actor=staff)


def test_the_window_is_thirty_minutes():
    assert deflection.WINDOW == timedelta(minutes=30)


@pytest.mark.parametrize(
    "elapsed, inside",
    [(-SECOND, False), (timedelta(0), True), (29 * MINUTE + 59 * SECOND, True), (30 * MINUTE, False)],
)
def test_within_window_boundaries(elapsed, inside):
    assert deflection.within_window(T0, T0 + elapsed) is inside


def test_opening_a_solved_thread_records_the_view(db):
    category, answerer = make_category(db), make_user(db)
    thread = solved(db, category=category, answerer=answerer)
    view = deflection.record_view(db, "visitor-a", thread, now=T0)
    db.commit()
    assert (view.thread_id, view.category_id, view.answer_author_id) == (thread.id, category.id, answerer.id)
    assert view.opened_at == T0 and view.asked_after_at is None


def test_an_unsolved_thread_is_never_recorded(db, staff):
    thread = make_thread(db)
    make_answer(db, thread)
    assert deflection.record_view(db, "visitor-a", thread, now=T0) is None
    assert count_rows(db, DeflectionView) == 0
    assert report(db, staff, now=T0 + timedelta(hours=2)).total == 0


def test_a_deleted_thread_is_not_recorded(db):
    thread = solved(db)
    threads.delete_post(db, make_user(db, role=Role.MODERATOR), threads.question_of(db, thread))
    assert deflection.record_view(db, "visitor-a", thread, now=T0) is None


def test_without_a_visitor_key_nothing_is_recorded(db):
    assert deflection.record_view(db, "", solved(db), now=T0) is None


def test_a_view_is_recorded_once_per_visitor_and_thread(db):
    thread = solved(db)
    first = deflection.record_view(db, "visitor-a", thread, now=T0)
    again = deflection.record_view(db, "visitor-a", thread, now=T0 + 5 * MINUTE)
    other = deflection.record_view(db, "visitor-b", thread, now=T0 + 5 * MINUTE)
    db.commit()
    assert again.id == first.id and again.opened_at == T0  # the first opening is kept
    assert other.id != first.id
    assert count_rows(db, DeflectionView) == 2


def test_a_view_recorded_meanwhile_by_another_request_is_reused(db, engine, monkeypatch):
    thread = solved(db)
    db.commit()
    with make_session_factory(engine)() as other:
        deflection.record_view(other, "visitor-a", thread, now=T0)
        other.commit()
    # This request checked before the other one committed: the insert hits the unique constraint.
    real_existing, calls = deflection._existing, []

    def existing_after_first_check(*args):
        calls.append(args)
        return None if len(calls) == 1 else real_existing(*args)

    monkeypatch.setattr(deflection, "_existing", existing_after_first_check)
    view = deflection.record_view(db, "visitor-a", thread, now=T0 + MINUTE)
    db.commit()
    assert len(calls) == 2  # looked again after the unique constraint refused the insert
    assert view is not None and view.opened_at == T0
    assert count_rows(db, DeflectionView) == 1


def test_the_accepted_answers_author_at_opening_time_gets_the_credit(db, staff):
    first_author, second_author = make_user(db, "first_author"), make_user(db, "second_author")
    thread = solved(db, answerer=first_author)
    deflection.record_view(db, "visitor-a", thread, now=T0)
    accepting.accept_answer(db, staff, make_answer(db, thread, author=second_author))
    deflection.record_view(db, "visitor-b", thread, now=T0)
    db.commit()
    authors = [(a.name, a.id, a.count) for a in report(db, staff, now=T0 + timedelta(hours=1)).authors]
    assert authors == [("first_author", first_author.id, 1), ("second_author", second_author.id, 1)]


def test_a_view_counts_only_once_thirty_minutes_have_passed(db, staff):
    deflection.record_view(db, "visitor-a", solved(db), now=T0)
    db.commit()
    early = report(db, staff, now=T0 + 29 * MINUTE + 59 * SECOND)
    assert (early.total, early.pending) == (0, 1)
    settled = report(db, staff, now=T0 + 30 * MINUTE)
    assert (settled.total, settled.pending) == (1, 0)


@pytest.mark.parametrize(
    "asked_after, cancelled",
    [(timedelta(0), True), (29 * MINUTE + 59 * SECOND, True), (30 * MINUTE, False), (-MINUTE, False)],
)
def test_asking_within_thirty_minutes_of_opening_cancels(db, staff, asked_after, cancelled):
    deflection.record_view(db, "visitor-a", solved(db), now=T0)
    changed = deflection.record_question_asked(db, "visitor-a", now=T0 + asked_after)
    db.commit()
    assert changed == (1 if cancelled else 0)
    found = report(db, staff, now=T0 + timedelta(hours=2))
    assert (found.total, found.asked_anyway) == ((0, 1) if cancelled else (1, 0))


def test_asking_cancels_only_that_visitors_recent_views(db, staff):
    early, recent, others = solved(db), solved(db), solved(db)
    deflection.record_view(db, "visitor-a", early, now=T0 - timedelta(hours=1))
    deflection.record_view(db, "visitor-a", recent, now=T0)
    deflection.record_view(db, "visitor-b", others, now=T0)
    assert deflection.record_question_asked(db, "visitor-a", now=T0 + 10 * MINUTE) == 1
    assert deflection.record_question_asked(db, "visitor-a", now=T0 + 20 * MINUTE) == 0  # already cancelled
    db.commit()
    cancelled = db.scalars(select(DeflectionView.thread_id).where(DeflectionView.asked_after_at.is_not(None)))
    assert list(cancelled) == [recent.id]
    assert deflection.record_question_asked(db, "", now=T0) == 0


def test_the_report_groups_by_week_category_thread_and_author(db, staff):
    hardware, software = make_category(db, "Hardware"), make_category(db, "Software")
    ann, bob = make_user(db, "ann"), make_user(db, "bob")
    boiler = solved(db, category=hardware, answerer=ann, title="Boiler pressure keeps dropping")
    radiator = solved(db, category=hardware, answerer=bob, title="Radiator stays cold upstairs")
    app_login = solved(db, category=software, answerer=ann, title="The app forgets my login daily")
    for n, (thread, at) in enumerate(
        [
            (boiler, T0),  # week 47
            (boiler, T0 + timedelta(days=6, hours=14)),  # Sunday 23:00, still week 47
            (boiler, T0 + timedelta(days=7)),  # Monday, week 48
            (radiator, T0 + timedelta(days=8)),
            (app_login, T0 + timedelta(days=1)),
        ]
    ):
        deflection.record_view(db, f"visitor-{n}", thread, now=at)
    deflection.record_view(db, "asker", radiator, now=T0)
    deflection.record_question_asked(db, "asker", now=T0 + MINUTE)
    deflection.record_view(db, "too-early", boiler, now=T0 - timedelta(days=1))  # before the period
    db.commit()

    since, until = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    found = deflection.report(db, since, until, now=T0 + timedelta(days=30), actor=staff)
    assert found.total == 5 and found.asked_anyway == 1 and found.pending == 0
    assert [(w.label, w.starts, w.count) for w in found.weeks] == [
        ("2026-W47", date(2026, 11, 16), 3),
        ("2026-W48", date(2026, 11, 23), 2),
    ]
    assert [(c.name, c.count) for c in found.categories] == [("Hardware", 4), ("Software", 1)]
    assert [(t.name, t.id, t.count) for t in found.threads] == [
        ("Boiler pressure keeps dropping", boiler.id, 3),
        ("Radiator stays cold upstairs", radiator.id, 1),
        ("The app forgets my login daily", app_login.id, 1),
    ]
    assert [(a.name, a.count) for a in found.authors] == [("ann", 4), ("bob", 1)]
    assert deflection.author_counts(db, since, until, now=T0 + timedelta(days=30)) == found.authors


def test_weeks_without_views_are_listed_with_zero(db, staff):
    found = deflection.report(db, T0 + timedelta(days=2), T0 + timedelta(days=16), now=T0, actor=staff)
    assert [(w.label, w.count) for w in found.weeks] == [("2026-W47", 0), ("2026-W48", 0), ("2026-W49", 0)]


@pytest.mark.parametrize("role", [None, Role.MEMBER])
def test_only_staff_may_read_the_report(db, role):
    actor = make_user(db, role=role) if role else None
    with pytest.raises(PermissionDenied):
        deflection.report(db, T0, T0 + timedelta(days=7), actor=actor)
