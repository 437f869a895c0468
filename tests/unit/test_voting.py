"""Votes: one per member per post, changeable and withdrawable, never on your own post."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community import threads, voting
from community.errors import PermissionDenied, ValidationError
from community.models import Post, Role, Thread, User, Vote
from tests.factories import VOTER_REPUTATION, count_rows, make_answer, make_thread, make_user


def votes_on(db, post) -> list[tuple[int, int]]:
    """The votes that stand on a post (a withdrawn vote keeps its row with value 0)."""
    query = select(Vote).where(Vote.post_id == post.id, Vote.value != 0).order_by(Vote.id)
    return [(v.user_id, v.value) for v in db.scalars(query)]


def voter(db):
    return make_user(db, reputation=VOTER_REPUTATION)


def stored_score(db, model, row_id) -> int:
    return db.scalar(select(model.score).where(model.id == row_id))


@pytest.fixture
def answer(db):
    return make_answer(db, make_thread(db))


def test_up_then_down_then_withdraw(db, answer):
    member = voter(db)
    assert voting.cast_vote(db, member, answer, 1) == 1
    assert votes_on(db, answer) == [(member.id, 1)]
    assert voting.cast_vote(db, member, answer, -1) == -1
    assert votes_on(db, answer) == [(member.id, -1)]
    assert voting.cast_vote(db, member, answer, 0) == 0
    assert votes_on(db, answer) == []
    db.commit()
    assert stored_score(db, Post, answer.id) == 0


def test_scores_are_stored_after_each_step(db, answer):
    member = voter(db)
    for value, expected in ((1, 1), (-1, -1), (1, 1), (0, 0), (-1, -1)):
        voting.cast_vote(db, member, answer, value)
        db.commit()
        assert stored_score(db, Post, answer.id) == expected
        assert count_rows(db, Vote) == 1  # withdrawing keeps the row, at 0


def test_voting_the_same_value_twice_is_idempotent(db, answer):
    member = voter(db)
    voting.cast_vote(db, member, answer, 1)
    assert voting.cast_vote(db, member, answer, 1) == 1
    assert votes_on(db, answer) == [(member.id, 1)]
    voting.cast_vote(db, member, answer, 0)
    assert voting.cast_vote(db, member, answer, 0) == 0
    assert votes_on(db, answer) == []
    db.commit()
    assert stored_score(db, Post, answer.id) == 0


def test_votes_from_several_members_add_up(db, answer):
    ups = [voter(db) for _ in range(3)]
    down = voter(db)
    for member in ups:
        voting.cast_vote(db, member, answer, 1)
    assert voting.cast_vote(db, down, answer, -1) == 2
    voting.cast_vote(db, ups[0], answer, -1)
    db.commit()
    assert stored_score(db, Post, answer.id) == 0
    assert sorted(value for _, value in votes_on(db, answer)) == [-1, -1, 1, 1]


def test_cannot_vote_on_own_post(db, answer):
    author = db.get(User, answer.author_id)
    for value in (1, -1, 0):
        with pytest.raises(PermissionDenied, match="own post"):
            voting.cast_vote(db, author, answer, value)
    assert count_rows(db, Vote) == 0


def test_visitor_cannot_vote(db, answer):
    with pytest.raises(PermissionDenied):
        voting.cast_vote(db, None, answer, 1)
    assert count_rows(db, Vote) == 0


def test_cannot_vote_on_deleted_post(db, answer):
    member = voter(db)
    voting.cast_vote(db, member, answer, 1)
    threads.delete_post(db, make_user(db, role=Role.MODERATOR), answer)
    for someone in (member, voter(db), make_user(db, role=Role.ADMIN)):
        for value in (1, -1, 0):
            with pytest.raises(PermissionDenied, match="deleted"):
                voting.cast_vote(db, someone, answer, value)
    db.commit()
    assert stored_score(db, Post, answer.id) == 1
    assert votes_on(db, answer) == [(member.id, 1)]


def test_cannot_vote_on_answer_in_deleted_thread(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread)
    threads.delete_post(db, asker, threads.question_of(db, thread))
    with pytest.raises(PermissionDenied):
        voting.cast_vote(db, make_user(db), answer, 1)


def test_cannot_vote_in_locked_thread(db, answer):
    thread = db.get(Thread, answer.thread_id)
    threads.set_locked(db, make_user(db, role=Role.MODERATOR), thread, True)
    for someone in (make_user(db), make_user(db, role=Role.MODERATOR)):
        with pytest.raises(PermissionDenied, match="locked"):
            voting.cast_vote(db, someone, answer, 1)
    with pytest.raises(PermissionDenied):
        voting.cast_vote(db, make_user(db), threads.question_of(db, thread), 1)
    assert count_rows(db, Vote) == 0


def test_question_votes_also_update_thread_score(db):
    thread = make_thread(db)
    question = threads.question_of(db, thread)
    first, second = voter(db), voter(db)
    voting.cast_vote(db, first, question, 1)
    voting.cast_vote(db, second, question, 1)
    db.commit()
    assert stored_score(db, Thread, thread.id) == 2
    voting.cast_vote(db, second, question, 0)
    db.commit()
    assert stored_score(db, Thread, thread.id) == 1
    assert stored_score(db, Post, question.id) == 1
    with pytest.raises(PermissionDenied, match="Questions cannot be voted down"):
        voting.cast_vote(db, first, question, -1)
    db.rollback()
    assert stored_score(db, Thread, thread.id) == 1


def test_answer_votes_leave_thread_score_alone(db):
    thread = make_thread(db)
    answer = make_answer(db, thread)
    voting.cast_vote(db, voter(db), answer, 1)
    db.commit()
    assert stored_score(db, Post, answer.id) == 1
    assert stored_score(db, Thread, thread.id) == 0


def test_votes_by_returns_only_the_viewers_votes(db):
    thread = make_thread(db)
    question = threads.question_of(db, thread)
    a, b, c = make_answer(db, thread), make_answer(db, thread), make_answer(db, thread)
    viewer, other = voter(db), voter(db)
    voting.cast_vote(db, viewer, a, 1)
    voting.cast_vote(db, viewer, b, -1)
    voting.cast_vote(db, viewer, question, 1)
    voting.cast_vote(db, other, c, 1)
    voting.cast_vote(db, other, a, -1)
    ids = [question.id, a.id, b.id, c.id]
    assert voting.votes_by(db, viewer, ids) == {question.id: 1, a.id: 1, b.id: -1}
    assert voting.votes_by(db, other, ids) == {a.id: -1, c.id: 1}
    assert voting.votes_by(db, viewer, [c.id]) == {}
    assert voting.votes_by(db, viewer, []) == {}
    assert voting.votes_by(db, None, ids) == {}
    voting.cast_vote(db, viewer, b, 0)
    assert voting.votes_by(db, viewer, ids) == {question.id: 1, a.id: 1}


@pytest.mark.parametrize("value", [2, -2, 5, 100])
def test_invalid_vote_value_is_refused(db, answer, value):
    with pytest.raises(ValidationError):
        voting.cast_vote(db, make_user(db), answer, value)
    db.commit()
    assert count_rows(db, Vote) == 0
    assert stored_score(db, Post, answer.id) == 0


def test_database_refuses_a_second_vote_row_for_the_same_member_and_post(db, answer):
    voter = make_user(db)
    db.add(Vote(user_id=voter.id, post_id=answer.id, value=1))
    db.commit()
    db.add(Vote(user_id=voter.id, post_id=answer.id, value=-1))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
    assert votes_on(db, answer) == [(voter.id, 1)]


def test_database_refuses_a_vote_value_other_than_up_down_or_withdrawn(db, answer):
    db.add(Vote(user_id=make_user(db).id, post_id=answer.id, value=2))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
