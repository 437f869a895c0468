"""Care services: assignment, states, answers moving threads along, escalation, notes, canned, teams."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community import audit, canned, care, care_queue, staff_notes, teams, webhooks
from community.db import utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import AuditEntry, Notification, Post, Role, TeamCategory, Thread, ThreadCare, WebhookDelivery
from tests.factories import make_answer, make_category, make_thread, make_user


@pytest.fixture
def people(db):
    return {
        "boss": make_user(db, "boss", role=Role.ADMIN),
        "ann": make_user(db, "ann", role=Role.STAFF),
        "bob": make_user(db, "bob", role=Role.STAFF),
        "asker": make_user(db, "asker"),
        "member": make_user(db, "member"),
    }


def care_audit(db, thread_id):
    return list(
        db.scalars(
            select(AuditEntry)
            .where(AuditEntry.target_type == "thread", AuditEntry.target_id == thread_id)
            .order_by(AuditEntry.id)
        )
    )


# --- Assignment and states ---------------------------------------------------------------------


def test_assigning_a_colleague_audits_the_change_and_notifies_them(db, people):
    thread = make_thread(db, author=people["asker"])
    care.assign(db, people["ann"], thread, assignee=people["bob"])
    row = db.get(ThreadCare, thread.id)
    assert (row.state, row.assignee_id) == ("assigned", people["bob"].id)
    [entry] = care_audit(db, thread.id)
    assert entry.action == "care.assign" and entry.actor_id == people["ann"].id
    assert audit.decoded(entry.before) == {"state": "new", "assignee_id": None, "team_id": None}
    assert audit.decoded(entry.after) == {"state": "assigned", "assignee_id": people["bob"].id, "team_id": None}
    [note] = db.scalars(select(Notification).where(Notification.recipient_id == people["bob"].id)).all()
    assert (note.kind, note.actor_id, note.thread_id) == ("assigned", people["ann"].id, thread.id)


def test_assigning_yourself_sends_no_notification(db, people):
    thread = make_thread(db, author=people["asker"])
    care.assign(db, people["ann"], thread, assignee=people["ann"])
    assert db.scalars(select(Notification).where(Notification.kind == "assigned")).all() == []


def test_only_staff_assign_and_only_to_staff(db, people):
    thread = make_thread(db, author=people["asker"])
    with pytest.raises(PermissionDenied):
        care.assign(db, people["member"], thread, assignee=people["ann"])
    with pytest.raises(ValidationError):
        care.assign(db, people["ann"], thread, assignee=people["member"])
    assert db.get(ThreadCare, thread.id) is None or db.get(ThreadCare, thread.id).assignee_id is None
    assert care_audit(db, thread.id) == []


def test_a_thread_moves_through_its_states_and_can_be_reopened(db, people):
    thread = make_thread(db, author=people["asker"])
    ann = people["ann"]
    care.set_state(db, ann, thread, "assigned")
    assert db.get(ThreadCare, thread.id).assignee_id == ann.id  # whoever moves it to assigned takes it
    care.set_state(db, ann, thread, "waiting")
    care.set_state(db, ann, thread, "resolved")
    with pytest.raises(ValidationError, match="cannot move to waiting"):
        care.set_state(db, ann, thread, "waiting")
    care.set_state(db, ann, thread, "new")  # reopen
    assert db.get(ThreadCare, thread.id).state == "new"
    actions = [(e.action, audit.decoded(e.after)["state"]) for e in care_audit(db, thread.id)]
    assert actions == [("care.state", s) for s in ("assigned", "waiting", "resolved", "new")]


def test_an_unknown_state_is_refused_and_changes_nothing(db, people):
    thread = make_thread(db, author=people["asker"])
    with pytest.raises(ValidationError, match="Choose a state"):
        care.set_state(db, people["ann"], thread, "closed")
    assert care_audit(db, thread.id) == []


def test_a_staff_answer_on_a_new_thread_assigns_it_and_waits_on_the_customer(db, people):
    thread = make_thread(db, author=people["asker"])
    make_answer(db, thread, author=people["ann"], body="Please send us the error code shown on the display.")
    row = db.get(ThreadCare, thread.id)
    assert (row.state, row.assignee_id) == ("waiting", people["ann"].id)


def test_only_the_askers_reply_brings_a_waiting_thread_back_to_assigned(db, people):
    thread = make_thread(db, author=people["asker"])
    make_answer(db, thread, author=people["ann"], body="Please send us the error code shown on the display.")
    make_answer(db, thread, author=people["member"], body="I have the same problem here, any news on this?")
    assert db.get(ThreadCare, thread.id).state == "waiting"
    make_answer(db, thread, author=people["asker"], body="The display shows E42 after a minute or so.")
    assert db.get(ThreadCare, thread.id).state == "assigned"


# --- Escalation and the ticket reference --------------------------------------------------------


def test_escalating_sets_who_and_when_audits_the_reason_and_sends_public_fields_only(db, people):
    webhooks.create_endpoint(db, people["boss"], url="https://hooks.example.com/x", events=["thread.escalated"])
    thread = make_thread(db, author=people["asker"])
    care.escalate(db, people["ann"], thread, "Customer threatens to cancel the contract")
    row = db.get(ThreadCare, thread.id)
    assert row.escalated_by_id == people["ann"].id and row.escalated_at is not None
    [entry] = care_audit(db, thread.id)
    assert entry.action == "care.escalate" and entry.note == "Customer threatens to cancel the contract"
    [delivery] = db.scalars(select(WebhookDelivery)).all()
    body = json.loads(delivery.payload)
    assert body["event"] == "thread.escalated" and body["data"]["thread"]["id"] == thread.id
    assert "cancel" not in delivery.payload


def test_escalating_needs_a_reason_and_happens_once_while_open(db, people):
    thread = make_thread(db, author=people["asker"])
    with pytest.raises(ValidationError, match="Say why"):
        care.escalate(db, people["ann"], thread, "  ")
    care.escalate(db, people["ann"], thread, "Safety concern: gas smell")
    with pytest.raises(ValidationError, match="already escalated"):
        care.escalate(db, people["bob"], thread, "Again, please")


@pytest.mark.parametrize(
    "body, expected",
    [
        ('{"ticket_ref": "SUP-1"}', "SUP-1"),
        ('{"ticket": 42}', "42"),
        ('{"id": "abc", "ticket": "T-9"}', "T-9"),
        ('{"status": "ok"}', None),
        ("ok", None),
        ('["SUP-1"]', None),
        ('{"ticket_ref": true}', None),
    ],
)
def test_the_ticket_reference_is_read_from_a_json_answer(body, expected):
    assert care.ticket_ref_from_response(body) == expected


def test_staff_can_type_the_ticket_reference(db, people):
    thread = make_thread(db, author=people["asker"])
    care.set_ticket_ref(db, people["ann"], thread, " CRM-778 ")
    assert db.get(ThreadCare, thread.id).ticket_ref == "CRM-778"
    with pytest.raises(PermissionDenied):
        care.set_ticket_ref(db, people["member"], thread, "X")


# --- Notes and canned responses ---------------------------------------------------------------


def test_notes_are_for_staff_only(db, people):
    thread = make_thread(db, author=people["asker"])
    staff_notes.add_note(db, people["ann"], thread, "Customer is on the legacy tariff.")
    assert [n.body for n in staff_notes.notes_for(db, people["bob"], thread)] == ["Customer is on the legacy tariff."]
    with pytest.raises(PermissionDenied):
        staff_notes.notes_for(db, people["member"], thread)
    with pytest.raises(PermissionDenied):
        staff_notes.add_note(db, people["member"], thread, "sneaky")
    with pytest.raises(ValidationError):
        staff_notes.add_note(db, people["ann"], thread, "   ")


def test_canned_titles_are_unique_and_members_cannot_manage_them(db, people):
    first = canned.create_canned(db, people["ann"], title="Restart", body="Restart it please.")
    with pytest.raises(ValidationError) as caught:
        canned.create_canned(db, people["bob"], title="Restart", body="Other text.")
    assert "title" in caught.value.errors
    canned.update_canned(db, people["bob"], first, title="Restart", body="Restart, then wait a minute.")
    assert first.body_md == "Restart, then wait a minute."
    with pytest.raises(PermissionDenied):
        canned.create_canned(db, people["member"], title="Mine", body="x")


# --- Teams ------------------------------------------------------------------------------------


def test_a_category_belongs_to_at_most_one_team(db, people):
    heating = make_category(db, "Heating", "heating")
    first = teams.create_team(db, people["boss"], "First line")
    second = teams.create_team(db, people["boss"], "Specialists")
    teams.set_category(db, people["boss"], first, heating.id, True)
    teams.set_category(db, people["boss"], second, heating.id, True)
    assert db.scalars(select(TeamCategory.team_id).where(TeamCategory.category_id == heating.id)).all() == [second.id]
    with pytest.raises(ValidationError):
        teams.create_team(db, people["boss"], "Specialists")
    with pytest.raises(PermissionDenied):
        teams.create_team(db, people["ann"], "Staff cannot")


def test_only_staff_join_teams(db, people):
    team = teams.create_team(db, people["boss"], "First line")
    teams.set_member(db, people["boss"], team, people["ann"].id, True)
    with pytest.raises(ValidationError):
        teams.set_member(db, people["boss"], team, people["member"].id, True)
    [view] = teams.overview(db, people["boss"])
    assert [u.username for u in view.members] == ["ann"]


# --- The queue --------------------------------------------------------------------------------


def queue_of(db, viewer, **filters):
    return care_queue.queue(
        db, viewer, care_queue.QueueFilter(**filters), unsolved_days=3, first_response_minutes=60
    )


def age(db, thread, **delta):
    db.execute(update(Thread).where(Thread.id == thread.id).values(created_at=utcnow() - timedelta(**delta)))


def test_the_queue_holds_threads_waiting_for_help_oldest_first_and_negative_first_within_an_age(db, people):
    asker, ann = people["asker"], people["ann"]
    recent = make_thread(db, author=asker, title="Recent question about the thermostat")
    old_plain = make_thread(db, author=asker, title="Old question about the boiler noise")
    old_angry = make_thread(db, author=asker, title="Old and angry question about billing")
    answered_fresh = make_thread(db, author=asker, title="Answered yesterday and not solved yet")
    answered_stale = make_thread(db, author=asker, title="Answered long ago and still not solved")
    resolved = make_thread(db, author=asker, title="Unanswered but resolved by staff already")
    make_answer(db, answered_fresh, body="Try the reset button on the side.")
    make_answer(db, answered_stale, body="Try the reset button on the side.")
    age(db, recent, minutes=50)
    age(db, old_plain, hours=30)
    age(db, old_angry, hours=26)
    age(db, answered_fresh, days=1)
    age(db, answered_stale, days=5)
    # Posts are scored when saved; the test decides the tones itself.
    db.execute(update(Post).values(tone="neutral"))
    db.execute(update(Post).where(Post.thread_id == old_angry.id, Post.is_question.is_(True)).values(tone="negative"))
    care.set_state(db, ann, resolved, "resolved")
    db.flush()

    page = queue_of(db, ann)
    assert [row.thread.id for row in page.rows] == [answered_stale.id, old_angry.id, old_plain.id, recent.id]
    reasons = {row.thread.id: row.reasons for row in page.rows}
    assert reasons[answered_stale.id] == ["unsolved after 3 days"]
    assert reasons[old_angry.id] == ["unanswered", "negative tone"]
    targets = {row.thread.id: row.target for row in page.rows}
    assert targets == {answered_stale.id: "answered", old_angry.id: "overdue", old_plain.id: "overdue", recent.id: "due-soon"}
    assert page.total == 4


def test_escalated_threads_stay_in_the_queue_until_resolved(db, people):
    thread = make_thread(db, author=people["asker"])
    make_answer(db, thread, body="A first answer from the community.")
    assert queue_of(db, people["ann"]).total == 0
    care.escalate(db, people["ann"], thread, "Needs the engineering team")
    assert [r.reasons for r in queue_of(db, people["ann"]).rows] == [["escalated"]]
    care.set_state(db, people["ann"], thread, "resolved")
    assert queue_of(db, people["ann"]).total == 0


def test_queue_filters_by_assignee_team_category_and_state(db, people):
    ann, bob, boss = people["ann"], people["bob"], people["boss"]
    heating, billing = make_category(db, "Heating", "heating"), make_category(db, "Billing", "billing")
    team = teams.create_team(db, boss, "Heating team")
    teams.set_category(db, boss, team, heating.id, True)
    mine = make_thread(db, author=people["asker"], category=billing)
    bobs = make_thread(db, author=people["asker"], category=billing)
    by_category = make_thread(db, author=people["asker"], category=heating)
    taken_from_team = make_thread(db, author=people["asker"], category=heating)
    care.assign(db, ann, mine, assignee=ann)
    care.assign(db, ann, bobs, assignee=bob)
    care.assign(db, ann, taken_from_team, assignee=bob)  # assigned otherwise: no longer the team's

    def ids(**filters):
        return {row.thread.id for row in queue_of(db, ann, **filters).rows}

    assert ids(assignee="me") == {mine.id}
    assert ids(assignee=str(bob.id)) == {bobs.id, taken_from_team.id}
    assert ids(assignee="none") == {by_category.id}
    assert ids(team_id=team.id) == {by_category.id}
    assert ids(category_id=heating.id) == {by_category.id, taken_from_team.id}
    assert ids(state="new") == {by_category.id}
    row = next(r for r in queue_of(db, ann).rows if r.thread.id == by_category.id)
    assert row.team_name == "Heating team"
    with pytest.raises(ValidationError):
        queue_of(db, ann, state="resolved")
    with pytest.raises(PermissionDenied):
        queue_of(db, people["member"])


def test_target_classes_follow_the_first_response_target():
    now = utcnow()
    target = timedelta(minutes=60)
    assert care_queue.target_class(now - timedelta(minutes=10), False, now, target) == "on-target"
    assert care_queue.target_class(now - timedelta(minutes=45), False, now, target) == "due-soon"
    assert care_queue.target_class(now - timedelta(minutes=60), False, now, target) == "overdue"
    assert care_queue.target_class(now - timedelta(days=9), True, now, target) == "answered"


def test_a_flagged_thread_waits_in_the_queue_until_its_flags_are_decided(db, people):
    from community import flags

    answered = make_thread(db, author=people["asker"], title="Answered question with a rude answer in it")
    rude = make_answer(db, answered, body="What a silly question, read the manual.")
    db.execute(update(Post).values(tone="neutral"))  # only the flag may bring it back

    def waiting_ids():
        return [row.thread.id for row in queue_of(db, people["ann"]).rows]

    assert answered.id not in waiting_ids()
    flags.flag_post(db, make_user(db, reputation=300), rude, reason="offensive", note="Rude to the asker")
    row = next(r for r in queue_of(db, people["ann"]).rows if r.thread.id == answered.id)
    assert row.reasons == ["flagged"]
    flags.dismiss(db, make_user(db, role=Role.MODERATOR), rude)
    assert answered.id not in waiting_ids()


def test_a_thread_held_as_spam_is_left_to_the_moderators_review_queue(db, people):
    held = make_thread(db, author=people["asker"], title="A question that moderators hid from view")
    assert held.id in [r.thread.id for r in queue_of(db, people["ann"]).rows]
    db.execute(update(Thread).where(Thread.id == held.id).values(hidden_at=utcnow(), hidden_reason="held for review"))
    assert held.id not in [r.thread.id for r in queue_of(db, people["ann"]).rows]
