"""The care console through the site: the queue page, the staff panel, notes kept private
(member pages, the visitor cache, search, webhooks), escalation tickets and canned responses."""

import json
import re

import pytest
from sqlalchemy import event, select

import config
from app import create_app
from community import audit, canned, care, staff_notes, teams, webhooks
from community.models import AuditEntry, Notification, Role, Thread, ThreadCare
from tests.factories import make_category, make_thread, make_user
from tests.integration.helpers import fresh, login, text
from tests.receiver import Answer, Receiver

SECRET = "Customer is on the legacy tariff zebrafish"


@pytest.fixture
def people(db):
    found = {
        "boss": make_user(db, "boss", role=Role.ADMIN),
        "ann": make_user(db, "ann", role=Role.STAFF),
        "bob": make_user(db, "bob", role=Role.STAFF),
        "asker": make_user(db, "asker"),
        "member": make_user(db, "member"),
    }
    db.commit()
    return found


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


@pytest.fixture
def receivers():
    made = []

    def make(*answers):
        receiver = Receiver(answers)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


def test_the_queue_page_lists_waiting_threads_with_why_and_who(app, db, people):
    thread = make_thread(db, author=people["asker"], title="The boiler shows error E42 at night")
    care.assign(db, people["ann"], thread, assignee=people["bob"])
    solved = make_thread(db, author=people["asker"], title="A question staff already resolved")
    care.set_state(db, people["ann"], solved, "resolved")
    db.commit()
    page = text(signed_in(app, "ann").get("/staff/care"))
    assert "The boiler shows error E42 at night" in page
    assert "A question staff already resolved" not in page
    row = re.search(rf'<tr class="care-row (\S+)" data-thread-id="{thread.id}">(.*?)</tr>', page, re.S)
    assert row.group(1) == "on-target"
    assert "bob" in row.group(2) and "unanswered" in row.group(2) and "assigned" in row.group(2)
    filtered = text(signed_in(app, "ann").get("/staff/care?assignee=me"))
    assert "The boiler shows error E42" not in filtered


def test_the_queue_runs_the_same_statements_for_2_and_12_threads(app, db, people):
    engine = app.extensions["hearth.engine"]
    client = signed_in(app, "ann")
    team = teams.create_team(db, people["boss"], "Heating team")
    counts = []
    for how_many in (2, 12):
        category = make_category(db)
        teams.set_category(db, people["boss"], team, category.id, True)
        for n in range(how_many):
            thread = make_thread(db, author=people["asker"], category=category)
            if n % 2:
                care.assign(db, people["ann"], thread, assignee=people["bob"])
        db.commit()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = client.get(f"/staff/care?category={category.id}")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        assert text(response).count('class="care-row ') == how_many + 4  # four in the colour legend
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_staff_assign_through_the_panel_and_see_the_history(app, db, people):
    thread = make_thread(db, author=people["asker"])
    db.commit()
    ann = signed_in(app, "ann")
    response = ann.post(f"/staff/care/t/{thread.id}/assign", data={"assignee": str(people["bob"].id), "team": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith("#care-panel")
    fresh(db)
    assert db.get(ThreadCare, thread.id).assignee_id == people["bob"].id
    assert db.scalar(select(Notification.kind).where(Notification.recipient_id == people["bob"].id)) == "assigned"
    page = text(ann.get(f"/t/{thread.id}/{thread.slug}"))
    panel = re.search(r'<aside id="care-panel".*?</aside>', page, re.S).group(0)
    assert "care.assign" in panel and "<dd>bob</dd>" in panel


def test_a_bad_assignment_is_explained_and_changes_nothing(app, db, people):
    thread = make_thread(db, author=people["asker"])
    db.commit()
    ann = signed_in(app, "ann")
    response = ann.post(f"/staff/care/t/{thread.id}/assign", data={"assignee": str(people["member"].id)}, follow_redirects=True)
    assert "threads are assigned to staff only" in text(response)
    fresh(db)
    assert db.get(ThreadCare, thread.id) is None
    assert db.scalars(select(AuditEntry)).all() == []


def test_staff_notes_never_reach_members_or_visitors(app, db, people):
    thread = make_thread(db, author=people["asker"])
    db.commit()
    ann = signed_in(app, "ann")
    assert ann.post(f"/staff/care/t/{thread.id}/notes", data={"body": SECRET}).status_code == 302
    url = f"/t/{thread.id}/{thread.slug}"
    assert SECRET in text(ann.get(url))
    for client in (signed_in(app, "member"), signed_in(app, "asker"), app.test_client()):
        page = text(client.get(url))
        assert SECRET not in page and 'id="care-panel"' not in page


def test_a_visitor_never_gets_a_staff_page_from_the_cache(database_url, db, people, tmp_path):
    settings = config.TestingConfig(database_url, search_index_dir=str(tmp_path / "index"))
    settings.ANON_CACHE_SECONDS = 60
    cached_app = create_app(settings)
    try:
        thread = make_thread(db, author=people["asker"])
        staff_notes.add_note(db, people["ann"], thread, SECRET)
        db.commit()
        url = f"/t/{thread.id}/{thread.slug}"
        assert SECRET in text(signed_in(cached_app, "ann").get(url))
        visitor = cached_app.test_client()
        for _ in range(2):  # the second visit is served from the cache
            page = text(visitor.get(url))
            assert SECRET not in page and 'id="care-panel"' not in page
    finally:
        cached_app.extensions["hearth.search"].close()
        cached_app.extensions["hearth.engine"].dispose()


def test_staff_notes_are_never_indexed_for_search(app, db, people):
    thread = make_thread(db, author=people["asker"], title="Radiator stays cold upstairs")
    db.commit()
    signed_in(app, "ann").post(f"/staff/care/t/{thread.id}/notes", data={"body": SECRET})
    # Posting through the site reindexes the thread (with whatever it holds by then).
    signed_in(app, "member").post(f"/t/{thread.id}/answer", data={"body": "Bleed the radiator upstairs first."})
    for client in (app.test_client(), signed_in(app, "ann")):
        assert "Radiator stays cold upstairs" in text(client.get("/search", query_string={"q": "radiator"}))
        assert "Radiator stays cold upstairs" not in text(client.get("/search", query_string={"q": "zebrafish"}))


def test_staff_notes_are_never_in_a_webhook_payload(app, db, people, receivers):
    receiver = receivers()
    webhooks.create_endpoint(
        db, people["boss"], url=receiver.url, events=["thread.created", "post.created", "thread.escalated"]
    )
    category = make_category(db)
    db.commit()
    response = signed_in(app, "asker").post(
        "/ask",
        data={"title": "Radiator stays cold upstairs all day", "body": "Only the upstairs radiator is cold.",
              "category": str(category.id), "reviewed_title": "Radiator stays cold upstairs all day"},
    )
    assert response.status_code == 302, text(response)
    thread_id = int(response.headers["Location"].split("/")[2])
    ann = signed_in(app, "ann")
    ann.post(f"/staff/care/t/{thread_id}/notes", data={"body": SECRET})
    signed_in(app, "member").post(f"/t/{thread_id}/answer", data={"body": "Bleed it with the small key."})
    ann.post(f"/staff/care/t/{thread_id}/escalate", data={"reason": "Vulnerable customer without heating"})
    events = [r.json["event"] for r in receiver.requests]
    assert events == ["thread.created", "post.created", "thread.escalated"]
    for received in receiver.requests:
        assert "zebrafish" not in received.body and "Vulnerable" not in received.body
    # thread.created is built before any note can exist: its builder is checked with one present.
    fresh(db)
    thread = db.get(Thread, thread_id)
    assert "zebrafish" not in json.dumps(webhooks.thread_created(db, thread))


def test_escalation_stores_the_ticket_the_receiver_answers_and_shows_it_to_staff(app, db, people, receivers):
    receiver = receivers(Answer(201, json.dumps({"ticket_ref": "SUP-4471", "status": "open"})))
    webhooks.create_endpoint(db, people["boss"], url=receiver.url, events=["thread.escalated"])
    thread = make_thread(db, author=people["asker"])
    db.commit()
    ann = signed_in(app, "ann")
    response = ann.post(f"/staff/care/t/{thread.id}/escalate", data={"reason": "Gas smell reported by customer"})
    assert response.status_code == 302
    [received] = receiver.requests
    assert received.json["data"]["thread"]["id"] == thread.id and "Gas smell" not in received.body
    fresh(db)
    row = db.get(ThreadCare, thread.id)
    assert row.ticket_ref == "SUP-4471" and row.escalated_by_id == people["ann"].id
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "care.escalate")).all()
    assert entry.note == "Gas smell reported by customer" and audit.decoded(entry.after)["escalated_at"]
    page = text(ann.get(f"/t/{thread.id}/{thread.slug}"))
    assert '<dd class="ticket-ref">SUP-4471</dd>' in page
    member_page = text(signed_in(app, "member").get(f"/t/{thread.id}/{thread.slug}"))
    assert "SUP-4471" not in member_page


def test_a_receiver_answer_without_a_ticket_leaves_the_reference_alone(app, db, people, receivers):
    receiver = receivers(Answer(200, "ok"))
    webhooks.create_endpoint(db, people["boss"], url=receiver.url, events=["thread.escalated"])
    thread = make_thread(db, author=people["asker"])
    care.set_ticket_ref(db, people["ann"], thread, "TYPED-1")
    db.commit()
    signed_in(app, "ann").post(f"/staff/care/t/{thread.id}/escalate", data={"reason": "Long outage for customer"})
    assert len(receiver.requests) == 1
    fresh(db)
    assert db.get(ThreadCare, thread.id).ticket_ref == "TYPED-1"


def test_a_canned_response_prefills_the_answer_box_for_staff_without_javascript(app, db, people):
    thread = make_thread(db, author=people["asker"])
    reply = canned.create_canned(db, people["ann"], title="Restart first", body="Please restart the boiler & wait.")
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}?canned={reply.id}"
    page = text(signed_in(app, "bob").get(url))
    assert re.search(r'<textarea[^>]*id="body"[^>]*>\s*Please restart the boiler &amp; wait.</textarea>', page)
    assert 'data-canned-body="Please restart the boiler &amp; wait."' in page
    assert "js/canned.js" in page
    member_page = text(signed_in(app, "member").get(url))
    assert "Please restart the boiler" not in member_page and "js/canned.js" not in member_page
    assert signed_in(app, "bob").get(f"/t/{thread.id}/{thread.slug}?canned=999999").status_code == 200


def test_staff_manage_canned_responses(app, db, people):
    ann = signed_in(app, "ann")
    assert ann.post("/staff/care/canned", data={"title": "Bleed radiators", "body": "Bleed each one."}).status_code == 302
    again = ann.post("/staff/care/canned", data={"title": "Bleed radiators", "body": "Other."})
    assert again.status_code == 400 and "Another canned response has this title" in text(again)
    [item] = canned.list_canned(fresh(db), people["ann"])
    assert ann.post(f"/staff/care/canned/{item.id}/edit", data={"title": "Bleed", "body": "Bleed them all."}).status_code == 302
    assert ann.post(f"/staff/care/canned/{item.id}/delete").status_code == 302
    assert canned.list_canned(fresh(db), people["ann"]) == []


def test_admins_manage_teams_and_a_category_moves_between_them(app, db, people):
    heating = make_category(db, "Heating", "heating")
    db.commit()
    boss = signed_in(app, "boss")
    for name in ("First line", "Specialists"):
        assert boss.post("/admin/teams", data={"name": name}).status_code == 302
    fresh(db)
    first, second = (t.team for t in teams.overview(db, people["boss"]))
    boss.post(f"/admin/teams/{first.id}/categories", data={"op": "add", "category_id": heating.id})
    boss.post(f"/admin/teams/{second.id}/categories", data={"op": "add", "category_id": heating.id})
    boss.post(f"/admin/teams/{second.id}/members", data={"op": "add", "user_id": people["ann"].id})
    refused = boss.post(
        f"/admin/teams/{second.id}/members", data={"op": "add", "user_id": people["member"].id}, follow_redirects=True
    )
    assert "only staff join teams" in text(refused)
    views = {v.team.name: v for v in teams.overview(fresh(db), people["boss"])}
    assert [c.slug for c in views["First line"].categories] == []
    assert [c.slug for c in views["Specialists"].categories] == ["heating"]
    assert [u.username for u in views["Specialists"].members] == ["ann"]
    page = text(boss.get("/admin/teams"))
    assert "Specialists" in page and "Teams" in page
