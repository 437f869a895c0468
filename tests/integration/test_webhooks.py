"""Webhooks end to end: events from the site's forms reach a real HTTP receiver on 127.0.0.1
after the commit, signed; failures are retried with backoff and never break a request; two
senders never send the same delivery twice; only admins see the pages."""

import json
import logging
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import config
from app import create_app
from app.webhook_sender import deliver_due
from app.webhooks_cli import webhooks_cli
from community import webhooks
from community.models import Post, Role, WebhookDelivery, WebhookEndpoint
from tests.factories import make_answer, make_thread, make_user
from tests.integration.helpers import field_errors, fresh, login, text
from tests.receiver import Answer, Receiver, closed_port_url, signature_is_valid


@pytest.fixture
def receivers():
    """Start receivers on demand; every one is stopped after the test."""
    made = []

    def make(*answers, delay=0.0, on_request=None):
        receiver = Receiver(answers, delay=delay, on_request=on_request)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def boss(db):
    user = make_user(db, "boss", role=Role.ADMIN)
    db.commit()
    return user


@pytest.fixture
def admin(app, boss):
    client = app.test_client()
    login(client, "boss")
    return client


@pytest.fixture
def scene(db, boss):
    """A thread by the asker, and a helper signed in to answer it."""
    asker, helper = make_user(db, "asker"), make_user(db, "helper")
    thread = make_thread(db, author=asker, title="The boiler loses pressure overnight")
    db.commit()
    return {"asker": asker, "helper": helper, "thread": thread}


@pytest.fixture
def factory(app):
    return app.extensions["hearth.sessionmaker"]


def hook(db, boss, url: str, events: list[str]) -> WebhookEndpoint:
    endpoint = webhooks.create_endpoint(db, boss, url=url, events=events)
    db.commit()
    return endpoint


def signed_in(app, username: str):
    client = app.test_client()
    login(client, username)
    return client


def post_answer(app, thread, body: str = "Bleed the radiators, then top up the pressure.") -> int:
    response = signed_in(app, "helper").post(f"/t/{thread.id}/answer", data={"body": body})
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def deliveries(db, **where) -> list[WebhookDelivery]:
    fresh(db)
    query = select(WebhookDelivery).filter_by(**where).order_by(WebhookDelivery.id)
    return list(db.scalars(query))


# --- Delivered after the commit, signed ----------------------------------------------------------


def test_an_answer_posted_on_the_site_reaches_the_receiver_signed_after_the_commit(
    app, db, engine, boss, scene, receivers
):
    def committed(received):
        """Seen from another connection while the request is being answered: committed rows only."""
        data = json.loads(received.body)["data"]
        with engine.connect() as conn:
            post = conn.scalar(select(Post.id).where(Post.id == data["post"]["id"]))
            delivery = conn.scalar(
                select(WebhookDelivery.id).where(WebhookDelivery.delivery_id == received.headers["Hearth-Delivery"])
            )
        return post is not None and delivery is not None

    receiver = receivers(on_request=committed)
    endpoint = hook(db, boss, receiver.url, ["post.created"])

    started = time.time()
    post_id = post_answer(app, scene["thread"], body="Bleed the radiators; the door code is frobnitz.")

    [received] = receiver.requests
    assert received.seen is True
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Hearth-Event"] == "post.created"
    assert signature_is_valid(endpoint.secret, received)
    assert started - 1 <= int(received.headers["Hearth-Timestamp"]) <= time.time() + 1
    body = received.json
    assert body["id"] == received.headers["Hearth-Delivery"]
    assert body["event"] == "post.created"
    assert body["data"]["post"]["id"] == post_id and body["data"]["post"]["author"] == {"username": "helper"}
    assert body["data"]["thread"]["title"] == "The boiler loses pressure overnight"
    assert "frobnitz" not in received.body  # the text of a post is never sent

    [delivery] = deliveries(db)
    assert delivery.payload == received.body  # the exact body, kept for retries
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.delivered_at is not None and delivery.last_duration_ms is not None
    assert delivery.last_response_excerpt == "ok" and delivery.last_error == ""


def test_a_tampered_body_or_another_secret_fails_the_signature_check(app, db, boss, scene, receivers):
    receiver = receivers()
    endpoint = hook(db, boss, receiver.url, ["post.created"])
    post_answer(app, scene["thread"])
    [received] = receiver.requests

    assert signature_is_valid(endpoint.secret, received)
    received.body = received.body.replace('"post.created"', '"thread.solved"')
    assert not signature_is_valid(endpoint.secret, received)
    assert not signature_is_valid("b" * 64, receiver.requests[0])


def test_an_endpoint_gets_only_the_events_it_subscribed_to(app, db, boss, scene, receivers):
    accepts, answers = receivers(), receivers()
    hook(db, boss, accepts.url, ["answer.accepted"])
    hook(db, boss, answers.url, ["post.created"])

    post_id = post_answer(app, scene["thread"])
    assert accepts.requests == []
    assert [r.headers["Hearth-Event"] for r in answers.requests] == ["post.created"]

    assert signed_in(app, "asker").post(f"/p/{post_id}/accept").status_code == 302
    assert [r.headers["Hearth-Event"] for r in accepts.requests] == ["answer.accepted"]
    assert accepts.requests[0].json["data"]["post"]["id"] == post_id
    assert len(answers.requests) == 1


def test_an_inactive_endpoint_gets_nothing_until_it_is_active_again(app, db, boss, scene, receivers, admin):
    receiver = receivers()
    endpoint = hook(db, boss, receiver.url, ["post.created"])
    assert admin.post(f"/admin/webhooks/{endpoint.id}/active", data={"active": "0"}).status_code == 302

    post_answer(app, scene["thread"])
    assert receiver.requests == [] and deliveries(db) == []

    assert admin.post(f"/admin/webhooks/{endpoint.id}/active", data={"active": "1"}).status_code == 302
    post_answer(app, scene["thread"], body="Another way: check the expansion vessel.")
    assert len(receiver.requests) == 1


# --- Failures, retries and backoff ---------------------------------------------------------------


def test_a_failing_receiver_is_retried_with_backoff_until_it_succeeds(
    app, db, boss, scene, receivers, factory, caplog
):
    caplog.set_level(logging.INFO, logger="app.webhook_sender")
    receiver = receivers(Answer(500, "database is down"), Answer(503, "still down"))
    endpoint = hook(db, boss, receiver.url, ["post.created"])

    post_answer(app, scene["thread"])  # attempt 1, right after the commit
    [first] = deliveries(db)
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert first.last_response_excerpt == "database is down" and "500" in first.last_error
    waited = first.next_attempt_at - first.created_at
    assert timedelta(seconds=30) <= waited < timedelta(seconds=40)

    assert deliver_due(factory, now=first.next_attempt_at - timedelta(seconds=1)) == []  # not due yet
    assert len(receiver.requests) == 1

    second_try = first.next_attempt_at
    [attempt] = deliver_due(factory, now=second_try)
    assert (attempt.status, attempt.outcome.status_code) == ("pending", 503)
    [second] = deliveries(db)
    assert (second.attempts, second.last_status_code, second.last_response_excerpt) == (2, 503, "still down")
    assert second.next_attempt_at == second_try + timedelta(seconds=60)

    third_try = second.next_attempt_at
    assert deliver_due(factory, now=third_try - timedelta(seconds=1)) == []
    [attempt] = deliver_due(factory, now=third_try)
    assert attempt.status == "succeeded"
    [done] = deliveries(db)
    assert (done.status, done.attempts, done.last_status_code, done.last_error) == ("succeeded", 3, 200, "")
    assert done.delivered_at == third_try

    assert deliver_due(factory, now=third_try + timedelta(days=1)) == []  # delivered: never again
    assert {r.headers["Hearth-Delivery"] for r in receiver.requests} == {done.delivery_id}
    assert {r.body for r in receiver.requests} == {done.payload}
    assert all(signature_is_valid(endpoint.secret, r) for r in receiver.requests)
    logged = [r.getMessage() for r in caplog.records if done.delivery_id in r.getMessage()]
    assert [("attempt 1" in m, "attempt 2" in m, "attempt 3" in m) for m in logged] == [
        (True, False, False), (False, True, False), (False, False, True)
    ]


def test_a_receiver_that_is_down_never_breaks_posting(app, db, boss, scene):
    hook(db, boss, closed_port_url(), ["post.created", "answer.accepted", "thread.solved", "badge.awarded"])

    post_id = post_answer(app, scene["thread"])
    assert signed_in(app, "asker").post(f"/p/{post_id}/accept").status_code == 302
    page = signed_in(app, "helper").get(f"/t/{scene['thread'].id}", follow_redirects=True)
    assert page.status_code == 200 and "Bleed the radiators" in text(page)

    fresh(db)
    assert db.get(Post, post_id) is not None
    sent = deliveries(db)
    assert {d.event for d in sent} >= {"post.created", "answer.accepted", "thread.solved", "badge.awarded"}
    for delivery in sent:
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
        assert delivery.last_error.startswith("Could not connect")
        assert delivery.last_duration_ms is not None and delivery.next_attempt_at > delivery.created_at


def test_after_8_failed_attempts_the_delivery_is_failed(app, db, boss, scene, factory):
    hook(db, boss, closed_port_url(), ["post.created"])
    post_answer(app, scene["thread"])  # attempt 1

    for attempt in range(2, webhooks.MAX_ATTEMPTS + 1):
        [delivery] = deliveries(db)
        assert (delivery.status, delivery.attempts) == ("pending", attempt - 1)
        now = delivery.next_attempt_at
        [made] = deliver_due(factory, now=now)
        if attempt < webhooks.MAX_ATTEMPTS:
            [after] = deliveries(db)
            assert after.next_attempt_at - now == webhooks.retry_delay(attempt)
    [delivery] = deliveries(db)
    assert (delivery.status, delivery.attempts) == ("failed", 8)
    assert made.status == "failed"
    assert deliver_due(factory, now=now + timedelta(days=30)) == []  # given up


def test_redeliver_sends_the_same_delivery_again(app, db, boss, scene, receivers, admin):
    receiver = receivers(Answer(500), Answer(500))
    endpoint = hook(db, boss, receiver.url, ["post.created"])
    post_answer(app, scene["thread"])
    [delivery] = deliveries(db)
    assert delivery.status == "pending" and delivery.attempts == 1

    page = admin.get(f"/admin/webhooks/{endpoint.id}")
    assert page.status_code == 200
    row = text(page).split(delivery.delivery_id, 1)[1].split("</tr>")[0]
    assert "pending" in row and "<td class=\"num\">500</td>" in row and "Redeliver" in row

    response = admin.post(f"/admin/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/webhooks/{endpoint.id}"
    [again] = deliveries(db)
    assert (again.status, again.attempts, again.last_status_code) == ("pending", 1, 500)  # a fresh count

    admin.post(f"/admin/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver")
    [done] = deliveries(db)
    assert (done.status, done.attempts, done.last_status_code) == ("succeeded", 1, 200)
    assert [r.headers["Hearth-Delivery"] for r in receiver.requests] == [delivery.delivery_id] * 3
    assert {r.body for r in receiver.requests} == {delivery.payload}
    assert "succeeded" in text(admin.get(f"/admin/webhooks/{endpoint.id}"))


def test_redelivering_to_an_inactive_endpoint_is_refused(app, db, boss, scene, receivers, admin):
    receiver = receivers()
    endpoint = hook(db, boss, receiver.url, ["post.created"])
    post_answer(app, scene["thread"])
    [delivery] = deliveries(db)
    admin.post(f"/admin/webhooks/{endpoint.id}/active", data={"active": "0"})

    response = admin.post(
        f"/admin/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver", follow_redirects=True
    )

    assert "activate it before redelivering" in text(response)
    assert deliveries(db)[0].attempts == 1 and len(receiver.requests) == 1


def test_a_delivery_of_another_endpoint_is_not_found(app, db, boss, scene, receivers, admin):
    one, two = hook(db, boss, receivers().url, ["post.created"]), hook(db, boss, receivers().url, ["thread.solved"])
    post_answer(app, scene["thread"])
    [delivery] = deliveries(db)

    assert admin.post(f"/admin/webhooks/{two.id}/deliveries/{delivery.id}/redeliver").status_code == 404
    assert admin.get(f"/admin/webhooks/{one.id + two.id + 1}").status_code == 404


# --- Nothing deleted leaks -----------------------------------------------------------------------


def test_a_deleted_answers_content_never_appears_in_any_payload(app, db, boss, scene, receivers):
    receiver = receivers()
    hook(db, boss, receiver.url, list(webhooks.EVENTS))
    secret_text = "My account number is 99-8877-66, please call me."

    gone = post_answer(app, scene["thread"], body=secret_text)
    helper = signed_in(app, "helper")
    assert helper.post(f"/p/{gone}/delete").status_code == 302
    kept = post_answer(app, scene["thread"], body="Top the pressure up to 1.5 bar when cold.")
    asker = signed_in(app, "asker")
    assert asker.post(f"/p/{gone}/accept").status_code in (400, 404)  # a deleted answer cannot be accepted
    assert asker.post(f"/p/{kept}/accept").status_code == 302

    fresh(db)
    payloads = [d.payload for d in deliveries(db)] + [r.body for r in receiver.requests]
    assert len(payloads) >= 6
    for fragment in ("99-8877-66", "account number", "please call me"):
        assert not any(fragment in p for p in payloads)
    accepted = [json.loads(p) for p in payloads if '"answer.accepted"' in p]
    assert {a["data"]["post"]["id"] for a in accepted} == {kept}


# --- Two senders at once -----------------------------------------------------------------------------


def test_two_concurrent_senders_send_each_delivery_once(app, db, boss, receivers, factory):
    receiver = receivers(delay=0.02)
    hook(db, boss, receiver.url, ["thread.created"])
    for n in range(12):
        make_thread(db, title=f"Question number {n} about the thermostat")
    db.commit()  # through the test's own session: nothing is sent until a sender runs
    assert len(deliveries(db, status="pending")) == 12 and receiver.requests == []

    start = threading.Barrier(2)
    made: list[list] = []

    def run():
        start.wait()
        made.append(deliver_due(factory))

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)

    sent_ids = [r.headers["Hearth-Delivery"] for r in receiver.requests]
    assert len(sent_ids) == 12 and len(set(sent_ids)) == 12
    assert sum(len(attempts) for attempts in made) == 12
    assert [(d.status, d.attempts) for d in deliveries(db)] == [("succeeded", 1)] * 12
    assert deliver_due(factory) == []


# --- The background thread and the command line ------------------------------------------------------


def test_the_background_thread_sends_soon_after_the_commit(database_url, db, boss, scene, receivers, tmp_path):
    settings = config.TestingConfig(database_url, search_index_dir=str(tmp_path / "index"))
    settings.WEBHOOK_SENDER = "thread"
    settings.WEBHOOK_POLL_SECONDS = 0.2
    threaded = create_app(settings)
    sender = threaded.extensions["hearth.webhook_sender"]
    try:
        receiver = receivers()
        hook(db, boss, receiver.url, ["post.created"])
        post_answer(threaded, scene["thread"])  # the request returns without waiting for the receiver

        [received] = receiver.wait_for(1)
        assert received.headers["Hearth-Event"] == "post.created"
        deadline = time.monotonic() + 5
        while deliveries(db)[0].status != "succeeded" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert deliveries(db)[0].status == "succeeded"

        # A delivery queued elsewhere (another worker, the command line) is found by polling.
        hook(db, boss, receiver.url, ["thread.created"])
        make_thread(db, title="A question asked through another process", author=scene["asker"])
        db.commit()
        assert [r.headers["Hearth-Event"] for r in receiver.wait_for(2)] == ["post.created", "thread.created"]
    finally:
        sender.stop(5)
        threaded.extensions["hearth.search"].close()
        threaded.extensions["hearth.engine"].dispose()


def test_flask_webhooks_send_delivers_what_is_due(app, db, boss, receivers):
    up, down = receivers(), closed_port_url()
    hook(db, boss, up.url, ["thread.created"])
    hook(db, boss, down, ["thread.created"])
    make_thread(db)
    make_thread(db)
    db.commit()
    runner = app.test_cli_runner()

    with app.app_context():
        once = runner.invoke(webhooks_cli, ["send", "--once", "--limit", "1"])
        rest = runner.invoke(webhooks_cli, ["send"])
        again = runner.invoke(webhooks_cli, ["send"])

    assert once.exit_code == 0, once.output
    assert "Made 1 delivery attempt: 1 delivered, 0 failed." in once.output
    assert "Made 3 delivery attempts: 1 delivered, 2 failed." in rest.output
    assert "Could not connect" in rest.output and "thread.created" in rest.output
    assert "Made 0 delivery attempts" in again.output  # the failed ones wait for their retry time
    assert len(up.requests) == 2


# --- Admin pages -------------------------------------------------------------------------------------


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(admin, db):
    page = text(admin.get("/admin/webhooks"))
    assert "No webhook endpoints yet." in page
    for event in webhooks.EVENTS:
        assert f'value="{event}"' in page

    response = admin.post(
        "/admin/webhooks",
        data={
            "url": "https://crm.example.com/hooks/hearth",
            "events": ["answer.accepted", "thread.created"],
            "description": "CRM sync",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/webhooks"

    fresh(db)
    endpoint = db.scalar(select(WebhookEndpoint))
    assert endpoint.event_names == ["thread.created", "answer.accepted"]
    shown = admin.get("/admin/webhooks")
    assert endpoint.secret in text(shown)
    assert shown.headers["Cache-Control"] == "no-store"
    later = text(admin.get("/admin/webhooks"))
    assert endpoint.secret not in later
    assert "https://crm.example.com/hooks/hearth" in later and "CRM sync" in later
    assert endpoint.secret not in text(admin.get(f"/admin/webhooks/{endpoint.id}"))


def test_an_admin_deactivates_and_deletes_an_endpoint(admin, db, boss):
    endpoint_id = hook(db, boss, "https://crm.example.com/hooks/hearth", ["thread.created"]).id
    webhooks.emit(db, "thread.created", {"thread": {"id": 1}})
    db.commit()

    assert admin.post(f"/admin/webhooks/{endpoint_id}/active", data={"active": "0"}).status_code == 302
    page = text(admin.get("/admin/webhooks"))
    assert "inactive" in page and "Activate" in page
    fresh(db)
    assert db.get(WebhookEndpoint, endpoint_id).active is False

    assert admin.post(f"/admin/webhooks/{endpoint_id}/delete").status_code == 302
    fresh(db)
    assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    assert deliveries(db) == []
    assert admin.get(f"/admin/webhooks/{endpoint_id}").status_code == 404


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://files.example.com/hook", "", "crm.example.com/hook"]
)
def test_a_bad_address_is_refused_with_the_form_kept(admin, db, url):
    response = admin.post("/admin/webhooks", data={"url": url, "events": ["thread.created"]})

    assert response.status_code == 400
    page = text(response)
    assert field_errors(page, "url")
    assert re.search(r'<input checked[^>]* value="thread.created"', page)  # the choice is kept
    fresh(db)
    assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_an_endpoint_without_events_is_refused(admin, db):
    response = admin.post("/admin/webhooks", data={"url": "https://crm.example.com/hooks/hearth"})

    assert response.status_code == 400
    assert field_errors(text(response), "events") == ["Choose at least one event."]
    fresh(db)
    assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_the_admin_tabs_link_the_webhooks_page(admin):
    assert 'href="/admin/webhooks"' in text(admin.get("/admin/categories"))


@pytest.mark.parametrize("role", [Role.MEMBER, Role.STAFF, Role.MODERATOR])
def test_only_admins_reach_the_webhook_pages(app, db, boss, role):
    endpoint = hook(db, boss, "https://crm.example.com/hooks/hearth", ["thread.created"])
    make_user(db, "someone", role=role)
    db.commit()
    client = signed_in(app, "someone")

    assert client.get("/admin/webhooks").status_code == 403
    assert client.get(f"/admin/webhooks/{endpoint.id}").status_code == 403
    data = {"url": "https://evil.example.com/", "events": ["thread.created"]}
    assert client.post("/admin/webhooks", data=data).status_code == 403
    assert client.post(f"/admin/webhooks/{endpoint.id}/delete").status_code == 403
    fresh(db)
    assert [e.url for e in db.scalars(select(WebhookEndpoint))] == ["https://crm.example.com/hooks/hearth"]


def test_a_thread_answered_before_any_endpoint_existed_sends_nothing_later(app, db, boss, scene, receivers):
    make_answer(db, scene["thread"])
    db.commit()
    receiver = receivers()
    hook(db, boss, receiver.url, ["post.created"])
    post_answer(app, scene["thread"])
    assert len(receiver.requests) == 1  # only the answer posted after the endpoint was added
