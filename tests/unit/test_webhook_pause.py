"""Pausing and resuming every webhook delivery: the site pauses, only admins resume, both audited."""

import pytest
from sqlalchemy import select

from community import webhooks
from community.errors import PermissionDenied, ValidationError
from community.models import AuditEntry, Role
from tests.factories import make_thread, make_user


@pytest.fixture
def boss(db):
    user = make_user(db, "boss", role=Role.ADMIN)
    db.commit()
    return user


def test_a_pause_keeps_its_reason_and_is_audited_as_the_site(db, boss):
    webhooks.pause_deliveries(db, "Restored from the backup\x00 hearth.db\n on 2026-12-09.")
    db.commit()

    assert webhooks.paused_reason(db) == "Restored from the backup hearth.db on 2026-12-09."
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "webhook.pause")).one()
    assert entry.actor_id is None


@pytest.mark.parametrize("role", [Role.MEMBER, Role.STAFF, Role.MODERATOR])
def test_only_admins_resume(db, boss, role):
    webhooks.pause_deliveries(db, "Restored.")
    someone = make_user(db, role=role)
    db.commit()

    with pytest.raises(PermissionDenied):
        webhooks.resume_deliveries(db, someone)
    assert webhooks.paused_reason(db) == "Restored."


def test_resuming_counts_what_waits_for_active_endpoints(db, boss):
    on = webhooks.create_endpoint(db, boss, url="https://tickets.example.com/hook", events=["thread.created"])
    off = webhooks.create_endpoint(db, boss, url="https://old.example.com/hook", events=["thread.created"])
    webhooks.pause_deliveries(db, "Restored.")
    make_thread(db)
    make_thread(db)
    webhooks.set_active(db, boss, off, False)
    db.commit()

    assert webhooks.resume_deliveries(db, boss) == 2
    db.commit()
    assert webhooks.paused_reason(db) is None
    assert on.active
    with pytest.raises(ValidationError, match="not paused"):
        webhooks.resume_deliveries(db, boss)
