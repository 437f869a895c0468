"""Accepted answers: the asker while the thread is open, or staff at any time."""

import pytest
from sqlalchemy import select

from community import accepting, reading, threads
from community.errors import PermissionDenied, ValidationError
from community.models import Role, SearchOutbox, Thread, User
from tests.factories import make_answer, make_thread, make_user


@pytest.fixture
def asker(db):
    return make_user(db)


@pytest.fixture
def thread(db, asker):
    return make_thread(db, author=asker)


def stored(db, thread) -> Thread:
    db.commit()
    db.expire_all()
    return db.get(Thread, thread.id)


def lock(db, thread):
    threads.set_locked(db, make_user(db, role=Role.MODERATOR), thread, True)


def test_asker_accepts(db, asker, thread):
    answer = make_answer(db, thread)
    result = accepting.accept_answer(db, asker, answer)
    assert result.id == thread.id
    saved = stored(db, thread)
    assert saved.accepted_post_id == answer.id and saved.is_solved
    assert saved.accepted_by_id == asker.id
    assert saved.accepted_by_asker is True
    assert saved.accepted_at is not None


@pytest.mark.parametrize("role", [Role.STAFF, Role.MODERATOR, Role.ADMIN])
def test_staff_accepts_as_verification(db, thread, role):
    answer = make_answer(db, thread)
    staff = make_user(db, role=role)
    accepting.accept_answer(db, staff, answer)
    saved = stored(db, thread)
    assert saved.accepted_post_id == answer.id
    assert saved.accepted_by_id == staff.id
    # Shown as "Verified by staff" rather than "Accepted by the asker".
    assert saved.accepted_by_asker is False


def test_asker_who_is_staff_counts_as_asker(db):
    staff = make_user(db, role=Role.STAFF)
    thread = make_thread(db, author=staff)
    accepting.accept_answer(db, staff, make_answer(db, thread))
    assert stored(db, thread).accepted_by_asker is True


def test_other_member_cannot_accept(db, thread):
    answer = make_answer(db, thread)
    for someone in (make_user(db), db.get(User, answer.author_id), None):
        with pytest.raises(PermissionDenied):
            accepting.accept_answer(db, someone, answer)
    assert stored(db, thread).accepted_post_id is None


def test_asker_cannot_accept_on_locked_thread_but_staff_can(db, asker, thread):
    answer = make_answer(db, thread)
    lock(db, thread)
    with pytest.raises(PermissionDenied, match="locked"):
        accepting.accept_answer(db, asker, answer)
    assert stored(db, thread).accepted_post_id is None
    staff = make_user(db, role=Role.STAFF)
    accepting.accept_answer(db, staff, answer)
    saved = stored(db, thread)
    assert saved.accepted_post_id == answer.id and saved.accepted_by_id == staff.id


def test_asker_cannot_unaccept_on_locked_thread(db, asker, thread):
    answer = make_answer(db, thread)
    accepting.accept_answer(db, asker, answer)
    lock(db, thread)
    with pytest.raises(PermissionDenied):
        accepting.unaccept_answer(db, asker, thread)
    assert stored(db, thread).accepted_post_id == answer.id


def test_accepting_another_answer_replaces_the_first(db, asker, thread):
    first, second = make_answer(db, thread), make_answer(db, thread)
    accepting.accept_answer(db, asker, first)
    staff = make_user(db, role=Role.STAFF)
    accepting.accept_answer(db, staff, second)
    saved = stored(db, thread)
    assert saved.accepted_post_id == second.id
    assert saved.accepted_by_id == staff.id and saved.accepted_by_asker is False
    view = reading.thread_page(db, saved, None)
    assert view.accepted.id == second.id
    assert [p.id for p in view.answers.items] == [first.id]


def test_accepting_the_same_answer_again_changes_nothing(db, asker, thread):
    answer = make_answer(db, thread)
    accepting.accept_answer(db, asker, answer)
    first_time = stored(db, thread).accepted_at
    outbox = len(db.scalars(select(SearchOutbox)).all())
    accepting.accept_answer(db, make_user(db, role=Role.STAFF), answer)
    saved = stored(db, thread)
    assert saved.accepted_at == first_time
    assert saved.accepted_by_id == asker.id and saved.accepted_by_asker is True
    assert len(db.scalars(select(SearchOutbox)).all()) == outbox


def test_unaccept(db, asker, thread):
    answer = make_answer(db, thread)
    accepting.accept_answer(db, asker, answer)
    with pytest.raises(PermissionDenied):
        accepting.unaccept_answer(db, make_user(db), thread)
    assert stored(db, thread).accepted_post_id == answer.id
    accepting.unaccept_answer(db, asker, thread)
    saved = stored(db, thread)
    assert saved.accepted_post_id is None and not saved.is_solved
    assert saved.accepted_by_id is None and saved.accepted_at is None and saved.accepted_by_asker is False
    # Withdrawing when nothing is accepted is harmless.
    accepting.unaccept_answer(db, asker, saved)
    assert stored(db, thread).accepted_post_id is None


def test_staff_can_unaccept_the_askers_choice(db, asker, thread):
    accepting.accept_answer(db, asker, make_answer(db, thread))
    accepting.unaccept_answer(db, make_user(db, role=Role.STAFF), thread)
    assert stored(db, thread).accepted_post_id is None


def test_question_itself_cannot_be_accepted(db, asker, thread):
    question = threads.question_of(db, thread)
    for someone in (asker, make_user(db, role=Role.ADMIN)):
        with pytest.raises(ValidationError):
            accepting.accept_answer(db, someone, question)
    assert stored(db, thread).accepted_post_id is None


def test_deleted_answer_cannot_be_accepted(db, asker, thread):
    answer = make_answer(db, thread)
    threads.delete_post(db, make_user(db, role=Role.MODERATOR), answer)
    for someone in (asker, make_user(db, role=Role.STAFF)):
        with pytest.raises(ValidationError):
            accepting.accept_answer(db, someone, answer)
    assert stored(db, thread).accepted_post_id is None


def test_nothing_is_accepted_in_a_deleted_thread(db, asker, thread):
    answer = make_answer(db, thread)
    threads.delete_post(db, asker, threads.question_of(db, thread))
    for someone in (asker, make_user(db, role=Role.ADMIN)):
        with pytest.raises(PermissionDenied):
            accepting.accept_answer(db, someone, answer)


def test_deleting_the_accepted_answer_makes_the_thread_unsolved(db, asker, thread):
    answer = make_answer(db, thread)
    other = make_answer(db, thread)
    accepting.accept_answer(db, asker, answer)
    assert reading.list_threads(db, None, list_filter=reading.ListFilter.SOLVED).total == 1
    threads.delete_post(db, db.get(User, answer.author_id), answer)
    saved = stored(db, thread)
    assert not saved.is_solved
    assert saved.accepted_by_id is None and saved.accepted_at is None
    assert reading.list_threads(db, None, list_filter=reading.ListFilter.SOLVED).total == 0
    assert reading.list_threads(db, None, list_filter=reading.ListFilter.UNSOLVED).total == 1
    # Deleting a different, non-accepted answer leaves the acceptance alone.
    accepting.accept_answer(db, asker, other)
    threads.delete_post(db, make_user(db, role=Role.MODERATOR), make_answer(db, saved))
    assert stored(db, thread).accepted_post_id == other.id


def test_accepting_queues_a_reindex(db, asker, thread):
    answer = make_answer(db, thread)
    db.commit()
    before = len(db.scalars(select(SearchOutbox).where(SearchOutbox.thread_id == thread.id)).all())
    accepting.accept_answer(db, asker, answer)
    accepting.unaccept_answer(db, asker, thread)
    db.commit()
    after = len(db.scalars(select(SearchOutbox).where(SearchOutbox.thread_id == thread.id)).all())
    assert after == before + 2
