"""What readers see: thread lists, a thread page in reading order, profile counts."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from community import accepting, reading, threads, voting
from community.errors import ValidationError
from community.models import Post, Role, Thread, User
from community.reading import ListFilter, ListSort
from tests.factories import VOTER_REPUTATION, add_votes, make_answer, make_category, make_thread, make_user

BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return BASE + timedelta(minutes=minutes)


def set_thread(db, thread, **values) -> None:
    db.execute(update(Thread).where(Thread.id == thread.id).values(**values))


def set_score(db, post, score: int) -> None:
    db.execute(update(Post).where(Post.id == post.id).values(score=score))


def ids(page) -> list[int]:
    return [item.id for item in page.items]


def author_of(db, post) -> User:
    return db.get(User, post.author_id)


def listed(db, viewer=None, **options) -> list[int]:
    return ids(reading.list_threads(db, viewer, per_page=100, **options))


# --- list filters and sorting -------------------------------------------------------------------


@pytest.fixture
def three_kinds(db):
    """An unanswered thread, an answered but unsolved one, and a solved one."""
    asker = make_user(db)
    unanswered = make_thread(db, author=asker)
    unsolved = make_thread(db, author=asker)
    make_answer(db, unsolved)
    solved = make_thread(db, author=asker)
    accepting.accept_answer(db, asker, make_answer(db, solved))
    db.commit()
    return unanswered, unsolved, solved


def test_filters(db, three_kinds):
    unanswered, unsolved, solved = three_kinds
    assert sorted(listed(db, list_filter=ListFilter.ALL)) == sorted([unanswered.id, unsolved.id, solved.id])
    assert listed(db, list_filter=ListFilter.UNANSWERED) == [unanswered.id]
    assert sorted(listed(db, list_filter=ListFilter.UNSOLVED)) == sorted([unanswered.id, unsolved.id])
    assert listed(db, list_filter=ListFilter.SOLVED) == [solved.id]


def test_unanswered_counts_only_live_answers(db):
    thread = make_thread(db)
    answer = make_answer(db, thread)
    assert listed(db, list_filter=ListFilter.UNANSWERED) == []
    threads.delete_post(db, author_of(db, answer), answer)
    db.commit()
    assert listed(db, list_filter=ListFilter.UNANSWERED) == [thread.id]


def test_filter_by_category(db):
    heating, lighting = make_category(db), make_category(db)
    a = make_thread(db, category=heating)
    b = make_thread(db, category=lighting)
    assert listed(db, category=heating) == [a.id]
    assert listed(db, category=lighting, list_filter=ListFilter.UNANSWERED) == [b.id]


@pytest.fixture
def timed(db):
    """old: created first, but answered last; new: created last, never touched; mid in between."""
    old, mid, new = make_thread(db), make_thread(db), make_thread(db)
    set_thread(db, old, created_at=at(0), last_activity_at=at(50), score=1)
    set_thread(db, mid, created_at=at(10), last_activity_at=at(10), score=7)
    set_thread(db, new, created_at=at(20), last_activity_at=at(20), score=1)
    db.commit()
    return old, mid, new


def test_sort_newest(db, timed):
    old, mid, new = timed
    assert listed(db, sort=ListSort.NEWEST) == [new.id, mid.id, old.id]


def test_sort_active(db, timed):
    old, mid, new = timed
    assert listed(db, sort=ListSort.ACTIVE) == [old.id, new.id, mid.id]
    assert listed(db) == [old.id, new.id, mid.id]  # the default


def test_sort_votes_ties_broken_by_activity(db, timed):
    old, mid, new = timed
    assert listed(db, sort=ListSort.VOTES) == [mid.id, old.id, new.id]


def test_answering_moves_a_thread_up_in_active_sort(db):
    first, second = make_thread(db), make_thread(db)
    set_thread(db, first, created_at=at(0), last_activity_at=at(0))
    set_thread(db, second, created_at=at(1), last_activity_at=at(1))
    db.commit()
    assert listed(db, sort=ListSort.ACTIVE) == [second.id, first.id]
    make_answer(db, first)  # last activity is now, long after BASE
    db.commit()
    assert listed(db, sort=ListSort.ACTIVE) == [first.id, second.id]
    assert listed(db, sort=ListSort.NEWEST) == [second.id, first.id]


def test_question_votes_drive_votes_sort(db):
    a, b = make_thread(db), make_thread(db)
    c = make_thread(db)
    voting.cast_vote(db, make_user(db, reputation=VOTER_REPUTATION), threads.question_of(db, a), 1)
    add_votes(db, threads.question_of(db, b), 2)
    db.commit()
    assert listed(db, sort=ListSort.VOTES) == [b.id, a.id, c.id]


def test_pagination(db):
    made = [make_thread(db) for _ in range(5)]
    for minutes, thread in enumerate(made):
        set_thread(db, thread, created_at=at(minutes), last_activity_at=at(minutes))
    db.commit()
    newest_first = [t.id for t in reversed(made)]
    first = reading.list_threads(db, None, page=1, per_page=2, sort=ListSort.NEWEST)
    assert (first.total, first.pages, first.has_next, first.has_prev) == (5, 3, True, False)
    assert ids(first) == newest_first[:2]
    second = reading.list_threads(db, None, page=2, per_page=2, sort=ListSort.NEWEST)
    assert ids(second) == newest_first[2:4] and second.has_next and second.has_prev
    last = reading.list_threads(db, None, page=3, per_page=2, sort=ListSort.NEWEST)
    assert ids(last) == newest_first[4:] and not last.has_next and last.has_prev
    beyond = reading.list_threads(db, None, page=4, per_page=2, sort=ListSort.NEWEST)
    assert beyond.items == [] and beyond.total == 5
    exact = reading.list_threads(db, None, page=1, per_page=5)
    assert (exact.pages, exact.has_next) == (1, False)
    below = reading.list_threads(db, None, page=0, per_page=2, sort=ListSort.NEWEST)
    assert below.page == 1 and ids(below) == newest_first[:2]


def test_empty_list_has_one_page(db):
    page = reading.list_threads(db, None)
    assert (page.items, page.total, page.pages, page.has_next, page.has_prev) == ([], 0, 1, False, False)


def test_parse_list_options():
    assert reading.parse_list_options(None, None) == (ListFilter.ALL, ListSort.ACTIVE)
    assert reading.parse_list_options("solved", "votes") == (ListFilter.SOLVED, ListSort.VOTES)
    with pytest.raises(ValidationError):
        reading.parse_list_options("deleted", None)
    with pytest.raises(ValidationError):
        reading.parse_list_options(None, "random")


def test_deleted_threads_hidden_from_visitors_shown_to_staff(db):
    asker = make_user(db)
    live = make_thread(db, author=asker)
    gone = make_thread(db, author=asker)
    threads.delete_post(db, asker, threads.question_of(db, gone))
    db.commit()
    for viewer in (None, make_user(db), asker):
        assert listed(db, viewer) == [live.id]
        assert reading.list_threads(db, viewer).total == 1
        assert ids(reading.asked_by(db, asker, viewer, 1, 10)) == [live.id]
    for role in (Role.STAFF, Role.MODERATOR, Role.ADMIN):
        staff = make_user(db, role=role)
        assert sorted(listed(db, staff)) == sorted([live.id, gone.id])
        assert sorted(ids(reading.asked_by(db, asker, staff, 1, 10))) == sorted([live.id, gone.id])
    assert reading.site_counts(db) == {"threads": 1, "solved": 0, "unanswered": 1}


def test_answers_by_hides_deleted_answers_from_non_staff(db):
    answerer = make_user(db)
    kept = make_answer(db, make_thread(db), author=answerer)
    removed = make_answer(db, make_thread(db), author=answerer)
    threads.delete_post(db, answerer, removed)
    db.commit()
    assert ids(reading.answers_by(db, answerer, None, 1, 10)) == [kept.id]
    assert sorted(ids(reading.answers_by(db, answerer, make_user(db, role=Role.STAFF), 1, 10))) == sorted(
        [kept.id, removed.id]
    )


# --- the thread page -----------------------------------------------------------------------------


@pytest.fixture
def scored(db):
    """A thread with four answers; the asker accepts the lowest-scoring one."""
    asker = make_user(db, reputation=VOTER_REPUTATION)
    thread = make_thread(db, author=asker)
    low, high, mid, tie = (make_answer(db, thread) for _ in range(4))
    set_score(db, low, -2)
    set_score(db, high, 9)
    set_score(db, mid, 3)
    set_score(db, tie, 3)
    accepting.accept_answer(db, asker, low)
    db.commit()
    return asker, thread, low, high, mid, tie


def test_thread_page_order_accepted_first_then_score(db, scored):
    asker, thread, low, high, mid, tie = scored
    view = reading.thread_page(db, thread, None)
    question = threads.question_of(db, thread)
    # Equal scores keep posting order.
    assert [p.id for p in view.posts()] == [question.id, low.id, high.id, mid.id, tie.id]
    assert view.accepted.id == low.id
    assert view.answers.total == 3


def test_thread_page_without_accepted_answer(db):
    thread = make_thread(db)
    first, second = make_answer(db, thread), make_answer(db, thread)
    set_score(db, second, 1)
    db.commit()
    view = reading.thread_page(db, thread, None)
    assert view.accepted is None and view.outscored_by is None
    assert [p.id for p in view.answers.items] == [second.id, first.id]


def test_thread_page_paginates_answers_after_the_accepted_one(db, scored):
    asker, thread, low, high, mid, tie = scored
    first = reading.thread_page(db, thread, None, per_page=2)
    assert [p.id for p in first.answers.items] == [high.id, mid.id]
    assert first.answers.has_next and first.accepted.id == low.id
    second = reading.thread_page(db, thread, None, page=2, per_page=2)
    assert [p.id for p in second.answers.items] == [tie.id]


def test_thread_page_deleted_answers_only_for_staff(db, scored):
    asker, thread, low, high, mid, tie = scored
    threads.delete_post(db, author_of(db, high), high)
    db.commit()
    assert [p.id for p in reading.thread_page(db, thread, None).answers.items] == [mid.id, tie.id]
    staff = make_user(db, role=Role.STAFF)
    view = reading.thread_page(db, thread, staff)
    assert [p.id for p in view.answers.items] == [high.id, mid.id, tie.id]
    assert view.restorable == {high.id}


def test_thread_page_actions_for_each_viewer(db, scored):
    asker, thread, low, high, mid, tie = scored
    question = threads.question_of(db, thread)
    voting.cast_vote(db, asker, mid, -1)
    db.commit()

    visitor = reading.thread_page(db, thread, None)
    assert not (visitor.can_answer or visitor.can_accept or visitor.can_lock or visitor.following)
    assert visitor.editable == visitor.deletable == visitor.votable == set() and visitor.my_votes == {}

    mine = reading.thread_page(db, thread, asker)
    assert mine.can_answer and mine.can_accept and not mine.can_lock and mine.following
    assert mine.editable == mine.deletable == {question.id}
    assert mine.votable == {low.id, high.id, mid.id, tie.id}
    assert mine.my_votes == {mid.id: -1}

    answerer = author_of(db, high)
    theirs = reading.thread_page(db, thread, answerer)
    assert theirs.can_answer and not theirs.can_accept and not theirs.following
    assert theirs.editable == {high.id}
    assert high.id not in theirs.votable and question.id in theirs.votable

    moderator = make_user(db, role=Role.MODERATOR)
    modview = reading.thread_page(db, thread, moderator)
    everything = {question.id, low.id, high.id, mid.id, tie.id}
    assert modview.can_lock and modview.editable == modview.deletable == everything


def test_thread_page_on_locked_thread(db, scored):
    asker, thread, *_ = scored
    threads.set_locked(db, make_user(db, role=Role.MODERATOR), thread, True)
    db.commit()
    view = reading.thread_page(db, thread, asker)
    assert view.thread.is_locked
    assert not view.can_answer and not view.can_accept
    assert view.editable == view.deletable == view.votable == set()
    staff = reading.thread_page(db, thread, make_user(db, role=Role.STAFF))
    assert staff.can_answer and staff.can_accept and staff.votable == set()


def test_outscoring_answer_respects_margin(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    accepted, other, weaker = make_answer(db, thread), make_answer(db, thread), make_answer(db, thread)
    accepting.accept_answer(db, asker, accepted)
    set_score(db, accepted, 2)
    set_score(db, weaker, 6)
    set_score(db, other, 6)  # equal scores: the earlier answer (other) wins
    for minutes, post in enumerate((accepted, other, weaker)):
        db.execute(update(Post).where(Post.id == post.id).values(created_at=at(minutes)))
    db.commit()
    db.expire_all()
    accepted = db.get(Post, accepted.id)
    assert reading.outscoring_answer(db, thread, accepted, margin=5) is None  # leads by 4
    assert reading.outscoring_answer(db, thread, accepted, margin=4).id == other.id  # leads by exactly 4
    assert reading.outscoring_answer(db, thread, None, margin=0) is None
    set_score(db, other, 7)
    db.commit()
    db.expire_all()
    assert reading.outscoring_answer(db, thread, db.get(Post, accepted.id), margin=5).id == other.id
    assert reading.thread_page(db, thread, None, outscored_margin=5).outscored_by.id == other.id
    assert reading.thread_page(db, thread, None, outscored_margin=6).outscored_by is None


def test_outscoring_answer_ignores_deleted_answers(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    accepted, deleted = make_answer(db, thread), make_answer(db, thread)
    accepting.accept_answer(db, asker, accepted)
    set_score(db, deleted, 50)
    threads.delete_post(db, author_of(db, deleted), deleted)
    db.commit()
    db.expire_all()
    assert reading.outscoring_answer(db, thread, db.get(Post, accepted.id), margin=1) is None


def test_outscoring_answer_never_returns_the_accepted_one(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    accepted = make_answer(db, thread)
    accepting.accept_answer(db, asker, accepted)
    db.commit()
    assert reading.outscoring_answer(db, thread, accepted, margin=0) is None


def test_answer_page_of(db, scored):
    asker, thread, low, high, mid, tie = scored
    question = threads.question_of(db, thread)
    db.expire_all()
    thread = db.get(Thread, thread.id)
    assert reading.answer_page_of(db, thread, question, None, per_page=1) == 1
    assert reading.answer_page_of(db, thread, low, None, per_page=1) == 1  # accepted: always page 1
    assert [reading.answer_page_of(db, thread, p, None, per_page=1) for p in (high, mid, tie)] == [1, 2, 3]
    assert [reading.answer_page_of(db, thread, p, None, per_page=2) for p in (high, mid, tie)] == [1, 1, 2]
    threads.delete_post(db, author_of(db, high), high)
    db.commit()
    # Visitors no longer see the deleted answer, so the others move up; staff still see it.
    assert reading.answer_page_of(db, thread, tie, None, per_page=1) == 2
    assert reading.answer_page_of(db, thread, tie, make_user(db, role=Role.STAFF), per_page=1) == 3
    assert reading.answer_page_of(db, thread, high, None, per_page=1) == 1


# --- profiles ----------------------------------------------------------------------------------


def test_member_stats(db):
    member = make_user(db)
    asked = make_thread(db, author=member)
    make_thread(db, author=member)
    elsewhere = make_thread(db)
    other_asker = db.get(User, elsewhere.author_id)
    accepted = make_answer(db, elsewhere, author=member)
    make_answer(db, elsewhere, author=member)
    make_answer(db, asked)  # someone else's answer does not count for member
    accepting.accept_answer(db, other_asker, accepted)
    threads.follow(db, member, elsewhere)
    db.commit()
    assert reading.member_stats(db, member) == {"questions": 2, "answers": 2, "accepted": 1, "following": 3}
    assert reading.member_stats(db, make_user(db)) == {"questions": 0, "answers": 0, "accepted": 0, "following": 0}


def test_member_stats_leave_out_deleted_posts_and_threads(db):
    member = make_user(db)
    kept = make_thread(db, author=member)
    gone = make_thread(db, author=member)
    elsewhere = make_thread(db)
    answer = make_answer(db, elsewhere, author=member)
    accepting.accept_answer(db, db.get(User, elsewhere.author_id), answer)
    make_answer(db, gone, author=member)
    threads.delete_post(db, member, threads.question_of(db, gone))
    threads.delete_post(db, member, answer)
    db.commit()
    stats = reading.member_stats(db, member)
    assert stats == {"questions": 1, "answers": 0, "accepted": 0, "following": 1}
    # The count on the profile matches the "following" list that everyone can see.
    assert stats["following"] == reading.followed_threads(db, member, None, 1, 10).total
    assert ids(reading.followed_threads(db, member, None, 1, 10)) == [kept.id]


def test_followed_threads(db):
    reader = make_user(db)
    a, b, c = make_thread(db), make_thread(db), make_thread(db)
    set_thread(db, a, last_activity_at=at(1))
    set_thread(db, b, last_activity_at=at(3))
    set_thread(db, c, last_activity_at=at(2))
    for thread in (a, b):
        threads.follow(db, reader, thread)
    db.commit()
    assert ids(reading.followed_threads(db, reader, reader, 1, 10)) == [b.id, a.id]
    first = reading.followed_threads(db, reader, None, 1, 1)
    assert ids(first) == [b.id] and first.total == 2 and first.has_next
    threads.unfollow(db, reader, b)
    db.commit()
    assert ids(reading.followed_threads(db, reader, reader, 1, 10)) == [a.id]


def test_followed_threads_hide_deleted_threads_from_non_staff(db):
    reader = make_user(db)
    asker = make_user(db)
    live, gone = make_thread(db, author=asker), make_thread(db, author=asker)
    threads.follow(db, reader, live)
    threads.follow(db, reader, gone)
    threads.delete_post(db, asker, threads.question_of(db, gone))
    db.commit()
    assert ids(reading.followed_threads(db, reader, reader, 1, 10)) == [live.id]
    staff = make_user(db, role=Role.STAFF)
    assert sorted(ids(reading.followed_threads(db, reader, staff, 1, 10))) == sorted([live.id, gone.id])
