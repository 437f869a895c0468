"""The admin mail page: failing messages with their error, attempts and next try, a count on the
admin tabs, and "retry now", against a real SMTP server and a real outbox file."""

import html
import re
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from app.mail_sender import send_due
from community import mail
from community.db import utcnow
from community.models import AuditEntry, MailMessage, Role
from tests.factories import make_user
from tests.integration.helpers import fresh, login, text
from tests.integration.test_mail import _free_port
from tests.integration.test_mail_delivery import _Refusing


@pytest.fixture
def admin_client(app, db):
    make_user(db, "boss", role=Role.ADMIN)
    db.commit()
    client = app.test_client()
    login(client, "boss")
    return client


def _queue(db, to: str, subject: str) -> int:
    row = mail.queue(db, to, "password_reset", subject=subject, body="A link.")
    db.commit()
    return row.id


def _send(app) -> dict:
    return send_due(app, app.extensions["hearth.sessionmaker"])


def _page(client) -> str:
    return html.unescape(text(client.get("/admin/mail")))


def _tab_count(page: str) -> str | None:
    found = re.search(r'<span class="tab-count trouble"[^>]*>(\d+)<', page)
    return found.group(1) if found else None


class _Mended(_Refusing):
    """Refuses like _Refusing until `working` is set, then takes every message."""

    def __init__(self):
        self.working = False
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.working:
            envelope.rcpt_tos.append(address)
            return "250 OK"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        if self.working:
            self.envelopes.append(envelope)
            return "250 OK"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1 that refuses gone@ for good and asks to retry the rest."""
    handler = _Mended()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False, MAIL_TIMEOUT_SECONDS=5)
    yield handler
    controller.stop()


def test_failing_and_failed_messages_are_listed_with_their_error_and_counted_on_the_tabs(
    app, db, admin_client, smtp
):
    failing = _queue(db, "alice@example.com", "Reset your password")
    failed = _queue(db, "gone@example.com", "Confirm your email address")
    assert _tab_count(text(admin_client.get("/admin/categories"))) is None
    assert _send(app) == {"sent": 0, "failed": 2}

    assert _tab_count(text(admin_client.get("/admin/categories"))) == "2"
    page = _page(admin_client)
    assert _tab_count(page) == "2"
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)
    assert len(rows) == 2
    first, second = rows  # the one still retried comes first
    assert "alice@example.com" in first and "failing" in first
    assert "SMTPDataError: 451 4.3.0 Mail server temporarily rejected message" in first
    assert '<td class="num" data-label="Attempts">1</td>' in first
    assert "in 1 min" in first
    assert "gone@example.com" in second and "gave up" in second
    assert "SMTPRecipientsRefused: gone@example.com: 550 5.1.1 <gone@example.com>: no such mailbox" in second
    assert re.search(r"Failing, still retried</dt><dd>1<", page)
    assert re.search(r"Gave up, past 7 days</dt><dd>1<", page)
    assert f'action="/admin/mail/{failing}/retry"' in page and f'action="/admin/mail/{failed}/retry"' in page


def test_a_sent_message_and_one_that_never_failed_are_not_problems(app, db, admin_client, tmp_path):
    app.config.update(MAIL_SERVER="", MAIL_OUTBOX_PATH=str(tmp_path / "outbox.mbox"))
    _queue(db, "alice@example.com", "Sent")
    _send(app)
    _queue(db, "bob@example.com", "Not yet tried")
    page = _page(admin_client)
    assert "No message is failing." in page and _tab_count(page) is None
    assert re.search(r"Due now</dt><dd>1<", page)
    assert "Retry all now" not in page


def test_an_outbox_file_that_cannot_be_written_shows_its_error(app, db, admin_client, tmp_path):
    blocked = tmp_path / "outbox.mbox"
    blocked.mkdir()  # a folder where the file should be
    app.config.update(MAIL_SERVER="", MAIL_OUTBOX_PATH=str(blocked))
    _queue(db, "alice@example.com", "Reset your password")
    assert _send(app) == {"sent": 0, "failed": 1}
    page = _page(admin_client)
    assert f"IsADirectoryError: [Errno 21] Is a directory: '{blocked}'" in page
    assert _tab_count(page) == "1"


def test_retry_now_sends_a_message_that_gave_up_once_the_server_takes_it(app, db, admin_client, smtp):
    row_id = _queue(db, "gone@example.com", "Confirm your email address")
    _send(app)
    assert fresh(db).get(MailMessage, row_id).status == "failed"

    # The address is mended on the server's side; the sender sends right after "retry now".
    smtp.working = True
    app.config["MAIL_SENDER"] = "sync"
    response = admin_client.post(f"/admin/mail/{row_id}/retry", follow_redirects=True)
    assert response.status_code == 200
    assert "The message to gone@example.com goes out again now." in html.unescape(text(response))
    [envelope] = smtp.envelopes
    assert envelope.rcpt_tos == ["gone@example.com"]
    row = fresh(db).get(MailMessage, row_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert "No message is failing." in _page(admin_client)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "mail.retry"))
    assert (entry.target_type, entry.target_id) == ("mail", row_id)


def test_retry_now_makes_a_failing_message_due_at_once_and_keeps_its_attempts(app, db, admin_client):
    row_id = _queue(db, "alice@example.com", "Reset your password")
    db.execute(
        update(MailMessage)
        .where(MailMessage.id == row_id)
        .values(attempts=3, last_error="TimeoutError: timed out", next_attempt_at=utcnow() + timedelta(hours=1))
    )
    db.commit()
    assert admin_client.post(f"/admin/mail/{row_id}/retry").status_code == 302
    row = fresh(db).get(MailMessage, row_id)
    assert (row.status, row.attempts) == ("pending", 3) and row.next_attempt_at <= utcnow()


def test_retry_now_refuses_a_message_that_has_not_failed(app, db, admin_client):
    row_id = _queue(db, "alice@example.com", "Reset your password")
    before = fresh(db).get(MailMessage, row_id).next_attempt_at
    page = html.unescape(text(admin_client.post(f"/admin/mail/{row_id}/retry", follow_redirects=True)))
    assert "This message has not failed: it goes out with the others." in page
    assert fresh(db).get(MailMessage, row_id).next_attempt_at == before
    assert admin_client.post("/admin/mail/999999/retry").status_code == 404


def test_retry_all_now_retries_every_listed_message(app, db, admin_client, smtp):
    ids = [_queue(db, "gone@example.com", "One"), _queue(db, "alice@example.com", "Two")]
    _send(app)
    page = html.unescape(text(admin_client.post("/admin/mail/retry", follow_redirects=True)))
    assert "2 messages go out again now." in page
    rows = [fresh(db).get(MailMessage, row_id) for row_id in ids]
    assert [(r.status, r.attempts) for r in rows] == [("pending", 0), ("pending", 1)]
    assert all(r.next_attempt_at <= utcnow() for r in rows)


def test_the_page_warns_when_due_mail_has_waited_with_no_sender(app, db, admin_client):
    row_id = _queue(db, "alice@example.com", "Reset your password")
    db.execute(
        update(MailMessage).where(MailMessage.id == row_id).values(next_attempt_at=utcnow() - timedelta(hours=2))
    )
    db.commit()
    page = _page(admin_client)
    assert "has not been sent: no sender seems to be running" in page
    assert "Run flask mail send" in re.sub(r"</?code>", "", page)  # the testing app sends with a worker
    db.execute(update(MailMessage).where(MailMessage.id == row_id).values(next_attempt_at=utcnow()))
    db.commit()
    assert "no sender seems to be running" not in _page(admin_client)
