"""Account email and notification email through the site: reset, verification, settings,
unsubscribe, and the sender (into an mbox, and to a real SMTP server on 127.0.0.1)."""

import mailbox
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app import create_app
from app.mail_cli import mail_cli
from app.mail_sender import send_due, unsubscribe_token
from community import mail, notifications
from community.db import utcnow
from community.models import EmailOptOut, MailMessage, User
from config import TestingConfig
from tests.factories import make_thread, make_user
from tests.integration.helpers import fresh, login, signed_in_as, text

LINK = re.compile(r"https?://\S+")


@pytest.fixture
def outbox(app, tmp_path):
    path = tmp_path / "outbox.mbox"
    app.config["MAIL_OUTBOX_PATH"] = str(path)
    app.config["MAIL_SERVER"] = ""
    return path


def _send(app) -> dict:
    return send_due(app, app.extensions["hearth.sessionmaker"])


def _messages(path) -> list:
    if not path.exists():
        return []
    box = mailbox.mbox(path)
    try:
        return list(box)
    finally:
        box.close()


def _link(message, fragment: str) -> str:
    body = message.get_payload(decode=True).decode()
    return next(url for url in LINK.findall(body) if fragment in url)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_forgot_password_says_the_same_for_any_address_and_mails_a_working_link(app, client, db, outbox):
    make_user(db, "alice")
    db.commit()
    other_device = app.test_client()
    login(other_device, "alice")

    unknown = text(client.post("/forgot-password", data={"email": "nobody@example.com"}, follow_redirects=True))
    known = text(client.post("/forgot-password", data={"email": "alice@example.com"}, follow_redirects=True))
    assert "If an account uses that address" in unknown and "If an account uses that address" in known
    _send(app)

    [message] = _messages(outbox)
    assert message["To"] == "alice@example.com" and "List-Unsubscribe" not in message
    reset = _path(_link(message, "/reset-password/"))
    assert client.get(reset).status_code == 200
    assert client.post(reset, data={"password": "short"}).status_code == 400
    assert client.post(reset, data={"password": "a-brand-new-pass"}).status_code == 302

    assert signed_in_as(other_device) is None  # every other session ended
    login(client, "alice", "a-brand-new-pass")
    assert client.get(reset).status_code == 404  # used once
    fresh(db)
    assert db.scalar(select(MailMessage.body).where(MailMessage.kind == "password_reset")) == ""


def test_an_unconfirmed_member_is_told_why_links_are_refused_and_can_resend_the_link(client, db, outbox):
    make_user(db, "newbie", verified=False)
    thread = make_thread(db)
    db.commit()
    login(client, "newbie")

    page = text(client.post(f"/t/{thread.id}/answer", data={"body": "Read https://example.com/fix first."}))
    assert "Confirm your email address before posting links" in page
    settings = text(client.get("/settings/email"))
    assert "not confirmed" in settings and "Send the link again" in settings
    client.post("/settings/email/verify")
    newbie = fresh(db).scalar(select(User.id).where(User.username == "newbie"))
    assert list(db.scalars(select(MailMessage.kind).where(MailMessage.user_id == newbie))) == ["verify_email"]


def test_email_settings_choose_which_kinds_are_emailed(client, db):
    user = make_user(db, "alice")
    db.commit()
    login(client, "alice")
    offered = set(notifications.KINDS) - notifications.STAFF_KINDS
    page = text(client.get("/settings/email"))
    assert page.count('type="checkbox"') == len(offered) and page.count("checked") == len(offered)
    assert "A thread was assigned to you" not in page  # staff-only kinds are not offered to members

    response = client.post("/settings/email", data={"kinds": ["accepted", "mention"]})

    assert response.status_code == 302
    assert mail.email_kinds_off(fresh(db), user) == offered - {"accepted", "mention"}
    assert client.post("/settings/email", data={"kinds": ["nonsense"]}).status_code == 400
    assert client.post("/settings/email", data={"kinds": ["assigned"]}).status_code == 400
    assert mail.email_kinds_off(fresh(db), user) == offered - {"accepted", "mention"}


def test_staff_are_offered_the_staff_kinds_too(client, db):
    make_user(db, "stan", role="staff")
    db.commit()
    login(client, "stan")
    page = text(client.get("/settings/email"))
    assert page.count('type="checkbox"') == len(notifications.KINDS)
    assert "A thread was assigned to you" in page


def test_a_notification_email_has_a_one_click_unsubscribe_that_needs_no_sign_in(app, client, db, outbox):
    user = make_user(db, "alice")
    notifications.notify(db, user.id, "mention", text="The boiler makes a knocking noise")
    db.commit()
    _send(app)
    [message] = _messages(outbox)
    assert "The boiler makes a knocking noise" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe in message.get_payload(decode=True).decode()

    assert client.get(_path(unsubscribe)).status_code == 200
    assert fresh(db).scalar(select(EmailOptOut.kind)) is None  # opening the page changes nothing
    # What a mail client sends (RFC 8058): no cookie, no form token.
    assert client.post(_path(unsubscribe), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert mail.email_kinds_off(fresh(db), user) == {"mention"}


def test_a_forged_unsubscribe_token_changes_nothing(app, client, db):
    user = make_user(db, "alice")
    db.commit()
    forged = unsubscribe_token("another-secret", user.id, "reply")
    assert client.post(f"/unsubscribe/{forged}").status_code == 404
    assert client.post("/unsubscribe/not-a-token").status_code == 404
    assert fresh(db).scalar(select(EmailOptOut.kind)) is None


class _Collect:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mail_goes_out_by_smtp_and_a_failure_is_retried_later(app, db):
    user = make_user(db, "alice")
    notifications.notify(db, user.id, "reply", text="A thread")
    db.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_USE_TLS=False, MAIL_TIMEOUT_SECONDS=2)

    assert _send(app) == {"sent": 0, "failed": 1}  # nothing listens yet
    row = fresh(db).scalar(select(MailMessage))
    assert (row.status, row.attempts) == ("pending", 1) and row.next_attempt_at > utcnow()
    assert _send(app) == {"sent": 0, "failed": 0}  # not due again yet

    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=app.config["MAIL_PORT"])
    controller.start()
    try:
        counts = send_due(app, app.extensions["hearth.sessionmaker"], now=row.next_attempt_at)
    finally:
        controller.stop()
    assert counts == {"sent": 1, "failed": 0}
    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == ["alice@example.com"]
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in envelope.content
    assert fresh(db).scalar(select(MailMessage.status)) == "sent"


def test_flask_mail_send_sends_what_is_pending(app, db, outbox):
    user = make_user(db, "alice")
    notifications.notify(db, user.id, "badge", text="Curious")
    db.commit()
    with app.app_context():
        result = app.test_cli_runner().invoke(mail_cli, ["send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, 0 failed" in result.output
    assert len(_messages(outbox)) == 1


class _MailLimited(TestingConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_MAIL = "2 per hour"


def test_asking_for_reset_links_is_rate_limited(engine, database_url, db, tmp_path):
    make_user(db, "alice")
    db.commit()
    app = create_app(_MailLimited(database_url, search_index_dir=str(tmp_path / "index")))
    try:
        client = app.test_client()
        statuses = [
            client.post("/forgot-password", data={"email": "alice@example.com"}).status_code for _ in range(3)
        ]
    finally:
        app.extensions["hearth.search"].close()
        app.extensions["hearth.engine"].dispose()
    assert statuses == [302, 302, 429]
    assert len(fresh(db).scalars(select(MailMessage.id).where(MailMessage.kind == "password_reset")).all()) == 2

