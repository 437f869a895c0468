"""Reputation, ranks, badges and leaderboards as members and staff see them on the site."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from community import accepting, accounts, badges, voting
from community.db import utcnow
from community.errors import PermissionDenied
from community.models import BadgeAward, Post, ReputationEvent, Role, Thread, User
from tests.factories import (
    VOTER_REPUTATION,
    add_votes,
    make_answer,
    make_category,
    make_thread,
    make_user,
)
from tests.integration.helpers import article, fresh, login, text

LEADERBOARD_ROW = re.compile(
    r'<tr>\s*<td>(\d+)</td>\s*<td><a href="/u/([^"]+)">[^<]*</a></td>.*?<td class="num">([\d,]+)</td>\s*</tr>', re.S
)


def _plain(response) -> str:
    """The page with entities decoded, for comparing with text written in Python."""
    return html.unescape(text(response))


def _reputation(db, user) -> int:
    return fresh(db).scalar(select(User.reputation).where(User.id == user.id))


def _score(db, post) -> int:
    return fresh(db).scalar(select(Post.score).where(Post.id == post.id))


def _leaderboard(client, query: str = "") -> list[tuple[str, int]]:
    response = client.get(f"/leaderboard{query}")
    assert response.status_code == 200, text(response)
    rows = LEADERBOARD_ROW.findall(text(response))
    assert [int(position) for position, _, _ in rows] == list(range(1, len(rows) + 1))
    return [(name, int(value.replace(",", ""))) for _, name, value in rows]


def _panel(page: str, heading_id: str) -> str:
    """The HTML of one profile panel, found by its heading's id."""
    found = re.search(rf'<section class="panel[^"]*" aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert found, f"no panel {heading_id}"
    return found.group(1)


def _accepted(db, answerer, asker=None, category=None, title=None):
    """A thread by `asker` whose answer by `answerer` the asker accepted."""
    asker = asker or make_user(db)
    thread = make_thread(db, author=asker, category=category, title=title)
    answer = make_answer(db, thread, author=answerer)
    accepting.accept_answer(db, asker, answer)
    return thread, answer


# --- Profile ---------------------------------------------------------------------------------


def test_a_profile_shows_reputation_rank_and_progress_to_the_next_rank(client, db):
    make_user(db, "middling", reputation=60)
    make_user(db, "beginner", reputation=30)
    db.commit()

    member = _plain(client.get("/u/middling"))
    newcomer = _plain(client.get("/u/beginner"))

    card = re.search(r'<div class="rank-card">(.*?)</div>', member, re.S).group(1)
    assert '<p class="rank-name">Member</p>' in card
    assert "<strong>60</strong> reputation" in card
    assert "190 to Helper" in card
    assert 'aria-label="Progress to Helper"' in card
    newcomer_card = re.search(r'<div class="rank-card">(.*?)</div>', newcomer, re.S).group(1)
    assert '<p class="rank-name">Newcomer</p>' in newcomer_card
    assert "<strong>30</strong> reputation" in newcomer_card
    assert "20 to Member" in newcomer_card


def test_the_rank_changes_exactly_at_its_threshold(client, db):
    make_user(db, "edge", reputation=50)
    make_user(db, "almost", reputation=49)
    db.commit()

    assert '<p class="rank-name">Member</p>' in text(client.get("/u/edge"))
    assert "200 to Helper" in text(client.get("/u/edge"))
    almost = text(client.get("/u/almost"))
    assert '<p class="rank-name">Newcomer</p>' in almost and "1 to Member" in almost


def test_the_reputation_chart_appears_once_the_ledger_has_rows(client, db):
    make_user(db, "earner", reputation=80)
    make_user(db, "quiet")
    db.commit()

    chart = _panel(text(client.get("/u/earner")), "rep-chart-title")
    empty = _panel(text(client.get("/u/quiet")), "rep-chart-title")

    assert '<svg class="line-chart"' in chart
    points = re.search(r'<polyline class="line" points="([^"]+)"', chart).group(1)
    assert len(points.split()) >= 2  # from the starting point to today
    assert "No reputation changes yet." not in chart
    assert "<svg" not in empty
    assert "No reputation changes yet." in empty


def test_a_profile_shows_badges_people_helped_and_categories_helped_in(client, db):
    helper = make_user(db, "helper")
    heating = make_category(db, "Heating", "heating")
    billing = make_category(db, "Billing", "billing")
    plumbing = make_category(db, "Plumbing", "plumbing")
    first_asker, second_asker = make_user(db, "asker_one"), make_user(db, "asker_two")
    _accepted(db, helper, first_asker, heating)
    _accepted(db, helper, first_asker, heating)
    _accepted(db, helper, second_asker, billing)
    make_answer(db, make_thread(db, category=billing), author=helper)  # answered, not accepted
    make_thread(db, author=helper, category=plumbing)  # asked there, never answered
    db.commit()

    page = _plain(client.get("/u/helper"))

    assert "<dt>Accepted answers</dt><dd>3</dd>" in page
    assert re.search(r"<dt>People helped</dt><dd[^>]*>2</dd>", page)
    badge_panel = _panel(page, "badges-title")
    for name in ("Solver", "Helping Hand", "Curious", "Welcome Committee"):
        assert f"> {name}</a>" in badge_panel, name
    assert "Problem Solver" not in badge_panel
    helps = _panel(page, "helps-title")
    assert re.findall(r'class="category-pill" href="/c/([^"]+)"', helps) == ["heating", "billing"]
    assert "2 answers, 1 accepted" in helps and "2 answers, 2 accepted" in helps
    assert "Plumbing" not in helps


def test_a_new_profile_has_no_badges_and_helps_nowhere(client, db):
    make_user(db, "blank")
    db.commit()

    page = text(client.get("/u/blank"))

    assert "No badges yet." in _panel(page, "badges-title")
    assert "No answers yet." in _panel(page, "helps-title")
    assert re.search(r"<dt>People helped</dt><dd[^>]*>0</dd>", page)


# --- Reputation tab --------------------------------------------------------------------------


def test_the_reputation_tab_says_why_reputation_changed(client, db):
    answerer, asker = make_user(db, "answerer"), make_user(db, "asker")
    thread, answer = _accepted(db, answerer, asker, title="Boiler pressure drops every night")
    voter = make_user(db, "voter", reputation=VOTER_REPUTATION)
    voting.cast_vote(db, voter, answer, 1)
    db.commit()

    page = text(client.get("/u/answerer?tab=reputation"))

    ledger = re.search(r'<ol class="ledger">(.*?)</ol>', page, re.S).group(1)
    assert re.search(
        rf'<span class="points up">\+15</span>\s*answer accepted in <a href="/p/{answer.id}"><em>Boiler pressure drops every night</em></a>',
        ledger,
    )
    assert re.search(r'<span class="points up">\+10</span>\s*answer upvoted in ', ledger)
    assert "down" not in re.findall(r'class="points (\w+)"', ledger)
    # The asker's own ledger records the small reward for accepting.
    asker_page = text(client.get("/u/asker?tab=reputation"))
    assert re.search(r'<span class="points up">\+2</span>\s*you accepted an answer in ', asker_page)


def test_a_withdrawn_vote_shows_as_a_negative_row(client, db):
    answerer = make_user(db, "answerer")
    thread = make_thread(db, title="Thermostat shows the wrong time")
    answer = make_answer(db, thread, author=answerer)
    voter = make_user(db, "voter", reputation=VOTER_REPUTATION)
    voting.cast_vote(db, voter, answer, 1)
    voting.cast_vote(db, voter, answer, 0)
    db.commit()

    page = text(client.get("/u/answerer?tab=reputation"))

    assert re.search(r'<span class="points down">-10</span>\s*vote withdrawn or changed in ', page)
    assert re.search(r'<span class="points up">\+10</span>\s*answer upvoted in ', page)
    assert _reputation(db, answerer) == 1


def test_the_reputation_tab_of_a_quiet_member_is_empty(client, db):
    make_user(db, "quiet")
    db.commit()

    page = text(client.get("/u/quiet?tab=reputation"))

    assert '<li class="empty">No reputation changes yet.</li>' in page


# --- Names on thread pages -------------------------------------------------------------------


def test_a_thread_shows_rank_and_reputation_beside_members_but_not_staff(client, db):
    asker = make_user(db, "asker", reputation=1234)
    thread = make_thread(db, author=asker)
    member_answer = make_answer(db, thread, author=make_user(db, "helper", reputation=60))
    staff_answer = make_answer(db, thread, author=make_user(db, "agent", role=Role.STAFF))
    db.commit()
    question_id = db.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.is_question.is_(True)))

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    question = article(page, question_id)
    assert re.search(r'<span class="rank" title="1234 reputation">Expert · 1,234</span>', question)
    member = article(page, member_answer.id)
    assert re.search(r'<span class="rank" title="60 reputation">Member · 60</span>', member)
    assert 'class="badge staff"' not in member
    staff = article(page, staff_answer.id)
    assert '<span class="badge staff" title="agent works for the brand">Staff</span>' in staff
    assert 'class="rank"' not in staff


# --- Leaderboard -----------------------------------------------------------------------------


def test_the_leaderboard_orders_members_by_reputation_earned(client, db):
    thread = make_thread(db)
    top, second, third = make_user(db, "top"), make_user(db, "second"), make_user(db, "third")
    add_votes(db, make_answer(db, thread, author=top), 3)
    add_votes(db, make_answer(db, thread, author=second), 2)
    add_votes(db, make_answer(db, thread, author=third), 1)
    make_user(db, "granted", reputation=5000)  # adjustments are not help given
    db.commit()

    board = _leaderboard(client)

    assert board == [("top", 30), ("second", 20), ("third", 10)]
    assert _leaderboard(client, "?period=all") == board
    assert _leaderboard(client, "?period=month") == board


def test_the_leaderboard_leaves_out_staff_even_when_they_earned_points(client, db):
    thread = make_thread(db)
    member, promoted = make_user(db, "member"), make_user(db, "promoted")
    add_votes(db, make_answer(db, thread, author=member), 1)
    add_votes(db, make_answer(db, thread, author=promoted), 4)
    accounts.set_role(db, promoted, Role.STAFF)
    db.commit()

    assert _reputation(db, promoted) > _reputation(db, member)
    assert _leaderboard(client) == [("member", 10)]
    assert [name for name, _ in _leaderboard(client, "?period=all")] == ["member"]


def test_the_leaderboard_ranks_by_accepted_answers_and_by_people_helped(client, db):
    prolific, broad = make_user(db, "prolific"), make_user(db, "broad")
    loyal_asker = make_user(db)
    for _ in range(3):
        _accepted(db, prolific, loyal_asker)  # three accepts, one person helped
    _accepted(db, broad)
    _accepted(db, broad)  # two accepts, two people helped
    db.commit()

    assert _leaderboard(client, "?by=accepted") == [("prolific", 3), ("broad", 2)]
    assert _leaderboard(client, "?by=helped") == [("broad", 2), ("prolific", 1)]
    assert _leaderboard(client, "?by=accepted&period=all") == [("prolific", 3), ("broad", 2)]


def test_the_leaderboard_category_filter_counts_only_that_category(client, db):
    heating, billing = make_category(db, "Heating", "heating"), make_category(db, "Billing", "billing")
    heater, biller = make_user(db, "heater"), make_user(db, "biller")
    add_votes(db, make_answer(db, make_thread(db, category=heating), author=heater), 1)
    add_votes(db, make_answer(db, make_thread(db, category=billing), author=heater), 3)
    add_votes(db, make_answer(db, make_thread(db, category=billing), author=biller), 2)
    _accepted(db, biller, make_user(db, "grateful"), heating)
    db.commit()

    # The asker's +2 for accepting counts where it was earned, too.
    assert _leaderboard(client, "?category=heating") == [("biller", 15), ("heater", 10), ("grateful", 2)]
    assert _leaderboard(client, "?category=billing") == [("heater", 30), ("biller", 20)]
    assert _leaderboard(client, "?category=heating&by=accepted") == [("biller", 1)]
    assert _leaderboard(client, "?category=billing&by=accepted") == []
    assert client.get("/leaderboard?category=no-such-category").status_code == 404


def test_the_week_leaderboard_leaves_out_points_older_than_seven_days(client, db):
    thread = make_thread(db)
    veteran, newcomer = make_user(db, "veteran"), make_user(db, "newcomer")
    add_votes(db, make_answer(db, thread, author=veteran), 3)
    add_votes(db, make_answer(db, thread, author=newcomer), 1)
    db.execute(
        update(ReputationEvent)
        .where(ReputationEvent.user_id == veteran.id)
        .values(created_at=utcnow() - timedelta(days=8))
    )
    db.commit()

    assert _leaderboard(client) == [("newcomer", 10)]
    assert _leaderboard(client, "?period=week") == [("newcomer", 10)]
    assert _leaderboard(client, "?period=month") == [("veteran", 30), ("newcomer", 10)]

    db.execute(
        update(ReputationEvent)
        .where(ReputationEvent.user_id == veteran.id)
        .values(created_at=utcnow() - timedelta(days=31))
    )
    db.commit()
    assert _leaderboard(client, "?period=month") == [("newcomer", 10)]
    assert _leaderboard(client, "?period=all") == [("veteran", 30), ("newcomer", 10)]


def test_the_week_leaderboard_of_accepted_answers_counts_when_they_were_accepted(client, db):
    early, recent = make_user(db, "early"), make_user(db, "recent")
    old_threads = [_accepted(db, early)[0] for _ in range(2)]
    _accepted(db, recent)
    db.execute(
        update(Thread)
        .where(Thread.id.in_([t.id for t in old_threads]))
        .values(accepted_at=utcnow() - timedelta(days=8))
    )
    db.commit()

    assert _leaderboard(client, "?by=accepted") == [("recent", 1)]
    assert _leaderboard(client, "?by=accepted&period=month") == [("early", 2), ("recent", 1)]
    assert _leaderboard(client, "?by=helped&period=week") == [("recent", 1)]


@pytest.mark.parametrize("query", ["?period=year", "?period=WEEK", "?by=karma"])
def test_an_unknown_leaderboard_period_or_measure_is_not_found(client, db, query):
    assert client.get(f"/leaderboard{query}").status_code == 404


def test_an_empty_leaderboard_says_so(client, db):
    response = client.get("/leaderboard")

    assert response.status_code == 200
    assert "Nobody yet for this period." in text(response)


# --- Badges ----------------------------------------------------------------------------------


def _holder_count(page: str, key: str) -> int:
    row = re.search(rf'href="/badges/{key}">.*?<td class="num">(\d+)</td>', page, re.S)
    assert row, key
    return int(row.group(1))


def test_the_badges_page_lists_every_badge_with_its_criterion_and_holders(client, db):
    first, second = make_user(db, "first"), make_user(db, "second")
    make_thread(db, author=first)
    make_thread(db, author=second)
    make_answer(db, make_thread(db), author=first)
    db.commit()

    response = client.get("/badges")

    assert response.status_code == 200
    page = _plain(response)
    for badge in badges.BADGES:
        assert f'href="/badges/{badge.key}">{badge.name}</a>' in page, badge.key
        assert f"<td>{badge.criterion}</td>" in page, badge.key
    # The two askers and the thread opener with an answer: "Curious" counts each member once.
    assert _holder_count(page, "curious") == 3
    assert _holder_count(page, "helping-hand") == 1
    assert _holder_count(page, "guru") == 0


def test_a_badge_page_shows_its_holders(client, db):
    make_thread(db, author=make_user(db, "asker_ann"))
    make_thread(db, author=make_user(db, "asker_bob"))
    make_user(db, "bystander")
    db.commit()

    response = client.get("/badges/curious")

    page = _plain(response)
    assert response.status_code == 200
    assert "Asked a question that is not deleted." in page
    holders = re.search(r'<ul class="plain holders">(.*?)</ul>', page, re.S).group(1)
    assert sorted(re.findall(r'href="/u/([^"]+)"', holders)) == ["asker_ann", "asker_bob"]
    assert "held by 2 members" in page
    empty = _plain(client.get("/badges/guru"))
    assert "Nobody holds this badge yet." in empty and "held by 0 members" in empty


def test_an_unknown_badge_is_not_found(client, db):
    assert client.get("/badges/not-a-badge").status_code == 404


# --- Community Champion ----------------------------------------------------------------------


def _champions(db) -> list[tuple[int, str]]:
    return list(
        fresh(db).execute(
            select(BadgeAward.user_id, BadgeAward.reason).where(BadgeAward.badge == badges.CHAMPION.key)
        )
    )


def test_staff_award_community_champion_with_a_reason_shown_on_the_profile(client, db):
    member = make_user(db, "star")
    staff = make_user(db, "agent", role=Role.STAFF)
    db.commit()
    login(client, "agent")

    response = client.post("/u/star/champion", data={"reason": "Answers every heating question within the hour."})

    assert response.status_code == 302 and response.headers["Location"].endswith("/u/star")
    assert _champions(db) == [(member.id, "Answers every heating question within the hour.")]
    award = fresh(db).scalar(select(BadgeAward).where(BadgeAward.badge == badges.CHAMPION.key))
    assert award.awarded_by_id == staff.id
    badge_panel = _panel(_plain(client.get("/u/star")), "badges-title")
    assert "Community Champion</a>" in badge_panel
    assert "“Answers every heating question within the hour.”" in badge_panel
    assert "star" in _plain(client.get("/badges/community-champion"))


def test_a_member_cannot_award_community_champion(client, db):
    make_user(db, "star")
    make_user(db, "friend", reputation=5000)
    db.commit()
    login(client, "friend")

    response = client.post("/u/star/champion", data={"reason": "My best friend deserves this badge."})

    assert response.status_code == 403
    assert _champions(db) == []


def test_a_visitor_is_sent_to_sign_in_before_awarding(client, db):
    make_user(db, "star")
    db.commit()

    response = client.post("/u/star/champion", data={"reason": "Answers every heating question."})

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _champions(db) == []


@pytest.mark.parametrize("reason", ["", "Great", "   short   ", "x" * 201])
def test_a_champion_award_needs_a_reason_of_ten_to_two_hundred_characters(client, db, reason):
    make_user(db, "star")
    make_user(db, "agent", role=Role.STAFF)
    db.commit()
    login(client, "agent")

    response = client.post("/u/star/champion", data={"reason": reason})

    assert response.status_code == 302
    assert _champions(db) == []
    assert "Community Champion</a>" not in _panel(text(client.get("/u/star")), "badges-title")


def test_community_champion_is_awarded_once(client, db):
    member = make_user(db, "star")
    make_user(db, "agent", role=Role.STAFF)
    db.commit()
    login(client, "agent")

    client.post("/u/star/champion", data={"reason": "Answers every heating question."})
    client.post("/u/star/champion", data={"reason": "A second reason for the same member."})

    assert _champions(db) == [(member.id, "Answers every heating question.")]


# --- Reverting votes -------------------------------------------------------------------------


def test_a_moderator_reverts_a_members_votes(client, db):
    author = make_user(db, "author")
    thread = make_thread(db, author=author)
    answer = make_answer(db, make_thread(db), author=author)
    question = db.scalar(select(Post).where(Post.thread_id == thread.id, Post.is_question.is_(True)))
    sockpuppet = make_user(db, "sockpuppet", reputation=VOTER_REPUTATION)
    voting.cast_vote(db, sockpuppet, answer, 1)
    voting.cast_vote(db, sockpuppet, question, 1)
    honest = add_votes(db, answer, 1)[0]
    make_user(db, "moderator", role=Role.MODERATOR)
    db.commit()
    assert _reputation(db, author) == 1 + 10 + 5 + 10
    assert _score(db, answer) == 2

    login(client, "moderator")
    response = client.post("/u/sockpuppet/revert-votes")

    assert response.status_code == 302 and response.headers["Location"].endswith("/u/sockpuppet")
    assert _score(db, answer) == 1
    assert _score(db, question) == 0
    assert fresh(db).scalar(select(Thread.score).where(Thread.id == thread.id)) == 0
    assert _reputation(db, author) == 1 + 10
    assert _reputation(db, honest) == VOTER_REPUTATION
    page = text(client.get("/u/author?tab=reputation"))
    assert len(re.findall(r"votes reverted by a moderator", page)) == 2
    # A reverted vote cannot be cast again.
    fresh(db)
    with pytest.raises(PermissionDenied, match="reverted by a moderator"):
        voting.cast_vote(db, db.get(User, sockpuppet.id), db.get(Post, answer.id), 1)


def test_a_staff_member_who_is_not_a_moderator_cannot_revert_votes(client, db):
    answer = make_answer(db, make_thread(db), author=make_user(db, "author"))
    sockpuppet = make_user(db, "sockpuppet", reputation=VOTER_REPUTATION)
    voting.cast_vote(db, sockpuppet, answer, 1)
    make_user(db, "agent", role=Role.STAFF)
    make_user(db, "member", reputation=5000)
    db.commit()

    login(client, "agent")
    assert client.post("/u/sockpuppet/revert-votes").status_code == 403
    member = client.application.test_client()
    login(member, "member")
    assert member.post("/u/sockpuppet/revert-votes").status_code == 403

    assert _score(db, answer) == 1
    assert fresh(db).scalar(select(User.reputation).where(User.username == "author")) == 11


def test_the_staff_tools_on_a_profile_match_the_viewers_role(app, db):
    make_user(db, "star")
    make_user(db, "agent", role=Role.STAFF)
    make_user(db, "moderator", role=Role.MODERATOR)
    make_user(db, "member")
    db.commit()
    pages = {}
    for name in ("agent", "moderator", "member"):
        client = app.test_client()
        login(client, name)
        pages[name] = text(client.get("/u/star"))

    assert 'action="/u/star/champion"' in pages["agent"]
    assert 'action="/u/star/revert-votes"' not in pages["agent"]
    assert 'action="/u/star/champion"' in pages["moderator"]
    assert 'action="/u/star/revert-votes"' in pages["moderator"]
    assert "Staff tools" not in pages["member"]


# --- Staff reputation review -----------------------------------------------------------------


def _collusion(db):
    """One asker accepts the same member's answers six times in a month: the sixth is held."""
    answerer, asker = make_user(db, "answerer"), make_user(db, "asker")
    threads_ = [_accepted(db, answerer, asker, title=f"Colluding question number {n}")[0] for n in range(1, 7)]
    return answerer, asker, threads_


def test_the_staff_reputation_page_is_for_staff_only(client, db):
    make_user(db, "member", reputation=5000)
    db.commit()

    visitor = client.get("/staff/reputation")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
    login(client, "member")
    assert client.get("/staff/reputation").status_code == 403


def test_staff_approve_a_held_accept_and_the_answerer_earns_its_points(client, db):
    answerer, asker, threads_ = _collusion(db)
    make_user(db, "agent", role=Role.STAFF)
    db.commit()
    held = threads_[-1]
    assert [t.accept_held for t in threads_] == [False] * 5 + [True]
    assert _reputation(db, answerer) == 1 + 5 * 15
    asker_before = _reputation(db, asker)

    login(client, "agent")
    page = text(client.get("/staff/reputation"))
    assert "Accepts held for review (1)" in page
    assert f'href="/t/{held.id}/{held.slug}">Colluding question number 6</a>' in page
    assert f'action="/staff/held/{held.id}/approve"' in page
    assert "Colluding question number 5" not in page

    response = client.post(f"/staff/held/{held.id}/approve")

    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/reputation")
    assert _reputation(db, answerer) == 1 + 6 * 15
    assert _reputation(db, asker) == asker_before + 2
    assert fresh(db).get(Thread, held.id).accept_held is False
    after = text(client.get("/staff/reputation"))
    assert "Approved the accept in “Colluding question number 6”" in after  # the flash message
    assert "Accepts held for review (0)" in after
    assert f'href="/t/{held.id}/{held.slug}"' not in after
    assert f'action="/staff/held/{held.id}/approve"' not in after
    assert "No accepts are waiting for review." in after
    # Approving twice gives nothing more.
    assert client.post(f"/staff/held/{held.id}/approve").status_code == 400
    assert _reputation(db, answerer) == 1 + 6 * 15


def test_a_member_cannot_approve_a_held_accept(client, db):
    answerer, asker, threads_ = _collusion(db)
    db.commit()
    login(client, "asker")

    assert client.post(f"/staff/held/{threads_[-1].id}/approve").status_code == 403
    assert _reputation(db, answerer) == 1 + 5 * 15
    assert fresh(db).get(Thread, threads_[-1].id).accept_held is True


def test_the_staff_reputation_page_lists_reversed_serial_voting(client, db):
    from community import vote_audit

    author = make_user(db, "prolific")
    voter = make_user(db, "fan", reputation=VOTER_REPUTATION)
    for _ in range(12):
        voting.cast_vote(db, voter, make_answer(db, make_thread(db), author=author), 1)
    vote_audit.audit(db)
    make_user(db, "agent", role=Role.STAFF)
    db.commit()
    login(client, "agent")

    page = text(client.get("/staff/reputation"))

    section = page.split('id="serial-heading"')[1]
    row = re.search(r"<tr>\s*<td><a href=\"/u/fan\">fan</a></td>\s*<td><a href=\"/u/prolific\">prolific</a></td>"
                    r"\s*<td class=\"num\">(\d+)</td>", section)
    assert row and row.group(1) == "2"


def test_staff_see_a_held_accept_marked_on_the_thread(client, db):
    _answerer, _asker, threads_ = _collusion(db)
    make_user(db, "agent", role=Role.STAFF)
    db.commit()
    held = threads_[-1]
    login(client, "agent")

    response = client.get(f"/t/{held.id}/{held.slug}")

    assert response.status_code == 200
    assert 'href="/staff/reputation"' in text(response)
    assert "Held for review: earns no points yet" in text(response)


def test_members_see_a_held_accept_as_an_ordinary_solution(client, db):
    _answerer, _asker, threads_ = _collusion(db)
    db.commit()
    held = threads_[-1]

    response = client.get(f"/t/{held.id}/{held.slug}")

    assert response.status_code == 200
    assert "Accepted by the asker" in text(response)
    assert "Held for review" not in text(response)


# --- Vote buttons ----------------------------------------------------------------------------


def _thread_with_answer(db):
    thread = make_thread(db)
    answer = make_answer(db, thread)
    question_id = db.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.is_question.is_(True)))
    return thread, question_id, answer.id


def test_a_new_member_sees_locked_vote_buttons(client, db):
    thread, question_id, answer_id = _thread_with_answer(db)
    make_user(db, "newbie")
    db.commit()
    login(client, "newbie")

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    for post_id in (question_id, answer_id):
        post = article(page, post_id)
        assert post
        assert 'aria-label="Vote up"' not in post and 'aria-label="Vote down"' not in post
        assert f'action="/p/{post_id}/vote"' not in post
        assert '<span class="vote locked" title="Voting up needs 15 reputation">▲</span>' in post


def test_a_member_with_voting_reputation_sees_vote_buttons_and_down_only_on_answers(client, db):
    thread, question_id, answer_id = _thread_with_answer(db)
    make_user(db, "voter", reputation=VOTER_REPUTATION)
    db.commit()
    login(client, "voter")

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    question, answer = article(page, question_id), article(page, answer_id)
    assert 'aria-label="Vote up"' in question and 'aria-label="Vote up"' in answer
    assert 'aria-label="Vote down"' in answer
    assert 'aria-label="Vote down"' not in question
    assert "vote locked" not in page


def test_a_member_between_the_thresholds_votes_up_but_not_down(client, db):
    thread, question_id, answer_id = _thread_with_answer(db)
    make_user(db, "middling", reputation=60)
    db.commit()
    login(client, "middling")

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    answer = article(page, answer_id)
    assert 'aria-label="Vote up"' in answer and 'aria-label="Vote down"' not in answer
    response = client.post(f"/p/{answer_id}/vote", data={"value": "down"})
    assert response.status_code == 403
    assert fresh(db).scalar(select(Post.score).where(Post.id == answer_id)) == 0


def test_a_locked_vote_button_cannot_be_bypassed_by_posting(client, db):
    thread, _question_id, answer_id = _thread_with_answer(db)
    make_user(db, "newbie")
    db.commit()
    login(client, "newbie")

    response = client.post(f"/p/{answer_id}/vote", data={"value": "up"})

    assert response.status_code == 403
    assert "Voting up needs 15 reputation" in _plain(response)
    assert fresh(db).scalar(select(func.count()).select_from(ReputationEvent)) == 0


def test_voting_up_through_the_page_earns_the_author_reputation(client, db):
    thread, _question_id, answer_id = _thread_with_answer(db)
    make_user(db, "voter", reputation=VOTER_REPUTATION)
    db.commit()
    author_id = db.get(Post, answer_id).author_id
    login(client, "voter")

    response = client.post(f"/p/{answer_id}/vote", data={"value": "up"})

    assert response.status_code == 302
    assert fresh(db).scalar(select(User.reputation).where(User.id == author_id)) == 11
    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))
    assert 'aria-pressed="true"' in article(page, answer_id)
