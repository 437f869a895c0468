"""Sending queued email after the commit: by SMTP when MAIL_SERVER is set, else into a local mbox.

Messages are rows written by `community.mail.queue` in the transaction of the change. Like the
webhook sender, `send_due` claims the due ones, sends each with no transaction open and records
the outcome in a short transaction of its own. Any failure is recorded on the row (attempts and
the error) and retried later with a growing wait, then marked failed for admins to see
(/admin/mail); a request never waits on mail or fails because of it. MAIL_SENDER says who sends: "thread" (a daemon thread in
each web worker, woken after a commit that queued mail), "worker" (only `flask mail send`), or
"sync" (right after the commit; for tests and development).
"""

import logging
import smtplib
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from app import mail_mbox
from community import mail
from community.background import FailureLog
from community.db import lock_row, utcnow
from community.models import MailMessage, Notification
from community.notifications import KINDS

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=120)
MAX_ERROR = 300
_sending = threading.local()


# --- Unsubscribe links ------------------------------------------------------------------------


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="hearth.mail.unsubscribe")


def unsubscribe_token(secret_key: str, user_id: int, kind: str) -> str:
    """A signed token naming a member and a kind of email: the link works without signing in."""
    return _serializer(secret_key).dumps([user_id, kind])


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, str] | None:
    """(member id, kind) from an unsubscribe token, or None when it was not signed by this site."""
    try:
        user_id, kind = _serializer(secret_key).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or kind not in KINDS:
        return None
    return user_id, kind


# --- Writing a message ------------------------------------------------------------------------


class Links:
    """Absolute addresses for emails, built from SITE_URL (there is no request to take them from)."""

    def __init__(self, app: Flask):
        site = urlsplit(app.config["SITE_URL"])
        self.adapter = app.url_map.bind(site.netloc, script_name=site.path or "/", url_scheme=site.scheme or "https")

    def __call__(self, endpoint: str, **values) -> str:
        return self.adapter.build(endpoint, values, force_external=True)


def notification_text(note: Notification, links: Links) -> tuple[str, str]:
    """Subject and plain-text body of a notification's email."""
    headline = KINDS.get(note.kind, "News from the community")
    lines = [headline + (":" if note.text else ".")]
    if note.text:
        lines.append(f"  {note.text}")
    if note.actor is not None:
        lines.append(f"By {note.actor.name}.")
    if note.post_id is not None:
        lines += ["", f"Read it: {links('threads.post_link', post_id=note.post_id)}"]
    elif note.thread is not None:
        lines += ["", f"Read it: {links('threads.thread', thread_id=note.thread.id, slug=note.thread.slug)}"]
    lines += ["", f"All your notifications: {links('notifications.centre')}"]
    subject = f"{headline}: {note.text}" if note.text else headline
    return subject[:200], "\n".join(lines)


def build(app: Flask, row: MailMessage, note: Notification | None) -> EmailMessage:
    """The email for a queued row; a notification's gets a one-click unsubscribe (RFC 8058)."""
    links = Links(app)
    subject, body = row.subject, row.body
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"]
    message["To"] = row.to_address
    message["Message-ID"] = make_msgid(domain=urlsplit(app.config["SITE_URL"]).hostname or "hearth.local")
    if note is not None:
        subject, body = notification_text(note, links)
    if row.kind not in mail.ACCOUNT_KINDS and row.user_id is not None:
        unsubscribe = links("mail.unsubscribe", token=unsubscribe_token(app.config["SECRET_KEY"], row.user_id, row.kind))
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        body += (
            f"\n\n--\nYou get this because of your email settings. Stop emails like this one: {unsubscribe}\n"
            f"Choose which emails you get: {links('mail.settings')}"
        )
    message["Subject"] = f"[{app.config['SITE_NAME']}] {subject}"
    message.set_content(body)
    return message


# --- Sending ----------------------------------------------------------------------------------


def deliver(app: Flask, message: EmailMessage) -> None:
    """Hand one message over; raises on failure."""
    config = app.config
    if not config["MAIL_SERVER"]:
        mail_mbox.append(Path(config["MAIL_OUTBOX_PATH"]), message, config["MAIL_TIMEOUT_SECONDS"])
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def describe(exc: BaseException) -> str:
    """The exception's class and message on one line, short enough to keep on the row."""
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items())
    else:
        detail = str(exc)
    line = " ".join(f"{type(exc).__name__}: {detail}".split()).rstrip(":")
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 1] + "…"


def is_permanent(exc: BaseException) -> bool:
    """The server refused the address itself (5xx): trying again later cannot help."""
    if not isinstance(exc, smtplib.SMTPRecipientsRefused) or not exc.recipients:
        return False
    return all(500 <= code < 600 for code, _ in exc.recipients.values())


def _claim(factory: sessionmaker, row_id: int, due_at: datetime, now: datetime) -> bool:
    """Move the message's due time a lease forward, unless another sender did first."""
    with factory() as session:
        claimed = session.execute(
            update(MailMessage)
            .where(MailMessage.id == row_id, MailMessage.status == mail.PENDING, MailMessage.next_attempt_at == due_at)
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
    return claimed == 1


def _compose(app: Flask, factory: sessionmaker, row_id: int) -> EmailMessage | None:
    """The email for a claimed row; None when the row was deleted meanwhile."""
    with factory() as session:
        row = session.get(MailMessage, row_id)
        if row is None:
            return None
        note = None
        if row.notification_id is not None:
            note = session.scalar(
                select(Notification)
                .options(joinedload(Notification.actor), joinedload(Notification.thread))
                .where(Notification.id == row.notification_id)
            )
        return build(app, row, note)


def _record(factory: sessionmaker, row_id: int, failure: BaseException | None, now: datetime) -> str | None:
    """Count the attempt and keep its outcome on the row; the row's status afterwards."""
    with factory() as session:
        lock_row(session, MailMessage, row_id)
        row = session.get(MailMessage, row_id)
        if row is None:  # the member or the notification was deleted meanwhile
            session.rollback()
            return None
        row.attempts += 1
        if failure is None:
            row.status, row.sent_at, row.last_error = mail.SENT, now, ""
            if row.kind in mail.ACCOUNT_KINDS:
                row.body = ""  # it held a one-time link: no need to keep it once sent
        else:
            row.last_error = describe(failure)
            if row.attempts >= mail.MAX_ATTEMPTS or is_permanent(failure):
                row.status = mail.FAILED
            else:
                row.next_attempt_at = now + mail.retry_delay(row.attempts)
        status, kind, error = row.status, row.kind, row.last_error
        session.commit()
    if failure is None:
        log.info("mail %s #%d: sent", kind, row_id)
    else:
        log.warning("mail %s #%d: %s (%s)", kind, row_id, error, status)
    return status


def send_due(app: Flask, factory: sessionmaker, now: datetime | None = None, limit: int = 50) -> dict[str, int]:
    """Send up to `limit` pending messages due at `now`, each once; counts of sent and failed attempts."""
    clock = (lambda: now) if now is not None else utcnow
    with factory() as session:
        due = session.execute(
            select(MailMessage.id, MailMessage.next_attempt_at)
            .where(MailMessage.status == mail.PENDING, MailMessage.next_attempt_at <= clock())
            .order_by(MailMessage.next_attempt_at, MailMessage.id)
            .limit(limit)
        ).all()
    counts = {"sent": 0, "failed": 0}
    for row_id, due_at in due:
        if not _claim(factory, row_id, due_at, clock()):
            continue  # another sender has it
        failure = None
        try:
            message = _compose(app, factory, row_id)
            if message is None:
                continue
            deliver(app, message)
        except Exception as exc:  # whatever it is, it belongs on the row where admins see it
            failure = exc
        if _record(factory, row_id, failure, clock()) is not None:
            counts["failed" if failure else "sent"] += 1
    return counts


def send_all_due(app: Flask, factory: sessionmaker, limit: int = 50) -> dict[str, int]:
    """Pass after pass until nothing more is due (a failed message waits for its retry time)."""
    total = {"sent": 0, "failed": 0}
    while True:
        counts = send_due(app, factory, limit=limit)
        total = {key: total[key] + counts[key] for key in total}
        if sum(counts.values()) < limit:
            return total


class BackgroundMailer:
    """A daemon thread in a web worker: sends soon after a commit that queued mail, polls meanwhile."""

    def __init__(self, app: Flask, factory: sessionmaker, interval: float):
        self.app, self.factory, self.interval = app, factory, interval
        self.failures = FailureLog(log, "sending mail")
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
                self._thread.start()

    def kick(self) -> None:
        self.ensure_running()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                send_all_due(self.app, self.factory)
            except Exception as exc:  # keep the thread alive; the messages stay pending
                self.failures.failed(exc)
                continue
            self.failures.succeeded()


def wake(app: Flask) -> None:
    """Mail became due (after a commit): send it as MAIL_SENDER says; "worker" leaves it to `flask mail send`."""
    mode = app.config["MAIL_SENDER"]
    if mode == "thread":
        app.extensions["hearth.mailer"].kick()
    elif mode == "sync" and not getattr(_sending, "active", False):
        _sending.active = True
        try:
            send_due(app, app.extensions["hearth.sessionmaker"])
        except Exception:  # the change is committed; the mail stays pending for later
            log.exception("sending mail after a commit failed")
        finally:
            _sending.active = False


def init_app(app: Flask) -> None:
    factory = app.extensions["hearth.sessionmaker"]
    mode = app.config["MAIL_SENDER"]
    mailer = BackgroundMailer(app, factory, app.config["MAIL_POLL_SECONDS"])
    app.extensions["hearth.mailer"] = mailer

    @event.listens_for(factory, "after_flush")
    def _note_mail(session: Session, _context) -> None:
        if any(isinstance(obj, MailMessage) for obj in session.new):
            session.info["mail_due"] = True

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        if not session.in_nested_transaction() and session.info.pop("mail_due", False):
            wake(app)

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        if not session.in_nested_transaction():
            session.info.pop("mail_due", None)

    if mode == "thread":

        @app.before_request
        def _start_mailer() -> None:
            mailer.ensure_running()
