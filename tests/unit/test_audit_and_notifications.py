"""The audit log and notification primitives that moderation, care and mail build on."""

import pytest

from community import audit, notifications
from community.errors import PermissionDenied
from tests.factories import make_user


def test_audit_record_keeps_before_and_after_and_only_admins_read_it(db):
    admin, moderator = make_user(db, role="admin"), make_user(db, role="moderator")
    audit.record(db, moderator, "post.hide", "post", 7, before={"hidden": False}, after={"hidden": True}, note="spam")
    audit.record(db, admin, "user.suspend", "user", 3, after={"until": None})
    found = audit.entries(db, admin, audit.AuditFilter(action="post."))
    assert [(e.action, e.actor_id, e.target_id) for e in found.items] == [("post.hide", moderator.id, 7)]
    assert audit.decoded(found.items[0].before) == {"hidden": False}
    assert audit.decoded(found.items[0].after) == {"hidden": True}
    assert [e.action for e in audit.entries(db, admin, audit.AuditFilter()).items] == ["user.suspend", "post.hide"]
    assert audit.entries(db, admin, audit.AuditFilter(actor_id=admin.id)).total == 1
    with pytest.raises(PermissionDenied):
        audit.entries(db, moderator, audit.AuditFilter())


def test_notifications_skip_the_actor_count_unread_and_mark_read(db):
    asker, helper = make_user(db), make_user(db)
    assert notifications.notify(db, asker.id, "reply", actor_id=asker.id) is None
    first = notifications.notify(db, asker.id, "reply", actor_id=helper.id, text="x" * 400)
    notifications.notify(db, asker.id, "accepted", actor_id=helper.id)
    assert len(first.text) == notifications.MAX_TEXT
    assert notifications.unread_count(db, asker) == 2
    assert notifications.unread_count(db, helper) == 0
    assert notifications.mark_read(db, asker, [first.id]) == 1
    assert notifications.unread_count(db, asker) == 1
    assert notifications.mark_read(db, helper) == 0
    assert notifications.mark_read(db, asker) == 1
    assert [n.kind for n in notifications.for_user(db, asker).items] == ["accepted", "reply"]
    with pytest.raises(ValueError):
        notifications.notify(db, asker.id, "nonsense")


def _actions(db, admin, target_type):
    return [(e.action, e.target_id) for e in reversed(audit.entries(db, admin, audit.AuditFilter(target_type=target_type)).items)]


def test_admin_changes_to_categories_and_webhooks_are_audited_without_secrets(db):
    from community import categories, webhooks

    admin = make_user(db, role="admin")
    category = categories.create_category(db, admin, name="Billing questions", slug="billing")
    categories.update_category(db, admin, category, name="Billing", slug="billing", description="", position=2)
    categories.delete_category(db, admin, category)
    assert _actions(db, admin, "category") == [
        ("category.create", category.id), ("category.update", category.id), ("category.delete", category.id)
    ]
    update = audit.entries(db, admin, audit.AuditFilter(action="category.update")).items[0]
    assert audit.decoded(update.before)["name"] == "Billing questions" and audit.decoded(update.after)["position"] == 2

    endpoint = webhooks.create_endpoint(db, admin, url="https://tickets.example.com/hook", events=["thread.escalated"])
    webhooks.set_active(db, admin, endpoint, False)
    webhooks.delete_endpoint(db, admin, endpoint)
    assert [a for a, _ in _actions(db, admin, "webhook")] == ["webhook.create", "webhook.deactivate", "webhook.delete"]
    assert all(endpoint.secret not in e.after + e.before for e in audit.entries(db, admin, audit.AuditFilter()).items)


def test_staff_actions_on_members_are_audited(db):
    from community import badges, reputation, voting
    from tests.factories import make_answer, make_thread

    admin, moderator, member = make_user(db, role="admin"), make_user(db, role="moderator"), make_user(db)
    reputation.adjust(db, admin, member, 25, "Helped at the product launch event")
    badges.award_champion(db, admin, member, "Answered every question during the outage")
    voter = make_user(db, reputation=200)
    voting.cast_vote(db, voter, make_answer(db, make_thread(db)), 1)
    assert voting.revert_votes(db, moderator, voter) == 1
    assert _actions(db, admin, "user") == [
        ("user.adjust_reputation", member.id), ("badge.award", member.id), ("user.revert_votes", voter.id)
    ]
