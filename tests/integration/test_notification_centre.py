"""The notification centre and the unread count in the header, through the test client."""

import re

from sqlalchemy import select

from community import notifications
from community.models import Notification
from tests.factories import make_answer, make_thread, make_user
from tests.integration.helpers import fresh, login, text

UNREAD = re.compile(r'<span class="unread-count">(\d+)')


def _header_unread(page: str) -> int:
    nav = re.search(r'<nav class="user-nav".*?</nav>', page, re.S).group(0)
    found = UNREAD.search(nav)
    return int(found.group(1)) if found else 0


def _scene(db):
    """An asker told of two answers in their thread, and a bystander."""
    asker, helper = make_user(db, "asker"), make_user(db, "helper")
    make_user(db, "bystander")
    thread = make_thread(db, author=asker, title="The heating will not switch on at night")
    first = make_answer(db, thread, author=helper, body="Check the schedule under Settings.")
    second = make_answer(db, thread, author=helper, body="Or restart the boiler from its panel.")
    db.query(Notification).filter(Notification.kind == "badge").delete()
    db.commit()
    return asker, thread, first, second


def _notes(db, user_id):
    fresh(db)
    return list(db.scalars(select(Notification).where(Notification.recipient_id == user_id).order_by(Notification.id)))


def test_the_centre_lists_newest_first_and_the_header_counts_unread(client, db):
    asker, thread, first, second = _scene(db)
    login(client, "asker")

    page = text(client.get("/notifications"))

    assert _header_unread(page) == 2
    assert "2 unread" in page
    positions = [m.start() for m in re.finditer(r'/notifications/(\d+)/open', page)]
    ids = [int(m) for m in re.findall(r'/notifications/(\d+)/open', page)]
    assert ids == sorted(ids, reverse=True) and len(positions) == 2
    assert page.count("A new answer in a thread you follow") == 2
    assert "by helper" in page


def test_opening_one_marks_it_read_and_goes_to_its_post(client, db):
    asker, thread, first, second = _scene(db)
    login(client, "asker")
    note = next(n for n in _notes(db, asker.id) if n.post_id == first.id)

    response = client.post(f"/notifications/{note.id}/open")

    assert response.status_code == 302 and response.headers["Location"].endswith(f"/p/{first.id}")
    assert [n.read_at is not None for n in _notes(db, asker.id)] == [True, False]
    assert _header_unread(text(client.get("/"))) == 1


def test_someone_elses_notification_is_left_alone(client, db):
    asker, *_ = _scene(db)
    login(client, "bystander")
    note = _notes(db, asker.id)[0]

    response = client.post(f"/notifications/{note.id}/open")

    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications")
    assert _notes(db, asker.id)[0].read_at is None


def test_mark_all_read_clears_the_count(client, db):
    asker, *_ = _scene(db)
    login(client, "asker")

    response = client.post("/notifications/read-all", follow_redirects=True)

    assert "Marked 2 notifications read." in text(response)
    assert _header_unread(text(response)) == 0
    assert all(n.read_at is not None for n in _notes(db, asker.id))
    assert "Mark all read" not in text(client.get("/notifications"))


def test_the_centre_is_paginated(client, db):
    member = make_user(db, "member")
    for n in range(35):
        notifications.notify(db, member.id, "flag_resolved", text=f"Report number {n}")
    db.commit()
    login(client, "member")

    first, second = text(client.get("/notifications")), text(client.get("/notifications?page=2"))

    assert "Report number 34<" in first and "Report number 5<" in first and "Report number 4<" not in first
    assert "Report number 4<" in second and "Report number 0<" in second and "Report number 5<" not in second
    assert "Page 1 of 2" in first


def test_visitors_are_sent_to_sign_in_and_see_no_count(client, db):
    _scene(db)
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = text(client.get("/"))
    assert "unread-count" not in page and "/notifications" not in page


def test_a_reminder_opens_its_thread_and_a_badge_its_page(client, db):
    asker = make_user(db, "asker")
    thread = make_thread(db, author=asker, title="The heating will not switch on at night")
    reminder = notifications.notify(db, asker.id, "accept_reminder", thread_id=thread.id, text=thread.title)
    badge = notifications.notify(db, asker.id, "badge", text="Curious")
    db.commit()
    login(client, "asker")

    to_thread = client.post(f"/notifications/{reminder.id}/open").headers["Location"]
    to_badge = client.post(f"/notifications/{badge.id}/open").headers["Location"]

    assert to_thread.endswith(f"/t/{thread.id}/{thread.slug}")
    assert to_badge.endswith("/badges/curious")
