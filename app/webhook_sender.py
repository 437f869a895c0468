"""Sending webhook deliveries: signed POSTs made after the commit, outside any transaction.

Deliveries are rows written by `community.webhooks.emit` in the transaction of the change.
`deliver_due` claims the ones that are due, sends each with no transaction open, and records
the outcome in a short transaction of its own. How sending follows the commits is set by
WEBHOOK_SENDER: "thread" (a daemon thread in each web worker, woken after a commit that
queued deliveries and polling meanwhile), "worker" (only `flask webhooks worker` sends), or
"sync" (right after the commit, in the committing thread; for tests).
"""

import hashlib
import hmac
import http.client
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from community import care, webhooks
from community.background import FailureLog
from community.db import lock_row, utcnow
from community.models import SiteSetting, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# A claimed delivery is left alone by other senders this long; a sender that dies mid-send
# leaves it to be retried once the lease runs out.
LEASE = timedelta(seconds=60)
EXCERPT = 500
MAX_ERROR = 300
USER_AGENT = "Hearth-Webhooks/1"
_sending = threading.local()


def sign(secret: str, timestamp: int, body: str) -> str:
    """HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret, as hex."""
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def signed_headers(secret: str, event_name: str, delivery_id: str, body: str, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Hearth-Event": event_name,
        "Hearth-Delivery": delivery_id,
        "Hearth-Timestamp": str(timestamp),
        "Hearth-Signature": f"t={timestamp},v1={sign(secret, timestamp, body)}",
    }


@dataclass(frozen=True)
class Job:
    """A claimed delivery: everything sending needs, read before the request goes out."""

    id: int
    url: str
    secret: str
    event: str
    delivery_id: str
    payload: str


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str


@dataclass(frozen=True)
class Attempt:
    job: Job
    outcome: Outcome
    status: str  # the delivery's status after this attempt


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is recorded as the answer it is (a failure), never followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _excerpt(response) -> str:
    try:
        return response.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT]
    except (OSError, http.client.HTTPException):
        return ""


def post(url: str, body: str, headers: dict[str, str], timeout: float) -> Outcome:
    """POST the body once; any answer but a 2xx, a timeout or a connection error is a failure."""
    started = time.monotonic()
    status, excerpt, error = None, "", ""
    try:
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
        with _opener.open(request, timeout=timeout) as response:
            status, excerpt = response.status, _excerpt(response)
    except urllib.error.HTTPError as exc:
        status = exc.code
        if exc.fp is not None:
            with exc:
                excerpt = _excerpt(exc)
    except TimeoutError:
        error = f"No response within {timeout:g} s."
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            error = f"No response within {timeout:g} s."
        else:
            error = f"Could not connect: {exc.reason}"
    except (OSError, ValueError, http.client.HTTPException) as exc:
        error = f"{exc.__class__.__name__}: {exc}"
    duration_ms = round((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok:
        error = f"The receiver answered {status}."
    return Outcome(ok, status, duration_ms, excerpt, error[:MAX_ERROR])


def send(job: Job, timeout: float) -> Outcome:
    headers = signed_headers(job.secret, job.event, job.delivery_id, job.payload, int(time.time()))
    return post(job.url, job.payload, headers, timeout)


def _claim(session_factory: sessionmaker, row_id: int, due_at: datetime, now: datetime) -> Job | None:
    """Move the delivery's due time a lease forward, if no other sender did first."""
    with session_factory() as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == row_id,
                WebhookDelivery.status == webhooks.PENDING,
                WebhookDelivery.next_attempt_at == due_at,
            )
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            session.rollback()
            return None
        row = session.execute(
            select(
                WebhookDelivery.event,
                WebhookDelivery.delivery_id,
                WebhookDelivery.payload,
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
            )
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id == row_id)
        ).one()
        session.commit()
    return Job(row_id, row.url, row.secret, row.event, row.delivery_id, row.payload)


def _record(session_factory: sessionmaker, job: Job, outcome: Outcome, now: datetime) -> str | None:
    """Write the attempt down and decide what follows it; the delivery's new status."""
    with session_factory() as session:
        lock_row(session, WebhookDelivery, job.id)
        attempts = session.scalar(select(WebhookDelivery.attempts).where(WebhookDelivery.id == job.id))
        if attempts is None:  # the endpoint was deleted meanwhile, and its log with it
            session.rollback()
            return None
        attempts += 1
        values = {
            "attempts": attempts,
            "last_status_code": outcome.status_code,
            "last_duration_ms": outcome.duration_ms,
            "last_response_excerpt": outcome.excerpt,
            "last_error": outcome.error,
        }
        if outcome.ok:
            values.update(status=webhooks.SUCCEEDED, delivered_at=now)
            if job.event == "thread.escalated":
                # A ticketing system answers with the reference of the ticket it opened.
                care.store_ticket_ref(session, job.payload, outcome.excerpt)
        elif attempts >= webhooks.MAX_ATTEMPTS:
            values.update(status=webhooks.FAILED)
        else:
            values.update(next_attempt_at=now + webhooks.retry_delay(attempts))
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == job.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    status = values.get("status", webhooks.PENDING)
    log.info(
        "webhook %s %s to %s, attempt %d: %s",
        job.event, job.delivery_id, job.url, attempts,
        f"{outcome.status_code} in {outcome.duration_ms} ms" if outcome.status_code else outcome.error,
    )
    return status


def deliver_due(
    session_factory: sessionmaker, now: datetime | None = None, limit: int = 50, timeout: float = 5.0
) -> list[Attempt]:
    """Send up to `limit` pending deliveries that are due at `now` (default: the clock), each once.

    Safe to run in several workers at once: a delivery is sent only by the one that claims it.
    Nothing is sent while deliveries are paused (a restored copy, until an admin resumes them)."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    with session_factory() as session:
        if webhooks.paused_reason(session) is not None:
            return []
        due = session.execute(
            select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == webhooks.PENDING,
                WebhookDelivery.next_attempt_at <= clock(),
                WebhookEndpoint.active.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        ).all()
    attempts = []
    for row_id, due_at in due:
        job = _claim(session_factory, row_id, due_at, clock())
        if job is None:
            continue  # another sender has it
        outcome = send(job, timeout)
        status = _record(session_factory, job, outcome, clock())
        if status is not None:
            attempts.append(Attempt(job, outcome, status))
    return attempts


def deliver_all_due(session_factory: sessionmaker, limit: int = 50, timeout: float = 5.0) -> list[Attempt]:
    """Pass after pass until nothing more is due: a failed delivery waits for its retry time."""
    made: list[Attempt] = []
    while True:
        attempts = deliver_due(session_factory, limit=limit, timeout=timeout)
        made += attempts
        if len(attempts) < limit:
            return made


class BackgroundSender:
    """A daemon thread in a web worker that sends deliveries soon after the commit that queued
    them, and polls meanwhile for retries that come due and deliveries queued elsewhere."""

    def __init__(self, session_factory: sessionmaker, timeout: float, interval: float = 5.0):
        self.session_factory = session_factory
        self.timeout = timeout
        self.interval = interval
        self.failures = FailureLog(log, "sending webhooks")
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """Start the thread in this process (after gunicorn forked it) if it is not running."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping = False
                self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
                self._thread.start()

    def kick(self) -> None:
        self.ensure_running()
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopping:
                return
            try:
                deliver_all_due(self.session_factory, timeout=self.timeout)
            except Exception as exc:  # keep the thread alive; the deliveries stay pending
                self.failures.failed(exc)
                continue
            self.failures.succeeded()


def _touches_deliveries(session: Session) -> bool:
    """A delivery was queued or redelivered, an endpoint changed (it may be active again), or
    deliveries were resumed."""
    return (
        any(isinstance(obj, WebhookDelivery) for obj in session.new)
        or any(isinstance(obj, WebhookDelivery | WebhookEndpoint) for obj in session.dirty)
        or any(isinstance(obj, SiteSetting) and obj.name == webhooks.PAUSED_SETTING for obj in session.deleted)
    )


def init_app(app: Flask) -> None:
    factory = app.extensions["hearth.sessionmaker"]
    mode = app.config["WEBHOOK_SENDER"]
    timeout = app.config["WEBHOOK_TIMEOUT_SECONDS"]
    sender = BackgroundSender(factory, timeout, app.config["WEBHOOK_POLL_SECONDS"])
    app.extensions["hearth.webhook_sender"] = sender

    @event.listens_for(factory, "after_flush")
    def _note_deliveries(session: Session, _context) -> None:
        if _touches_deliveries(session):
            session.info["webhooks_due"] = True

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint was released: the outer transaction has not committed yet
        if not session.info.pop("webhooks_due", False):
            return
        if mode == "thread":
            sender.kick()
        elif mode == "sync" and not getattr(_sending, "active", False):
            _sending.active = True
            try:
                deliver_due(factory, timeout=timeout)
            except Exception:  # the change is committed; the deliveries stay pending for later
                log.exception("sending webhooks after a commit failed")
            finally:
                _sending.active = False

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        if not session.in_nested_transaction():
            session.info.pop("webhooks_due", None)

    if mode == "thread":

        @app.before_request
        def _start_sender() -> None:
            sender.ensure_running()
