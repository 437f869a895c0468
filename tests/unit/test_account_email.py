"""Password reset and address verification links; the email queue and each member's email preferences."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community import account_email, mail, notifications, threads
from community.db import utcnow
from community.errors import ValidationError
from community.models import AccountToken, EmailOptOut, MailMessage
from tests.factories import make_thread, make_user

LINK = "https://community.example.com/link/{}".format


def _queued(db, kind=None) -> list[MailMessage]:
    query = select(MailMessage).order_by(MailMessage.id)
    if kind:
        query = query.where(MailMessage.kind == kind)
    return list(db.scalars(query))


def test_a_reset_link_is_mailed_only_for_a_known_address_and_stored_hashed(db):
    user = make_user(db, "alice")
    account_email.send_password_reset(db, "nobody@example.com", LINK, "Hearth")
    assert _queued(db) == []

    account_email.send_password_reset(db, " ALICE@example.com ", LINK, "Hearth")

    [message] = _queued(db, "password_reset")
    token = message.body.split("/link/")[1].split()[0]
    assert message.to_address == user.email and message.user_id == user.id
    stored = db.scalar(select(AccountToken.token_hash).where(AccountToken.user_id == user.id))
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored


def test_a_reset_link_sets_the_password_once_and_ends_every_session(db):
    user = make_user(db)
    before = user.session_token
    _, token = account_email.request_password_reset(db, user.email)

    account_email.reset_password(db, token, "a-brand-new-pass")

    assert user.session_token != before
    from community import accounts

    assert accounts.authenticate(db, user.username, "a-brand-new-pass") is user
    with pytest.raises(ValidationError):
        account_email.reset_password(db, token, "yet-another-pass")


def test_a_reset_link_expires_after_an_hour_and_a_newer_one_replaces_it(db):
    user = make_user(db)
    _, old = account_email.request_password_reset(db, user.email)
    _, token = account_email.request_password_reset(db, user.email)
    assert not account_email.reset_token_is_valid(db, old)
    assert account_email.reset_token_is_valid(db, token)
    row = db.scalar(select(AccountToken).where(AccountToken.used_at.is_(None)))
    assert row.expires_at - row.created_at == timedelta(hours=1)

    db.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert not account_email.reset_token_is_valid(db, token)
    with pytest.raises(ValidationError):
        account_email.reset_password(db, token, "a-brand-new-pass")


def test_a_bad_new_password_changes_nothing_and_keeps_the_link(db):
    user = make_user(db)
    _, token = account_email.request_password_reset(db, user.email)
    with pytest.raises(ValidationError):
        account_email.reset_password(db, token, "short")
    assert account_email.reset_token_is_valid(db, token)


def test_a_link_for_an_old_address_does_not_work_after_the_address_changed(db):
    user = make_user(db)
    _, token = account_email.request_password_reset(db, user.email)
    user.email = "moved@example.com"
    db.flush()
    assert not account_email.reset_token_is_valid(db, token)


def test_verification_confirms_the_address_once(db):
    user = make_user(db, verified=False)
    assert account_email.send_verification(db, user, LINK, "Hearth") is True
    [message] = _queued(db, "verify_email")
    token = message.body.split("/link/")[1].split()[0]

    account_email.verify_email(db, token)

    assert user.email_verified_at is not None
    assert account_email.send_verification(db, user, LINK, "Hearth") is False
    with pytest.raises(ValidationError):
        account_email.verify_email(db, token)


def test_an_unconfirmed_member_may_post_but_not_links(db):
    member = make_user(db, verified=False)
    thread = make_thread(db)
    with pytest.raises(ValidationError) as refused:
        threads.answer(db, member, thread, body="See https://example.com/fix for the steps.")
    assert "Confirm your email address" in refused.value.errors["body"]
    threads.answer(db, member, thread, body="Restart the hub and wait a minute.")

    member.email_verified_at = member.created_at
    threads.answer(db, member, thread, body="See https://example.com/fix for the steps.")


def test_notifications_are_emailed_only_to_confirmed_addresses_that_want_the_kind(db):
    confirmed, unconfirmed, picky = make_user(db), make_user(db, verified=False), make_user(db)
    mail.set_email_kinds(db, picky, {"accepted"}, set(notifications.KINDS))

    for user in (confirmed, unconfirmed, picky):
        notifications.notify(db, user.id, "reply", text="A thread")
    notifications.notify(db, picky.id, "accepted", text="A thread")

    assert [(m.user_id, m.kind) for m in _queued(db)] == [(confirmed.id, "reply"), (picky.id, "accepted")]


def test_email_settings_refuse_unknown_kinds_and_unsubscribe_turns_one_off(db):
    user = make_user(db)
    with pytest.raises(ValidationError):
        mail.set_email_kinds(db, user, {"nonsense"}, set(notifications.KINDS))
    assert mail.email_kinds_off(db, user) == set()

    assert mail.unsubscribe(db, user.id, "mention") is True
    assert mail.unsubscribe(db, user.id, "mention") is True  # a second click changes nothing
    assert mail.email_kinds_off(db, user) == {"mention"}
    assert mail.unsubscribe(db, 10**9, "mention") is False
    assert db.scalar(select(EmailOptOut.kind).where(EmailOptOut.user_id == user.id)) == "mention"


def test_retries_wait_longer_each_time():
    assert [mail.retry_delay(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
