"""Members asking, answering, editing, deleting, voting, accepting and following through the forms."""

import html

import pytest
from sqlalchemy import func, select

from community import threads
from community.models import Follow, Post, Role, Thread, Vote
from tests.factories import (
    TAGGER_REPUTATION,
    VOTER_REPUTATION,
    give_reputation,
    make_answer,
    make_category,
    make_thread,
    make_user,
)
from tests.integration.helpers import article, field_errors, fresh, login, text, thread_titles


def _count(db, model, *where) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(model).where(*where))


def _reload(db, model, id_):
    fresh(db)
    return db.get(model, id_)


@pytest.fixture
def member(app, db):
    """A signed-in member's client, plus the member."""
    user = make_user(db, "alice")
    db.commit()
    client = app.test_client()
    login(client, "alice")
    return client, user


@pytest.fixture
def others_thread(db):
    """A thread by bob with one answer by carol."""
    bob, carol = make_user(db, "bob"), make_user(db, "carol")
    thread = make_thread(db, author=bob, title="The thermostat resets itself every morning")
    answer = make_answer(db, thread, author=carol, body="Check the power supply wiring.")
    db.commit()
    return {"bob": bob, "carol": carol, "thread": thread, "answer": answer}


# --- Asking ---------------------------------------------------------------------------------


def test_asking_a_question_redirects_to_the_new_thread(member, db):
    client, alice = member
    give_reputation(db, alice, TAGGER_REPUTATION)  # the question creates new tags
    category = make_category(db, "Thermostats", "thermostats")
    db.commit()

    response = client.post(
        "/ask",
        data={
            "title": "The display flickers when heating starts",
            "category": str(category.id),
            "tags": "display, Flicker",
            "body": "Every time the boiler fires the screen flickers.",
        },
    )

    fresh(db)
    thread = db.scalar(select(Thread).where(Thread.title == "The display flickers when heating starts"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/t/{thread.id}/the-display-flickers-when-heating-starts"
    assert thread.author_id == alice.id and thread.category_id == category.id
    assert [t.name for t in thread.tags] == ["display", "flicker"]
    page = text(client.get(response.headers["Location"]))
    assert "Every time the boiler fires the screen flickers." in page
    assert "Your question is posted." in page
    # The asker follows the new thread.
    assert thread_titles(text(client.get("/u/alice?tab=following"))) == [thread.title]


def test_the_ask_form_preselects_a_category_from_the_address(member, db):
    client, _ = member
    category = make_category(db, "Thermostats", "thermostats")
    db.commit()

    page = text(client.get("/ask?category=thermostats"))

    assert f'<option selected value="{category.id}">Thermostats</option>' in page


GOOD_QUESTION = {
    "title": "The display flickers when heating starts",
    "tags": "display",
    "body": "Every time the boiler fires the screen flickers.",
}


@pytest.mark.parametrize(
    ("changes", "field", "message", "kept"),
    [
        ({"title": ""}, "title", "Write a title of at least 10 characters", GOOD_QUESTION["body"]),
        ({"title": "x" * 201}, "title", "cannot be longer than 200 characters", "x" * 201),
        ({"title": "Too short"}, "title", "Write a title of at least 10 characters", "Too short"),
        ({"category": "999999"}, "category", "Choose one of the listed categories.", GOOD_QUESTION["title"]),
        ({"category": ""}, "category", "Choose one of the listed categories.", GOOD_QUESTION["title"]),
        (
            {"category": "99999999999999999999"},
            "category",
            "Choose one of the listed categories.",
            GOOD_QUESTION["title"],
        ),
        (
            {"tags": "one two three four five six"},
            "tags",
            "Use at most 5 tags (you gave 6).",
            "one two three four five six",
        ),
        ({"tags": "ok bad!tag"}, "tags", "Tag 'bad!tag' is not valid", "ok bad!tag"),
        ({"body": "b" * 50_001}, "body", "cannot be longer than 50000 characters", "b" * 50_001),
        ({"body": ""}, "body", "Write at least 10 characters.", GOOD_QUESTION["title"]),
    ],
)
def test_ask_errors_are_shown_with_the_typed_text_kept_and_nothing_created(
    member, db, changes, field, message, kept
):
    client, _ = member
    category = make_category(db, "Thermostats", "thermostats")
    db.commit()

    response = client.post("/ask", data={**GOOD_QUESTION, "category": str(category.id), **changes})

    page = html.unescape(text(response))
    assert response.status_code == 400
    assert message in " ".join(field_errors(text(response), field))
    assert kept in page
    assert "Please fix the marked fields below; nothing was saved yet." in page
    assert _count(db, Thread) == 0


def test_visitors_are_sent_to_login_to_ask(client):
    response = client.get("/ask")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fask"


# --- Answering ------------------------------------------------------------------------------


def test_answering_adds_the_answer_and_links_to_it(member, db, others_thread):
    client, _ = member
    thread = others_thread["thread"]

    response = client.post(f"/t/{thread.id}/answer", data={"body": "Replace the **batteries**."})

    fresh(db)
    post = db.scalar(select(Post).where(Post.body_md == "Replace the **batteries**."))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/p/{post.id}"
    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))
    assert "Replace the <strong>batteries</strong>." in article(page, post.id)
    assert "2 Answers" in page
    assert _reload(db, Thread, thread.id).answer_count == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Too short", "Write at least 10 characters."),
        ("", "Write at least 10 characters."),
        ("          \n   ", "Write at least 10 characters."),
        ("a" * 50_001, "cannot be longer than 50000 characters"),
    ],
)
def test_answer_errors_keep_the_text(member, db, others_thread, body, message):
    client, _ = member
    thread = others_thread["thread"]

    response = client.post(f"/t/{thread.id}/answer", data={"body": body})

    page = text(response)
    assert response.status_code == 400
    assert message in " ".join(field_errors(page, "body"))
    assert f">\r\n{body}</textarea>" in page or f">{body}</textarea>" in page
    assert thread.title in page  # the thread is shown again around the form
    assert _count(db, Post, Post.thread_id == thread.id) == 2


def test_a_member_cannot_answer_a_locked_thread(member, db, others_thread):
    client, _ = member
    thread = others_thread["thread"]
    threads.set_locked(db, make_user(db, role=Role.MODERATOR), thread, True)
    db.commit()

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))
    response = client.post(f"/t/{thread.id}/answer", data={"body": "Sneaking in an answer here."})

    assert "This thread is locked and takes no new answers." in page
    assert f'action="/t/{thread.id}/answer"' not in page
    assert response.status_code == 403
    assert _count(db, Post, Post.thread_id == thread.id) == 2


def test_staff_can_still_answer_a_locked_thread(app, db, others_thread):
    thread = others_thread["thread"]
    moderator = make_user(db, "mod", role=Role.MODERATOR)
    threads.set_locked(db, moderator, thread, True)
    db.commit()
    client = app.test_client()
    login(client, "mod")

    response = client.post(f"/t/{thread.id}/answer", data={"body": "Official: a fix ships on Monday."})

    assert response.status_code == 302
    assert _count(db, Post, Post.thread_id == thread.id) == 3


# --- Editing and deleting -------------------------------------------------------------------


def test_editing_my_answer_keeps_the_history(member, db, others_thread):
    client, alice = member
    post = make_answer(db, others_thread["thread"], author=alice, body="Turn it off.\nWait a minute.")
    db.commit()

    form = text(client.get(f"/p/{post.id}/edit"))
    response = client.post(f"/p/{post.id}/edit", data={"body": "Turn it off.\nWait five minutes."})

    assert "Turn it off.\nWait a minute.</textarea>" in form
    assert response.status_code == 302
    assert response.headers["Location"] == f"/p/{post.id}"
    thread = others_thread["thread"]
    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))
    assert "Wait five minutes." in article(page, post.id)
    assert f'class="edited" href="/p/{post.id}/revisions"' in article(page, post.id)
    history = html.unescape(text(client.get(f"/p/{post.id}/revisions")))
    assert "Revision 2" in history and "Revision 1 (original)" in history
    assert "- Wait a minute." in history and "+ Wait five minutes." in history


def test_saving_an_edit_without_changes_is_refused(member, db, others_thread):
    client, alice = member
    post = make_answer(db, others_thread["thread"], author=alice, body="Turn it off and on.")
    db.commit()

    response = client.post(f"/p/{post.id}/edit", data={"body": "Turn it off and on."})

    assert response.status_code == 400
    assert "Nothing changed" in text(response)
    assert _reload(db, Post, post.id).edit_count == 0


def test_editing_my_question_title_moves_the_canonical_address(member, db):
    client, alice = member
    thread = make_thread(db, author=alice, title="The old title of my question", body="Body of my question.")
    question = threads.question_of(db, thread)
    db.commit()

    response = client.post(
        f"/p/{question.id}/edit",
        data={
            "title": "A much better title now",
            "category": str(thread.category_id),
            "tags": "",
            "body": "Body of my question.",
        },
    )

    assert response.status_code == 302
    redirect = client.get(f"/t/{thread.id}/the-old-title-of-my-question")
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == f"/t/{thread.id}/a-much-better-title-now"


def test_editing_someone_elses_post_is_forbidden(member, db, others_thread):
    client, _ = member
    answer, thread = others_thread["answer"], others_thread["thread"]
    question = threads.question_of(db, thread)

    assert client.get(f"/p/{answer.id}/edit").status_code == 403
    assert client.post(f"/p/{answer.id}/edit", data={"body": "Vandalised answer text."}).status_code == 403
    assert client.get(f"/p/{question.id}/edit").status_code == 403
    response = client.post(
        f"/p/{question.id}/edit",
        data={
            "title": "Vandalised question title",
            "category": str(thread.category_id),
            "tags": "",
            "body": "Vandalised question body.",
        },
    )
    assert response.status_code == 403
    assert _reload(db, Post, answer.id).body_md == "Check the power supply wiring."
    assert _reload(db, Thread, thread.id).title == "The thermostat resets itself every morning"


def test_deleting_my_answer_hides_it(member, db, app, others_thread):
    client, alice = member
    thread = others_thread["thread"]
    post = make_answer(db, thread, author=alice, body="This was a bad idea of mine.")
    db.commit()

    response = client.post(f"/p/{post.id}/delete")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/t/{thread.id}/{thread.slug}"
    page = text(app.test_client().get(response.headers["Location"]))
    assert "This was a bad idea of mine." not in page
    assert _reload(db, Thread, thread.id).answer_count == 1
    assert _reload(db, Post, post.id).deleted_at is not None


def test_deleting_someone_elses_answer_is_forbidden(member, db, others_thread):
    client, _ = member
    answer = others_thread["answer"]

    assert client.post(f"/p/{answer.id}/delete").status_code == 403
    assert _reload(db, Post, answer.id).deleted_at is None


# --- Voting ---------------------------------------------------------------------------------


def _score_shown(client, thread, post) -> str:
    return article(text(client.get(f"/t/{thread.id}/{thread.slug}")), post.id)


def test_voting_up_down_and_clearing_shows_the_score(member, db, others_thread):
    client, alice = member
    give_reputation(db, alice, VOTER_REPUTATION)
    db.commit()
    thread, answer = others_thread["thread"], others_thread["answer"]
    url = f"/p/{answer.id}/vote"

    up = client.post(url, data={"value": "up"})
    assert up.status_code == 302 and up.headers["Location"] == f"/p/{answer.id}"
    shown = _score_shown(client, thread, answer)
    assert 'aria-label="Score 1"' in shown
    assert 'aria-label="Vote up" aria-pressed="true"' in shown
    assert 'aria-label="Vote down" aria-pressed="false"' in shown

    client.post(url, data={"value": "up"})  # voting the same way twice counts once
    assert 'aria-label="Score 1"' in _score_shown(client, thread, answer)

    client.post(url, data={"value": "down"})
    shown = _score_shown(client, thread, answer)
    assert 'aria-label="Score -1"' in shown
    assert 'aria-label="Vote up" aria-pressed="false"' in shown
    assert 'aria-label="Vote down" aria-pressed="true"' in shown

    client.post(url, data={"value": "clear"})
    shown = _score_shown(client, thread, answer)
    assert 'aria-label="Score 0"' in shown
    assert 'aria-pressed="true"' not in shown
    assert _count(db, Vote, Vote.value != 0) == 0  # a withdrawn vote keeps its row, at value 0


def test_a_vote_on_the_question_counts_for_the_thread(member, db, others_thread):
    client, alice = member
    give_reputation(db, alice, VOTER_REPUTATION)
    db.commit()
    thread = others_thread["thread"]
    question = threads.question_of(db, thread)

    client.post(f"/p/{question.id}/vote", data={"value": "up"})

    assert _reload(db, Thread, thread.id).score == 1
    assert "<strong>1</strong> <small>votes</small>" in text(client.get("/"))


def test_an_unknown_vote_value_is_a_bad_request(member, db, others_thread):
    client, _ = member

    assert client.post(f"/p/{others_thread['answer'].id}/vote", data={"value": "5"}).status_code == 400
    assert _count(db, Vote) == 0


def test_voting_on_my_own_post_is_forbidden(member, db, others_thread):
    client, alice = member
    mine = make_answer(db, others_thread["thread"], author=alice)
    db.commit()

    response = client.post(f"/p/{mine.id}/vote", data={"value": "up"})

    assert response.status_code == 403
    assert "You cannot vote on your own post." in text(response)
    assert _reload(db, Post, mine.id).score == 0


# --- Accepting ------------------------------------------------------------------------------


def test_the_asker_accepts_and_withdraws_an_answer(app, db, others_thread):
    thread, answer = others_thread["thread"], others_thread["answer"]
    client = app.test_client()
    login(client, "bob")

    response = client.post(f"/p/{answer.id}/accept")

    assert response.status_code == 302
    solved = _reload(db, Thread, thread.id)
    assert solved.accepted_post_id == answer.id and solved.accepted_by_asker
    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))
    assert "✓ Accepted by the asker" in article(page, answer.id)
    assert "Withdraw acceptance" in page

    response = client.post(f"/t/{thread.id}/unaccept")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/t/{thread.id}/{thread.slug}"
    assert _reload(db, Thread, thread.id).accepted_post_id is None
    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))
    assert "Accepted by the asker" not in page and "badge solved" not in page


def test_another_member_cannot_accept_or_withdraw(member, db, others_thread):
    client, _ = member
    thread, answer = others_thread["thread"], others_thread["answer"]

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))
    assert "Accept this answer" not in page
    assert client.post(f"/p/{answer.id}/accept").status_code == 403
    assert _reload(db, Thread, thread.id).accepted_post_id is None

    bob_client = client.application.test_client()
    login(bob_client, "bob")
    bob_client.post(f"/p/{answer.id}/accept")
    assert client.post(f"/t/{thread.id}/unaccept").status_code == 403
    assert _reload(db, Thread, thread.id).accepted_post_id == answer.id


def test_the_question_itself_cannot_be_accepted(app, db, others_thread):
    thread = others_thread["thread"]
    client = app.test_client()
    login(client, "bob")

    response = client.post(f"/p/{threads.question_of(db, thread).id}/accept")

    assert response.status_code == 400
    assert _reload(db, Thread, thread.id).accepted_post_id is None


# --- Following ------------------------------------------------------------------------------


def test_follow_and_unfollow_show_on_the_profile(member, db, others_thread):
    client, _ = member
    thread = others_thread["thread"]

    response = client.post(f"/t/{thread.id}/follow", data={"follow": "1"})

    assert response.status_code == 302
    assert thread_titles(text(client.get("/u/alice?tab=following"))) == [thread.title]
    assert "Following ✓ — stop" in text(client.get(f"/t/{thread.id}/{thread.slug}"))
    client.post(f"/t/{thread.id}/follow", data={"follow": "1"})  # following twice is harmless
    assert _count(db, Follow, Follow.thread_id == thread.id) == 2  # bob (the asker) and alice

    client.post(f"/t/{thread.id}/follow", data={"follow": "0"})

    following = text(client.get("/u/alice?tab=following"))
    assert thread_titles(following) == []
    assert "Not following any threads yet." in following


# --- Visitors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/ask", {"title": "A visitor question title", "category": "1", "body": "Visitor body text."}),
        ("/t/{thread}/answer", {"body": "A visitor answer text."}),
        ("/p/{answer}/edit", {"body": "A visitor edit text."}),
        ("/p/{answer}/delete", {}),
        ("/p/{answer}/vote", {"value": "up"}),
        ("/p/{answer}/accept", {}),
        ("/t/{thread}/unaccept", {}),
        ("/t/{thread}/follow", {"follow": "1"}),
        ("/t/{thread}/lock", {"locked": "1"}),
    ],
)
def test_visitor_posts_are_sent_to_login_and_change_nothing(client, db, others_thread, path, data):
    thread, answer = others_thread["thread"], others_thread["answer"]
    path = path.format(thread=thread.id, answer=answer.id)

    response = client.post(path, data=data)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert _count(db, Post) == 2
    assert _count(db, Vote) == 0
    assert _count(db, Follow) == 1
    after = _reload(db, Thread, thread.id)
    assert after.accepted_post_id is None and not after.is_locked and after.deleted_at is None
    assert _reload(db, Post, answer.id).body_md == "Check the power supply wiring."
