"""Several writers at once: every answer and vote lands, and the counters agree with the rows."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from community import accepting, reputation, threads, voting
from community.db import make_session_factory
from community.models import BadgeAward, Post, Thread, User, Vote
from tests.factories import VOTER_REPUTATION, make_answer, make_thread, make_user

WRITERS = 4
ANSWERS_EACH = 8


def test_parallel_answers_and_votes_are_all_kept(db, engine):
    thread = make_thread(db)
    people = [make_user(db, reputation=VOTER_REPUTATION) for _ in range(WRITERS)]
    db.commit()
    thread_id, question_id = thread.id, threads.question_of(db, thread).id
    Session = make_session_factory(engine)

    def write(user_id: int) -> None:
        for n in range(ANSWERS_EACH):
            with Session() as session:
                author = session.get(User, user_id)
                target = session.get(Thread, thread_id)
                threads.answer(session, author, target, body=f"Answer {n} from writer {user_id}.")
                session.commit()
        with Session() as session:
            voting.cast_vote(session, session.get(User, user_id), session.get(Post, question_id), 1)
            session.commit()

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, [p.id for p in people]))

    db.expire_all()
    answers = db.scalar(select(func.count()).where(Post.thread_id == thread_id, Post.is_question.is_(False)))
    assert answers == WRITERS * ANSWERS_EACH
    assert db.get(Thread, thread_id).answer_count == WRITERS * ANSWERS_EACH
    assert db.scalar(select(func.count()).select_from(Vote)) == WRITERS
    assert db.get(Post, question_id).score == WRITERS
    assert db.get(Thread, thread_id).score == WRITERS


def _race(engine, count, action):
    """Run `action(session, n)` in `count` threads at once, each in its own session; returns errors."""
    Session = make_session_factory(engine)
    barrier = threading.Barrier(count)
    errors = []

    def run(n):
        with Session() as session:
            barrier.wait()
            try:
                action(session, n)
                session.commit()
            except Exception as exc:  # a refused duplicate is an acceptable outcome, a lost write is not
                session.rollback()
                errors.append(exc)

    with ThreadPoolExecutor(count) as pool:
        list(pool.map(run, range(count)))
    return errors


def test_the_same_vote_sent_twice_at_once_counts_once(db, engine):
    thread = make_thread(db)
    answer = make_answer(db, thread)
    voter = make_user(db, reputation=VOTER_REPUTATION)
    db.commit()
    answer_id, voter_id, author_id = answer.id, voter.id, answer.author_id
    _race(engine, 4, lambda s, n: voting.cast_vote(s, s.get(User, voter_id), s.get(Post, answer_id), 1))
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Vote).where(Vote.post_id == answer_id)) == 1
    assert db.get(Post, answer_id).score == 1
    assert db.get(User, author_id).reputation == 11
    assert reputation.recompute(db) == []


def test_two_accepts_at_once_leave_one_accepted_answer_and_exact_reputation(db, engine):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    answers = [make_answer(db, thread) for _ in range(4)]
    db.commit()
    ids, asker_id = [a.id for a in answers], asker.id
    _race(engine, 4, lambda s, n: accepting.accept_answer(s, s.get(User, asker_id), s.get(Post, ids[n])))
    db.expire_all()
    accepted = db.get(Thread, thread.id).accepted_post_id
    assert accepted in ids
    earned = {a.author_id: db.get(User, a.author_id).reputation for a in answers}
    assert sorted(earned.values()) == [1, 1, 1, 16]
    assert earned[db.get(Post, accepted).author_id] == 16
    assert db.get(User, asker_id).reputation == 3
    assert reputation.recompute(db) == []


def test_a_badge_earned_by_two_events_at_once_is_awarded_once(db, engine):
    author = make_user(db)
    thread = make_thread(db)
    answer = make_answer(db, thread, author=author)
    db.commit()
    answer_id = answer.id
    voters = [make_user(db, role="staff").id for _ in range(4)]
    db.commit()
    _race(engine, 4, lambda s, n: voting.cast_vote(s, s.get(User, voters[n]), s.get(Post, answer_id), 1))
    db.expire_all()
    supporters = db.scalar(
        select(func.count()).select_from(BadgeAward).where(BadgeAward.badge == "supporter")
    )
    assert supporters == 4  # one per voter, none doubled
    assert db.scalar(select(func.count()).select_from(Vote).where(Vote.post_id == answer_id)) == 4
    assert reputation.recompute(db) == []
