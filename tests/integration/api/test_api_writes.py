"""The write operations: each calls the service the web page calls, with the token owner's rights,
answers as its document says, and leaves the database as it was when it refuses."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from community import accepting, suspensions, threads, voting
from community.models import Follow, Post, PostRevision, Role, Thread, User, Vote
from community.rules import current
from tests.factories import VOTER_REPUTATION, make_answer, make_category, make_thread, make_user
from tests.integration.api.contract import app_with, conforms, problem, token
from tests.integration.helpers import fresh, login

THREADS = "/api/v1/threads"
THREAD = "/api/v1/threads/{thread_id}"
ANSWERS = "/api/v1/threads/{thread_id}/answers"
ACCEPTED = "/api/v1/threads/{thread_id}/accepted-answer"
POST = "/api/v1/posts/{post_id}"
VOTE = "/api/v1/posts/{post_id}/vote"
WRITES = [
    ("POST", THREADS),
    ("PATCH", THREAD),
    ("POST", ANSWERS),
    ("PUT", ACCEPTED),
    ("DELETE", ACCEPTED),
    ("PATCH", POST),
    ("DELETE", POST),
    ("PUT", VOTE),
    ("DELETE", VOTE),
]
MISSING = 999_999
HELPER_REPUTATION = 100  # room both ways, so vote points are never cut off by the floor of 1


@pytest.fixture
def scene(db):
    """bob asked in Heating and carol answered; alice may vote both ways; staff and a moderator."""
    heating = make_category(db, name="Heating", slug="heating")
    plumbing = make_category(db, name="Plumbing", slug="plumbing")
    bob = make_user(db, "bob")
    carol = make_user(db, "carol", reputation=HELPER_REPUTATION)
    alice = make_user(db, "alice", reputation=VOTER_REPUTATION)
    staffer = make_user(db, "staffer", role=Role.STAFF)
    mod = make_user(db, "mod", role=Role.MODERATOR)
    thread = make_thread(db, author=bob, category=heating, title="The thermostat resets itself every morning")
    question = threads.question_of(db, thread)
    answer = make_answer(db, thread, author=carol, body="Check the power supply wiring first.")
    make_thread(db, category=plumbing, tags="boiler")  # the tag exists, so anyone may use it
    db.commit()
    return SimpleNamespace(
        heating=heating, plumbing=plumbing, bob=bob, carol=carol, alice=alice, staffer=staffer, mod=mod,
        thread=thread, question=question, answer=answer,
    )


def write(db, user) -> dict:
    return token(db, user, "write")


def read_only(db, user) -> dict:
    return token(db, user, "read")


def reload(db, model, ident):
    return fresh(db).get(model, ident)


def count(db, model, *where) -> int:
    return fresh(db).scalar(select(func.count()).select_from(model).where(*where))


def fields(body: dict) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


# --- The document ------------------------------------------------------------------------------


def test_every_write_is_documented_with_the_write_scope_and_its_refusals(app):
    spec = app.api_doc
    for method, rule in WRITES:
        operation = spec["paths"][rule][method.lower()]
        assert operation["security"] == [{"bearerAuth": ["write"]}], rule
        assert operation["summary"] and operation["description"] and operation["tags"], rule
        expected = {"401", "403", "422", "429"} | ({"404"} if "{" in rule else set())
        assert expected <= set(operation["responses"]), (method, rule)
    assert spec["paths"][POST]["get"]["security"] == [{"bearerAuth": []}, {}]
    # The limits clients read are the service's own.
    ask = spec["components"]["schemas"]["AskBody"]["properties"]
    assert (ask["title"]["minLength"], ask["title"]["maxLength"]) == (threads.MIN_TITLE, threads.MAX_TITLE)
    assert (ask["body"]["minLength"], ask["body"]["maxLength"]) == (threads.MIN_BODY, threads.MAX_BODY)
    created = spec["paths"][THREADS]["post"]["responses"]["201"]
    assert created["headers"]["Location"]["required"]


# --- Asking ------------------------------------------------------------------------------------


def question_data(scene, **changes) -> dict:
    data = {
        "title": "How do I bleed the upstairs radiators",
        "body": "They stay cold at the top even with the heating on full.",
        "category_id": scene.heating.id,
        "tags": ["Boiler"],
    }
    return {**data, **changes}


def test_asking_creates_the_thread_its_location_points_to(app, client, db, scene):
    headers = write(db, scene.alice)

    response = client.post(THREADS, json=question_data(scene), headers=headers)

    body = conforms(app, response, "POST", THREADS)
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/v1/threads/{body['id']}"
    assert body["title"] == "How do I bleed the upstairs radiators" and body["tags"] == ["boiler"]
    assert body["category"]["slug"] == "heating" and body["answers"] == [] and not body["solved"]
    assert body["question"]["author"]["username"] == "alice" and body["question"]["can_edit"]
    assert not body["question"]["held_for_review"]
    thread = reload(db, Thread, body["id"])
    assert thread.author_id == scene.alice.id and thread.category_id == scene.heating.id
    assert fresh(db).get(Follow, (scene.alice.id, thread.id)) is not None  # the asker follows it, as on the web
    shown = client.get(response.headers["Location"])  # a visitor sees it at once
    assert conforms(app, shown, "GET", THREAD)["id"] == body["id"]


def test_asking_without_write_rights_or_while_suspended_saves_nothing(app, client, db, scene):
    before = count(db, Thread)
    problem(app, client.post(THREADS, json=question_data(scene)), "POST", THREADS, 401)
    refused = problem(app, client.post(THREADS, json=question_data(scene), headers=read_only(db, scene.alice)), "POST", THREADS, 403)
    assert "write scope" in refused["detail"]
    headers = write(db, scene.alice)
    suspensions.suspend(db, scene.mod, scene.alice, days=3, reason="Rude to other members.")
    db.commit()
    refused = problem(app, client.post(THREADS, json=question_data(scene), headers=headers), "POST", THREADS, 403)
    assert "suspended" in refused["detail"]
    assert count(db, Thread) == before


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": "Too short"}, "title"),
        ({"title": "            "}, "title"),  # long enough for the schema; the service trims it first
        ({"body": "x" * (threads.MAX_BODY + 1)}, "body"),
        ({"body": None}, "body"),
        ({"category_id": MISSING}, "category_id"),  # the service's "category", under the API's name
        ({"category_id": "1"}, "category_id"),
        ({"tags": ["a-brand-new-tag"]}, "tags"),  # creating a tag needs reputation
        ({"tags": ["not valid!"]}, "tags"),
    ],
)
def test_an_invalid_question_names_its_field_and_saves_nothing(app, client, db, scene, changes, field):
    data = {k: v for k, v in question_data(scene, **changes).items() if v is not None}
    before = count(db, Thread)

    response = client.post(THREADS, json=data, headers=write(db, scene.alice))

    assert fields(problem(app, response, "POST", THREADS, 422)) == [field]
    assert count(db, Thread) == before


def test_a_body_that_is_not_json_is_a_422_problem(app, client, db, scene):
    headers = write(db, scene.alice)
    before = count(db, Thread)
    form = client.post(THREADS, data={"title": "How do I bleed the radiators", "body": "They stay cold."}, headers=headers)
    broken = client.post(THREADS, data='{"title": "How do I', content_type="application/json", headers=headers)
    for response in (form, broken):
        problem(app, response, "POST", THREADS, 422)
    assert count(db, Thread) == before


def test_a_question_the_spam_hold_keeps_back_is_saved_and_says_so(app, client, db, scene):
    newcomer = make_user(db, "newcomer")
    data = question_data(scene, tags=[])
    make_thread(db, author=newcomer, category=scene.heating, title=data["title"], body=data["body"])
    headers = write(db, newcomer)

    response = client.post(THREADS, json=data, headers=headers)  # the same question again: likely spam

    body = conforms(app, response, "POST", THREADS)
    assert response.status_code == 201 and body["question"]["held_for_review"]
    assert reload(db, Thread, body["id"]).is_hidden
    assert client.get(response.headers["Location"]).status_code == 404  # nobody else sees it yet
    assert client.get(response.headers["Location"], headers=headers).status_code == 200


# --- Retitling, moving and retagging a thread ----------------------------------------------------


def test_the_asker_retitles_moves_and_retags_the_thread(app, client, db, scene):
    url = THREAD.format(thread_id=scene.thread.id)
    headers = write(db, scene.bob)
    changes = {"title": "The thermostat loses its schedule every night", "category_id": scene.plumbing.id, "tags": ["boiler"]}

    body = conforms(app, client.patch(url, json=changes, headers=headers), "PATCH", THREAD)

    assert body["title"] == changes["title"] and body["category"]["slug"] == "plumbing" and body["tags"] == ["boiler"]
    assert body["question"]["body_markdown"] == "Details of the question here."  # the text is left alone
    thread = reload(db, Thread, scene.thread.id)
    assert (thread.title, thread.category_id) == (changes["title"], scene.plumbing.id)
    # Only what is sent changes: the title and category stay, the tags go.
    body = conforms(app, client.patch(url, json={"tags": []}, headers=headers), "PATCH", THREAD)
    assert (body["title"], body["category"]["slug"], body["tags"]) == (changes["title"], "plumbing", [])
    assert count(db, PostRevision, PostRevision.post_id == scene.question.id) == 3  # asked, then two edits


def test_retitling_is_refused_to_others_and_a_bad_change_names_its_field(app, client, db, scene):
    url = THREAD.format(thread_id=scene.thread.id)
    title = {"title": "Somebody else's better title for this"}
    problem(app, client.patch(url, json=title), "PATCH", THREAD, 401)
    problem(app, client.patch(url, json=title, headers=read_only(db, scene.bob)), "PATCH", THREAD, 403)
    problem(app, client.patch(url, json=title, headers=write(db, scene.alice)), "PATCH", THREAD, 403)
    problem(app, client.patch(THREAD.format(thread_id=MISSING), json=title, headers=write(db, scene.bob)), "PATCH", THREAD, 404)
    headers = write(db, scene.bob)
    for changes, field in (({"title": "Short"}, "title"), ({"category_id": MISSING}, "category_id")):
        assert fields(problem(app, client.patch(url, json=changes, headers=headers), "PATCH", THREAD, 422)) == [field]
    unchanged = problem(app, client.patch(url, json={}, headers=headers), "PATCH", THREAD, 422)
    assert "Nothing changed" in unchanged["detail"]
    thread = reload(db, Thread, scene.thread.id)
    assert (thread.title, thread.category_id) == ("The thermostat resets itself every morning", scene.heating.id)


def test_staff_retitle_any_thread_and_a_lock_stops_the_asker(app, client, db, scene):
    url = THREAD.format(thread_id=scene.thread.id)
    staff_title = {"title": "Thermostat resets itself every morning (model T3)"}
    assert conforms(app, client.patch(url, json=staff_title, headers=write(db, scene.staffer)), "PATCH", THREAD)["title"] == staff_title["title"]
    threads.set_locked(db, scene.mod, reload(db, Thread, scene.thread.id), True)
    db.commit()
    refused = client.patch(url, json={"title": "The asker's title after the lock"}, headers=write(db, scene.bob))
    problem(app, refused, "PATCH", THREAD, 403)
    assert reload(db, Thread, scene.thread.id).title == staff_title["title"]
    moved = client.patch(url, json={"category_id": scene.plumbing.id}, headers=write(db, scene.mod))
    assert conforms(app, moved, "PATCH", THREAD)["category"]["slug"] == "plumbing"


# --- Answering ---------------------------------------------------------------------------------


def test_answering_adds_the_answer_its_location_points_to(app, client, db, scene):
    url = ANSWERS.format(thread_id=scene.thread.id)

    response = client.post(url, json={"body": "Replace the backup battery in the thermostat."}, headers=write(db, scene.alice))

    body = conforms(app, response, "POST", ANSWERS)
    assert response.status_code == 201 and response.headers["Location"] == f"/api/v1/posts/{body['id']}"
    assert body["thread_id"] == scene.thread.id and not body["is_question"] and not body["held_for_review"]
    assert body["body_html"].strip() == "<p>Replace the backup battery in the thermostat.</p>"
    post = reload(db, Post, body["id"])
    assert post.author_id == scene.alice.id and post.body_md == "Replace the backup battery in the thermostat."
    assert reload(db, Thread, scene.thread.id).answer_count == 2
    assert conforms(app, client.get(response.headers["Location"]), "GET", POST)["id"] == body["id"]


def test_answer_refusals_save_nothing(app, client, db, scene):
    url = ANSWERS.format(thread_id=scene.thread.id)
    data = {"body": "Replace the backup battery in the thermostat."}
    before = count(db, Post)
    problem(app, client.post(url, json=data), "POST", ANSWERS, 401)
    problem(app, client.post(url, json=data, headers=read_only(db, scene.alice)), "POST", ANSWERS, 403)
    headers = write(db, scene.alice)
    problem(app, client.post(ANSWERS.format(thread_id=MISSING), json=data, headers=headers), "POST", ANSWERS, 404)
    assert fields(problem(app, client.post(url, json={"body": "Too short"}, headers=headers), "POST", ANSWERS, 422)) == ["body"]
    blank = client.post(url, json={"body": " " * 20}, headers=headers)  # long enough for the schema, empty to the service
    assert fields(problem(app, blank, "POST", ANSWERS, 422)) == ["body"]
    assert count(db, Post) == before


def test_a_locked_thread_refuses_answers_but_staff_may_still_answer(app, client, db, scene):
    threads.set_locked(db, scene.mod, reload(db, Thread, scene.thread.id), True)
    db.commit()
    url = ANSWERS.format(thread_id=scene.thread.id)
    data = {"body": "Replace the backup battery in the thermostat."}

    refused = problem(app, client.post(url, json=data, headers=write(db, scene.alice)), "POST", ANSWERS, 403)

    assert "locked" in refused["detail"]
    assert count(db, Post, Post.author_id == scene.alice.id) == 0
    staff = client.post(url, json=data, headers=write(db, scene.staffer))
    assert conforms(app, staff, "POST", ANSWERS)["is_official"]


def test_a_held_answer_is_saved_not_counted_and_says_so(app, client, db, scene):
    newcomer = make_user(db, "newcomer")
    repeated = "Have you tried turning the boiler off and on?"
    make_answer(db, scene.thread, author=newcomer, body=repeated)
    headers = write(db, newcomer)

    response = client.post(ANSWERS.format(thread_id=scene.thread.id), json={"body": repeated}, headers=headers)

    body = conforms(app, response, "POST", ANSWERS)
    assert response.status_code == 201 and body["held_for_review"]
    assert reload(db, Thread, scene.thread.id).answer_count == 2  # carol's and the first, not the held one
    assert client.get(response.headers["Location"]).status_code == 404
    assert client.get(response.headers["Location"], headers=headers).status_code == 200


# --- Reading one post ---------------------------------------------------------------------------


def test_a_post_reads_with_what_the_caller_may_do_with_it(app, client, db, scene):
    url = POST.format(post_id=scene.answer.id)
    visitor = conforms(app, client.get(url), "GET", POST)
    assert visitor["author"]["username"] == "carol" and visitor["my_vote"] == 0
    assert not visitor["can_edit"] and not visitor["can_delete"]
    author = conforms(app, client.get(url, headers=read_only(db, scene.carol)), "GET", POST)
    assert author["can_edit"] and author["can_delete"]
    voting.cast_vote(db, scene.alice, reload(db, Post, scene.answer.id), 1)
    db.commit()
    assert conforms(app, client.get(url, headers=read_only(db, scene.alice)), "GET", POST)["my_vote"] == 1
    problem(app, client.get(POST.format(post_id=MISSING)), "GET", POST, 404)


def test_a_deleted_post_is_not_found_except_by_staff(app, client, db, scene):
    threads.delete_post(db, scene.carol, reload(db, Post, scene.answer.id))
    db.commit()
    url = POST.format(post_id=scene.answer.id)
    problem(app, client.get(url), "GET", POST, 404)
    problem(app, client.get(url, headers=read_only(db, scene.alice)), "GET", POST, 404)
    assert conforms(app, client.get(url, headers=read_only(db, scene.staffer)), "GET", POST)["id"] == scene.answer.id


# --- Editing a post ----------------------------------------------------------------------------


def test_the_author_edits_an_answer_and_its_history_keeps_the_old_text(app, client, db, scene):
    url = POST.format(post_id=scene.answer.id)

    body = conforms(app, client.patch(url, json={"body": "Check the **wiring**, then the fuse."}, headers=write(db, scene.carol)), "PATCH", POST)

    assert body["body_markdown"] == "Check the **wiring**, then the fuse." and body["edited_at"] is not None
    assert "<strong>wiring</strong>" in body["body_html"]
    assert reload(db, Post, scene.answer.id).body_md == "Check the **wiring**, then the fuse."
    old = fresh(db).scalars(select(PostRevision.body_md).where(PostRevision.post_id == scene.answer.id)).all()
    assert "Check the power supply wiring first." in old and len(old) == 2


def test_editing_the_question_text_keeps_its_title_and_tags(app, client, db, scene):
    url = POST.format(post_id=scene.question.id)

    body = conforms(app, client.patch(url, json={"body": "It resets at 6am, after the boiler starts."}, headers=write(db, scene.bob)), "PATCH", POST)

    assert body["is_question"] and body["body_markdown"] == "It resets at 6am, after the boiler starts."
    thread = reload(db, Thread, scene.thread.id)
    assert thread.title == "The thermostat resets itself every morning" and thread.category_id == scene.heating.id


def test_edit_refusals_change_nothing(app, client, db, scene):
    url = POST.format(post_id=scene.answer.id)
    data = {"body": "Someone else's idea of a better answer."}
    problem(app, client.patch(url, json=data), "PATCH", POST, 401)
    problem(app, client.patch(url, json=data, headers=read_only(db, scene.carol)), "PATCH", POST, 403)
    problem(app, client.patch(url, json=data, headers=write(db, scene.alice)), "PATCH", POST, 403)
    headers = write(db, scene.carol)
    problem(app, client.patch(POST.format(post_id=MISSING), json=data, headers=headers), "PATCH", POST, 404)
    assert fields(problem(app, client.patch(url, json={"body": "Short"}, headers=headers), "PATCH", POST, 422)) == ["body"]
    same = problem(app, client.patch(url, json={"body": "Check the power supply wiring first."}, headers=headers), "PATCH", POST, 422)
    assert "Nothing changed" in same["detail"]
    post = reload(db, Post, scene.answer.id)
    assert post.body_md == "Check the power supply wiring first." and post.edit_count == 0


def test_staff_and_members_with_the_edit_privilege_edit_others_posts(app, client, db, scene):
    url = POST.format(post_id=scene.answer.id)
    by_staff = client.patch(url, json={"body": "Check the wiring (see the manual, page 12)."}, headers=write(db, scene.staffer))
    assert conforms(app, by_staff, "PATCH", POST)["body_markdown"] == "Check the wiring (see the manual, page 12)."
    editor = make_user(db, "editor", reputation=current().privileges["edit_others"])
    by_editor = client.patch(url, json={"body": "Check the wiring (manual, page 12)."}, headers=write(db, editor))
    assert conforms(app, by_editor, "PATCH", POST)["body_markdown"] == "Check the wiring (manual, page 12)."
    assert reload(db, Post, scene.answer.id).edit_count == 2


# --- Deleting a post ---------------------------------------------------------------------------


def test_the_author_deletes_an_answer(app, client, db, scene):
    url = POST.format(post_id=scene.answer.id)

    response = client.delete(url, headers=write(db, scene.carol))

    assert response.status_code == 204
    conforms(app, response, "DELETE", POST)  # documented without a body, and sent without one
    assert reload(db, Post, scene.answer.id).is_deleted
    assert reload(db, Thread, scene.thread.id).answer_count == 0
    problem(app, client.get(url), "GET", POST, 404)


def test_only_the_author_or_a_moderator_deletes_a_post(app, client, db, scene):
    url = POST.format(post_id=scene.answer.id)
    problem(app, client.delete(url), "DELETE", POST, 401)
    problem(app, client.delete(url, headers=read_only(db, scene.carol)), "DELETE", POST, 403)
    problem(app, client.delete(url, headers=write(db, scene.alice)), "DELETE", POST, 403)
    problem(app, client.delete(url, headers=write(db, scene.staffer)), "DELETE", POST, 403)  # as on the web: moderators only
    problem(app, client.delete(POST.format(post_id=MISSING), headers=write(db, scene.mod)), "DELETE", POST, 404)
    assert not reload(db, Post, scene.answer.id).is_deleted
    assert client.delete(url, headers=write(db, scene.mod)).status_code == 204
    assert reload(db, Post, scene.answer.id).is_deleted


def test_deleting_the_question_deletes_the_thread(app, client, db, scene):
    response = client.delete(POST.format(post_id=scene.question.id), headers=write(db, scene.bob))

    assert response.status_code == 204
    assert reload(db, Thread, scene.thread.id).is_deleted
    problem(app, client.get(THREAD.format(thread_id=scene.thread.id)), "GET", THREAD, 404)


# --- Voting ------------------------------------------------------------------------------------


def test_voting_changes_the_score_and_the_authors_reputation(app, client, db, scene):
    url = VOTE.format(post_id=scene.answer.id)
    headers = write(db, scene.alice)
    rules = current()

    up = conforms(app, client.put(url, json={"value": 1}, headers=headers), "PUT", VOTE)

    assert up == {"post_id": scene.answer.id, "score": 1, "my_vote": 1}
    assert reload(db, Post, scene.answer.id).score == 1
    assert reload(db, User, scene.carol.id).reputation == HELPER_REPUTATION + rules.answer_upvoted
    down = conforms(app, client.put(url, json={"value": -1}, headers=headers), "PUT", VOTE)
    assert (down["score"], down["my_vote"]) == (-1, -1)
    assert reload(db, User, scene.carol.id).reputation == HELPER_REPUTATION + rules.downvoted
    assert reload(db, User, scene.alice.id).reputation == VOTER_REPUTATION + rules.downvote_cost
    cleared = conforms(app, client.delete(url, headers=headers), "DELETE", VOTE)
    assert (cleared["score"], cleared["my_vote"]) == (0, 0)
    assert reload(db, User, scene.carol.id).reputation == HELPER_REPUTATION
    assert reload(db, User, scene.alice.id).reputation == VOTER_REPUTATION


def test_vote_refusals_leave_the_score_alone(app, client, db, scene):
    answer_url = VOTE.format(post_id=scene.answer.id)
    question_url = VOTE.format(post_id=scene.question.id)
    problem(app, client.put(answer_url, json={"value": 1}), "PUT", VOTE, 401)
    problem(app, client.delete(answer_url), "DELETE", VOTE, 401)
    problem(app, client.put(answer_url, json={"value": 1}, headers=read_only(db, scene.alice)), "PUT", VOTE, 403)
    own = problem(app, client.put(answer_url, json={"value": 1}, headers=write(db, scene.carol)), "PUT", VOTE, 403)
    assert "your own post" in own["detail"]
    headers = write(db, scene.alice)
    down = problem(app, client.put(question_url, json={"value": -1}, headers=headers), "PUT", VOTE, 403)
    assert "Questions cannot be voted down" in down["detail"]
    novice = problem(app, client.put(answer_url, json={"value": 1}, headers=write(db, scene.bob)), "PUT", VOTE, 403)
    assert "reputation" in novice["detail"]
    problem(app, client.put(VOTE.format(post_id=MISSING), json={"value": 1}, headers=headers), "PUT", VOTE, 404)
    for value in (0, 2, True, "1", 1.0):
        assert fields(problem(app, client.put(answer_url, json={"value": value}, headers=headers), "PUT", VOTE, 422)) == ["value"]
    assert reload(db, Post, scene.answer.id).score == 0 and count(db, Vote) == 0


# --- Accepting ---------------------------------------------------------------------------------


def test_the_asker_accepts_an_answer_which_then_comes_first(app, client, db, scene):
    better = make_answer(db, scene.thread, author=scene.alice, body="Update the firmware to 2.1.")
    voting.cast_vote(db, scene.staffer, scene.answer, 1)  # carol's answer leads on votes
    db.commit()
    url = ACCEPTED.format(thread_id=scene.thread.id)
    carol_before = reload(db, User, scene.carol.id).reputation
    alice_before = reload(db, User, scene.alice.id).reputation

    body = conforms(app, client.put(url, json={"post_id": better.id}, headers=write(db, scene.bob)), "PUT", ACCEPTED)

    assert body["solved"] and body["accepted_post_id"] == better.id and body["accepted_answer"]["is_accepted"]
    assert reload(db, Thread, scene.thread.id).accepted_post_id == better.id
    assert reload(db, User, scene.alice.id).reputation == alice_before + current().answer_accepted
    shown = conforms(app, client.get(THREAD.format(thread_id=scene.thread.id)), "GET", THREAD)
    assert shown["accepted_answer"]["id"] == better.id and [a["id"] for a in shown["answers"]] == [scene.answer.id]
    # Another accept replaces the first, moving the points with it.
    body = conforms(app, client.put(url, json={"post_id": scene.answer.id}, headers=write(db, scene.bob)), "PUT", ACCEPTED)
    assert body["accepted_answer"]["id"] == scene.answer.id
    assert reload(db, User, scene.alice.id).reputation == alice_before
    assert reload(db, User, scene.carol.id).reputation == carol_before + current().answer_accepted


def test_withdrawing_the_accepted_answer_reopens_the_thread(app, client, db, scene):
    accepting.accept_answer(db, scene.bob, reload(db, Post, scene.answer.id))
    db.commit()
    url = ACCEPTED.format(thread_id=scene.thread.id)
    solved_reputation = reload(db, User, scene.carol.id).reputation
    problem(app, client.delete(url, headers=write(db, scene.alice)), "DELETE", ACCEPTED, 403)
    assert reload(db, Thread, scene.thread.id).accepted_post_id == scene.answer.id

    body = conforms(app, client.delete(url, headers=write(db, scene.bob)), "DELETE", ACCEPTED)

    assert not body["solved"] and body["accepted_answer"] is None
    assert reload(db, Thread, scene.thread.id).accepted_post_id is None
    assert reload(db, User, scene.carol.id).reputation == solved_reputation - current().answer_accepted


def test_only_the_asker_or_staff_accept_and_only_an_answer_of_the_thread(app, client, db, scene):
    url = ACCEPTED.format(thread_id=scene.thread.id)
    data = {"post_id": scene.answer.id}
    problem(app, client.put(url, json=data), "PUT", ACCEPTED, 401)
    problem(app, client.put(url, json=data, headers=read_only(db, scene.bob)), "PUT", ACCEPTED, 403)
    refused = problem(app, client.put(url, json=data, headers=write(db, scene.alice)), "PUT", ACCEPTED, 403)
    assert "asker or staff" in refused["detail"]
    headers = write(db, scene.bob)
    problem(app, client.put(ACCEPTED.format(thread_id=MISSING), json=data, headers=headers), "PUT", ACCEPTED, 404)
    elsewhere = make_answer(db, make_thread(db), body="An answer on another thread entirely.")
    db.commit()
    for post_id in (elsewhere.id, MISSING):
        wrong = problem(app, client.put(url, json={"post_id": post_id}, headers=headers), "PUT", ACCEPTED, 422)
        assert fields(wrong) == ["post_id"] and f"not an answer in thread {scene.thread.id}" in wrong["detail"]
    question = problem(app, client.put(url, json={"post_id": scene.question.id}, headers=headers), "PUT", ACCEPTED, 422)
    assert fields(question) == ["post_id"] and "not the question" in question["detail"]
    assert reload(db, Thread, scene.thread.id).accepted_post_id is None
    by_staff = client.put(url, json=data, headers=write(db, scene.staffer))
    assert conforms(app, by_staff, "PUT", ACCEPTED)["accepted_post_id"] == scene.answer.id


# --- A suspended member ------------------------------------------------------------------------


def test_a_suspended_member_is_refused_every_write_and_nothing_changes(app, client, db, scene):
    own_thread = make_thread(db, author=scene.alice, category=scene.heating)
    own_answer = make_answer(db, own_thread, author=scene.carol)
    mine = make_answer(db, scene.thread, author=scene.alice, body="An answer written before the suspension.")
    headers = write(db, scene.alice)
    suspensions.suspend(db, scene.mod, scene.alice, reason="Rude to other members.")
    db.commit()
    requests = [
        ("POST", THREADS, THREADS, question_data(scene)),
        ("PATCH", THREAD, THREAD.format(thread_id=own_thread.id), {"title": "A new title for my own question"}),
        ("POST", ANSWERS, ANSWERS.format(thread_id=scene.thread.id), {"body": "One more answer from me."}),
        ("PUT", ACCEPTED, ACCEPTED.format(thread_id=own_thread.id), {"post_id": own_answer.id}),
        ("DELETE", ACCEPTED, ACCEPTED.format(thread_id=own_thread.id), None),
        ("PATCH", POST, POST.format(post_id=mine.id), {"body": "My answer, edited while suspended."}),
        ("DELETE", POST, POST.format(post_id=mine.id), None),
        ("PUT", VOTE, VOTE.format(post_id=scene.answer.id), {"value": 1}),
        ("DELETE", VOTE, VOTE.format(post_id=scene.answer.id), None),
    ]
    assert {(method, rule) for method, rule, _, _ in requests} == set(WRITES)
    before = {model: count(db, model) for model in (Thread, Post, PostRevision, Vote)}
    for method, rule, url, data in requests:
        response = client.open(url, method=method, json=data, headers=headers)
        assert "suspended" in problem(app, response, method, rule, 403)["detail"], (method, url)
    assert {model: count(db, model) for model in before} == before
    assert reload(db, Thread, own_thread.id).accepted_post_id is None
    assert not reload(db, Post, mine.id).is_deleted


# --- Rate limits -------------------------------------------------------------------------------


@pytest.fixture
def limited_app(database_url, tmp_path):
    with app_with(
        database_url,
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_NEW_ACCOUNT_POSTS="2 per day",
        RATELIMIT_API_WRITE="4 per minute",
    ) as app:
        yield app


def test_a_new_account_has_one_daily_post_budget_across_the_web_and_the_api(limited_app, db):
    thread = make_thread(db)
    newcomer = make_user(db, "newcomer")
    db.commit()
    web, api = limited_app.test_client(), limited_app.test_client()
    login(web, "newcomer")
    assert web.post(f"/t/{thread.id}/answer", data={"body": "A first answer, from the web."}).status_code == 302
    url = ANSWERS.format(thread_id=thread.id)
    headers = write(db, newcomer)
    # A refused body is not a post: it does not count.
    assert api.post(url, json={"body": "   too short   "}, headers=headers).status_code == 422
    assert api.post(url, json={"body": "A second answer, from the API."}, headers=headers).status_code == 201

    refused = api.post(THREADS, json={"title": "A third post today from a newcomer", "body": "Details.  More details.",
                                      "category_id": thread.category_id}, headers=write(db, newcomer))  # a second token too

    problem(limited_app, refused, "POST", THREADS, 429)
    assert int(refused.headers["Retry-After"]) > 0
    assert count(db, Post, Post.author_id == newcomer.id) == 2


def test_an_established_member_is_held_only_to_the_api_write_budget(limited_app, db):
    thread = make_thread(db)
    regular = make_user(db, "regular", reputation=current().new_account_reputation)
    headers = write(db, regular)
    client = limited_app.test_client()
    url = ANSWERS.format(thread_id=thread.id)

    statuses = [client.post(url, json={"body": f"Answer number {n} from a regular."}, headers=headers).status_code for n in range(5)]

    # Past the new account's 2 a day, and stopped by the API's 4 writes a minute, which still apply.
    assert statuses == [201, 201, 201, 201, 429]
