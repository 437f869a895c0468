"""Several writers at once: every answer and vote lands, and the counters agree with the rows."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from community import threads, voting
from community.db import make_session_factory
from community.models import Post, Thread, User, Vote
from tests.factories import VOTER_REPUTATION, make_thread, make_user

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
