"""The reputation ledger: points for each event, exact reversals, the daily cap and the floor."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from community import accepting, reputation, rules, threads, voting
from community.db import utcnow
from community.models import ReputationEvent, Role, User, Vote
from tests.factories import VOTER_REPUTATION, make_answer, make_thread, make_user


def rep(db, user) -> int:
    db.expire_all()
    return db.get(User, user.id).reputation


def ledger_sum(db, user) -> int:
    return db.scalar(select(func.coalesce(func.sum(ReputationEvent.points), 0)).where(ReputationEvent.user_id == user.id))


def voter(db):
    return make_user(db, reputation=VOTER_REPUTATION)


@pytest.fixture
def qa(db):
    """An asker's thread with one answer by another member."""
    asker, answerer = make_user(db), make_user(db)
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread, author=answerer)
    return asker, answerer, thread, answer


def test_answer_upvote_gives_ten_and_question_upvote_five(db, qa):
    asker, answerer, thread, answer = qa
    voting.cast_vote(db, voter(db), answer, 1)
    voting.cast_vote(db, voter(db), threads.question_of(db, thread), 1)
    assert rep(db, answerer) == 11
    assert rep(db, asker) == 6


def test_downvote_costs_author_two_and_voter_one(db, qa):
    _, answerer, _, answer = qa
    voting.cast_vote(db, voter(db), answer, 1)
    voting.cast_vote(db, voter(db), answer, 1)  # answerer at 21
    down = voter(db)
    voting.cast_vote(db, down, answer, -1)
    assert rep(db, answerer) == 19
    assert rep(db, down) == VOTER_REPUTATION - 1


def test_withdrawing_and_changing_a_vote_reverse_exactly_what_it_earned(db, qa):
    _, answerer, _, answer = qa
    member = voter(db)
    voting.cast_vote(db, member, answer, 1)
    assert rep(db, answerer) == 11
    voting.cast_vote(db, member, answer, -1)  # reverse +10, then -2 (and -1 for the voter)
    assert rep(db, answerer) == 1  # 1 + 10 - 10 - 2 would be -1: the floor keeps it at 1
    assert rep(db, member) == VOTER_REPUTATION - 1
    voting.cast_vote(db, member, answer, 0)
    assert rep(db, answerer) == 1 and rep(db, member) == VOTER_REPUTATION
    reasons = [e.reason for e in db.scalars(select(ReputationEvent).where(ReputationEvent.user_id == answerer.id).order_by(ReputationEvent.id))]
    assert reasons == ["answer_upvoted", "vote_withdrawn", "downvoted", "vote_withdrawn"]


def test_accept_gives_fifteen_to_the_answerer_and_two_to_the_asker(db, qa):
    asker, answerer, thread, answer = qa
    accepting.accept_answer(db, asker, answer)
    assert rep(db, answerer) == 16 and rep(db, asker) == 3
    accepting.unaccept_answer(db, asker, thread)
    assert rep(db, answerer) == 1 and rep(db, asker) == 1


def test_moving_the_accept_moves_the_points(db, qa):
    asker, first_answerer, thread, first = qa
    second_answerer = make_user(db)
    second = make_answer(db, thread, author=second_answerer)
    accepting.accept_answer(db, asker, first)
    accepting.accept_answer(db, asker, second)
    assert rep(db, first_answerer) == 1
    assert rep(db, second_answerer) == 16
    assert rep(db, asker) == 3  # the asker's +2 moved with the accept, not doubled


def test_staff_accepting_gives_the_answerer_points_but_the_asker_none(db, qa):
    asker, answerer, _, answer = qa
    accepting.accept_answer(db, make_user(db, role=Role.STAFF), answer)
    assert rep(db, answerer) == 16 and rep(db, asker) == 1


def test_accepting_your_own_answer_earns_nothing(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    own = make_answer(db, thread, author=asker)
    accepting.accept_answer(db, asker, own)
    assert rep(db, asker) == 1
    assert db.scalar(select(func.count()).select_from(ReputationEvent)) == 0


def test_staff_official_answers_earn_nothing(db, qa):
    asker, _, thread, _ = qa
    staff = make_user(db, role=Role.STAFF)
    official = make_answer(db, thread, author=staff)
    voting.cast_vote(db, voter(db), official, 1)
    accepting.accept_answer(db, asker, official)
    assert rep(db, staff) == 1
    assert rep(db, asker) == 3  # the customer who accepted still earns


def test_deleting_a_post_reverses_its_earnings_and_restoring_gives_them_back(db, qa):
    asker, answerer, _, answer = qa
    voting.cast_vote(db, voter(db), answer, 1)
    accepting.accept_answer(db, asker, answer)
    assert rep(db, answerer) == 26
    moderator = make_user(db, role=Role.MODERATOR)
    threads.delete_post(db, moderator, answer)
    assert rep(db, answerer) == 1 and rep(db, asker) == 1
    threads.restore_post(db, moderator, answer)
    assert rep(db, answerer) == 11  # the vote counts again; the accept was withdrawn by the delete


def test_deleting_the_question_takes_the_answers_earnings_with_it(db, qa):
    asker, answerer, thread, answer = qa
    voting.cast_vote(db, voter(db), answer, 1)
    threads.delete_post(db, asker, threads.question_of(db, thread))
    assert rep(db, answerer) == 1
    threads.restore_post(db, make_user(db, role=Role.MODERATOR), threads.question_of(db, thread))
    assert rep(db, answerer) == 11


def test_daily_cap_limits_points_from_votes_but_not_accepts(db):
    author = make_user(db)
    thread = make_thread(db)
    answers = [make_answer(db, thread, author=author) for _ in range(3)]
    staff_voters = [make_user(db, role=Role.STAFF) for _ in range(8)]
    for answer in answers:
        for member in staff_voters:
            voting.cast_vote(db, member, answer, 1)  # 24 upvotes would be 240 points
    assert rep(db, author) == 1 + rules.current().daily_vote_cap
    accepting.accept_answer(db, make_user(db, role=Role.STAFF), answers[0])
    assert rep(db, author) == 1 + rules.current().daily_vote_cap + 15
    # Votes beyond the cap earned 0 and their withdrawal takes 0: the total stays exact.
    for member in staff_voters:
        voting.cast_vote(db, member, answers[2], 0)
    assert rep(db, author) == ledger_sum(db, author) + 1


def test_the_floor_keeps_reputation_at_one(db, qa):
    _, answerer, _, answer = qa
    for _ in range(3):
        voting.cast_vote(db, voter(db), answer, -1)
    assert rep(db, answerer) == 1
    assert ledger_sum(db, answerer) == 0


def test_replaying_a_sync_adds_nothing(db, qa):
    _, answerer, thread, answer = qa
    voting.cast_vote(db, voter(db), answer, 1)
    before = db.scalar(select(func.count()).select_from(ReputationEvent))
    for _ in range(3):
        reputation.sync_post(db, answer, thread)
        reputation.sync_thread(db, thread)
    assert db.scalar(select(func.count()).select_from(ReputationEvent)) == before
    assert rep(db, answerer) == 11


def test_the_database_refuses_the_same_award_twice(db, qa):
    _, answerer, _, answer = qa
    voting.cast_vote(db, voter(db), answer, 1)
    db.commit()
    award = db.scalar(select(ReputationEvent))
    db.add(ReputationEvent(user_id=award.user_id, points=10, reason=award.reason, award_key=award.award_key, sequence=0))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_recompute_rebuilds_totals_from_the_ledger(db, qa):
    asker, answerer, _, answer = qa
    accepting.accept_answer(db, asker, answer)
    db.execute(update(User).where(User.id == answerer.id).values(reputation=999))
    db.commit()
    fixed = reputation.recompute(db)
    assert [(d.username, d.cached, d.ledger) for d in fixed] == [(answerer.username, 999, 16)]
    assert rep(db, answerer) == 16
    assert reputation.recompute(db) == []


def test_history_says_why_reputation_changed(db, qa):
    asker, answerer, thread, answer = qa
    accepting.accept_answer(db, asker, answer)
    page = reputation.history(db, answerer, 1)
    assert [(e.points, reputation.reason_label(e.reason), e.thread.title) for e in page.items] == [
        (15, "answer accepted", thread.title)
    ]


def test_adjustments_need_an_admin_and_a_reason(db):
    member = make_user(db)
    with pytest.raises(Exception, match="Only admins"):
        reputation.adjust(db, make_user(db, role=Role.STAFF), member, 50, "thanks")
    admin = make_user(db, role=Role.ADMIN)
    with pytest.raises(Exception, match="Say why"):
        reputation.adjust(db, admin, member, 50, "   ")
    reputation.adjust(db, admin, member, 50, "Imported from the old forum")
    assert rep(db, member) == 51


# ---- ranks and configuration ----------------------------------------------------------


def test_ranks_follow_the_default_thresholds():
    names = [(r, rules.rank_for(r).name) for r in (1, 49, 50, 249, 250, 999, 1_000, 3_000, 9_999, 10_000, 10**6)]
    assert names == [
        (1, "Newcomer"), (49, "Newcomer"), (50, "Member"), (249, "Member"), (250, "Helper"), (999, "Helper"),
        (1_000, "Expert"), (3_000, "Advocate"), (9_999, "Advocate"), (10_000, "Champion"), (10**6, "Champion"),
    ]
    assert rules.next_rank(60).name == "Helper"
    assert rules.rank_progress(150) == 50
    assert rules.next_rank(20_000) is None and rules.rank_progress(20_000) == 100


@pytest.fixture
def custom_rules():
    yield
    rules.configure()


def test_a_brand_can_rename_ranks_and_change_points(db, qa, custom_rules):
    rules.configure({"answer_upvoted": 7, "privileges": {"vote_up": 1}}, ["Spark", "Ember", "Flame", "Blaze", "Torch", "Beacon"])
    _, answerer, _, answer = qa
    voting.cast_vote(db, make_user(db), answer, 1)  # vote up now needs only 1
    assert rep(db, answerer) == 8
    assert rules.rank_for(60).name == "Ember"
    with pytest.raises(ValueError, match="Unknown reputation settings"):
        rules.configure({"answer_upvotes": 3})
    with pytest.raises(ValueError, match="rank names"):
        rules.configure({}, ["Only", "Two"])


# ---- privileges -------------------------------------------------------------------------


def test_voting_up_needs_fifteen_and_down_needs_125(db, qa):
    _, _, thread, answer = qa
    newcomer = make_user(db, reputation=14)
    with pytest.raises(Exception, match="Voting up needs 15"):
        voting.cast_vote(db, newcomer, answer, 1)
    member = make_user(db, reputation=124)
    voting.cast_vote(db, member, answer, 1)
    with pytest.raises(Exception, match="Voting down needs 125"):
        voting.cast_vote(db, make_user(db, reputation=124), answer, -1)
    voting.cast_vote(db, make_user(db, reputation=125), answer, -1)
    with pytest.raises(Exception, match="Questions cannot be voted down"):
        voting.cast_vote(db, make_user(db, role=Role.ADMIN), threads.question_of(db, thread), -1)
    voting.cast_vote(db, make_user(db, role=Role.STAFF), answer, -1)  # staff hold every privilege
    assert db.scalar(select(func.count()).select_from(Vote).where(Vote.value != 0)) == 3


def test_new_members_may_post_only_two_links(db, qa):
    _, _, thread, _ = qa
    three = "See https://a.example, https://b.example and https://c.example for the steps."
    newcomer = make_user(db)
    with pytest.raises(Exception, match="at most 2 links"):
        threads.answer(db, newcomer, thread, body=three)
    threads.answer(db, newcomer, thread, body="See https://a.example and https://b.example for the steps.")
    threads.answer(db, make_user(db, reputation=50), thread, body=three)
    with pytest.raises(Exception, match="at most 2 links"):
        threads.ask(db, newcomer, title="Three links in a question here", body=three, category_id=thread.category_id)


def test_creating_a_tag_needs_300_but_using_one_does_not(db, qa):
    _, _, thread, _ = qa
    make_thread(db, tags="wifi")  # the tag now exists
    member = make_user(db, reputation=299)
    threads.ask(db, member, title="Wifi drops every evening at home", body="Details of the problem.", category_id=thread.category_id, tags="wifi")
    with pytest.raises(Exception, match=r"Creating a new tag \(router\) needs 300"):
        threads.ask(db, member, title="Router reboots every evening", body="Details of the problem.", category_id=thread.category_id, tags="wifi router")
    threads.ask(db, make_user(db, reputation=300), title="Router reboots every evening", body="Details of the problem.", category_id=thread.category_id, tags="router")


def test_editing_others_posts_needs_2000_and_keeps_the_history(db, qa):
    _, _, _, answer = qa
    with pytest.raises(Exception, match="cannot edit"):
        threads.edit_post(db, make_user(db, reputation=1_999), answer, body="A better answer text here.")
    editor = make_user(db, reputation=2_000)
    threads.edit_post(db, editor, answer, body="A better answer text here.")
    history = threads.revision_history(db, answer)
    assert [r.revision.editor_id for r in history] == [editor.id, answer.author_id]


# ---- anti-gaming ------------------------------------------------------------------------


def test_a_member_casts_at_most_forty_votes_a_day(db):
    thread = make_thread(db)
    answers = [make_answer(db, thread) for _ in range(41)]
    member = voter(db)
    for answer in answers[:40]:
        voting.cast_vote(db, member, answer, 1)
    with pytest.raises(Exception, match="40 votes for today"):
        voting.cast_vote(db, member, answers[40], 1)
    # Withdrawing a vote does not give the allowance back.
    voting.cast_vote(db, member, answers[0], 0)
    with pytest.raises(Exception, match="40 votes for today"):
        voting.cast_vote(db, member, answers[40], 1)
    # Yesterday's votes do not count against today.
    db.execute(update(Vote).where(Vote.user_id == member.id).values(created_at=utcnow() - timedelta(days=1)))
    voting.cast_vote(db, member, answers[40], 1)


def test_a_vote_is_locked_after_five_minutes_until_the_post_is_edited(db, qa):
    _, answerer, _, answer = qa
    member = voter(db)
    voting.cast_vote(db, member, answer, 1)
    voting.cast_vote(db, member, answer, -1)  # within the window
    db.execute(update(Vote).where(Vote.user_id == member.id).values(voted_at=utcnow() - timedelta(minutes=6)))
    db.expire_all()
    with pytest.raises(Exception, match="locked in"):
        voting.cast_vote(db, member, answer, 1)
    threads.edit_post(db, db.get(User, answerer.id), answer, body="Edited to add the missing step.")
    voting.cast_vote(db, member, answer, 1)
    assert rep(db, answerer) == 11


def test_repeated_accepts_between_the_same_pair_are_held_for_staff(db):
    asker, friend = make_user(db), make_user(db)
    limit = rules.current().collusion_accepts
    for _ in range(limit + 1):
        thread = make_thread(db, author=asker)
        accepting.accept_answer(db, asker, make_answer(db, thread, author=friend))
    assert rep(db, friend) == 1 + 15 * limit
    assert rep(db, asker) == 1 + 2 * limit
    assert thread.is_solved and thread.accept_held
    staff = make_user(db, role=Role.STAFF)
    assert [t.id for t in accepting.held_accepts(db, staff)] == [thread.id]
    with pytest.raises(Exception, match="Only staff"):
        accepting.approve_held_accept(db, asker, thread)
    accepting.approve_held_accept(db, staff, thread)
    assert rep(db, friend) == 1 + 15 * (limit + 1)
    assert accepting.held_accepts(db, staff) == []


def test_accepts_from_different_askers_are_not_held(db):
    friend = make_user(db)
    for _ in range(rules.current().collusion_accepts + 2):
        asker = make_user(db)
        thread = make_thread(db, author=asker)
        accepting.accept_answer(db, asker, make_answer(db, thread, author=friend))
        assert not thread.accept_held


def test_serial_voting_audit_reverses_the_excess(db):
    from community import vote_audit

    author, fan = make_user(db), make_user(db, role=Role.STAFF)  # staff: no daily vote allowance
    thread = make_thread(db)
    answers = [make_answer(db, thread, author=author) for _ in range(13)]
    for answer in answers:
        voting.cast_vote(db, fan, answer, 1)
    assert rep(db, author) == 131
    cases = vote_audit.audit(db)
    assert [(c.voter.id, c.author.id, c.votes, c.reversed) for c in cases] == [(fan.id, author.id, 13, 3)]
    assert rep(db, author) == 101
    assert sum(a.score for a in answers if db.refresh(a) is None) == 10
    assert vote_audit.audit(db) == []
    report = vote_audit.report(db, make_user(db, role=Role.STAFF))
    assert [(c.voter.id, c.reversed) for c in report] == [(fan.id, 3)]
    with pytest.raises(Exception, match="Only staff"):
        vote_audit.report(db, author)


def test_a_moderator_reverts_a_members_votes(db, qa):
    _, answerer, _, answer = qa
    member = voter(db)
    voting.cast_vote(db, member, answer, 1)
    with pytest.raises(Exception, match="Only moderators"):
        voting.revert_votes(db, make_user(db, role=Role.STAFF), member)
    assert voting.revert_votes(db, make_user(db, role=Role.MODERATOR), member) == 1
    db.refresh(answer)
    assert answer.score == 0 and rep(db, answerer) == 1
    with pytest.raises(Exception, match="reverted by a moderator"):
        voting.cast_vote(db, member, answer, 1)
    assert voting.votes_by(db, member, [answer.id]) == {}
