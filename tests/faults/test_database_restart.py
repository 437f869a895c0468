"""PostgreSQL restarts while members answer and read: the site answers 503 meanwhile, recovers by
itself, and loses nothing it confirmed.

The database is a private cluster (its own data folder and port) that the test stops and starts,
never the shared server. Two members post answers in a loop and a third reads a thread page and
the API while the cluster is stopped (`pg_ctl stop -m fast`, or `immediate` as a crash would) and
started again. Every request must get an answer: 302 or 200, or during the outage a 503 with
Retry-After and no traceback. Afterwards every answer that got its redirect is in the database
with its text; the same gunicorn workers carry on, and so do their background threads: the
search outbox drains, and the email and webhook delivery of each new answer go out."""

import json
import threading
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text

from app import create_app
from app.db import get_session
from community import webhooks
from community.db import make_engine, make_session_factory
from community.models import MailMessage, Notification, Post, WebhookDelivery
from config import TestingConfig
from migrations import upgrade_database
from tests.factories import VOTER_REPUTATION, make_category, make_thread, make_user
from tests.faults.conftest import (
    Client,
    ConnectionFailed,
    Response,
    confirmed_post_id,
    finds,
    free_port,
    wait_for_outbox_to_drain,
)
from tests.faults.pg_cluster import new_cluster, remove
from tests.receiver import Receiver

pytestmark = pytest.mark.faults

WRITERS = 2
PAUSE = 0.05  # between one client's requests: enough load for two shared CPUs
PHASE_TIMEOUT = 60  # seconds for each phase (warm-up, outage, recovery) to show what it must


@pytest.fixture
def private_postgres():
    """A migrated PostgreSQL cluster of this test's own, running on a free port."""
    cluster = new_cluster(free_port())
    try:
        cluster.start()
        upgrade_database(cluster.url)
        yield cluster
    finally:
        remove(cluster)


@dataclass
class Seen:
    """One request a client made and what came back (None: no HTTP response at all)."""

    client: str
    method: str
    path: str
    at: float  # when it was sent
    done: float  # when its answer (or the failure) came
    response: Response | None
    body: str = ""  # the answer's text, for a posted answer

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None


class Traffic:
    """Everything the clients saw, shared between their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.stop = threading.Event()

    def add(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    def since(self, moment: float) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.at >= moment]

    def request(self, client: Client, name: str, method: str, path: str, data: dict | None = None, body: str = "") -> Seen:
        at = time.monotonic()
        try:
            response = client.post(path, data) if method == "POST" else client.get(path)
        except ConnectionFailed:
            response = None
        seen = Seen(name, method, path, at, time.monotonic(), response, body)
        self.add(seen)
        return seen


def answers_confirmed(seen: list[Seen]) -> dict[int, Seen]:
    """Post id -> the request, for every answer the server confirmed with its redirect."""
    confirmed = {}
    for s in seen:
        post_id = confirmed_post_id(s.response) if s.method == "POST" and s.response else None
        if post_id:
            confirmed[post_id] = s
    return confirmed


def marker(name: str, n: int) -> str:
    """A word only this answer has (it ends in a digit, so stemming leaves it whole)."""
    return f"zq{name}x{n}"


def tally(seen: list[Seen]) -> dict[tuple[str, int | None], int]:
    """How many answers of each status each client got."""
    counts: dict[tuple[str, int | None], int] = {}
    for s in seen:
        counts[s.client, s.status] = counts.get((s.client, s.status), 0) + 1
    return counts


def wait_until(condition, what: str, server, traffic: Traffic, since: float, timeout: float = PHASE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s: {tally(traffic.since(since))}\n{server.log_tail()}")
        time.sleep(0.1)


@pytest.mark.parametrize("stop_mode", ["fast", "immediate"])
def test_postgres_restart_while_members_answer(private_postgres, start_server, stop_mode, request):
    cluster = private_postgres
    engine = make_engine(cluster.url)
    factory = make_session_factory(engine)
    receiver = Receiver()
    try:
        with factory() as db:
            category = make_category(db)
            asker = make_user(db, "asker_ann")
            thread = make_thread(db, author=asker, category=category, title="Pump pressure drops after the restart")
            writers = [make_user(db, f"restartwriter{w}", reputation=VOTER_REPUTATION) for w in range(WRITERS)]
            reader = make_user(db, "restart_reader")
            admin = make_user(db, "restart_admin", role="admin")
            webhooks.create_endpoint(db, admin, url=receiver.url, events=["post.created"])
            db.commit()
            thread_id, thread_path = thread.id, f"/t/{thread.id}/{thread.slug}"
            asker_id, writer_names, reader_name = asker.id, [w.username for w in writers], reader.username
        summary = _run_restart(
            cluster, factory, receiver, start_server, stop_mode, thread_id, thread_path, asker_id, writer_names, reader_name
        )
    finally:
        receiver.close()
        engine.dispose()
    request.node.user_properties.append(("summary", summary))
    print(summary)


def _run_restart(cluster, factory, receiver, start_server, stop_mode, thread_id, thread_path, asker_id, writer_names, reader_name):
    server = start_server(
        workers=2, DATABASE_URL=cluster.url, SEARCH_INDEXER="thread", MAIL_SENDER="thread",
        WEBHOOK_SENDER="thread", MAIL_POLL_SECONDS="1", WEBHOOK_POLL_SECONDS="1",
    )
    workers_before = server.workers()
    traffic = Traffic()

    def write(name: str) -> None:
        client = Client(server.base)
        client.login(name)
        n = 0
        while not traffic.stop.is_set():
            n += 1
            # A word only this answer has (it ends in a digit, so stemming leaves it whole).
            body = f"Answer {n} from {name}: open the {marker(name, n)} valve, then restart the pump."
            traffic.request(client, name, "POST", f"/t/{thread_id}/answer", {"body": body}, body)
            time.sleep(PAUSE)

    def read() -> None:
        member = Client(server.base)
        member.login(reader_name)
        visitor = Client(server.base)
        while not traffic.stop.is_set():
            traffic.request(member, "reader", "GET", thread_path)
            traffic.request(visitor, "api", "GET", f"/api/v1/threads/{thread_id}")
            time.sleep(PAUSE)

    clients = [threading.Thread(target=write, args=(name,), daemon=True) for name in writer_names]
    clients.append(threading.Thread(target=read, daemon=True))
    for client in clients:
        client.start()
    try:
        started = time.monotonic()
        wait_until(lambda: len(answers_confirmed(traffic.since(started))) >= 2 * WRITERS, "answering before the outage", server, traffic, started)

        stopped = time.monotonic()
        cluster.stop(stop_mode)

        def outage_shown() -> bool:
            during = [s for s in traffic.since(stopped) if s.status == 503]
            return {s.client for s in during} == {*writer_names, "reader", "api"}

        wait_until(outage_shown, "a 503 for every client during the outage", server, traffic, stopped)
        cluster.start()
        restarted = time.monotonic()

        def recovered() -> bool:
            after = traffic.since(restarted)
            confirmed = answers_confirmed(after)
            return all(sum(1 for s in confirmed.values() if s.client == name) >= 2 for name in writer_names) and all(
                any(s.client == who and s.status == 200 for s in after) for who in ("reader", "api")
            )

        wait_until(recovered, "answering and reading again after the restart", server, traffic, restarted)
    finally:
        traffic.stop.set()
        for client in clients:
            client.join(PHASE_TIMEOUT)
    assert not any(client.is_alive() for client in clients), "a client is stuck"

    seen = traffic.seen
    # Every request got an HTTP answer, and the only failure was a 503.
    assert [s for s in seen if s.response is None] == []
    unexpected = [(s.method, s.path, s.status) for s in seen if s.status not in (200, 302, 503)]
    assert unexpected == [], f"{unexpected[:5]}\n{server.log_tail()}"
    unavailable = [s for s in seen if s.status == 503]
    for s in unavailable:
        headers, text = s.response.headers, s.response.text
        assert int(headers.get("retry-after", "0")) > 0, (s.method, s.path, headers)
        for leak in ("Traceback", "psycopg", "sqlalchemy", "OperationalError", "127.0.0.1:"):
            assert leak not in text, (s.method, s.path, text[:500])
        if s.client == "api":
            assert headers["content-type"] == "application/problem+json"
            problem = json.loads(text)
            assert problem["status"] == 503 and "retry" in problem["detail"].lower()
        else:
            assert headers["content-type"].startswith("text/html")
            assert "Back in a moment" in text and "cannot reach its database" in text
            if s.method == "POST":
                assert "may not have been saved" in text
    # Nothing failed before the stop, nor anything sent once the restart was complete.
    assert all(s.done >= stopped and s.at <= restarted for s in unavailable), "a 503 outside the outage"

    # Every confirmed answer is in the database with its exact text.
    confirmed = answers_confirmed(seen)
    with factory() as db:
        saved = {p.id: (p.thread_id, p.body_md) for p in db.scalars(select(Post).where(Post.id.in_(confirmed)))}
    assert saved == {post_id: (thread_id, s.body) for post_id, s in confirmed.items()}

    # The same workers carry on (none was restarted), and none of their threads died.
    assert server.workers() == workers_before
    assert "Exception in thread" not in server.log(), server.log_tail()

    # The indexer caught up: the outbox drains and answers from before and after the outage are found.
    wait_for_outbox_to_drain(cluster.url, timeout=PHASE_TIMEOUT, server=server)
    checker = Client(server.base)
    first = min(confirmed)
    latest = max(confirmed)
    for post_id in (first, latest):
        s = confirmed[post_id]
        word = marker(s.client, int(s.body.split()[1]))
        assert finds(checker, word, post_id), f"{word} (post {post_id}) is not found\n{server.log_tail()}"

    # Email and webhooks were queued with every confirmed answer; those of answers confirmed after
    # the restart go out (earlier ones may wait for a lease taken during the outage to run out).
    after_restart = {post_id for post_id, s in confirmed.items() if s.at >= restarted}

    def delivered() -> tuple[dict[int, str], dict[int, str]]:
        with factory() as db:
            mail = dict(
                db.execute(
                    select(Notification.post_id, MailMessage.status)
                    .join(MailMessage, MailMessage.notification_id == Notification.id)
                    .where(Notification.recipient_id == asker_id, Notification.post_id.in_(confirmed))
                ).all()
            )
            hooks = {
                json.loads(payload)["data"]["post"]["id"]: status
                for payload, status in db.execute(select(WebhookDelivery.payload, WebhookDelivery.status)).all()
            }
        return mail, hooks

    def sent_after_restart() -> bool:
        mail, hooks = delivered()
        return all(mail.get(p) == "sent" and hooks.get(p) == "succeeded" for p in after_restart)

    wait_until(sent_after_restart, "email and webhooks for the answers after the restart", server, traffic, restarted)
    mail, hooks = delivered()
    assert set(confirmed) <= set(mail) and set(confirmed) <= set(hooks)
    assert {mail[p] for p in confirmed} <= {"pending", "sent"}
    assert {hooks[p] for p in confirmed} <= {"pending", "succeeded"}
    received = {json.loads(r.body)["data"]["post"]["id"] for r in receiver.requests}
    assert after_restart <= received
    return (
        f"stop -m {stop_mode}: {len(seen)} requests, {len(confirmed)} answers confirmed, "
        f"{len(unavailable)} answered 503 over an outage of {restarted - stopped:.1f} s"
    )


def test_a_connection_ended_after_the_page_was_made_does_not_fail_it(private_postgres, tmp_path):
    """PostgreSQL ends a request's connection between the view and the session's closing (a fast
    shutdown does that to every connection): the finished page is still served, and the next
    request gets a working connection."""
    cluster = private_postgres
    app = create_app(TestingConfig(cluster.url, search_index_dir=str(tmp_path / "index")))
    admin = make_engine(cluster.url)
    try:
        with app.extensions["hearth.sessionmaker"]() as db:
            thread = make_thread(db, title="Heat pump hums at night")
            db.commit()
            path = f"/t/{thread.id}/{thread.slug}"
        ended: list[int] = []

        @app.after_request
        def end_the_connection(response):
            if not ended:
                pid = get_session().scalar(text("SELECT pg_backend_pid()"))
                with admin.connect() as conn:
                    assert conn.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
                ended.append(pid)
            return response

        client = app.test_client()
        first = client.get(path)
        assert ended and first.status_code == 200, first.status_code
        assert "Heat pump hums at night" in first.get_data(as_text=True)
        again = client.get(path)
        assert again.status_code == 200
        with app.extensions["hearth.sessionmaker"]() as db:
            assert db.scalar(text("SELECT pg_backend_pid()")) != ended[0]
    finally:
        app.extensions["hearth.search"].close()
        app.extensions["hearth.engine"].dispose()
        admin.dispose()
