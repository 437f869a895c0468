"""Threads and posts: asking, answering, editing with history, soft deletion and following."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from community import threads
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import Follow, Post, PostRevision, Role, SearchOutbox, Tag, Thread, User, thread_tags
from tests.factories import TAGGER_REPUTATION, count_rows, make_answer, make_category, make_thread, make_user

TITLE = "Thermostat shows E4 after firmware update"
BODY = "Since the update last night the display shows E4 and the heating stays off."


def outbox_for(db, thread) -> int:
    return len(db.scalars(select(SearchOutbox).where(SearchOutbox.thread_id == thread.id)).all())


def thread_author(db, thread) -> User:
    return db.get(User, thread.author_id)


def post_author(db, post) -> User:
    return db.get(User, post.author_id)


def locked(db, thread):
    threads.set_locked(db, make_user(db, role=Role.MODERATOR), thread, True)
    return thread


# --- ask -----------------------------------------------------------------------------------------


def _written_counts(db):
    return {
        model: count_rows(db, model) for model in (Thread, Post, PostRevision, Tag, Follow, SearchOutbox)
    } | {"thread_tags": db.scalar(select(func.count()).select_from(thread_tags))}


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "Too short"}, "title"),  # 9 characters
        ({"title": "Too  \t  short"}, "title"),  # spaces collapse before counting: 9 characters
        ({"title": "T" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "   tiny   "}, "body"),
        ({"body": "b" * 50_001}, "body"),
        ({"category_id": 987654}, "category"),
        ({"category_id": "abc"}, "category"),
        ({"category_id": ""}, "category"),
        ({"category_id": None}, "category"),
        ({"category_id": "2.5"}, "category"),
        ({"category_id": 2**31}, "category"),  # beyond an INTEGER column: still just unknown
        ({"category_id": "99999999999999999999"}, "category"),
        ({"tags": "one two three four five six"}, "tags"),
        ({"tags": "-dash"}, "tags"),
        ({"tags": "wifi bad!tag"}, "tags"),
        ({"tags": "x" * 31}, "tags"),
    ],
)
def test_ask_validation_writes_nothing(db, overrides, field):
    author, category = make_user(db, reputation=TAGGER_REPUTATION), make_category(db)
    make_thread(db, tags="wifi")  # some rows already there, so "nothing written" is not trivially true
    db.commit()
    before = _written_counts(db)
    fields = {"title": TITLE, "body": BODY, "category_id": category.id, "tags": "wifi heating"} | overrides
    with pytest.raises(ValidationError) as info:
        threads.ask(db, author, **fields)
    assert set(info.value.errors) == {field}
    assert _written_counts(db) == before


def test_ask_reports_every_bad_field_at_once(db):
    author = make_user(db)
    with pytest.raises(ValidationError) as info:
        threads.ask(db, author, title="short", body="", category_id="x", tags="a b c d e f")
    assert set(info.value.errors) == {"title", "body", "category", "tags"}


def test_ask_requires_a_signed_in_author(db):
    category = make_category(db)
    with pytest.raises(PermissionDenied):
        threads.ask(db, None, title=TITLE, body=BODY, category_id=category.id)
    assert count_rows(db, Thread) == 0


def test_title_of_exactly_200_characters_is_accepted(db):
    title = ("Why does it beep " * 20)[:199] + "?"
    assert len(title) == 200
    thread = make_thread(db, title=title)
    assert thread.title == title


def test_title_exactly_at_minimum_is_accepted_and_whitespace_is_collapsed(db):
    thread = make_thread(db, title="  Ten\tchars \n here ")
    assert thread.title == "Ten chars here"
    assert make_thread(db, title="x" * 10).title == "x" * 10


def test_body_of_exactly_50000_characters_is_accepted(db):
    thread = make_thread(db, body="b" * 50_000)
    assert len(threads.question_of(db, thread).body_md) == 50_000


def test_category_id_given_as_text_is_accepted(db):
    category = make_category(db)
    thread = threads.ask(db, make_user(db), title=TITLE, body=BODY, category_id=str(category.id))
    assert thread.category_id == category.id


def test_ask_creates_thread_question_revision_and_follow(db):
    author, category = make_user(db, reputation=TAGGER_REPUTATION), make_category(db)
    thread = threads.ask(db, author, title=TITLE, body="**Help** me please", category_id=category.id, tags="Wifi, #heating wifi")
    db.commit()
    question = threads.question_of(db, thread)
    assert question.is_question and question.author_id == author.id and not question.is_official
    assert question.body_html == "<p><strong>Help</strong> me please</p>\n"
    assert (thread.author_id, thread.category_id, thread.answer_count, thread.score) == (author.id, category.id, 0, 0)
    assert not thread.is_locked and not thread.is_deleted and not thread.is_solved
    db.expire(thread)
    assert [t.name for t in thread.tags] == ["heating", "wifi"]
    [revision] = db.scalars(select(PostRevision).where(PostRevision.post_id == question.id)).all()
    # Revisions store tags sorted, as the thread shows them, whatever order they were typed in.
    assert (revision.number, revision.title, revision.tags, revision.body_md) == (1, TITLE, "heating wifi", "**Help** me please")
    assert threads.is_following(db, author, thread)
    assert not threads.is_following(db, make_user(db), thread)
    assert not threads.is_following(db, None, thread)


def test_ask_slug_comes_from_title(db):
    thread = make_thread(db, title="How do I reset the Thermostat? (Model X-200)")
    assert thread.slug == "how-do-i-reset-the-thermostat-model-x-200"
    long = make_thread(db, title="Ünïcödé title " + "word " * 30)
    assert long.slug.startswith("unicode-title-word-")
    assert len(long.slug) <= 80 and not long.slug.endswith("-")
    assert make_thread(db, title="¿¿¿¿¿¿¿¿¿¿¿").slug == "thread"


def test_ask_queues_a_search_reindex(db):
    thread = make_thread(db)
    db.commit()
    assert outbox_for(db, thread) == 1


def test_staff_question_is_official(db):
    thread = make_thread(db, author=make_user(db, role=Role.STAFF))
    assert threads.question_of(db, thread).is_official


def test_existing_tags_are_reused(db):
    make_thread(db, tags="wifi")
    make_thread(db, tags="WIFI router")
    db.commit()
    assert sorted(db.scalars(select(Tag.name))) == ["router", "wifi"]


# --- answer --------------------------------------------------------------------------------------


def test_answer_counts_and_bumps_activity(db):
    thread = make_thread(db)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    db.execute(update(Thread).where(Thread.id == thread.id).values(last_activity_at=long_ago))
    db.commit()
    post = make_answer(db, thread, body="Hold the reset button for ten seconds.")
    db.commit()
    assert not post.is_question and post.thread_id == thread.id
    assert thread.answer_count == 1
    assert thread.last_activity_at > long_ago
    assert thread.created_at < thread.last_activity_at
    assert threads.count_answers(db, thread) == 1
    assert outbox_for(db, thread) == 2
    [revision] = db.scalars(select(PostRevision).where(PostRevision.post_id == post.id)).all()
    assert revision.number == 1 and revision.title is None and revision.tags is None


def test_answer_body_rules(db):
    thread = make_thread(db)
    for body in ("", "too short", "b" * 50_001):
        with pytest.raises(ValidationError) as info:
            threads.answer(db, make_user(db), thread, body=body)
        assert set(info.value.errors) == {"body"}
    assert count_rows(db, Post) == 1
    assert thread.answer_count == 0


def test_visitor_cannot_answer(db):
    thread = make_thread(db)
    with pytest.raises(PermissionDenied):
        threads.answer(db, None, thread, body=BODY)


def test_member_cannot_answer_locked_thread(db):
    thread = locked(db, make_thread(db))
    with pytest.raises(PermissionDenied):
        make_answer(db, thread, author=make_user(db))
    with pytest.raises(PermissionDenied):
        make_answer(db, thread, author=thread_author(db, thread))
    assert count_rows(db, Post) == 1
    assert thread.answer_count == 0


@pytest.mark.parametrize("role", [Role.STAFF, Role.MODERATOR, Role.ADMIN])
def test_staff_may_answer_locked_thread_officially(db, role):
    thread = locked(db, make_thread(db))
    post = make_answer(db, thread, author=make_user(db, role=role))
    assert post.is_official
    assert thread.answer_count == 1


def test_nobody_answers_a_deleted_thread(db):
    thread = make_thread(db)
    threads.delete_post(db, make_user(db, role=Role.MODERATOR), threads.question_of(db, thread))
    with pytest.raises(PermissionDenied):
        make_answer(db, thread, author=make_user(db, role=Role.ADMIN))


# --- edit ----------------------------------------------------------------------------------------


def test_answer_edit_keeps_earlier_versions(db):
    thread = make_thread(db)
    post = make_answer(db, thread, body="First line\nSecond line")
    author = post_author(db, post)
    threads.edit_post(db, author, post, body="First line\nSecond line, clarified\nThird line")
    threads.edit_post(db, author, post, body="First line\nThird line")
    db.commit()
    assert post.edit_count == 2 and post.edited_at is not None
    assert post.body_md == "First line\nThird line"
    history = threads.revision_history(db, post)
    assert [view.revision.number for view in history] == [3, 2, 1]
    assert [view.revision.body_md for view in history] == [
        "First line\nThird line",
        "First line\nSecond line, clarified\nThird line",
        "First line\nSecond line",
    ]
    assert history[0].diff == [("same", "First line"), ("removed", "Second line, clarified"), ("same", "Third line")]
    assert history[1].diff == [
        ("same", "First line"),
        ("removed", "Second line"),
        ("added", "Second line, clarified"),
        ("added", "Third line"),
    ]
    assert history[-1].diff == [] and history[-1].title_change is None
    assert all(view.title_change is None and view.tags_change is None for view in history)
    assert history[0].revision.editor.id == author.id


def test_question_edit_records_title_tags_and_category(db):
    asker = make_user(db, reputation=TAGGER_REPUTATION)
    thread = make_thread(db, author=asker, title=TITLE, body="Old body text here", tags="wifi")
    other = make_category(db)
    question = threads.question_of(db, thread)
    threads.edit_post(
        db, asker, question, body="New body text here", title="E4 error after update", tags="wifi firmware", category_id=other.id
    )
    db.commit()
    db.expire(thread)
    assert (thread.title, thread.slug, thread.category_id) == ("E4 error after update", "e4-error-after-update", other.id)
    assert [t.name for t in thread.tags] == ["firmware", "wifi"]
    assert question.body_html == "<p>New body text here</p>\n"
    newest, original = threads.revision_history(db, question)
    assert newest.title_change == (TITLE, "E4 error after update")
    assert newest.tags_change == ("wifi", "firmware wifi")
    assert newest.diff == [("removed", "Old body text here"), ("added", "New body text here")]
    assert original.revision.number == 1 and original.revision.title == TITLE
    assert outbox_for(db, thread) == 2


def test_question_edit_without_category_keeps_it(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker, title=TITLE)
    category_id = thread.category_id
    threads.edit_post(db, asker, threads.question_of(db, thread), body=BODY, title=TITLE + " again")
    assert thread.category_id == category_id and thread.title == TITLE + " again"


def test_question_edit_is_validated_like_asking(db):
    asker = make_user(db, reputation=TAGGER_REPUTATION)
    thread = make_thread(db, author=asker, title=TITLE, body=BODY, tags="wifi")
    db.commit()
    question = threads.question_of(db, thread)
    for fields, key in (
        ({"title": "short"}, "title"),
        ({"tags": "a b c d e f"}, "tags"),
        ({"category_id": 424242}, "category"),
        ({"body": "tiny"}, "body"),
    ):
        with pytest.raises(ValidationError) as info:
            threads.edit_post(db, asker, question, **({"body": BODY, "title": TITLE, "tags": "wifi"} | fields))
        assert set(info.value.errors) == {key}
    assert question.edit_count == 0 and thread.title == TITLE
    assert count_rows(db, PostRevision) == 1


def test_unchanged_answer_edit_is_refused(db):
    post = make_answer(db, make_thread(db), body="Exactly the same words.")
    with pytest.raises(ValidationError):
        threads.edit_post(db, post_author(db, post), post, body="Exactly the same words.")
    assert post.edit_count == 0 and post.edited_at is None
    assert count_rows(db, PostRevision) == 2  # question + answer originals only


def test_unchanged_question_edit_is_refused(db):
    asker = make_user(db, reputation=TAGGER_REPUTATION)
    thread = make_thread(db, author=asker, title=TITLE, body=BODY, tags="wifi heating")
    db.commit()
    db.expire_all()  # as in a new request: tags load from the database
    question = threads.question_of(db, thread)
    with pytest.raises(ValidationError):
        threads.edit_post(db, asker, question, body=BODY, title=f"  {TITLE} ", tags="heating, wifi")
    # Tags are a set: giving the same ones in another order changes nothing either.
    with pytest.raises(ValidationError):
        threads.edit_post(db, asker, question, body=BODY, title=TITLE, tags="wifi heating")
    assert question.edit_count == 0
    assert count_rows(db, PostRevision) == 1


def test_reordering_tags_in_a_real_edit_is_not_a_tags_change(db):
    asker = make_user(db, reputation=TAGGER_REPUTATION)
    thread = make_thread(db, author=asker, title=TITLE, body=BODY, tags="wifi heating")
    question = threads.question_of(db, thread)
    threads.edit_post(db, asker, question, body=BODY + " Still broken.", title=TITLE, tags="heating wifi")
    newest = threads.revision_history(db, question)[0]
    assert newest.tags_change is None and newest.title_change is None
    assert newest.diff == [("removed", BODY), ("added", BODY + " Still broken.")]


def test_member_cannot_edit_anothers_post(db):
    post = make_answer(db, make_thread(db))
    for someone in (make_user(db), make_user(db, reputation=1_999)):
        with pytest.raises(PermissionDenied):
            threads.edit_post(db, someone, post, body="Hijacked answer text")
    with pytest.raises(PermissionDenied):
        threads.edit_post(db, None, post, body="Hijacked answer text")
    assert post.body_md.startswith("Try turning it off and on again") and post.edit_count == 0


def test_moderator_can_edit_anothers_post_even_when_locked(db):
    thread = make_thread(db)
    post = make_answer(db, thread)
    moderator = make_user(db, role=Role.MODERATOR)
    threads.set_locked(db, moderator, thread, True)
    threads.edit_post(db, moderator, post, body="Edited by a moderator.")
    assert post.body_md == "Edited by a moderator." and post.edit_count == 1
    newest = threads.revision_history(db, post)[0]
    assert newest.revision.editor_id == moderator.id


def test_author_cannot_edit_in_locked_thread(db):
    thread = make_thread(db)
    post = make_answer(db, thread)
    locked(db, thread)
    with pytest.raises(PermissionDenied):
        threads.edit_post(db, post_author(db, post), post, body="A later correction.")


# --- delete and restore ---------------------------------------------------------------------------


def test_deleting_an_answer_is_soft(db):
    thread = make_thread(db)
    post = make_answer(db, thread)
    make_answer(db, thread)
    db.commit()
    assert thread.answer_count == 2
    author = post_author(db, post)
    threads.delete_post(db, author, post)
    db.commit()
    db.expire_all()
    stored = db.get(Post, post.id)
    assert stored is not None and stored.is_deleted
    assert stored.deleted_by_id == author.id
    assert db.get(Thread, thread.id).answer_count == 1
    assert threads.count_answers(db, thread) == 1
    assert outbox_for(db, thread) == 4
    with pytest.raises(NotFound):
        threads.get_post(db, post.id, None)
    with pytest.raises(NotFound):
        threads.get_post(db, post.id, author)
    assert threads.get_post(db, post.id, make_user(db, role=Role.STAFF)).id == post.id


def test_deleted_post_cannot_be_deleted_again(db):
    thread = make_thread(db)
    post = make_answer(db, thread)
    moderator = make_user(db, role=Role.MODERATOR)
    threads.delete_post(db, moderator, post)
    with pytest.raises(PermissionDenied):
        threads.delete_post(db, moderator, post)
    db.commit()
    db.expire(thread)
    assert thread.answer_count == 0


def test_deleting_the_accepted_answer_clears_acceptance(db):
    from community import accepting

    asker = make_user(db)
    thread = make_thread(db, author=asker)
    post = make_answer(db, thread)
    accepting.accept_answer(db, asker, post)
    threads.delete_post(db, post_author(db, post), post)
    db.commit()
    db.expire(thread)
    assert thread.accepted_post_id is None and not thread.is_solved
    assert thread.accepted_by_id is None and thread.accepted_at is None and not thread.accepted_by_asker


def test_member_cannot_delete_anothers_post_and_staff_needs_moderator(db):
    post = make_answer(db, make_thread(db))
    for someone in (None, make_user(db), make_user(db, role=Role.STAFF)):
        with pytest.raises(PermissionDenied):
            threads.delete_post(db, someone, post)
    assert not post.is_deleted
    threads.delete_post(db, make_user(db, role=Role.MODERATOR), post)
    assert post.is_deleted


def test_restore_is_for_staff_only(db):
    thread = make_thread(db)
    post = make_answer(db, thread)
    author = post_author(db, post)
    threads.delete_post(db, author, post)
    db.commit()
    for someone in (None, author, make_user(db)):
        with pytest.raises(PermissionDenied):
            threads.restore_post(db, someone, post)
    assert post.is_deleted
    staff = make_user(db, role=Role.STAFF)
    threads.restore_post(db, staff, post)
    db.commit()
    db.expire_all()
    assert not db.get(Post, post.id).is_deleted
    assert db.get(Post, post.id).deleted_by_id is None
    assert db.get(Thread, thread.id).answer_count == 1
    with pytest.raises(PermissionDenied):  # nothing to restore any more
        threads.restore_post(db, staff, db.get(Post, post.id))
    assert db.get(Thread, thread.id).answer_count == 1


def test_deleting_the_question_hides_the_thread(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread)
    threads.delete_post(db, asker, threads.question_of(db, thread))
    db.commit()
    db.expire_all()
    assert db.get(Thread, thread.id).is_deleted
    assert db.get(Thread, thread.id).answer_count == 1  # answers are not counted down
    for viewer in (None, make_user(db), asker):
        with pytest.raises(NotFound):
            threads.get_thread(db, thread.id, viewer)
        with pytest.raises(NotFound):
            threads.get_post(db, answer.id, viewer)
    for role in (Role.STAFF, Role.MODERATOR, Role.ADMIN):
        assert threads.get_thread(db, thread.id, make_user(db, role=role)).id == thread.id


def test_restoring_the_question_shows_the_thread_again(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    question = threads.question_of(db, thread)
    threads.delete_post(db, asker, question)
    threads.restore_post(db, make_user(db, role=Role.STAFF), question)
    db.commit()
    db.expire_all()
    assert threads.get_thread(db, thread.id, None).id == thread.id
    assert db.get(Thread, thread.id).answer_count == 0


def test_get_thread_and_post_unknown_ids(db):
    with pytest.raises(NotFound):
        threads.get_thread(db, 12345, None)
    with pytest.raises(NotFound):
        threads.get_post(db, 12345, make_user(db, role=Role.ADMIN))


# --- locking and following ---------------------------------------------------------------------


def test_only_moderators_lock(db):
    thread = make_thread(db)
    for someone in (None, make_user(db), make_user(db, role=Role.STAFF)):
        with pytest.raises(PermissionDenied):
            threads.set_locked(db, someone, thread, True)
    assert not thread.is_locked
    moderator = make_user(db, role=Role.MODERATOR)
    threads.set_locked(db, moderator, thread, True)
    db.commit()
    db.expire(thread)
    assert thread.is_locked
    threads.set_locked(db, moderator, thread, False)
    assert not thread.is_locked


def test_follow_and_unfollow_are_idempotent(db):
    thread = make_thread(db)
    reader = make_user(db)
    threads.follow(db, reader, thread)
    threads.follow(db, reader, thread)
    assert threads.is_following(db, reader, thread)
    assert count_rows(db, Follow) == 2  # the asker and the reader
    threads.unfollow(db, reader, thread)
    threads.unfollow(db, reader, thread)
    assert not threads.is_following(db, reader, thread)
    assert count_rows(db, Follow) == 1


def test_visitors_and_members_cannot_follow_a_deleted_thread(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    with pytest.raises(PermissionDenied):
        threads.follow(db, None, thread)
    threads.delete_post(db, asker, threads.question_of(db, thread))
    with pytest.raises(PermissionDenied):
        threads.follow(db, make_user(db), thread)
    threads.follow(db, make_user(db, role=Role.STAFF), thread)
    assert count_rows(db, Follow) == 2


def test_control_characters_are_dropped_so_every_database_can_store_the_post(db):
    from tests.factories import make_category, make_user

    author, category = make_user(db, reputation=TAGGER_REPUTATION), make_category(db)
    thread = threads.ask(
        db, author, title="Null\x00 byte in the title", body="Body with \x00 a NUL\x07 and a\ttab.",
        category_id=category.id, tags="wifi\x00",
    )
    db.commit()
    post = threads.question_of(db, thread)
    assert thread.title == "Null byte in the title"
    assert post.body_md == "Body with  a NUL and a\ttab."
    assert [t.name for t in thread.tags] == ["wifi"]
