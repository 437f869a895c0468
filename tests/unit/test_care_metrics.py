"""Care metrics against a hand-built scenario whose figures were worked out by hand (tests/care_scenario.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from community import care_metrics, care_staffing
from community.care_metrics import median, percentile
from community.errors import PermissionDenied
from community.models import Post, Role
from tests import care_scenario
from tests.factories import make_answer, make_category, make_thread, make_user

BASE_DAY = date(2026, 11, 2)


@pytest.fixture
def scenario(db):
    return care_scenario.build(db, BASE_DAY)


def run(db, scenario):
    return care_metrics.report(db, scenario.since, scenario.until, actor=scenario.users["stafffirst"])


def by_name(rows):
    return {row.name: row for row in rows}


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 50, None),
        ([7], 90, 7),
        ([4, 1, 3, 2], 50, 2),  # even count: the lower middle value
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90, 10),  # rank ceil(9.9) = 10
        ([5, 1, 3], 100, 5),
        ([5, 1, 3], 0, 1),
    ],
)
def test_nearest_rank_percentile(values, p, expected):
    assert percentile(values, p) == expected


def test_median_is_the_50th_percentile():
    assert median([10, 30, 45, 200, 1500]) == 45


def test_overall_figures_match_the_hand_worked_scenario(db, scenario):
    overall = run(db, scenario).overall
    # Six live questions in the period: T1 T2 T3 T4 T5 T8 (T6 is deleted, T7 is older).
    assert overall.questions == 6
    # First responses 10 30 45 200 1500 (T4 has none): median rank 3, 90th rank 5.
    assert overall.answered == 5
    assert overall.median_first_response == 45
    assert overall.p90_first_response == 1500
    # First staff responses 10 90 200 600: median rank 2, 90th rank 4.
    assert overall.staff_answered == 4
    assert overall.median_first_staff_response == 90
    assert overall.p90_first_staff_response == 600
    # Accepted after 60 120 300 minutes: median rank 2.
    assert overall.solved == 3
    assert overall.median_time_to_solved == 120
    assert overall.answered_within_24h == pytest.approx(4 / 6)
    assert overall.solved_share == pytest.approx(3 / 6)
    assert overall.solved_by_customer == 1
    assert overall.deflection == pytest.approx(1 / 3)


def test_per_category(db, scenario):
    rows = by_name(run(db, scenario).categories)
    assert list(rows) == ["Billing", "Heating", "Wifi"]  # two questions each, then by name
    heating, billing, wifi = rows["Heating"], rows["Billing"], rows["Wifi"]
    assert (heating.questions, heating.median_first_response, heating.p90_first_response) == (2, 10, 30)
    assert (heating.median_first_staff_response, heating.p90_first_staff_response) == (10, 90)
    assert heating.median_time_to_solved == 60
    assert (heating.answered_within_24h, heating.solved_share, heating.deflection) == (1, 1, 0.5)
    # Billing: only T3 answered, after 25 hours; T4 never. No staff, nothing solved.
    assert (billing.questions, billing.answered, billing.median_first_response, billing.p90_first_response) == (2, 1, 1500, 1500)
    assert billing.median_first_staff_response is None and billing.median_time_to_solved is None
    assert (billing.answered_within_24h, billing.solved_share, billing.deflection) == (0, 0, None)
    assert (wifi.median_first_response, wifi.p90_first_response) == (45, 200)
    assert (wifi.median_first_staff_response, wifi.p90_first_staff_response) == (200, 600)
    assert (wifi.solved_share, wifi.deflection) == (0.5, 0)


def test_per_team_routes_by_thread_care_first_then_category(db, scenario):
    rows = by_name(run(db, scenario).teams)
    heat, net, none = rows["Heat"], rows["Net"], rows[care_metrics.NO_TEAM]
    # Heat: T1, T2 through Heating, and T5 routed to it although Wifi belongs to Net.
    assert heat.questions == 3
    assert (heat.median_first_response, heat.p90_first_response) == (30, 200)
    assert (heat.median_first_staff_response, heat.p90_first_staff_response) == (90, 200)
    assert heat.median_time_to_solved == 120
    assert heat.deflection == pytest.approx(1 / 3)
    assert (net.questions, net.median_first_response, net.median_first_staff_response, net.deflection) == (1, 45, 600, None)
    assert none.questions == 2 and none.id is None


def test_per_staff_member(db, scenario):
    rows = by_name(run(db, scenario).staff)
    # stafffirst: first staff answer on T1 (90) and T2 (10); T6 is deleted. Accepted on T2.
    first = rows["stafffirst"]
    assert (first.first_responses, first.median_first_response, first.accepted_answers) == (2, 10, 1)
    second = rows["staffsecond"]
    assert (second.first_responses, second.median_first_response, second.accepted_answers) == (2, 200, 1)
    assert set(rows) == {"stafffirst", "staffsecond"}  # customers are not listed


def test_daily_backlog_and_volume(db, scenario):
    found = run(db, scenario)
    assert [p.day for p in found.days] == [scenario.first + timedelta(days=n) for n in range(7)]
    assert [p.new_questions for p in found.days] == [0, 2, 2, 1, 0, 1, 0]
    # T7 waits until day 2; T3 and T4 wait on day 3; T4 never gets an answer; T6 is deleted.
    assert [p.backlog for p in found.days] == [1, 0, 2, 1, 1, 1, 1]
    assert found.backlog_at_start == 1


def test_weekly_medians(db, scenario):
    weeks = run(db, scenario).weeks
    # 1 Nov 2026 is a Sunday: its week starts on 26 Oct; T1..T8 fall in the week of 2 Nov.
    assert [w.starts for w in weeks] == [date(2026, 10, 26), date(2026, 11, 2)]
    assert [w.questions for w in weeks] == [0, 6]
    assert [w.median_first_response for w in weeks] == [None, 45]


def test_no_questions_gives_empty_figures(db):
    staff = make_user(db, role=Role.STAFF)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    found = care_metrics.report(db, since, since + timedelta(days=3), actor=staff)
    o = found.overall
    assert o.questions == 0
    assert (o.median_first_response, o.p90_first_staff_response, o.median_time_to_solved) == (None, None, None)
    assert (o.answered_within_24h, o.solved_share, o.deflection) == (None, None, None)
    assert found.categories == [] and found.teams == [] and found.staff == []
    assert [(p.new_questions, p.backlog) for p in found.days] == [(0, 0)] * 3


def test_unanswered_and_self_answered_questions_count_in_shares_only(db):
    staff = make_user(db, role=Role.STAFF)
    asker = make_user(db)
    category = make_category(db)
    lonely = make_thread(db, author=asker, category=category)
    talking_to_self = make_thread(db, author=asker, category=category)
    make_answer(db, talking_to_self, author=asker, body="Still broken, any ideas anyone?")
    answered = make_thread(db, author=asker, category=category)
    make_answer(db, answered, author=make_user(db))
    db.flush()
    now = datetime.now(UTC)
    found = care_metrics.report(db, now - timedelta(days=1), now + timedelta(minutes=1), actor=staff)
    o = found.overall
    assert (o.questions, o.answered) == (3, 1)
    assert o.answered_within_24h == pytest.approx(1 / 3)
    assert o.solved_share == 0 and o.deflection is None
    assert found.days[-1].backlog == 2  # the unanswered one and the one only its asker answered
    assert lonely.id != talking_to_self.id


def test_a_deleted_answer_is_not_a_response(db):
    staff = make_user(db, role=Role.STAFF)
    thread = make_thread(db)
    post = make_answer(db, thread, author=staff, body="Answered, then taken back by staff.")
    db.execute(update(Post).where(Post.id == post.id).values(deleted_at=datetime.now(UTC)))
    now = datetime.now(UTC)
    o = care_metrics.report(db, now - timedelta(days=1), now + timedelta(minutes=1), actor=staff).overall
    assert (o.questions, o.answered, o.staff_answered) == (1, 0, 0)


def test_members_may_not_read_metrics(db):
    member = make_user(db)
    now = datetime.now(UTC)
    with pytest.raises(PermissionDenied):
        care_metrics.report(db, now - timedelta(days=1), now, actor=member)
    with pytest.raises(PermissionDenied):
        care_metrics.report(db, now - timedelta(days=1), now, actor=None)


def settings(**changes):
    values = dict(target_minutes=60, minutes_per_thread=30, hours_per_week=2, hours_per_member=10, weeks=1)
    return care_staffing.StaffingSettings(**{**values, **changes})


def test_staffing_estimate_from_the_scenario(db, scenario):
    now = datetime.combine(scenario.last, datetime.min.time(), UTC) + timedelta(hours=12)
    found = care_staffing.estimate(db, settings(), now, actor=scenario.users["stafffirst"])
    assert found.since == scenario.since
    # 6 questions, 1 solved by a customer: 5 need staff in the week; the backlog stays at 1.
    assert (found.questions, found.needing_staff, found.needing_staff_per_week) == (6, 5, 5)
    assert (found.backlog_start, found.backlog_end, found.backlog_growth_per_week) == (1, 1, 0)
    assert found.hours_needed == pytest.approx(5 * 30 / 60)
    assert (found.hours_available, found.extra_hours) == (2, pytest.approx(0.5))
    assert not found.enough_hours and not found.meets_target and not found.keeps_up
    roomy = care_staffing.estimate(db, settings(hours_per_week=3, target_minutes=600), now, actor=scenario.users["stafffirst"])
    assert roomy.keeps_up and roomy.extra_hours == 0


def test_staffing_hours_default_to_team_size(db, scenario):
    now = datetime.combine(scenario.last, datetime.min.time(), UTC) + timedelta(hours=12)
    found = care_staffing.estimate(db, settings(hours_per_week=0), now, actor=scenario.users["stafffirst"])
    assert (found.team_members, found.hours_available) == (2, 20)  # two distinct members × 10 h


def test_a_growing_backlog_adds_hours(db, scenario):
    # Three days to the end of day 3 (Nov 3): backlog from 1 (T7) to 2 (T3, T4): +1 in 3 days.
    now = datetime.combine(BASE_DAY + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=23, minutes=59)
    found = care_staffing.estimate(db, settings(weeks=1), now, actor=scenario.users["stafffirst"])
    assert found.since == datetime(2026, 10, 28, tzinfo=UTC)
    # Oct 28 .. Nov 3: T7 (asked Oct 31, answered Nov 2) starts after `since`, so the backlog starts at 0.
    assert (found.backlog_start, found.backlog_end) == (0, 2)
    assert found.backlog_growth_per_week == 2
    # Questions T7, T1, T2, T3, T4: T1 solved by a customer, so 4 need staff; (4 + 2) × 30 / 60 = 3.
    assert found.hours_needed == pytest.approx(3)
