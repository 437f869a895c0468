"""Tone over time: exact weekly shares, overall and per category, on posts with known dates."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from community import threads, tone_report
from community.errors import PermissionDenied
from community.models import Post, Role
from tests.factories import make_answer, make_category, make_thread, make_user

POSITIVE = "Thank you, this is great and works wonderfully!"
NEGATIVE = "This is terrible, it broke again and I am angry."
NEUTRAL = "The hub is on the second shelf in the hallway."


def at(db, post, moment: datetime) -> None:
    db.execute(update(Post).where(Post.id == post.id).values(created_at=moment))


@pytest.fixture
def scene(db):
    """Week 2026-W45 (2-8 Nov): Heating has 1 negative question and 1 positive, 1 neutral answer;
    Billing 1 negative question. Week W46 (9-15 Nov): Heating 1 positive answer, Billing nothing.
    Outside the period, deleted or on a deleted thread: not counted."""
    heating, billing = make_category(db, "Heating"), make_category(db, "Billing")
    helper = make_user(db)
    cold = make_thread(db, category=heating, title="Radiators stay cold all day long", body=NEGATIVE)
    at(db, threads.question_of(db, cold), datetime(2026, 11, 2, 0, 0, tzinfo=UTC))  # Monday 00:00: in W45
    at(db, make_answer(db, cold, author=helper, body=POSITIVE), datetime(2026, 11, 4, 12, tzinfo=UTC))
    at(db, make_answer(db, cold, author=helper, body=NEUTRAL), datetime(2026, 11, 8, 23, 59, tzinfo=UTC))
    at(db, make_answer(db, cold, author=helper, body=POSITIVE), datetime(2026, 11, 9, 0, 0, tzinfo=UTC))  # W46
    gone = make_answer(db, cold, author=helper, body=NEGATIVE)
    at(db, gone, datetime(2026, 11, 10, tzinfo=UTC))
    threads.delete_post(db, helper, gone)
    at(db, make_answer(db, cold, author=helper, body=NEGATIVE), datetime(2026, 11, 16, 0, 0, tzinfo=UTC))  # after

    bill = make_thread(db, category=billing, title="Charged twice for the same month", body=NEGATIVE)
    at(db, threads.question_of(db, bill), datetime(2026, 11, 5, tzinfo=UTC))
    asker = make_user(db)
    hidden = make_thread(db, author=asker, category=billing, title="A question deleted by its asker", body=POSITIVE)
    at(db, threads.question_of(db, hidden), datetime(2026, 11, 5, tzinfo=UTC))
    threads.delete_post(db, asker, threads.question_of(db, hidden))
    db.flush()
    return make_user(db, role=Role.STAFF)


def test_weekly_shares_overall_and_per_category_are_exact(db, scene):
    found = tone_report.report(
        db, datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC), actor=scene
    )
    w45, w46 = found.overall.weeks
    assert (w45.label, w45.starts.isoformat(), w46.label) == ("2026-W45", "2026-11-02", "2026-W46")
    assert (w45.counts.negative, w45.counts.neutral, w45.counts.positive) == (2, 1, 1)
    assert [w45.counts.share(t) for t in ("negative", "neutral", "positive")] == [0.5, 0.25, 0.25]
    assert (w46.counts.total, w46.counts.share("positive")) == (1, 1.0)

    assert [c.name for c in found.categories] == ["Billing", "Heating"]
    billing, heating = found.categories
    assert [w.counts.total for w in billing.weeks] == [1, 0]
    assert billing.weeks[1].counts.share("negative") == 0.0  # an empty week has no shares, not a division error
    h45 = heating.weeks[0].counts
    assert (h45.negative, h45.neutral, h45.positive) == (1, 1, 1)
    assert heating.totals.share("positive") == 0.5


def test_csv_rows_hold_every_week_overall_then_each_category(db, scene):
    found = tone_report.report(
        db, datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC), actor=scene
    )
    rows = tone_report.csv_rows(found)
    assert rows[0] == ("2026-W45", "2026-11-02", "All categories", 4, 2, 1, 1, "0.5000", "0.2500", "0.2500")
    assert [(r[0], r[2]) for r in rows] == [
        ("2026-W45", "All categories"), ("2026-W46", "All categories"),
        ("2026-W45", "Billing"), ("2026-W46", "Billing"),
        ("2026-W45", "Heating"), ("2026-W46", "Heating"),
    ]


def test_a_period_starting_mid_week_still_counts_whole_days_from_its_start(db, scene):
    found = tone_report.report(
        db, datetime(2026, 11, 5, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC), actor=scene
    )
    assert [w.label for w in found.overall.weeks] == ["2026-W45", "2026-W46"]
    assert [w.counts.total for w in found.overall.weeks] == [2, 1]  # 8 Nov neutral, 5 Nov billing; 9 Nov positive


def test_only_staff_see_tone_figures(db, scene):
    with pytest.raises(PermissionDenied):
        tone_report.report(db, datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC), actor=make_user(db))
