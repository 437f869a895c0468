"""Webhooks in the domain: endpoints only admins manage, events queued in the caller's
transaction for the endpoints that want them, and payloads that hold public facts only."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from community import accepting, badges, threads, webhooks
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import Role, WebhookDelivery, WebhookEndpoint
from tests.factories import TAGGER_REPUTATION, count_rows, make_answer, make_category, make_thread, make_user


@pytest.fixture
def admin(db):
    return make_user(db, "boss", role=Role.ADMIN)


def endpoint(db, admin, events, url="https://hooks.example.com/hearth"):
    return webhooks.create_endpoint(db, admin, url=url, events=events)


def queued(db, event: str | None = None) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if event is not None:
        query = query.where(WebhookDelivery.event == event)
    return list(db.scalars(query))


def bodies(db, event: str | None = None) -> list[dict]:
    return [json.loads(d.payload) for d in queued(db, event)]


# --- Retry schedule ----------------------------------------------------------------------------


def test_the_wait_doubles_from_30_seconds_up_to_6_hours():
    waits = [webhooks.retry_delay(n) for n in range(1, 8)]
    assert waits == [timedelta(seconds=30 * 2**i) for i in range(7)]
    assert webhooks.retry_delay(10) == timedelta(seconds=15_360)
    assert webhooks.retry_delay(11) == webhooks.retry_delay(40) == timedelta(hours=6)


# --- Endpoints ---------------------------------------------------------------------------------


def test_an_admin_registers_an_endpoint_with_a_new_secret(db, admin):
    made = webhooks.create_endpoint(
        db, admin, url="  https://hooks.example.com/hearth  ",
        events=["post.created", "thread.created", "post.created", ""], description="  CRM   sync ",
    )
    other = endpoint(db, admin, ["thread.created"])
    db.commit()

    assert made.url == "https://hooks.example.com/hearth"
    assert made.event_names == ["thread.created", "post.created"]  # the list's order, once each
    assert made.description == "CRM sync" and made.active is True
    assert len(made.secret) == 64 and int(made.secret, 16) >= 0
    assert made.secret != other.secret


@pytest.mark.parametrize(
    "url",
    [
        "",
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "ftp://files.example.com/hook",
        "file:///etc/passwd",
        "data:text/plain,hello",
        "hooks.example.com/hearth",
        "//hooks.example.com/hearth",
        "https://",
        "http://exa mple.com/",
        "https://hooks.example.com:99999/",
        "https://user:password@hooks.example.com/",
        "https://hooks.example.com/" + "a" * 500,
    ],
)
def test_only_http_and_https_addresses_are_accepted(db, admin, url):
    with pytest.raises(ValidationError) as info:
        webhooks.create_endpoint(db, admin, url=url, events=["thread.created"])
    assert set(info.value.errors) == {"url"}
    assert count_rows(db, WebhookEndpoint) == 0


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "https://hooks.example.com", "HTTPS://Hooks.Example.com/a?b=c"]
)
def test_http_and_https_addresses_are_accepted(db, admin, url):
    assert webhooks.create_endpoint(db, admin, url=url, events=["thread.created"]).url == url


@pytest.mark.parametrize("events", [[], [""], ["thread.deleted"], ["thread.created", "nonsense"]])
def test_an_endpoint_needs_known_events(db, admin, events):
    with pytest.raises(ValidationError) as info:
        webhooks.create_endpoint(db, admin, url="https://hooks.example.com/", events=events)
    assert set(info.value.errors) == {"events"}


def test_every_problem_is_reported_at_once(db, admin):
    with pytest.raises(ValidationError) as info:
        webhooks.create_endpoint(db, admin, url="ftp://x", events=[], description="d" * 201)
    assert set(info.value.errors) == {"url", "events", "description"}


def test_the_events_still_to_come_can_be_subscribed_already(db, admin):
    made = endpoint(db, admin, ["thread.escalated", "user.suspended"])
    assert made.event_names == ["thread.escalated", "user.suspended"]


@pytest.mark.parametrize("role", [None, Role.MEMBER, Role.STAFF, Role.MODERATOR])
def test_only_admins_manage_webhooks(db, admin, role):
    actor = make_user(db, role=role) if role else None
    hook = endpoint(db, admin, ["thread.created"])
    webhooks.emit(db, "thread.created", {"thread": {"id": 1}})
    delivery = queued(db)[0]

    for attempt in (
        lambda: webhooks.create_endpoint(db, actor, url="https://x.example.com/", events=["thread.created"]),
        lambda: webhooks.list_endpoints(db, actor),
        lambda: webhooks.get_endpoint(db, actor, hook.id),
        lambda: webhooks.delivery_counts(db, actor),
        lambda: webhooks.set_active(db, actor, hook, False),
        lambda: webhooks.delete_endpoint(db, actor, hook),
        lambda: webhooks.deliveries(db, actor, hook),
        lambda: webhooks.get_delivery(db, actor, hook, delivery.id),
        lambda: webhooks.redeliver(db, actor, delivery),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert count_rows(db, WebhookEndpoint) == 1 and hook.active


def test_deleting_an_endpoint_deletes_its_deliveries(db, admin):
    hook = endpoint(db, admin, ["thread.created"])
    keep = endpoint(db, admin, ["thread.created"], url="https://other.example.com/")
    webhooks.emit(db, "thread.created", {"thread": {"id": 1}})
    db.commit()

    webhooks.delete_endpoint(db, admin, hook)
    db.commit()

    assert [d.endpoint_id for d in queued(db)] == [keep.id]


# --- Emitting ------------------------------------------------------------------------------------


def test_emit_queues_one_delivery_per_active_subscribed_endpoint(db, admin):
    wanted = endpoint(db, admin, ["thread.created", "post.created"])
    also = endpoint(db, admin, ["thread.created"], url="https://second.example.com/")
    endpoint(db, admin, ["post.created"], url="https://unsubscribed.example.com/")
    paused = endpoint(db, admin, ["thread.created"], url="https://paused.example.com/")
    webhooks.set_active(db, admin, paused, False)

    made = webhooks.emit(db, "thread.created", {"thread": {"id": 7, "title": "Boiler"}})

    assert [d.endpoint_id for d in made] == [wanted.id, also.id]
    first, second = (json.loads(d.payload) for d in made)
    assert first["id"] != second["id"]
    for delivery, body in zip(made, (first, second), strict=True):
        assert delivery.delivery_id == body["id"] == str(uuid.UUID(body["id"]))
        assert delivery.payload == json.dumps(body, sort_keys=True)
        assert body["event"] == delivery.event == "thread.created"
        assert body["data"] == {"thread": {"id": 7, "title": "Boiler"}}
        assert delivery.status == "pending" and delivery.attempts == 0
        assert delivery.next_attempt_at == delivery.created_at
        assert body["created_at"] == delivery.created_at.isoformat(timespec="seconds")


def test_emit_without_endpoints_queues_nothing(db):
    assert webhooks.emit(db, "post.created", {"post": {"id": 1}}) == []


def test_an_unknown_event_is_a_programming_error(db):
    with pytest.raises(ValueError):
        webhooks.emit(db, "thread.exploded", {})


def test_deliveries_roll_back_with_the_change_that_queued_them(db, admin):
    endpoint(db, admin, ["thread.created"])
    db.commit()
    make_thread(db)
    assert len(queued(db, "thread.created")) == 1
    db.rollback()
    assert queued(db) == []


# --- What the services emit ----------------------------------------------------------------------


@pytest.fixture
def everything(db, admin):
    return endpoint(db, admin, list(webhooks.EVENTS))


def test_asking_emits_thread_created_with_public_fields_only(db, everything):
    asker = make_user(db, "asker", reputation=TAGGER_REPUTATION)
    heating = make_category(db, "Heating", "heating")
    thread = threads.ask(
        db, asker, title="The boiler loses pressure overnight", body="A private detail: my door code is frobnitz-quux.",
        category_id=heating.id, tags="boiler pressure",
    )

    [body] = bodies(db, "thread.created")
    assert body["data"] == {
        "thread": {
            "id": thread.id,
            "title": "The boiler loses pressure overnight",
            "path": f"/t/{thread.id}/{thread.slug}",
            "category": {"slug": "heating", "name": "Heating"},
            "tags": ["boiler", "pressure"],
            "created_at": thread.created_at.isoformat(timespec="seconds"),
        }
    }
    assert bodies(db, "post.created") == []  # the question is part of thread.created
    assert "frobnitz" not in " ".join(d.payload for d in queued(db))


def test_answering_emits_post_created_without_the_text(db, everything):
    thread = make_thread(db)
    helper = make_user(db, "helper")
    answer = threads.answer(db, helper, thread, body="Bleed the radiators; secret-word-xyzzy.")

    [body] = bodies(db, "post.created")
    assert body["data"]["post"] == {
        "id": answer.id,
        "thread_id": thread.id,
        "path": f"/p/{answer.id}",
        "author": {"username": "helper"},
        "created_at": answer.created_at.isoformat(timespec="seconds"),
        "is_question": False,
    }
    assert body["data"]["thread"]["id"] == thread.id
    assert "xyzzy" not in " ".join(d.payload for d in queued(db))


def test_the_first_accept_solves_the_thread_and_a_change_only_accepts(db, everything):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    first, second = make_answer(db, thread), make_answer(db, thread)

    accepting.accept_answer(db, asker, first)
    [accepted] = bodies(db, "answer.accepted")
    [solved] = bodies(db, "thread.solved")
    assert accepted["data"]["post"]["id"] == first.id and accepted["data"]["accepted_by_asker"] is True
    assert solved["data"]["thread"]["id"] == thread.id and solved["data"]["accepted_post_id"] == first.id

    accepting.accept_answer(db, make_user(db, role=Role.STAFF), second)
    assert [b["data"]["post"]["id"] for b in bodies(db, "answer.accepted")] == [first.id, second.id]
    assert bodies(db, "answer.accepted")[1]["data"]["accepted_by_asker"] is False
    assert len(bodies(db, "thread.solved")) == 1

    accepting.accept_answer(db, asker, second)  # already the accepted answer: nothing happens
    assert len(bodies(db, "answer.accepted")) == 2

    accepting.unaccept_answer(db, asker, thread)
    accepting.accept_answer(db, asker, first)  # solved again after being unsolved
    assert len(bodies(db, "thread.solved")) == 2


def test_every_badge_award_is_emitted(db, everything):
    asker = make_user(db, "asker")
    make_thread(db, author=asker)  # earns Curious
    staff = make_user(db, role=Role.STAFF)
    badges.award_champion(db, staff, asker, "Answered every heating question this winter")

    awarded = [b["data"] for b in bodies(db, "badge.awarded")]
    assert [a["badge"]["key"] for a in awarded] == ["curious", "community-champion"]
    assert awarded[0] == {
        "user": {"username": "asker"},
        "badge": {"key": "curious", "name": "Curious", "tier": "bronze"},
        "awarded_at": awarded[0]["awarded_at"],
    }
    assert "winter" not in json.dumps(awarded)  # the staff's reason is not sent


def test_a_deleted_post_or_thread_is_described_by_its_ids_only(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker, title="A question about the secret-title-qq")
    gone = make_answer(db, thread, body="An answer that will be deleted, bluebird.")
    kept = make_answer(db, thread, body="An answer hidden with its thread, redwing.")
    threads.delete_post(db, make_user(db, role=Role.MODERATOR), gone)

    assert webhooks.post_created(db, gone, thread)["post"] == {"id": gone.id, "thread_id": thread.id, "deleted": True}

    threads.delete_post(db, asker, threads.question_of(db, thread))  # hides the thread and its answers
    data = [webhooks.thread_created(db, thread), webhooks.post_created(db, kept, thread)]
    assert data[0] == {"thread": {"id": thread.id, "deleted": True}}
    assert data[1]["post"] == {"id": kept.id, "thread_id": thread.id, "deleted": True}
    assert "secret-title-qq" not in json.dumps(data)


# --- Deliveries for admins -------------------------------------------------------------------------


def test_the_log_lists_an_endpoints_deliveries_newest_first(db, admin):
    hook = endpoint(db, admin, ["thread.created"])
    other = endpoint(db, admin, ["thread.created"], url="https://other.example.com/")
    for n in range(3):
        webhooks.emit(db, "thread.created", {"thread": {"id": n}})
    db.commit()

    page = webhooks.deliveries(db, admin, hook, per_page=2)
    assert page.total == 3 and page.pages == 2
    assert [json.loads(d.payload)["data"]["thread"]["id"] for d in page.items] == [2, 1]
    assert webhooks.delivery_counts(db, admin) == {hook.id: {"pending": 3}, other.id: {"pending": 3}}
    with pytest.raises(NotFound):
        webhooks.get_delivery(db, admin, hook, webhooks.deliveries(db, admin, other).items[0].id)


def test_redeliver_queues_the_same_delivery_again_now(db, admin):
    hook = endpoint(db, admin, ["thread.created"])
    [delivery] = webhooks.emit(db, "thread.created", {"thread": {"id": 1}})
    delivery.status, delivery.attempts = "failed", 8
    delivery.next_attempt_at -= timedelta(hours=5)
    payload, delivery_id = delivery.payload, delivery.delivery_id

    webhooks.redeliver(db, admin, delivery)

    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert delivery.next_attempt_at >= delivery.created_at
    assert (delivery.payload, delivery.delivery_id) == (payload, delivery_id)

    webhooks.set_active(db, admin, hook, False)
    with pytest.raises(ValidationError, match="inactive"):
        webhooks.redeliver(db, admin, delivery)
