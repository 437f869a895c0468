"""What visitors and members read: lists, threads, profiles, history, and the friendly errors."""

import html
from datetime import timedelta

import pytest

from community import accepting, accounts, threads
from community.db import utcnow
from community.models import Role
from tests.factories import (
    add_votes,
    make_answer,
    make_category,
    make_thread,
    make_user,
    set_thread_times,
)
from tests.integration.helpers import article, login, text, thread_titles

# --- Reading pages --------------------------------------------------------------------------


def test_a_visitor_can_read_the_home_page(client, db):
    category = make_category(db, "Thermostats", "thermostats")
    make_thread(db, category=category, title="The display stays blank after install")
    db.commit()

    response = client.get("/")

    page = text(response)
    assert response.status_code == 200
    assert thread_titles(page) == ["The display stays blank after install"]
    assert 'href="/c/thermostats"' in page
    assert "1 questions so far, 0 solved." in page


def test_a_category_page_lists_only_its_own_threads(client, db):
    mine = make_category(db, "Thermostats", "thermostats")
    other = make_category(db, "Billing", "billing")
    make_thread(db, category=mine, title="The display stays blank after install")
    make_thread(db, category=other, title="I was charged twice this month")
    db.commit()

    response = client.get("/c/thermostats")

    assert response.status_code == 200
    assert "<h1>Thermostats</h1>" in text(response)
    assert thread_titles(text(response)) == ["The display stays blank after install"]


def test_a_thread_is_shown_at_its_canonical_address(client, db):
    thread = make_thread(db, title="The display stays blank after install", body="Nothing shows at all.")
    answer = make_answer(db, thread, body="Check the **wiring** first.")
    db.commit()
    canonical = f"/t/{thread.id}/the-display-stays-blank-after-install"
    assert thread.slug == "the-display-stays-blank-after-install"

    response = client.get(canonical)

    page = text(response)
    assert response.status_code == 200
    assert f'<link rel="canonical" href="http://localhost{canonical}">' in page
    assert "Nothing shows at all." in page
    assert "<strong>wiring</strong>" in article(page, answer.id)
    assert "1 Answer" in page


@pytest.mark.parametrize("path", ["/t/{id}", "/t/{id}/wrong-slug", "/t/{id}/the-display"])
def test_other_thread_addresses_redirect_permanently_to_the_canonical_one(client, db, path):
    thread = make_thread(db, title="The display stays blank after install")
    db.commit()

    response = client.get(path.format(id=thread.id))

    assert response.status_code == 301
    assert response.headers["Location"] == f"/t/{thread.id}/the-display-stays-blank-after-install"


def test_the_canonical_redirect_keeps_only_the_page_argument(client, db):
    thread = make_thread(db, title="The display stays blank after install")
    db.commit()

    response = client.get(f"/t/{thread.id}/old?page=2&utm=x")

    assert response.status_code == 301
    assert response.headers["Location"] == f"/t/{thread.id}/the-display-stays-blank-after-install?page=2"


def test_a_post_link_redirects_to_the_post_on_its_thread(client, db):
    thread = make_thread(db, title="The display stays blank after install")
    answer = make_answer(db, thread)
    db.commit()

    response = client.get(f"/p/{answer.id}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/t/{thread.id}/{thread.slug}#post-{answer.id}"


def _profile_scene(db):
    """alice asks one thread, answers another and follows a third."""
    alice, bob = make_user(db, "alice"), make_user(db, "bob")
    asked = make_thread(db, author=alice, title="Alice asks about the boiler pressure")
    answered = make_thread(db, author=bob, title="Bob wonders about away mode timing")
    followed = make_thread(db, author=bob, title="Bob reports a firmware update loop")
    make_answer(db, answered, author=alice, body="Away mode starts after two hours.")
    threads.follow(db, alice, followed)
    db.commit()
    return asked, answered, followed


def test_a_profile_shows_activity_questions_answers_and_following_tabs(client, db):
    asked, answered, followed = _profile_scene(db)

    activity = client.get("/u/alice")
    questions = client.get("/u/alice?tab=questions")
    answers = client.get("/u/alice?tab=answers")
    following = client.get("/u/alice?tab=following")

    assert activity.status_code == questions.status_code == answers.status_code == following.status_code == 200
    # Recent activity lists both what the member asked and what they answered.
    assert asked.title in text(activity) and answered.title in text(activity)
    assert followed.title not in text(activity)
    assert thread_titles(text(questions)) == [asked.title]
    assert answered.title in text(answers)
    assert asked.title not in text(answers) and followed.title not in text(answers)
    # The asker follows their own thread automatically.
    assert sorted(thread_titles(text(following))) == sorted([asked.title, followed.title])
    assert "<dt>Questions</dt><dd>1</dd>" in text(questions)
    assert "<dt>Answers</dt><dd>1</dd>" in text(questions)


def test_a_profile_is_found_whatever_the_case_of_the_name(client, db):
    make_user(db, "alice")
    db.commit()

    assert client.get("/u/ALICE").status_code == 200


def test_an_unknown_profile_tab_is_not_found(client, db):
    make_user(db, "alice")
    db.commit()

    assert client.get("/u/alice?tab=secrets").status_code == 404


def test_the_revision_history_shows_every_version(client, db):
    author = make_user(db, "alice")
    thread = make_thread(
        db, author=author, title="The heating clicks every minute", body="First line.\nSecond line."
    )
    question = threads.question_of(db, thread)
    threads.edit_post(
        db,
        author,
        question,
        body="First line.\nA better second line.",
        title="The heating clicks every minute at night",
    )
    db.commit()

    response = client.get(f"/p/{question.id}/revisions")

    page = html.unescape(text(response))
    assert response.status_code == 200
    assert "2 versions of this question" in page
    assert "Revision 2" in page
    assert "Revision 1 (original)" in page
    assert page.index("Revision 2") < page.index("Revision 1 (original)")  # newest first
    assert (
        "<del>The heating clicks every minute</del> → <ins>The heating clicks every minute at night</ins>"
        in page
    )
    assert '<span class="removed">- Second line.</span>' in page
    assert '<span class="added">+ A better second line.</span>' in page


# --- Not found ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/t/999999", "No such thread."),
        ("/t/999999/some-slug", "No such thread."),
        ("/c/no-such-category", "No such category."),
        ("/u/nobody-here", "No such member."),
        ("/p/999999", "No such post."),
        ("/p/999999/revisions", "No such post."),
        ("/no/such/page", "That page does not exist"),
    ],
)
def test_unknown_things_get_a_friendly_not_found_page(client, path, message):
    response = client.get(path)

    page = text(response)
    assert response.status_code == 404
    assert "Page not found" in page
    assert message in page
    assert 'href="/">Go to the home page</a>' in page


# --- Filters, sorting and pages -------------------------------------------------------------


@pytest.fixture
def listed(db):
    """Three threads whose creation time, last activity and votes all order them differently."""
    category = make_category(db, "Thermostats", "thermostats")
    asker = make_user(db)
    unanswered = make_thread(db, author=asker, category=category, title="Unanswered radiator question")
    answered = make_thread(db, author=asker, category=category, title="Answered but open boiler question")
    solved = make_thread(db, author=asker, category=category, title="Solved wifi pairing question")
    make_answer(db, answered)
    accepting.accept_answer(db, asker, make_answer(db, solved))
    add_votes(db, threads.question_of(db, unanswered), 1)
    add_votes(db, threads.question_of(db, solved), 2)
    now = utcnow()
    # newest: answered, solved, unanswered; active: unanswered, answered, solved; votes: solved, unanswered, answered
    set_thread_times(
        db, unanswered, created_at=now - timedelta(days=3), last_activity_at=now - timedelta(hours=1)
    )
    set_thread_times(
        db, answered, created_at=now - timedelta(days=1), last_activity_at=now - timedelta(days=1)
    )
    set_thread_times(db, solved, created_at=now - timedelta(days=2), last_activity_at=now - timedelta(days=2))
    # Another category's thread never shows on the category page.
    make_thread(db, title="Billing question in another place")
    db.commit()
    return {"unanswered": unanswered.title, "answered": answered.title, "solved": solved.title}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["unanswered", "answered", "solved"]),
        ("?filter=all", ["unanswered", "answered", "solved"]),
        ("?filter=unanswered", ["unanswered"]),
        ("?filter=unsolved", ["unanswered", "answered"]),
        ("?filter=solved", ["solved"]),
        ("?sort=active", ["unanswered", "answered", "solved"]),
        ("?sort=newest", ["answered", "solved", "unanswered"]),
        ("?sort=votes", ["solved", "unanswered", "answered"]),
        ("?filter=unsolved&sort=newest", ["answered", "unanswered"]),
        ("?filter=unsolved&sort=votes", ["unanswered", "answered"]),
    ],
)
def test_filters_and_sorting_list_the_right_threads_in_order(client, listed, query, expected):
    response = client.get(f"/c/thermostats{query}")

    assert response.status_code == 200
    assert thread_titles(text(response)) == [listed[key] for key in expected]


def test_the_home_page_filters_too(client, listed):
    page = text(client.get("/?filter=solved"))

    assert thread_titles(page) == [listed["solved"]]
    assert 'aria-current="page" class="active">Solved</a>' in page


@pytest.mark.parametrize("query", ["?filter=everything", "?sort=oldest", "?filter=SOLVED"])
def test_an_unknown_filter_or_sort_is_a_bad_request(client, listed, query):
    assert client.get(f"/{query}").status_code == 400
    assert client.get(f"/c/thermostats{query}").status_code == 400


def test_thread_lists_are_paginated(client, db):
    category = make_category(db, "Thermostats", "thermostats")
    now = utcnow()
    titles = []
    for n in range(7):
        thread = make_thread(db, category=category, title=f"Paged question number {n} here")
        set_thread_times(
            db, thread, created_at=now - timedelta(hours=n), last_activity_at=now - timedelta(hours=n)
        )
        titles.append(thread.title)
    db.commit()

    first = text(client.get("/c/thermostats"))
    second = text(client.get("/c/thermostats?page=2"))
    beyond = text(client.get("/c/thermostats?page=3"))

    assert thread_titles(first) == titles[:5]
    assert 'rel="next" href="/c/thermostats?page=2"' in first
    assert 'rel="prev"' not in first
    assert thread_titles(second) == titles[5:]
    assert 'rel="prev" href="/c/thermostats?page=1">← Previous</a>' in second
    assert 'rel="next"' not in second
    assert "Page 2 of 2" in second
    assert thread_titles(beyond) == []


def test_pagination_keeps_the_filter(client, db):
    category = make_category(db, "Thermostats", "thermostats")
    for n in range(6):
        make_thread(db, category=category, title=f"Paged question number {n} here")
    db.commit()

    page = text(client.get("/c/thermostats?filter=unanswered"))

    assert 'rel="next" href="/c/thermostats?filter=unanswered&amp;page=2"' in page


# --- Solved threads and accepted answers ----------------------------------------------------


@pytest.fixture
def answered_thread(db):
    asker = make_user(db, "asker")
    staff = make_user(db, "maya", role=Role.STAFF)
    staff.display_name = "Maya from Support"
    thread = make_thread(db, author=asker, title="The thermostat loses wifi every night")
    first = make_answer(db, thread, body="Move the router closer to the thermostat.")
    second = make_answer(db, thread, body="Update the firmware to version 2.1 or later.")
    db.commit()
    return {"asker": asker, "staff": staff, "thread": thread, "first": first, "second": second}


def test_an_unsolved_thread_shows_no_solved_badge(client, answered_thread):
    thread = answered_thread["thread"]

    listing = text(client.get("/"))
    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    assert thread_titles(listing) == [thread.title]
    assert "badge solved" not in listing
    assert "badge solved" not in page
    assert "Accepted by the asker" not in page


def test_accepted_by_the_asker_shows_solved_in_the_list_and_on_the_thread(client, db, answered_thread):
    thread, first = answered_thread["thread"], answered_thread["first"]
    accepting.accept_answer(db, answered_thread["asker"], first)
    db.commit()

    listing = text(client.get("/?filter=solved"))
    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    assert '<span class="badge solved" title="An answer is accepted">✓ Solved</span>' in listing
    assert thread_titles(listing) == [thread.title]
    assert f"<title>[Solved] {thread.title}" in page
    assert '<span class="badge solved">✓ Solved</span>' in page
    assert "✓ Accepted by the asker" in article(page, first.id)
    assert "Verified by staff" not in page
    assert "Accepted by the asker" not in article(page, answered_thread["second"].id)


def test_the_accepted_answer_comes_first_even_with_fewer_votes(client, db, answered_thread):
    thread, first, second = answered_thread["thread"], answered_thread["first"], answered_thread["second"]
    add_votes(db, first, 1)
    add_votes(db, second, 2)
    accepting.accept_answer(db, answered_thread["asker"], first)
    db.commit()

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    assert page.index(f'id="post-{first.id}"') < page.index(f'id="post-{second.id}"')


def test_accepted_by_staff_shows_verified_by_staff(client, db, answered_thread):
    thread, second = answered_thread["thread"], answered_thread["second"]
    accepting.accept_answer(db, answered_thread["staff"], second)
    db.commit()

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    mark = article(page, second.id)
    assert "✓ Verified by staff" in mark
    assert "by Maya from Support" in mark
    assert "Accepted by the asker" not in page


@pytest.mark.parametrize(("lead", "shown"), [(4, False), (5, True), (6, True)])
def test_the_outscored_notice_appears_when_another_answer_leads_by_five(
    client, db, answered_thread, lead, shown
):
    thread, first, second = answered_thread["thread"], answered_thread["first"], answered_thread["second"]
    accepting.accept_answer(db, answered_thread["asker"], first)
    add_votes(db, second, lead)
    db.commit()

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    assert ("Another answer now has more votes" in page) is shown
    if shown:
        notice = article(page, first.id)
        assert f"Another answer now has more votes ({lead} against 0)" in notice
        assert f'href="/p/{second.id}"' in notice


def test_staff_posts_show_a_staff_badge(client, db, answered_thread):
    thread = answered_thread["thread"]
    official = make_answer(db, thread, author=answered_thread["staff"], body="Support here: we pushed a fix.")
    db.commit()

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    assert '<span class="badge staff"' in article(page, official.id)
    assert "Staff</span>" in article(page, official.id)
    assert "badge staff" not in article(page, answered_thread["first"].id)


def test_a_staff_answer_stays_official_after_the_author_leaves_staff(client, db, answered_thread):
    thread, staff = answered_thread["thread"], answered_thread["staff"]
    official = make_answer(db, thread, author=staff, body="Support here: we pushed a fix.")
    accounts.set_role(db, staff, Role.MEMBER)
    db.commit()

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    assert "badge staff" in article(page, official.id)


# --- Deleted posts and threads --------------------------------------------------------------


def test_a_deleted_answer_is_hidden_from_visitors_and_members_but_shown_to_staff(app, db, answered_thread):
    thread, first = answered_thread["thread"], answered_thread["first"]
    threads.delete_post(db, accounts.get_user(db, first.author_id), first)  # the author deletes it
    make_user(db, "member")
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"

    visitor = text(app.test_client().get(url))
    member_client = app.test_client()
    login(member_client, "member")
    member = text(member_client.get(url))
    staff_client = app.test_client()
    login(staff_client, "maya")
    staff_page = text(staff_client.get(url))

    for page in (visitor, member):
        assert article(page, first.id) == ""
        assert "Move the router closer" not in page
        assert "1 Answer" in page
    shown = article(staff_page, first.id)
    assert "Move the router closer to the thermostat." in shown
    assert "This post is deleted; only staff can see it." in shown
    assert "Restore" in shown
    assert app.test_client().get(f"/p/{first.id}").status_code == 404


def test_a_deleted_thread_is_hidden_from_visitors_but_shown_to_staff(app, db, answered_thread):
    thread, asker = answered_thread["thread"], answered_thread["asker"]
    threads.delete_post(db, asker, threads.question_of(db, thread))
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"
    visitor = app.test_client()
    staff = app.test_client()
    login(staff, "maya")

    assert visitor.get(url).status_code == 404
    assert thread.title not in text(visitor.get("/"))
    assert thread.title not in text(visitor.get("/u/asker"))

    staff_page = staff.get(url)
    assert staff_page.status_code == 200
    assert "This thread is deleted; only staff can see it." in text(staff_page)
    listing = text(staff.get("/"))
    assert thread.title in thread_titles(listing)
    assert '<span class="badge deleted">Deleted</span>' in listing
