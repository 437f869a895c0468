"""Badges: each rule is earned by its event, at its threshold, once (or once per post), and kept."""

from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.exc import IntegrityError

from community import accepting, accounts, badges, threads, voting
from community.db import utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import BadgeAward, Post, Role, User, Vote
from tests.factories import (
    VOTER_REPUTATION,
    add_votes,
    make_answer,
    make_category,
    make_thread,
    make_user,
    set_thread_times,
)

A_REASON = "Answered forty thermostat questions during the winter outage."


# --- helpers ---------------------------------------------------------------------------------


def awards(db, user) -> list[tuple[str, int]]:
    """The member's award rows as (badge, item id), read from the database."""
    rows = db.execute(
        select(BadgeAward.badge, BadgeAward.item_id).where(BadgeAward.user_id == user.id).order_by(
            BadgeAward.badge, BadgeAward.item_id
        )
    )
    return [tuple(row) for row in rows]


def keys(db, user) -> set[str]:
    return {key for key, _ in awards(db, user)}


def items(db, user, key: str) -> list[int]:
    return [item for badge, item in awards(db, user) if badge == key]


def all_awards(db) -> Counter:
    rows = db.execute(select(BadgeAward.user_id, BadgeAward.badge, BadgeAward.item_id))
    return Counter(tuple(row) for row in rows)


def staff(db):
    return make_user(db, role=Role.STAFF)


def solved(db, asker, answerer, *, accepter=None, category=None):
    """A question by `asker`, answered by `answerer`, accepted by `accepter` (the asker by default)."""
    thread = make_thread(db, author=asker, category=category)
    post = make_answer(db, thread, author=answerer)
    accepting.accept_answer(db, accepter or asker, post)
    return thread, post


@contextmanager
def badges_paused(monkeypatch):
    """Build a long history quickly: events award nothing until the block ends."""
    with monkeypatch.context() as patch:
        patch.setattr(badges, "evaluate", lambda session, event_, user_ids: [])
        yield


def move_post(db, post, created_at):
    db.execute(update(Post).where(Post.id == post.id).values(created_at=created_at))
    db.flush()


# --- once-only badges earned by their event --------------------------------------------------


def test_curious_is_awarded_by_the_first_question_and_only_once(db):
    asker = make_user(db)
    assert keys(db, asker) == set()
    make_thread(db, author=asker)
    assert awards(db, asker) == [("curious", 0)]
    make_thread(db, author=asker)
    assert awards(db, asker) == [("curious", 0)]


def test_helping_hand_is_awarded_by_the_first_answer(db):
    thread = make_thread(db)
    helper = make_user(db)
    assert "helping-hand" not in keys(db, helper)
    make_answer(db, thread, author=helper)
    assert items(db, helper, "helping-hand") == [0]
    make_answer(db, make_thread(db), author=helper)
    assert items(db, helper, "helping-hand") == [0]


def test_solver_is_awarded_when_the_first_answer_is_accepted_not_before(db):
    asker, helper = make_user(db), make_user(db)
    thread = make_thread(db, author=asker)
    post = make_answer(db, thread, author=helper)
    assert "solver" not in keys(db, helper)
    accepting.accept_answer(db, asker, post)
    assert items(db, helper, "solver") == [0]
    assert "solver" not in keys(db, asker)


def test_solver_also_counts_an_accept_made_by_staff(db):
    helper = make_user(db)
    solved(db, make_user(db), helper, accepter=staff(db))
    assert "solver" in keys(db, helper)


def test_supporter_is_awarded_by_the_first_vote_to_the_voter_only(db):
    post = make_answer(db, make_thread(db))
    voter = make_user(db, reputation=VOTER_REPUTATION)
    assert "supporter" not in keys(db, voter)
    voting.cast_vote(db, voter, post, 1)
    assert items(db, voter, "supporter") == [0]
    assert "supporter" not in keys(db, db.get(User, post.author_id))


def test_supporter_counts_only_a_vote_that_stands(db):
    post = make_answer(db, make_thread(db))
    voter = make_user(db, reputation=VOTER_REPUTATION)
    voting.cast_vote(db, voter, post, 1)
    db.execute(delete(BadgeAward))  # forget the award, then look at what the votes say now
    voting.cast_vote(db, voter, post, 0)
    assert badges.evaluate(db, badges.Event.VOTE, {voter.id}) == []
    assert "supporter" not in keys(db, voter)


def test_editor_is_awarded_by_the_first_saved_edit(db):
    helper = make_user(db)
    post = make_answer(db, make_thread(db), author=helper)
    assert "editor" not in keys(db, helper)
    threads.edit_post(db, helper, post, body="Try turning it off, waiting a minute, and on again.")
    assert items(db, helper, "editor") == [0]


def test_editor_goes_to_whoever_edits_not_the_author(db):
    author = make_user(db)
    post = make_answer(db, make_thread(db), author=author)
    moderator = make_user(db, role=Role.MODERATOR)
    threads.edit_post(db, moderator, post, body="Hold the reset button for ten seconds, then wait.")
    assert "editor" in keys(db, moderator)
    assert "editor" not in keys(db, author)


def test_scholar_when_the_asker_accepts_someone_elses_answer(db):
    asker, helper = make_user(db), make_user(db)
    thread = make_thread(db, author=asker)
    post = make_answer(db, thread, author=helper)
    assert "scholar" not in keys(db, asker)
    accepting.accept_answer(db, asker, post)
    assert items(db, asker, "scholar") == [0]
    assert "scholar" not in keys(db, helper)


def test_no_scholar_for_accepting_your_own_answer_or_for_a_staff_accept(db):
    asker = make_user(db)
    own = make_thread(db, author=asker)
    accepting.accept_answer(db, asker, make_answer(db, own, author=asker))
    verified = make_thread(db, author=asker)
    accepting.accept_answer(db, staff(db), make_answer(db, verified))
    assert "scholar" not in keys(db, asker)


def test_welcome_committee_for_answering_a_members_first_question_not_their_second(db):
    newcomer = make_user(db)
    first = make_thread(db, author=newcomer)
    second = make_thread(db, author=newcomer)
    late, early = make_user(db), make_user(db)
    make_answer(db, second, author=late)
    assert "welcome-committee" not in keys(db, late)
    make_answer(db, first, author=early)
    assert items(db, early, "welcome-committee") == [0]


def test_no_welcome_committee_for_answering_your_own_first_question(db):
    newcomer = make_user(db)
    make_answer(db, make_thread(db, author=newcomer), author=newcomer)
    assert "helping-hand" in keys(db, newcomer)
    assert "welcome-committee" not in keys(db, newcomer)


def profile(db, user, bio):
    accounts.update_profile(db, user, display_name="Sam", bio=bio, location="", website="")


def test_autobiographer_when_the_profile_gets_a_bio(db):
    member = make_user(db)
    profile(db, member, "")
    profile(db, member, "   \n  ")  # only whitespace is stripped to nothing
    assert "autobiographer" not in keys(db, member)
    profile(db, member, "I fix heat pumps for a living.")
    assert awards(db, member) == [("autobiographer", 0)]
    profile(db, member, "")  # kept once earned
    assert awards(db, member) == [("autobiographer", 0)]


# --- thresholds on accepted answers ----------------------------------------------------------


def test_problem_solver_at_ten_accepted_answers_not_nine_and_good_neighbour_for_ten_askers(db):
    helper = make_user(db)
    for _ in range(9):
        solved(db, make_user(db), helper)
    assert "solver" in keys(db, helper)
    assert not {"problem-solver", "good-neighbour"} & keys(db, helper)
    solved(db, make_user(db), helper)
    assert {"problem-solver", "good-neighbour"} <= keys(db, helper)
    assert "guru" not in keys(db, helper)


def test_good_neighbour_needs_ten_different_askers(db):
    asker, helper, agent = make_user(db), make_user(db), staff(db)
    category = make_category(db)
    for _ in range(10):
        # Staff verify the accepts, so the same asker's accepts are not held as collusion.
        solved(db, asker, helper, accepter=agent, category=category)
    assert "problem-solver" in keys(db, helper)
    assert "good-neighbour" not in keys(db, helper)


def test_guru_at_a_hundred_accepted_answers(db, monkeypatch):
    asker, helper, agent = make_user(db), make_user(db), staff(db)
    category = make_category(db)
    with badges_paused(monkeypatch):
        for _ in range(99):
            solved(db, asker, helper, accepter=agent, category=category)
    gained = badges.backfill(db)
    assert (gained["solver"], gained["problem-solver"], gained["guru"]) == (1, 1, 0)
    assert "guru" not in keys(db, helper)
    solved(db, asker, helper, accepter=agent, category=category)
    assert items(db, helper, "guru") == [0]


def test_self_answers_accepted_by_the_asker_do_not_count(db):
    asker = make_user(db)
    for _ in range(10):
        solved(db, asker, asker)
    assert not {"solver", "problem-solver", "quick-fix", "scholar", "good-neighbour"} & keys(db, asker)
    assert badges.backfill(db)["solver"] == 0


def test_an_accept_in_a_deleted_thread_does_not_count(db, monkeypatch):
    asker, helper = make_user(db), make_user(db)
    with badges_paused(monkeypatch):
        thread, _ = solved(db, asker, helper)
        threads.delete_post(db, asker, threads.question_of(db, thread))
    gained = badges.backfill(db)
    assert gained["helping-hand"] == 1
    assert not {"solver", "quick-fix"} & keys(db, helper)
    assert "scholar" not in keys(db, asker)


def test_a_held_accept_counts_only_after_staff_approve_it(db):
    asker, helper = make_user(db), make_user(db)
    for _ in range(4):
        solved(db, make_user(db), helper)
    for _ in range(5):
        solved(db, asker, helper)
    thread, post = solved(db, asker, helper)  # the same pair a sixth time in 30 days: held
    db.refresh(thread)
    assert thread.accept_held is True
    assert "problem-solver" not in keys(db, helper)  # 9 that count
    assert post.id not in items(db, helper, "quick-fix")
    assert len(items(db, helper, "quick-fix")) == 9

    accepting.approve_held_accept(db, staff(db), thread)
    assert "problem-solver" in keys(db, helper)
    assert post.id in items(db, helper, "quick-fix")


# --- votes -----------------------------------------------------------------------------------


def test_civic_duty_at_a_hundred_counted_votes(db, monkeypatch):
    # Staff have no daily vote allowance; a withdrawn vote keeps its row but does not count.
    voter, asker, category = staff(db), make_user(db), make_category(db)
    questions = [threads.question_of(db, make_thread(db, author=asker, category=category))
                 for _ in range(101)]
    voting.cast_vote(db, voter, questions[0], 1)
    assert "supporter" in keys(db, voter)
    voting.cast_vote(db, voter, questions[0], 0)
    with badges_paused(monkeypatch):
        for question in questions[1:99]:
            voting.cast_vote(db, voter, question, 1)
    voting.cast_vote(db, voter, questions[99], 1)
    assert db.scalar(select(func.count()).where(Vote.user_id == voter.id)) == 100
    assert "civic-duty" not in keys(db, voter)  # 100 vote rows, 99 that count
    voting.cast_vote(db, voter, questions[100], 1)
    assert items(db, voter, "civic-duty") == [0]


def test_civic_duty_for_a_member_voting_over_several_days(db, monkeypatch):
    voter, asker, category = make_user(db, reputation=VOTER_REPUTATION), make_user(db), make_category(db)
    questions = [threads.question_of(db, make_thread(db, author=asker, category=category))
                 for _ in range(100)]
    for start, stop in ((0, 40), (40, 80), (80, 98)):
        with badges_paused(monkeypatch):
            for question in questions[start:stop]:
                voting.cast_vote(db, voter, question, 1)
        if stop - start == 40:
            with pytest.raises(PermissionDenied, match="40 votes"):  # today's allowance is spent
                voting.cast_vote(db, voter, questions[stop], 1)
        # Move today's votes to the day before, so the next batch has a fresh allowance.
        for vote in db.scalars(select(Vote).where(Vote.user_id == voter.id)):
            vote.created_at -= timedelta(days=1)
        db.flush()
    voting.cast_vote(db, voter, questions[98], 1)
    assert "supporter" in keys(db, voter)
    assert "civic-duty" not in keys(db, voter)  # 99 votes
    voting.cast_vote(db, voter, questions[99], 1)
    assert items(db, voter, "civic-duty") == [0]


def test_nice_answer_once_per_answer(db):
    helper = make_user(db)
    thread = make_thread(db)
    first, second = make_answer(db, thread, author=helper), make_answer(db, thread, author=helper)
    add_votes(db, first, 9)
    assert "nice-answer" not in keys(db, helper)
    add_votes(db, first, 1)
    assert items(db, helper, "nice-answer") == [first.id]
    add_votes(db, first, 2)  # more votes on the same answer add nothing
    assert items(db, helper, "nice-answer") == [first.id]
    add_votes(db, second, 10)
    assert items(db, helper, "nice-answer") == sorted([first.id, second.id])
    assert "good-question" not in keys(db, helper)
    held = {h.badge.key: h.count for h in badges.badges_of(db, helper)}
    assert held["nice-answer"] == 2


def test_good_answer_at_25_and_great_answer_at_100(db):
    helper = make_user(db)
    post = make_answer(db, make_thread(db), author=helper)
    # Jump the score close to each threshold, then cross it with a real vote.
    db.execute(update(Post).where(Post.id == post.id).values(score=23))
    add_votes(db, post, 1)
    assert keys(db, helper) >= {"nice-answer"} and "good-answer" not in keys(db, helper)
    add_votes(db, post, 1)
    assert items(db, helper, "good-answer") == [post.id]
    db.execute(update(Post).where(Post.id == post.id).values(score=98))
    add_votes(db, post, 1)
    assert "great-answer" not in keys(db, helper)
    add_votes(db, post, 1)
    assert items(db, helper, "great-answer") == [post.id]
    assert items(db, helper, "nice-answer") == [post.id]


def test_good_question_is_only_for_questions(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    question = threads.question_of(db, thread)
    add_votes(db, question, 9)
    assert "good-question" not in keys(db, asker)
    add_votes(db, question, 1)
    assert items(db, asker, "good-question") == [question.id]
    assert "nice-answer" not in keys(db, asker)


def test_a_negative_score_earns_nothing(db):
    helper = make_user(db)
    post = make_answer(db, make_thread(db), author=helper)
    add_votes(db, post, 10, value=-1)
    assert not {"nice-answer", "good-answer", "great-answer"} & keys(db, helper)


# --- views -----------------------------------------------------------------------------------


def test_popular_question_at_a_thousand_views(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    threads.record_views(db, {thread.id: 999})
    assert "popular-question" not in keys(db, asker)
    threads.record_views(db, {thread.id: 1})
    assert items(db, asker, "popular-question") == [thread.id]
    threads.record_views(db, {thread.id: 5})
    assert items(db, asker, "popular-question") == [thread.id]


def test_popular_question_per_question_and_famous_question_at_ten_thousand(db):
    asker = make_user(db)
    one, two = make_thread(db, author=asker), make_thread(db, author=asker)
    threads.record_views(db, {one.id: 9_999, two.id: 1_000})
    assert items(db, asker, "popular-question") == sorted([one.id, two.id])
    assert "famous-question" not in keys(db, asker)
    threads.record_views(db, {one.id: 1})
    assert items(db, asker, "famous-question") == [one.id]


# --- timing of accepted answers --------------------------------------------------------------


def accept_after(db, delay: timedelta):
    """An answer posted `delay` after its question, then accepted; returns (answerer, post)."""
    asker, helper = make_user(db), make_user(db)
    thread = make_thread(db, author=asker)
    post = make_answer(db, thread, author=helper)
    set_thread_times(db, thread, created_at=post.created_at - delay)
    accepting.accept_answer(db, asker, post)
    return helper, post


@pytest.mark.parametrize("minutes", [0, 59, 60])
def test_quick_fix_for_an_accepted_answer_within_the_hour(db, minutes):
    helper, post = accept_after(db, timedelta(minutes=minutes))
    assert items(db, helper, "quick-fix") == [post.id]


@pytest.mark.parametrize("minutes", [61, 120])
def test_no_quick_fix_for_an_answer_posted_later(db, minutes):
    helper, post = accept_after(db, timedelta(minutes=minutes))
    assert "solver" in keys(db, helper)
    assert "quick-fix" not in keys(db, helper)


def test_quick_fix_needs_the_accept(db):
    helper = make_user(db)
    make_answer(db, make_thread(db), author=helper)
    assert "quick-fix" not in keys(db, helper)


def test_revival_for_an_accepted_answer_to_a_sixty_day_old_question(db):
    helper, post = accept_after(db, timedelta(days=60))
    assert items(db, helper, "revival") == [post.id]
    assert "quick-fix" not in keys(db, helper)


def test_no_revival_for_a_fifty_nine_day_old_question(db):
    helper, _ = accept_after(db, timedelta(days=59, hours=23))
    assert "revival" not in keys(db, helper)


def test_revival_once_per_answer(db):
    helper = make_user(db)
    posts = []
    for _ in range(2):
        thread = make_thread(db)
        post = make_answer(db, thread, author=helper)
        set_thread_times(db, thread, created_at=post.created_at - timedelta(days=90))
        accepting.accept_answer(db, db.get(User, thread.author_id), post)
        posts.append(post.id)
    assert items(db, helper, "revival") == sorted(posts)


# --- streaks ---------------------------------------------------------------------------------


def answers_on_days(db, helper, days_ago: list[int]):
    """Answers moved to the given number of days before now; the last answer posts now."""
    now = utcnow()
    for days in days_ago:
        post = make_answer(db, make_thread(db), author=helper)
        move_post(db, post, now - timedelta(days=days))
    return make_answer(db, make_thread(db), author=helper)


def test_steady_hand_for_answers_on_seven_consecutive_days(db):
    helper = make_user(db)
    answers_on_days(db, helper, [6, 5, 4, 3, 2, 1])
    assert items(db, helper, "steady-hand") == [0]


def test_no_steady_hand_for_six_days(db):
    helper = make_user(db)
    answers_on_days(db, helper, [5, 4, 3, 2, 1, 1])
    assert "steady-hand" not in keys(db, helper)


def test_no_steady_hand_with_a_gap(db):
    helper = make_user(db)
    answers_on_days(db, helper, [7, 6, 5, 3, 2, 1])  # 7 days of answers, but none 4 days ago
    assert "steady-hand" not in keys(db, helper)


def test_steady_hand_ignores_deleted_answers(db):
    helper = make_user(db)
    now = utcnow()
    posts = [make_answer(db, make_thread(db), author=helper) for _ in range(6)]
    for days, post in zip([6, 5, 4, 3, 2, 1], posts, strict=True):
        move_post(db, post, now - timedelta(days=days))
    threads.delete_post(db, helper, posts[2])
    make_answer(db, make_thread(db), author=helper)
    assert "steady-hand" not in keys(db, helper)


# --- customer advocate -----------------------------------------------------------------------


def build_advocacy(db, monkeypatch, helper, *, accepts=25, askers=20, categories=3, staff_accepts=0):
    """`accepts` answers by `helper`, to questions of `askers` members over `categories`
    categories; the first `staff_accepts` are accepted by staff, the rest by the asker.
    Only the last accept runs the badge rules, as it would when it completes the pattern."""
    agent = staff(db)
    places = [make_category(db) for _ in range(categories)]
    people = [make_user(db) for _ in range(askers)]
    for i in range(accepts):
        asker = people[i % askers]
        args = (db, asker, helper)
        kwargs = {"accepter": agent if i < staff_accepts else asker, "category": places[i % categories]}
        if i < accepts - 1:
            with badges_paused(monkeypatch):
                solved(*args, **kwargs)
        else:
            solved(*args, **kwargs)


@pytest.mark.parametrize(
    ("options", "awarded"),
    [
        ({}, True),
        ({"staff_accepts": 5}, True),  # exactly 80% accepted by the asker
        ({"staff_accepts": 6}, False),  # 76%
        ({"categories": 2}, False),
        ({"askers": 19}, False),
        ({"accepts": 24}, False),
    ],
    ids=["all-rules-met", "80-percent", "76-percent", "two-categories", "19-askers", "24-accepts"],
)
def test_customer_advocate(db, monkeypatch, options, awarded):
    helper = make_user(db)
    build_advocacy(db, monkeypatch, helper, **options)
    assert ("customer-advocate" in keys(db, helper)) is awarded
    assert {"solver", "problem-solver"} <= keys(db, helper)
    assert badges.backfill(db)["customer-advocate"] == 0  # the accept event already decided


def test_customer_advocate_is_not_for_staff(db, monkeypatch):
    agent = staff(db)
    build_advocacy(db, monkeypatch, agent)
    assert {"solver", "problem-solver", "good-neighbour"} <= keys(db, agent)
    assert "customer-advocate" not in keys(db, agent)
    assert badges.backfill(db)["customer-advocate"] == 0


# --- awards are kept, never doubled, and backfilled ------------------------------------------


def test_badges_are_kept_after_the_post_is_deleted_or_unaccepted(db):
    asker, helper = make_user(db), make_user(db)
    thread, post = solved(db, asker, helper)
    earned = awards(db, helper)
    assert {"helping-hand", "solver", "quick-fix", "welcome-committee"} <= {k for k, _ in earned}
    accepting.unaccept_answer(db, asker, thread)
    threads.delete_post(db, helper, post)
    db.commit()
    assert badges.evaluate(db, badges.Event.ACCEPT, {helper.id}) == []
    assert badges.backfill(db) == {key: 0 for key in badges.BY_KEY if badges.BY_KEY[key].find}
    assert awards(db, helper) == earned


def test_evaluate_twice_and_backfill_after_evaluate_add_nothing(db):
    asker, helper = make_user(db), make_user(db)
    solved(db, asker, helper)
    before = all_awards(db)
    assert before and max(before.values()) == 1
    for event_ in badges.Event:
        assert badges.evaluate(db, event_, {asker.id, helper.id}) == []
    assert set(badges.backfill(db).values()) == {0}
    assert all_awards(db) == before


def test_evaluate_ignores_missing_members(db):
    assert badges.evaluate(db, badges.Event.ASK, set()) == []
    assert badges.evaluate(db, badges.Event.ASK, {None}) == []


def test_the_database_refuses_a_duplicate_award(db):
    member = make_user(db)
    make_thread(db, author=member)
    db.commit()
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.add(BadgeAward(user_id=member.id, badge="curious", item_id=0))
    # A per-item badge may repeat for another item, never for the same one.
    db.add(BadgeAward(user_id=member.id, badge="nice-answer", item_id=1))
    db.add(BadgeAward(user_id=member.id, badge="nice-answer", item_id=2))
    db.flush()
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.add(BadgeAward(user_id=member.id, badge="nice-answer", item_id=2))
    assert items(db, member, "curious") == [0]
    assert items(db, member, "nice-answer") == [1, 2]


def test_backfill_awards_retroactively_exactly_what_was_earned(db):
    asker, helper, other = make_user(db), make_user(db), make_user(db)
    solved(db, asker, helper)
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread, author=other)
    add_votes(db, answer, 10)
    threads.record_views(db, {thread.id: 1_000})
    accounts.update_profile(db, other, display_name="", bio="Plumber.", location="", website="")
    badges.award_champion(db, staff(db), other, A_REASON)
    db.commit()
    earned = all_awards(db)
    champion = Counter({k: v for k, v in earned.items() if k[1] == "community-champion"})

    db.execute(delete(BadgeAward).where(BadgeAward.badge != "community-champion"))
    db.commit()
    assert all_awards(db) == champion
    gained = badges.backfill(db)
    db.commit()

    assert all_awards(db) == earned
    expected = Counter(key for (_, key, _) in earned.elements() if key != "community-champion")
    assert {k: v for k, v in gained.items() if v} == dict(expected)
    assert set(gained) == {b.key for b in badges.BADGES} - {"community-champion"}
    assert set(badges.backfill(db).values()) == {0}


def test_backfill_reaches_members_who_earned_a_badge_before_it_was_evaluated(db):
    helper = make_user(db)
    make_answer(db, make_thread(db), author=helper)
    now = utcnow()
    for days in range(1, 7):
        post = make_answer(db, make_thread(db), author=helper)
        move_post(db, post, now - timedelta(days=days))
    # No answer event came after the last move: only backfill notices the streak.
    assert "steady-hand" not in keys(db, helper)
    assert badges.backfill(db)["steady-hand"] == 1
    assert "steady-hand" in keys(db, helper)


# --- community champion ----------------------------------------------------------------------


def test_only_staff_award_community_champion(db):
    member, other = make_user(db), make_user(db)
    with pytest.raises(PermissionDenied):
        badges.award_champion(db, other, member, A_REASON)
    assert awards(db, member) == []
    agent = staff(db)
    award = badges.award_champion(db, agent, member, A_REASON)
    assert (award.awarded_by_id, award.item_id, award.reason) == (agent.id, 0, A_REASON)
    assert awards(db, member) == [("community-champion", 0)]


@pytest.mark.parametrize("reason", ["", "Too short", "   great   ", "x" * 201, " ".join(["word"] * 41)])
def test_champion_reason_must_say_in_10_to_200_characters(db, reason):
    member = make_user(db)
    with pytest.raises(ValidationError):
        badges.award_champion(db, staff(db), member, reason)
    assert awards(db, member) == []


@pytest.mark.parametrize("reason", ["Ten chars!", "x" * 200, "  Helped   many\n members.  "])
def test_champion_reason_at_the_limits_is_accepted_and_tidied(db, reason):
    member = make_user(db)
    award = badges.award_champion(db, staff(db), member, reason)
    assert award.reason == " ".join(reason.split())


def test_community_champion_only_once_with_the_reason_on_the_profile(db):
    member, agent = make_user(db), staff(db)
    badges.award_champion(db, agent, member, A_REASON)
    with pytest.raises(ValidationError):
        badges.award_champion(db, staff(db), member, "Another fine reason to award it.")
    db.commit()
    held = badges.badges_of(db, member)
    assert [(h.badge.key, h.count, h.reason) for h in held] == [("community-champion", 1, A_REASON)]
    assert badges.backfill(db).get("community-champion") is None
    assert awards(db, member) == [("community-champion", 0)]


# --- reading badges --------------------------------------------------------------------------


def test_badges_of_lists_gold_then_silver_then_bronze_with_counts(db):
    member = make_user(db)
    for key, item in [("nice-answer", 5), ("nice-answer", 6), ("curious", 0), ("revival", 5), ("guru", 0)]:
        db.add(BadgeAward(user_id=member.id, badge=key, item_id=item))
    db.add(BadgeAward(user_id=member.id, badge="retired-badge", item_id=0))  # no longer a rule
    db.flush()
    held = [(h.badge.key, h.count, h.reason) for h in badges.badges_of(db, member)]
    assert held == [("guru", 1, ""), ("revival", 1, ""), ("curious", 1, ""), ("nice-answer", 2, "")]


def test_tier_counts_for_several_members_in_one_query(db):
    gold, mixed, bronze, none = (make_user(db) for _ in range(4))
    rows = {
        gold: [("guru", 0), ("community-champion", 0)],
        mixed: [("guru", 0), ("problem-solver", 0), ("revival", 3), ("revival", 4), ("nice-answer", 3),
                ("curious", 0), ("retired-badge", 0)],
        bronze: [("curious", 0)],
    }
    for user, pairs in rows.items():
        for key, item in pairs:
            db.add(BadgeAward(user_id=user.id, badge=key, item_id=item))
    db.flush()

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        counts = badges.tier_counts(db, {gold.id, mixed.id, bronze.id, none.id})
    finally:
        event.remove(engine, "before_cursor_execute", listener)

    assert counts == {
        gold.id: {"gold": 2},
        mixed.id: {"gold": 1, "silver": 3, "bronze": 2},
        bronze.id: {"bronze": 1},
    }
    assert len(statements) == 1
    assert badges.tier_counts(db, set()) == {}


def test_holder_counts_counts_members_not_awards(db):
    one, two = make_user(db), make_user(db)
    for user, item in [(one, 1), (one, 2), (two, 3)]:
        db.add(BadgeAward(user_id=user.id, badge="nice-answer", item_id=item))
    db.add(BadgeAward(user_id=one.id, badge="curious", item_id=0))
    db.flush()
    assert badges.holder_counts(db) == {"nice-answer": 2, "curious": 1}


def test_every_badge_rule_listens_to_an_event_except_the_staff_award(db):
    assert len(badges.BY_KEY) == len(badges.BADGES)
    for badge in badges.BADGES:
        assert bool(badge.events) == (badge.find is not None), badge.key
    assert badges.CHAMPION.find is None and badges.CHAMPION.tier is badges.Tier.GOLD


def test_community_champion_is_for_customers_not_staff(db):
    staff, colleague = make_user(db, role=Role.STAFF), make_user(db, role=Role.MODERATOR)
    for target in (staff, colleague):
        with pytest.raises(ValidationError, match="staff accounts cannot receive it"):
            badges.award_champion(db, staff, target, "Answered every question in the launch week.")
    assert db.scalar(select(func.count()).select_from(BadgeAward)) == 0
