"""Tone and listening through the site: the staff-only tone badge, /staff/tone and its CSV,
watchlists, the listening feed and the backfill command."""

import csv
import io
import re

import pytest
from sqlalchemy import select, update

from app import create_app
from app.cli import tone_cli
from community import listening
from community.models import Notification, Post, Role, Watchlist, WatchMatch
from config import TestingConfig
from tests.factories import count_rows, make_answer, make_category, make_thread, make_user
from tests.integration.helpers import field_errors, fresh, login, text

ANGRY = "This is terrible. It broke again and I am angry, I want to cancel."
BADGE = re.compile(r'<span class="badge tone tone-(\w+)"')


@pytest.fixture
def app(engine, database_url, tmp_path):
    """The site with the visitors' page cache on, as in production."""
    config = TestingConfig(database_url, search_index_dir=str(tmp_path / "index"))
    config.ANON_CACHE_SECONDS = 60
    app = create_app(config)
    yield app
    app.extensions["hearth.search"].close()
    app.extensions["hearth.engine"].dispose()


@pytest.fixture
def people(db):
    staff = make_user(db, "carla", role=Role.STAFF)
    member = make_user(db, "member")
    db.commit()
    return {"staff": staff, "member": member}


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def test_the_tone_badge_is_shown_to_staff_and_never_to_visitors_or_members(app, db, people):
    thread = make_thread(db, title="The hub keeps losing the connection", body=ANGRY)
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"
    visitor = app.test_client()
    assert not BADGE.search(text(visitor.get(url)))  # rendered for visitors and cached

    assert BADGE.search(text(signed_in(app, "carla").get(url))).group(1) == "negative"
    assert not BADGE.search(text(visitor.get(url)))  # the cached visitor page still has none
    assert not BADGE.search(text(app.test_client().get(url)))
    assert not BADGE.search(text(signed_in(app, "member").get(url)))


def test_the_tone_page_shows_weekly_shares_to_staff_only(app, db, people):
    category = make_category(db, "Heating")
    thread = make_thread(db, category=category, title="Radiators stay cold in the morning", body=ANGRY)
    make_answer(db, thread, body="Thank you, great tip, it works wonderfully now!")
    db.commit()
    page = text(signed_in(app, "carla").get("/staff/tone?days=7"))
    assert "Tone over time" in page and "<svg" in page
    assert re.search(r"<dt>Posts scored</dt><dd>2</dd>", page)
    assert re.search(r"<dt>Negative</dt><dd>50.0%</dd>", page)
    assert re.search(r"<dt>Positive</dt><dd>50.0%</dd>", page)
    assert 'href="/staff/tone?category=' in page  # a tab per category with posts

    only = text(signed_in(app, "carla").get(f"/staff/tone?days=7&category={category.id}"))
    assert "Per week: Heating" in only
    assert signed_in(app, "member").get("/staff/tone").status_code == 403
    assert app.test_client().get("/staff/tone").status_code == 302  # to sign in


def test_the_csv_has_the_same_figures_and_cannot_smuggle_a_formula(app, db, people):
    category = make_category(db, "=HYPERLINK(1)")
    make_thread(db, category=category, title="Billing is wrong again this month", body=ANGRY)
    db.commit()
    response = signed_in(app, "carla").get("/staff/tone.csv?days=7")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0][:4] == ["week", "week_starts", "category", "posts"]
    overall = [r for r in rows[1:] if r[2] == "All categories" and r[3] != "0"]
    assert [r[3:] for r in overall] == [["1", "1", "0", "0", "1.0000", "0.0000", "0.0000"]]
    assert any(r[2] == "'=HYPERLINK(1)" for r in rows)
    assert signed_in(app, "member").get("/staff/tone.csv").status_code == 403


def test_staff_create_edit_and_delete_watchlists_through_the_pages(app, db, people):
    staff = signed_in(app, "carla")
    bad = staff.post("/staff/listening/watchlists", data={"name": "Churn", "keywords": "  \n", "assignee": ""})
    assert bad.status_code == 400
    assert field_errors(text(bad), "keywords") == ["Add at least one keyword or phrase, one per line."]
    assert count_rows(fresh(db), Watchlist) == 0

    made = staff.post(
        "/staff/listening/watchlists",
        data={"name": "Churn", "keywords": "cancel\nrefund", "assignee": str(people["staff"].id)},
    )
    assert made.status_code == 302
    watchlist = fresh(db).scalars(select(Watchlist)).one()
    assert (watchlist.keywords, watchlist.assignee_id) == ("cancel\nrefund", people["staff"].id)
    assert "Churn" in text(staff.get("/staff/listening/watchlists"))

    edited = staff.post(
        f"/staff/listening/watchlists/{watchlist.id}/edit",
        data={"name": "Leaving", "keywords": "cancel\nmoney back", "assignee": ""},
    )
    assert edited.status_code == 302
    watchlist = fresh(db).get(Watchlist, watchlist.id)
    assert (watchlist.name, watchlist.assignee_id) == ("Leaving", None)

    assert staff.post(f"/staff/listening/watchlists/{watchlist.id}/delete").status_code == 302
    assert count_rows(fresh(db), Watchlist) == 0
    assert signed_in(app, "member").get("/staff/listening/watchlists").status_code == 403


def test_an_answer_posted_on_the_site_reaches_the_feed_and_the_assignee(app, db, people):
    listening.create_watchlist(db, people["staff"], name="Churn", keywords="cancel", assignee_id=people["staff"].id)
    listening.create_watchlist(db, people["staff"], name="Brand", keywords="Hearthly")
    thread = make_thread(db, title="Schedule resets itself every night", body="The times go back to defaults.")
    make_answer(db, thread, body="Hearthly support is great, thank you!")
    db.commit()
    member = signed_in(app, "member")
    assert member.post(f"/t/{thread.id}/answer", data={"body": ANGRY}).status_code == 302

    answer = fresh(db).scalars(select(Post).where(Post.author_id == people["member"].id)).one()
    assert answer.tone == "negative"
    note = db.scalars(select(Notification).where(Notification.kind == "watchlist")).one()
    assert (note.recipient_id, note.post_id) == (people["staff"].id, answer.id)

    staff = signed_in(app, "carla")
    feed = text(staff.get("/staff/listening"))
    assert feed.index(f"/p/{answer.id}") < feed.index("Hearthly support is great")  # newest first
    assert "matched “<strong>cancel</strong>”" in feed
    negative = text(staff.get("/staff/listening?tone=negative"))
    assert f"/p/{answer.id}" in negative and "Hearthly support is great" not in negative
    brand_id = db.scalar(select(Watchlist.id).where(Watchlist.name == "Brand"))
    only_brand = text(staff.get(f"/staff/listening?watchlist={brand_id}"))
    assert "Hearthly support is great" in only_brand and f"/p/{answer.id}" not in only_brand
    assert "is not a tone" in text(staff.get("/staff/listening?tone=furious"))
    assert member.get("/staff/listening").status_code == 403


def test_the_feed_is_paginated(app, db, people):
    listening.create_watchlist(db, people["staff"], name="Churn", keywords="cancel")
    thread = make_thread(db, title="How do I stop the yearly plan", body="Looking for the right page.")
    helper = make_user(db)
    for n in range(27):
        make_answer(db, thread, author=helper, body=f"Answer {n}: open Billing and press cancel there.")
    db.commit()
    staff = signed_in(app, "carla")
    first, second = text(staff.get("/staff/listening")), text(staff.get("/staff/listening?page=2"))
    assert "27 matches" in first and "Page 1 of 2" in first
    assert first.count('class="match"') == 25 and second.count('class="match"') == 2
    assert "Answer 26:" in first and "Answer 0:" in second


def test_backfill_scores_every_unscored_post(app, db, people):
    thread = make_thread(db, title="The display flickers at night", body=ANGRY)
    make_answer(db, thread, body="Thanks, wonderful, that fixed it!")
    db.execute(update(Post).values(sentiment=None, tone=None))
    db.commit()
    runner = app.test_cli_runner()
    with app.app_context():
        result = runner.invoke(tone_cli, ["backfill", "--batch-size", "1"])
        again = runner.invoke(tone_cli, ["backfill"])
    assert result.exit_code == 0, result.output
    assert "Scored 2 posts." in result.output
    assert "Every post already has a tone." in again.output
    assert sorted(fresh(db).scalars(select(Post.tone))) == ["negative", "positive"]
    assert count_rows(db, WatchMatch) == 0  # backfill only scores; it does not notify about old posts
