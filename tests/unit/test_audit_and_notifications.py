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
