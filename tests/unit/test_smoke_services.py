from community import accepting, reading, voting
from tests.factories import VOTER_REPUTATION, make_answer, make_thread, make_user


def test_accepted_answer_comes_first_then_by_score(db):
    asker = make_user(db, reputation=VOTER_REPUTATION)
    thread = make_thread(db, author=asker)
    low = make_answer(db, thread)
    high = make_answer(db, thread)
    voting.cast_vote(db, asker, high, 1)
    accepting.accept_answer(db, asker, low)
    db.commit()
    view = reading.thread_page(db, thread, None)
    assert [p.id for p in view.posts()][1:] == [low.id, high.id]
    assert view.thread.is_solved and view.thread.accepted_by_asker
