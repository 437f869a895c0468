"""Moderation through the site: suspending, flagging, the review queue, hiding, the audit log."""

import re

import pytest
from sqlalchemy import select

from community import moderation, suspensions
from community.models import AuditEntry, Category, Notification, Post, PostFlag, Role, Thread, User
from tests.factories import VOTER_REPUTATION, make_answer, make_thread, make_user
from tests.integration.helpers import article, fresh, login, text, thread_titles


def _client(app, username):
    client = app.test_client()
    login(client, username)
    return client


@pytest.fixture
def people(db):
    make_user(db, "boss", role=Role.ADMIN)
    make_user(db, "mod", role=Role.MODERATOR)
    make_user(db, "staffer", role=Role.STAFF)
    make_user(db, "member", reputation=VOTER_REPUTATION)
    make_user(db, "helper")
    db.commit()


@pytest.fixture
def thread(db, people):
    asker = db.scalar(select(User).where(User.username == "member"))
    found = make_thread(db, author=asker, title="The boiler shows error E119 every morning")
    db.commit()
    return found


def _user(db, name) -> User:
    return fresh(db).scalar(select(User).where(User.username == name))


# --- Suspensions ----------------------------------------------------------------------------


def test_a_moderator_suspends_from_the_profile_and_the_member_sees_why(app, db, thread):
    mod = _client(app, "mod")
    assert "Suspend" in text(mod.get("/u/helper"))
    response = mod.post("/u/helper/suspend", data={"days": "7", "reason": "Insulted other members twice."})
    assert response.status_code == 302
    helper = _user(db, "helper")
    assert helper.is_suspended and helper.suspension_reason == "Insulted other members twice."

    member_view = _client(app, "helper")
    for path in ("/", f"/t/{thread.id}/{thread.slug}", "/u/helper"):
        page = text(member_view.get(path))
        assert "Your account is suspended until" in page and "Insulted other members twice." in page
    nav = re.search(r'<nav class="user-nav".*?</nav>', text(member_view.get("/")), re.S).group(0)
    assert 'href="/ask"' not in nav
    refused = member_view.post(f"/t/{thread.id}/answer", data={"body": "Spam spam spam spam spam."})
    assert refused.status_code == 403 and "suspended" in text(refused)

    assert mod.post("/u/helper/unsuspend").status_code == 302
    assert not _user(db, "helper").is_suspended
    assert "Your account is suspended" not in text(member_view.get("/"))
    actions = list(fresh(db).scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["user.suspend", "user.unsuspend"]


def test_a_suspension_without_a_reason_is_refused_and_changes_nothing(app, db, people):
    mod = _client(app, "mod")
    response = mod.post("/u/helper/suspend", data={"days": "7", "reason": ""}, follow_redirects=True)
    assert "Give the reason" in text(response)
    response = mod.post("/u/helper/suspend", data={"days": "0", "reason": "Spam"}, follow_redirects=True)
    assert "from 1 to" in text(response)
    assert _user(db, "helper").suspended_at is None


def test_staff_cannot_suspend_and_nobody_suspends_themself(app, db, people):
    assert _client(app, "staffer").post("/u/helper/suspend", data={"days": "1", "reason": "x y z"}).status_code == 403
    assert _client(app, "mod").post("/u/mod/suspend", data={"days": "1", "reason": "x y z"}).status_code == 403
    assert _client(app, "mod").post("/u/boss/suspend", data={"days": "1", "reason": "x y z"}).status_code == 403
    assert fresh(db).scalar(select(AuditEntry.id)) is None


# --- Flags and the review queue -------------------------------------------------------------


def test_a_member_flags_a_post_and_a_moderator_upholds_it(app, db, thread):
    answer = make_answer(db, thread, author=_user(db, "helper"), body="Buy my boiler spray at cheap-sprays.example.")
    db.commit()
    member = _client(app, "member")
    page = text(member.get(f"/t/{thread.id}/{thread.slug}"))
    assert f'action="/p/{answer.id}/flag"' in article(page, answer.id)
    assert f'action="/p/{thread.id}/flag"' not in page  # not on their own question

    response = member.post(f"/p/{answer.id}/flag", data={"reason": "spam", "note": "An advert."})
    assert response.status_code == 302
    again = member.post(f"/p/{answer.id}/flag", data={"reason": "spam"}, follow_redirects=True)
    assert "already flagged" in text(again)
    bad = member.post(f"/p/{answer.id}/flag", data={"reason": "nonsense"}, follow_redirects=True)
    assert "Choose why" in text(bad) or "already flagged" in text(bad)
    assert len(list(fresh(db).scalars(select(PostFlag)))) == 1

    mod = _client(app, "mod")
    queue = text(mod.get("/staff/flags"))
    assert "cheap-sprays" in queue and "Spam" in queue and "An advert." in queue
    assert _client(app, "staffer").get("/staff/flags").status_code == 403
    assert mod.post(f"/staff/flags/{answer.id}/uphold", data={"note": "Advert"}).status_code == 302

    fresh(db)
    assert db.get(Post, answer.id).is_hidden
    assert "Nothing is waiting for review" in text(mod.get("/staff/flags"))
    assert db.scalar(select(Notification.recipient_id).where(Notification.kind == "flag_resolved")) == _user(db, "member").id
    # Members and visitors no longer see it; staff see it dimmed with the reason.
    assert article(text(member.get(f"/t/{thread.id}/{thread.slug}")), answer.id) == ""
    assert article(text(app.test_client().get(f"/t/{thread.id}/{thread.slug}")), answer.id) == ""
    staff_view = article(text(_client(app, "staffer").get(f"/t/{thread.id}/{thread.slug}")), answer.id)
    assert "hidden-post" in staff_view and "flagged as spam" in staff_view


def test_a_moderator_hides_and_unhides_a_question_and_the_thread_follows(app, db, thread):
    visitor = app.test_client()
    url = f"/t/{thread.id}/{thread.slug}"
    assert visitor.get(url).status_code == 200  # now in the visitors' page cache
    question = fresh(db).scalar(select(Post).where(Post.thread_id == thread.id, Post.is_question.is_(True)))
    mod = _client(app, "mod")

    assert mod.post(f"/p/{question.id}/hide", data={"reason": ""}).status_code == 302
    assert not fresh(db).get(Post, question.id).is_hidden  # a reason is required
    assert mod.post(f"/p/{question.id}/hide", data={"reason": "Personal data in the title"}).status_code == 302
    assert fresh(db).get(Thread, thread.id).is_hidden

    assert visitor.get(url).status_code == 404  # the cached page is not served any more
    assert _client(app, "member").get(url).status_code == 404
    assert thread.title not in text(visitor.get("/"))
    assert "Personal data in the title" in text(_client(app, "staffer").get(url))

    assert mod.post(f"/p/{question.id}/unhide").status_code == 302
    assert visitor.get(url).status_code == 200


# --- The audit log --------------------------------------------------------------------------


def test_the_audit_log_lists_actions_newest_first_with_filters(app, db, thread):
    mod_user, helper = _user(db, "mod"), _user(db, "helper")
    answer = make_answer(db, thread, author=helper)
    moderation.hide_post(db, mod_user, answer, reason="Off topic")
    suspensions.suspend(db, mod_user, helper, days=2, reason="Repeated spam")
    db.commit()
    boss = _client(app, "boss")

    page = text(boss.get("/admin/audit"))
    assert page.index("<code>user.suspend</code>") < page.index("<code>post.hide</code>")
    assert "Repeated spam" in page and 'href="/admin/audit"' in page
    only_posts = text(boss.get("/admin/audit?action=post"))
    assert "<code>post.hide</code>" in only_posts and "<code>user.suspend</code>" not in only_posts
    by_target = text(boss.get(f"/admin/audit?target_type=user&target_id={helper.id}"))
    assert "<code>user.suspend</code>" in by_target and "<code>post.hide</code>" not in by_target
    assert "No entries match" in text(boss.get("/admin/audit?actor=boss"))
    assert "No member is called" in text(boss.get("/admin/audit?actor=nobody"))
    assert "<code>user.suspend</code>" in text(boss.get("/admin/audit?actor=mod&from=2000-01-01"))
    assert "No entries match" in text(boss.get("/admin/audit?to=2000-01-01"))
    assert "is not a date" in text(boss.get("/admin/audit?from=yesterday"))
    assert _client(app, "mod").get("/admin/audit").status_code == 403


def test_locking_and_a_moderators_delete_are_audited(app, db, thread):
    answer = make_answer(db, thread, author=_user(db, "helper"))
    db.commit()
    mod = _client(app, "mod")
    mod.post(f"/t/{thread.id}/lock", data={"locked": "1"})
    mod.post(f"/t/{thread.id}/lock", data={"locked": "0"})
    mod.post(f"/p/{answer.id}/delete")
    _client(app, "staffer").post(f"/p/{answer.id}/restore")
    rows = [(a, t) for a, t in fresh(db).execute(select(AuditEntry.action, AuditEntry.target_id).order_by(AuditEntry.id))]
    assert rows == [("thread.lock", thread.id), ("thread.unlock", thread.id), ("post.delete", answer.id),
                    ("post.restore", answer.id)]


def test_a_pinned_thread_comes_first_with_a_pin_mark(app, db, thread):
    category = db.get(Category, thread.category_id)
    make_thread(db, category=category, title="A newer question about radiators")
    db.commit()
    mod = _client(app, "mod")
    assert mod.post(f"/t/{thread.id}/pin", data={"pinned": "1"}).status_code == 302

    page = text(_client(app, "member").get(f"/c/{category.slug}"))
    assert thread_titles(page)[0] == thread.title and "badge pinned" in page
    assert thread_titles(page).count(thread.title) == 1
    assert _client(app, "member").post(f"/t/{thread.id}/pin", data={"pinned": "0"}).status_code == 403


def test_a_merged_threads_address_leads_to_the_target(app, db, thread):
    other = make_thread(db, author=_user(db, "helper"), title="Error E119 again this morning")
    db.commit()
    mod = _client(app, "mod")
    assert mod.post(f"/t/{other.id}/merge", data={"target": str(thread.id)}).status_code == 302
    for client in (app.test_client(), _client(app, "member")):
        response = client.get(f"/t/{other.id}/{other.slug}")
        assert response.status_code == 301 and response.headers["Location"].endswith(f"/t/{thread.id}/{thread.slug}")
    assert fresh(db).get(Thread, thread.id).answer_count == 1
    bad = mod.post(f"/t/{thread.id}/merge", data={"target": "nope"}, follow_redirects=True)
    assert "visible thread" in text(bad)


def test_closing_as_duplicate_through_the_page(app, db, thread):
    other = make_thread(db, author=_user(db, "helper"), title="Boiler error E119 in the mornings")
    db.commit()
    mod = _client(app, "mod")
    assert mod.post(f"/t/{other.id}/duplicate", data={"original": f"#{thread.id}"}).status_code == 302
    page = text(app.test_client().get(f"/t/{other.id}/{other.slug}"))
    assert "closed as a duplicate" in page and "locked" in page
    assert mod.post(f"/t/{other.id}/reopen").status_code == 302
    assert fresh(db).get(Thread, other.id).duplicate_of_id is None
