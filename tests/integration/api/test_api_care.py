"""The care console through the API: the queue, assignment and state, and the metrics, for staff
tokens only, over the same services (and so the same figures and audit rows) as the staff pages."""

from dataclasses import asdict
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from community import audit, care, care_metrics, teams
from community.db import utcnow
from community.models import AuditEntry, Notification, Role, ThreadCare, User
from tests import care_scenario
from tests.factories import make_answer, make_category, make_thread, make_user
from tests.integration.api.contract import conforms, problem, token

QUEUE, CARE, METRICS = "/api/v1/care/queue", "/api/v1/threads/{thread_id}/care", "/api/v1/care/metrics"


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


@pytest.fixture
def ann(db, people) -> dict:
    """Headers of a token of a staff member that may read and change care."""
    return token(db, people["ann"], "staff", "write")


def queue(app, client, headers, **args) -> dict:
    response = client.get(QUEUE, query_string=args, headers=headers)
    assert response.status_code == 200, response.data
    return conforms(app, response, "GET", QUEUE)


def patch(client, headers, thread_id: int, body):
    return client.patch(f"/api/v1/threads/{thread_id}/care", json=body, headers=headers)


# --- who may -----------------------------------------------------------------------------------


def test_every_care_operation_needs_a_staff_token(app, client, db, people):
    thread = make_thread(db, author=people["asker"])
    db.commit()
    calls = [("GET", QUEUE, QUEUE, None), ("GET", METRICS, METRICS, None), ("PATCH", CARE, f"/api/v1/threads/{thread.id}/care", {"state": "resolved"})]
    member = token(db, people["member"], "read", "write")
    read_only_staff = token(db, people["bob"], "read")
    for method, rule, url, body in calls:
        refused = problem(app, client.open(url, method=method, json=body), method, rule, 401)
        assert "staff" in refused["detail"]
        for headers in (member, read_only_staff):
            problem(app, client.open(url, method=method, json=body, headers=headers), method, rule, 403)
    assert db.get(ThreadCare, thread.id) is None  # nothing was changed by a refused call


def test_assigning_needs_the_write_scope_as_well_as_staff(app, client, db, people):
    thread = make_thread(db, author=people["asker"])
    db.commit()
    staff_only = token(db, people["ann"], "staff")
    assert client.get(QUEUE, headers=staff_only).status_code == 200
    refused = problem(app, patch(client, staff_only, thread.id, {"state": "resolved"}), "PATCH", CARE, 403)
    assert "write" in refused["detail"]
    write_only = token(db, people["ann"], "write")
    problem(app, patch(client, write_only, thread.id, {"state": "resolved"}), "PATCH", CARE, 403)


def test_a_staff_token_stops_working_when_its_owner_is_no_longer_staff(app, client, db, people, ann):
    db.get(User, people["ann"].id).role = Role.MEMBER.value
    db.commit()
    problem(app, client.get(QUEUE, headers=ann), "GET", QUEUE, 403)
    problem(app, client.get(METRICS, headers=ann), "GET", METRICS, 403)


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_lists_waiting_threads_with_why_and_who(app, client, db, people, ann):
    heating = make_category(db, "Heating", "heating")
    team = teams.create_team(db, people["boss"], "Heating team")
    teams.set_category(db, people["boss"], team, heating.id, True)
    waiting = make_thread(db, author=people["asker"], category=heating, title="How do I set the night schedule on the boiler?")
    care.assign(db, people["ann"], waiting, assignee=people["bob"])
    resolved = make_thread(db, author=people["asker"], title="A question staff answered and resolved")
    make_answer(db, resolved, author=people["bob"], body="Staff here: replace the fuse.")
    care.set_state(db, people["ann"], resolved, "resolved")
    answered = make_thread(db, author=people["asker"], title="A fresh question a customer answered")
    make_answer(db, answered, author=people["member"])
    routed = make_thread(db, author=people["asker"], category=heating, title="The radiators are cold upstairs")
    db.commit()

    body = queue(app, client, ann)
    assert body["total"] == 2 and body["first_response_target_minutes"] == app.config["CARE_FIRST_RESPONSE_MINUTES"]
    rows = {row["thread"]["id"]: row for row in body["items"]}
    assert set(rows) == {waiting.id, routed.id}
    row = rows[waiting.id]
    assert row["thread"]["title"] == "How do I set the night schedule on the boiler?"
    assert row["thread"]["category"]["slug"] == "heating"
    assert row["state"] == "assigned" and row["assignee_id"] == people["bob"].id and row["assignee_username"] == "bob"
    assert row["team"] is None  # a person assigned overrides the category's team
    assert row["reasons"] == ["unanswered"] and row["target"] == "on-target" and 0 <= row["age_minutes"] < 5
    assert not row["escalated"] and not row["negative"]
    assert rows[routed.id]["team"] == {"id": team.id, "name": "Heating team"} and rows[routed.id]["state"] == "new"


def test_the_queue_filters_like_the_staff_page(app, client, db, people, ann):
    heating = make_category(db, "Heating", "heating")
    team = teams.create_team(db, people["boss"], "Heating team")
    theirs = make_thread(db, author=people["asker"], category=heating, title="Assigned to the heating team")
    care.assign(db, people["ann"], theirs, team=team)
    bobs = make_thread(db, author=people["asker"], title="Assigned to Bob himself")
    care.assign(db, people["ann"], bobs, assignee=people["bob"])
    nobodys = make_thread(db, author=people["asker"], title="Nobody has this one yet")
    db.commit()

    def ids(**args) -> list[int]:
        return [row["thread"]["id"] for row in queue(app, client, ann, **args)["items"]]

    assert sorted(ids()) == sorted([theirs.id, bobs.id, nobodys.id])
    assert ids(assignee=str(people["bob"].id)) == [bobs.id]
    assert ids(assignee="me") == []
    assert sorted(ids(assignee="none")) == sorted([theirs.id, nobodys.id])
    assert ids(team=team.id) == [theirs.id]
    assert ids(category="heating") == [theirs.id]
    assert ids(state="new") == [nobodys.id]
    assert ids(per_page=1, page=3) and len(ids(per_page=1)) == 1
    problem(app, client.get(f"{QUEUE}?category=nope", headers=ann), "GET", QUEUE, 404)
    for bad in ("state=resolved", "assignee=someone", "team=0", "per_page=101"):
        problem(app, client.get(f"{QUEUE}?{bad}", headers=ann), "GET", QUEUE, 422)


def test_escalated_and_negative_threads_say_so(app, client, db, people, ann):
    # Scored as negative when posted, as any question is.
    angry = make_thread(
        db, author=people["asker"], title="Third week without heating and nobody answers",
        body="This is useless and I am furious.",
    )
    care.escalate(db, people["ann"], angry, "The customer has been waiting for weeks")
    db.commit()
    [row] = queue(app, client, ann)["items"]
    assert row["escalated"] and row["negative"]
    assert row["reasons"] == ["unanswered", "escalated", "negative tone"]


# --- assigning and moving along ----------------------------------------------------------------


def test_assigning_changes_the_assignee_and_writes_the_audit_row(app, client, db, people, ann):
    thread = make_thread(db, author=people["asker"], title="The thermostat forgets its schedule")
    team = teams.create_team(db, people["boss"], "Heating team")
    db.commit()
    response = patch(client, ann, thread.id, {"assignee_id": people["bob"].id})
    record = conforms(app, response, "PATCH", CARE)
    assert response.status_code == 200
    assert record["assignee"]["username"] == "bob" and record["state"] == "assigned" and record["team"] is None
    db.expire_all()
    assert db.get(ThreadCare, thread.id).assignee_id == people["bob"].id
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "care.assign")).all()
    assert entry.actor_id == people["ann"].id and (entry.target_type, entry.target_id) == ("thread", thread.id)
    assert audit.decoded(entry.before)["assignee_id"] is None and audit.decoded(entry.after)["assignee_id"] == people["bob"].id
    assert db.scalar(select(Notification.kind).where(Notification.recipient_id == people["bob"].id)) == "assigned"

    # A field left out keeps its value.
    record = patch(client, ann, thread.id, {"team_id": team.id}).get_json()
    assert record["assignee"]["id"] == people["bob"].id and record["team"] == {"id": team.id, "name": "Heating team"}
    record = patch(client, ann, thread.id, {"assignee_id": None, "team_id": None}).get_json()
    assert record["assignee"] is None and record["team"] is None and record["state"] == "new"
    assert len(db.scalars(select(AuditEntry).where(AuditEntry.action == "care.assign")).all()) == 3


def test_states_move_as_on_the_staff_panel(app, client, db, people, ann):
    thread = make_thread(db, author=people["asker"], title="The app cannot find the thermostat")
    db.commit()
    # The state the assignment moves the thread to may be asked for with it.
    record = conforms(app, patch(client, ann, thread.id, {"assignee_id": people["ann"].id, "state": "assigned"}), "PATCH", CARE)
    assert record["state"] == "assigned" and record["assignee"]["username"] == "ann"
    record = patch(client, ann, thread.id, {"state": "resolved"}).get_json()
    assert record["state"] == "resolved"
    assert queue(app, client, ann)["items"] == []  # resolved threads leave the queue
    body = problem(app, patch(client, ann, thread.id, {"state": "waiting"}), "PATCH", CARE, 422)
    assert body["errors"] == [{"field": "state", "message": "A resolved thread cannot move to waiting."}]
    problem(app, patch(client, ann, thread.id, {"state": "resolved"}), "PATCH", CARE, 422)
    assert patch(client, ann, thread.id, {"state": "new"}).get_json()["state"] == "new"
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["care.assign", "care.state", "care.state"]


def test_refused_changes_save_nothing_and_name_the_field(app, client, db, people, ann):
    thread = make_thread(db, author=people["asker"])
    care.set_state(db, people["ann"], thread, "waiting")
    db.commit()
    body = problem(app, patch(client, ann, thread.id, {"assignee_id": people["member"].id}), "PATCH", CARE, 422)
    assert body["errors"][0]["field"] == "assignee_id"
    body = problem(app, patch(client, ann, thread.id, {"team_id": 999999}), "PATCH", CARE, 422)
    assert body["errors"][0]["field"] == "team_id"
    problem(app, patch(client, ann, thread.id, {"assignee_id": people["bob"].id, "state": "sleeping"}), "PATCH", CARE, 422)
    problem(app, patch(client, ann, thread.id, {}), "PATCH", CARE, 422)
    problem(app, patch(client, ann, thread.id, {"state": None}), "PATCH", CARE, 422)
    problem(app, patch(client, ann, thread.id, {"assignee": people["bob"].id}), "PATCH", CARE, 422)
    # Assigned, then refused on the state (a waiting thread cannot go back to new): the assignment goes too.
    body = problem(app, patch(client, ann, thread.id, {"assignee_id": people["bob"].id, "state": "new"}), "PATCH", CARE, 422)
    assert body["errors"][0]["field"] == "state"
    problem(app, patch(client, ann, 999999, {"state": "resolved"}), "PATCH", CARE, 404)
    db.expire_all()
    record = db.get(ThreadCare, thread.id)
    assert (record.state, record.assignee_id, record.team_id) == ("waiting", None, None)
    assert db.scalars(select(AuditEntry.action)).all() == ["care.state"]  # the set-up's only


# --- metrics -----------------------------------------------------------------------------------


@pytest.fixture
def scenario(app, db):
    # Far enough back that the whole period lies before today, whatever day the tests run.
    return care_scenario.build(db, utcnow().date() - timedelta(days=20))


def test_metrics_match_the_report_the_page_shows(app, client, db, scenario):
    staff = scenario.users["stafffirst"]
    headers = token(db, staff, "staff")
    args = {"since": scenario.first.isoformat(), "until": scenario.last.isoformat()}
    body = conforms(app, client.get(METRICS, query_string=args, headers=headers), "GET", METRICS)
    report = care_metrics.report(db, scenario.since, scenario.until, actor=staff)
    assert (body["since"], body["until"]) == (args["since"], args["until"])
    assert body["overall"] == asdict(report.overall)
    for group in ("categories", "teams", "staff"):
        assert body[group] == [asdict(row) for row in getattr(report, group)], group
    assert [(d["day"], d["new_questions"], d["backlog"]) for d in body["days"]] == [
        (p.day.isoformat(), p.new_questions, p.backlog) for p in report.days
    ]
    assert [w["label"] for w in body["weeks"]] == [w.label for w in report.weeks]
    assert body["backlog_at_start"] == report.backlog_at_start
    # The hand-worked figures of tests/care_scenario.py.
    heating = next(row for row in body["categories"] if row["name"] == "Heating")
    assert heating["median_first_response"] == 10.0 and heating["p90_first_staff_response"] == 90.0
    assert heating["deflection"] == 0.5
    assert [d["backlog"] for d in body["days"]] == [1, 0, 2, 1, 1, 1, 1]


def test_metrics_period_defaults_like_the_page(app, client, db, people):
    staff = people["ann"]
    headers = token(db, staff, "staff")
    today = utcnow().date()
    body = conforms(app, client.get(METRICS, headers=headers), "GET", METRICS)
    assert (body["since"], body["until"]) == ((today - timedelta(days=29)).isoformat(), today.isoformat())
    assert len(body["days"]) == 30
    ending = date(2025, 3, 31)
    body = client.get(f"{METRICS}?until={ending.isoformat()}", headers=headers).get_json()
    assert (body["since"], body["until"]) == ("2025-03-02", "2025-03-31")
    starting = today - timedelta(days=10)
    body = client.get(f"{METRICS}?since={starting.isoformat()}", headers=headers).get_json()
    assert (body["since"], body["until"]) == (starting.isoformat(), today.isoformat())
    # The longest period allowed: 366 days, both ends included.
    longest = {"since": "2024-01-01", "until": "2024-12-31"}
    assert client.get(METRICS, query_string=longest, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        "since=2025-13-01",
        "until=yesterday",
        "until=1700000000",  # not read as a Unix time
        "since=2025-02-30",
        "since=2025-03-10&until=2025-03-01",
        "since=2023-01-01&until=2024-12-31",
        "since=2000-01-01&until=2001-01-01",
    ],
)
def test_bad_or_too_long_periods_are_422(app, client, db, people, args):
    headers = token(db, people["ann"], "staff")
    body = problem(app, client.get(f"{METRICS}?{args}", headers=headers), "GET", METRICS, 422)
    assert body["errors"][0]["field"] in ("since", "until")
