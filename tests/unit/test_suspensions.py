"""Suspensions: who may suspend whom, what a suspended member can no longer do, and when it ends."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community import accepting, accounts, audit, permissions, suspensions, threads, voting, webhooks
from community.db import utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import Role, User, WebhookDelivery
from tests.factories import VOTER_REPUTATION, make_answer, make_thread, make_user

REASON = "Posted the same advert in every category."


@pytest.fixture
def mod(db):
    return make_user(db, "mod", role=Role.MODERATOR)


def test_a_suspension_for_days_ends_by_itself(db, mod):
    member = make_user(db, "member")
    suspensions.suspend(db, mod, member, days=3, reason=REASON)
    assert member.is_suspended and permissions.is_suspended(member)
    assert timedelta(days=2, hours=23) < member.suspended_until - utcnow() <= timedelta(days=3)
    assert member.suspension_reason == REASON

    db.execute(update(User).where(User.id == member.id).values(suspended_until=utcnow() - timedelta(seconds=1)))
    db.refresh(member)
    assert not member.is_suspended
    assert permissions.can_ask(member)


def test_a_permanent_suspension_lasts_until_lifted_and_both_are_audited(db, mod):
    admin = make_user(db, "boss", role=Role.ADMIN)
    member = make_user(db, "member")
    suspensions.suspend(db, mod, member, days=None, reason=REASON)
    assert member.suspended_until is None and member.is_suspended

    suspensions.lift(db, mod, member)
    assert not member.is_suspended and member.suspension_reason is None
    rows = audit.entries(db, admin, audit.AuditFilter(action="user.")).items
    assert [(e.action, e.actor_id, e.target_id) for e in rows] == [
        ("user.unsuspend", mod.id, member.id),
        ("user.suspend", mod.id, member.id),
    ]
    assert audit.decoded(rows[1].after)["reason"] == REASON and audit.decoded(rows[1].before)["active"] is False
    with pytest.raises(ValidationError):
        suspensions.lift(db, mod, member)  # nothing left to lift


@pytest.mark.parametrize(
    "days, reason, field",
    [(3, "", "reason"), (3, "   ", "reason"), (0, REASON, "days"), (99999, REASON, "days"), ("soon", REASON, "days"),
     (3, "x" * 501, "reason")],
)
def test_bad_input_is_refused_and_changes_nothing(db, mod, days, reason, field):
    member = make_user(db, "member")
    with pytest.raises(ValidationError) as raised:
        suspensions.suspend(db, mod, member, days=days, reason=reason)
    assert field in raised.value.errors
    assert member.suspended_at is None


def test_who_may_suspend_whom(db, mod):
    admin = make_user(db, "boss", role=Role.ADMIN)
    staffer = make_user(db, "staffer", role=Role.STAFF)
    other_mod = make_user(db, "mod2", role=Role.MODERATOR)
    member = make_user(db, "member")

    with pytest.raises(PermissionDenied, match="yourself"):
        suspensions.suspend(db, mod, mod, days=1, reason=REASON)
    for actor in (member, staffer):
        with pytest.raises(PermissionDenied):
            suspensions.suspend(db, actor, make_user(db), days=1, reason=REASON)
    with pytest.raises(PermissionDenied, match="higher role"):
        suspensions.suspend(db, mod, admin, days=1, reason=REASON)

    suspensions.suspend(db, mod, staffer, days=1, reason=REASON)  # staff are below moderators
    suspensions.suspend(db, admin, other_mod, days=1, reason=REASON)
    assert staffer.is_suspended and other_mod.is_suspended
    # A suspended moderator holds the role on paper but may use none of it.
    assert not permissions.is_moderator(other_mod)
    with pytest.raises(PermissionDenied):
        suspensions.suspend(db, other_mod, member, days=1, reason=REASON)


def test_a_suspended_member_may_read_but_not_take_part(db, mod):
    asker = make_user(db, "asker", reputation=VOTER_REPUTATION)
    thread = make_thread(db, author=asker)
    question = threads.question_of(db, thread)
    own_answer = make_answer(db, thread, author=asker)
    other = make_answer(db, thread)
    suspensions.suspend(db, mod, asker, days=2, reason=REASON)

    assert threads.get_thread(db, thread.id, asker) is thread  # reading still works
    attempts = [
        lambda: threads.ask(db, asker, title="Another question about the boiler", body="It still knocks.", category_id=thread.category_id),
        lambda: threads.answer(db, asker, thread, body="One more answer from me."),
        lambda: threads.edit_post(db, asker, own_answer, body="An edited answer text here."),
        lambda: threads.delete_post(db, asker, own_answer),
        lambda: voting.cast_vote(db, asker, other, 1),
        lambda: accepting.accept_answer(db, asker, other),
        lambda: threads.follow(db, asker, thread),
        lambda: accounts.update_profile(db, asker, display_name="Spam", bio="", location="", website=""),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="suspended until"):
            attempt()
    assert not permissions.can_edit(asker, question, thread)
    # Their own account stays theirs: a suspension must not stop anyone securing it.
    accounts.change_password(db, asker, "correct-horse-9", "another-long-pass-2")
    assert not permissions.can_vote(asker, other, thread)


def test_suspending_emits_a_webhook_without_the_reason(db, mod):
    admin = make_user(db, "boss", role=Role.ADMIN)
    webhooks.create_endpoint(db, admin, url="https://hooks.example.com/h", events=["user.suspended"])
    member = make_user(db, "member")
    suspensions.suspend(db, mod, member, days=None, reason=REASON)

    payloads = [json.loads(d.payload) for d in db.scalars(select(WebhookDelivery))]
    assert [p["event"] for p in payloads] == ["user.suspended"]
    assert payloads[0]["data"] == {"user": {"id": member.id, "username": "member"}, "until": None}
    assert REASON not in payloads[0]["data"].__repr__()
