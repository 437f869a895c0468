"""The mail sender under failure: a crashed writer's lock, a busy outbox file, an SMTP server that
refuses, a message that cannot be built. Every failed attempt is counted and explained on its row."""

import mailbox
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from app.mail_cli import mail_cli
from app.mail_mbox import OutboxLocked, append
from app.mail_sender import deliver, describe, send_due
from community import mail
from community.models import MailMessage
from tests.integration.helpers import fresh
from tests.integration.test_mail import _free_port, _messages

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outbox(app, tmp_path):
    path = tmp_path / "outbox.mbox"
    app.config.update(MAIL_SERVER="", MAIL_OUTBOX_PATH=str(path), MAIL_TIMEOUT_SECONDS=5)
    return path


def _queue(db, to: str = "alice@example.com", subject: str = "Reset your password") -> int:
    row = mail.queue(db, to, "password_reset", subject=subject, body="A link.")
    db.commit()
    return row.id


def _send(app, now=None) -> dict:
    return send_due(app, app.extensions["hearth.sessionmaker"], now=now)


def _row(db, row_id: int) -> MailMessage:
    return fresh(db).get(MailMessage, row_id)


def _message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"], message["To"] = subject, "someone@example.com"
    message.set_content("Body")
    return message


class _Holder:
    """Another process holding the outbox file, by Hearth's lock or by mailbox's dot-lock."""

    def __init__(self, path: Path, how: str):
        take = {
            # The module file alone: importing the `app` package would take seconds.
            "hearth": "import importlib.util\n"
            "spec = importlib.util.spec_from_file_location('mail_mbox', sys.argv[2])\n"
            "module = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(module)\n"
            "held = module.locked(Path(sys.argv[1]), 1)\n"
            "held.__enter__()\n",
            "mailbox": "import mailbox\nheld = mailbox.mbox(sys.argv[1])\nheld.lock()\n",
        }[how]
        code = "import sys\nfrom pathlib import Path\n" + take + "print('held', flush=True)\nsys.stdin.read()\n"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(path), str(ROOT / "app" / "mail_mbox.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout.readline() == "held\n"
        self.released_at: float | None = None

    def release(self) -> None:
        self.released_at = time.monotonic()
        self.proc.stdin.close()  # its read returns and it exits normally
        self.proc.wait(10)
        self.proc.stdout.close()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)  # no `finally`, no atexit: the process just ends
        self.proc.wait(10)
        self.proc.stdin.close()
        self.proc.stdout.close()


# --- The outbox file's lock ---------------------------------------------------------------------


def test_a_writer_killed_while_holding_the_outbox_lock_does_not_stop_later_mail(app, db, outbox):
    holder = _Holder(outbox, "hearth")
    with pytest.raises(OutboxLocked, match="stayed locked by another process"):
        append(outbox, _message("While it is held"), wait_seconds=0.2)  # the lock is real
    holder.kill()

    row_id = _queue(db)
    assert _send(app) == {"sent": 1, "failed": 0}
    assert [m["Subject"] for m in _messages(outbox)] == ["[Hearth] Reset your password"]
    row = _row(db, row_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")


def test_a_stale_dot_lock_left_by_a_crashed_mailbox_writer_is_no_obstacle(app, db, outbox):
    """The old failure: mailbox's lock leaves `<mbox>.lock` when its process dies, and every later
    lock attempt raised ExternalClashError."""
    outbox.touch()
    _Holder(outbox, "mailbox").kill()
    assert Path(f"{outbox}.lock").exists()
    box = mailbox.mbox(outbox)
    with pytest.raises(mailbox.ExternalClashError):
        box.lock()
    box.close()

    row_ids = [_queue(db, subject=f"Message {n}") for n in range(3)]
    assert _send(app) == {"sent": 3, "failed": 0}
    assert len(_messages(outbox)) == 3
    assert {_row(db, row_id).status for row_id in row_ids} == {"sent"}


def test_a_message_waits_while_another_process_appends_to_the_outbox(app, outbox):
    holder = _Holder(outbox, "hearth")
    release = threading.Timer(0.3, holder.release)
    release.start()
    deliver(app, _message("Waited for the lock"))
    done_at = time.monotonic()
    release.join()
    assert holder.released_at is not None and done_at >= holder.released_at
    assert [m["Subject"] for m in _messages(outbox)] == ["Waited for the lock"]


def test_an_outbox_kept_locked_too_long_is_a_recorded_failure_retried_later(app, db, outbox):
    app.config["MAIL_TIMEOUT_SECONDS"] = 0.2
    row_id = _queue(db)
    holder = _Holder(outbox, "hearth")
    try:
        assert _send(app) == {"sent": 0, "failed": 1}
    finally:
        holder.release()
    row = _row(db, row_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == f"OutboxLocked: {outbox} stayed locked by another process for 0.2 s"
    assert _send(app, now=row.next_attempt_at) == {"sent": 1, "failed": 0}


def test_a_message_that_cannot_be_built_is_recorded_and_the_others_still_go_out(app, db, outbox):
    broken = _queue(db, to="alice@example.com\nBcc: everyone@example.com", subject="Broken")
    fine = _queue(db, subject="Fine")
    assert _send(app) == {"sent": 1, "failed": 1}
    row = _row(db, broken)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("ValueError: Header values may not contain linefeed")
    assert _row(db, fine).status == "sent"
    assert [m["Subject"] for m in _messages(outbox)] == ["[Hearth] Fine"]


# --- A real SMTP server that refuses ------------------------------------------------------------


class _Refusing:
    """An SMTP server that refuses one recipient for good and asks to try the rest later."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone@"):
            return "550 5.1.1 <gone@example.com>: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return "451 4.3.0 Mail server temporarily rejected message"


@pytest.fixture
def refusing_smtp(app):
    port = _free_port()
    controller = Controller(_Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_TIMEOUT_SECONDS=5)
    yield
    controller.stop()


def test_a_temporary_refusal_is_retried_with_doubling_waits_then_marked_failed(app, db, refusing_smtp):
    row_id = _queue(db)
    waits, now = [], None
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        assert _send(app, now=now) == {"sent": 0, "failed": 1}
        row = _row(db, row_id)
        assert row.attempts == attempt
        assert row.last_error == "SMTPDataError: 451 4.3.0 Mail server temporarily rejected message"
        if row.status == "failed":
            break
        assert _send(app, now=row.next_attempt_at - timedelta(seconds=1)) == {"sent": 0, "failed": 0}
        if now is not None:
            waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert (row.status, row.attempts) == ("failed", mail.MAX_ATTEMPTS)
    assert waits == [timedelta(minutes=m) for m in (2, 4, 8, 16)]
    assert _send(app, now=now + timedelta(days=1)) == {"sent": 0, "failed": 0}  # failed stays failed


def test_an_address_the_server_refuses_for_good_fails_at_once(app, db, refusing_smtp):
    row_id = _queue(db, to="gone@example.com")
    assert _send(app) == {"sent": 0, "failed": 1}
    row = _row(db, row_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == (
        "SMTPRecipientsRefused: gone@example.com: 550 5.1.1 <gone@example.com>: no such mailbox"
    )


def test_a_closed_port_is_recorded_with_its_error(app, db):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_USE_TLS=False, MAIL_TIMEOUT_SECONDS=2)
    row_id = _queue(db)
    assert _send(app) == {"sent": 0, "failed": 1}
    row = _row(db, row_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_an_error_is_kept_on_one_line_and_trimmed_to_fit_the_row():
    error = describe(OSError("first line\n" + "x" * 1000))
    assert error.startswith("OSError: first line xxx")
    assert len(error) == 300 and error.endswith("…")
    assert describe(TimeoutError()) == "TimeoutError"


def test_flask_mail_send_says_what_fails(app, db):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_USE_TLS=False, MAIL_TIMEOUT_SECONDS=2)
    _queue(db)
    with app.app_context():
        result = app.test_cli_runner().invoke(mail_cli, ["send"])
    assert result.exit_code == 0, result.output
    assert "Sent 0, 1 failed attempts; 1 waiting (0 due now)." in result.output
    assert "1 failing and retried, 0 gave up in the past 7 days: see Admin → Mail (/admin/mail)" in result.output
