"""A worker is killed (SIGKILL) while members are posting: gunicorn starts another, and afterwards
nothing committed is lost, nothing half-written is visible, and `flask search reconcile` leaves
no drift between the database and the index."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community.db import make_session_factory
from community.models import Post, PostRevision, SearchOutbox, Thread
from search.backend import SearchRequest
from search.whoosh_backend import WhooshBackend
from tests.factories import make_category, make_thread, make_user
from tests.faults.conftest import (
    ROOT,
    Client,
    ConnectionFailed,
    confirmed_post_id,
    run_clients,
    server_errors,
    wait_for_outbox_to_drain,
)

pytestmark = pytest.mark.faults

CLIENTS = 4
WORKERS = 2
BEFORE_KILL = 20  # answers confirmed before the first kill
BETWEEN_KILLS = 10  # answers confirmed between kills (and after the last)
MIN_KILLS, MAX_KILLS = 2, 6  # kill until at least one request was cut off mid-way
MAX_ANSWERS_EACH = 400  # a bound, so the clients stop even if the test's loop does not
PHASE_TIMEOUT = 60  # seconds for any one wait below


def marker(client: int, n: int) -> str:
    return f"zqk{client}n{n}"


def wait_for(condition, what: str, server, timeout: float = PHASE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{server.log_tail()}")
        time.sleep(0.05)


def flask_cli(server, *args: str) -> str:
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "wsgi", *args], cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


FIXED = re.compile(r"Fixed (\d+) threads: (\d+) missing, (\d+) out of date, (\d+) that should not be searchable")


def test_crash_mid_write(start_server, database_url, db, engine, request):
    category = make_category(db)
    members = [make_user(db, f"crasher{c}") for c in range(CLIENTS)]
    targets = [make_thread(db, category=category, title=f"Question {n} about the pump noise") for n in range(2)]
    db.commit()
    thread_ids = [t.id for t in targets]

    server = start_server(workers=WORKERS, SEARCH_INDEXER="thread")
    statuses: list = []
    confirmed: dict[int, tuple[int, str]] = {}  # post id -> (thread id, body)
    cut_off: list[str] = []  # requests that got no response (their posts are "not confirmed")
    lock = threading.Lock()
    stop = threading.Event()

    def write(c: int) -> None:
        client = Client(server.base, statuses, timeout=20)
        client.login(members[c].username)
        for n in range(MAX_ANSWERS_EACH):
            if stop.is_set():
                return
            thread_id = thread_ids[n % len(thread_ids)]
            body = f"Answer {n} from crasher {c}: the {marker(c, n)} valve needs a new seal."
            try:
                response = client.post(f"/t/{thread_id}/answer", {"body": body})
            except ConnectionFailed as exc:
                with lock:
                    cut_off.append(str(exc))
                continue
            post_id = confirmed_post_id(response)
            assert post_id, f"client {c}, answer {n}: {response.status}"
            with lock:
                confirmed[post_id] = (thread_id, body)

    errors: list = []
    clients = threading.Thread(
        target=lambda: errors.extend(run_clients([lambda c=c: write(c) for c in range(CLIENTS)], 150)), daemon=True
    )
    started = time.monotonic()
    clients.start()
    kills = 0
    try:
        goal = BEFORE_KILL
        while kills < MAX_KILLS and (kills < MIN_KILLS or not cut_off):
            wait_for(lambda g=goal: len(confirmed) >= g or not clients.is_alive(), f"{goal} answers", server)
            assert clients.is_alive(), errors
            victim = server.workers()[kills % WORKERS] if server.workers() else None
            assert victim, "no worker to kill"
            os.kill(victim, signal.SIGKILL)
            kills += 1
            # The master notices and starts a new worker.
            wait_for(lambda v=victim: v not in server.workers() and len(server.workers()) == WORKERS,
                     "gunicorn to replace the killed worker", server)
            goal = len(confirmed) + BETWEEN_KILLS
        wait_for(lambda g=goal: len(confirmed) >= g or not clients.is_alive(), "answers after the last kill", server)
    finally:
        stop.set()
        clients.join(PHASE_TIMEOUT)
    writing = time.monotonic() - started
    assert not clients.is_alive(), "clients did not stop"
    assert not errors, f"{errors[:5]}\n{server.log_tail()}"
    assert server_errors(statuses) == [], server.log_tail()
    assert cut_off, f"{kills} kills cut off no request: the test did not kill a worker mid-request"
    assert server.proc.poll() is None, "the gunicorn master died"
    # The replacement workers serve the threads, with every answer that exists.
    for target in targets:
        assert Client(server.base).get(f"/t/{target.id}/{target.slug}").status == 200

    # Nothing committed is lost: every confirmed answer is there with its exact text.
    session = make_session_factory(engine)()
    try:
        answers = {
            p.id: p
            for p in session.scalars(select(Post).where(Post.is_question.is_(False), Post.deleted_at.is_(None)))
        }
        lost = [post_id for post_id in confirmed if post_id not in answers]
        assert lost == []
        for post_id, (thread_id, body) in confirmed.items():
            assert (answers[post_id].thread_id, answers[post_id].body_md) == (thread_id, body)
        # Nothing half-written: every answer (confirmed or not) has its first revision, and the
        # threads' counters agree with the answers that exist.
        first_revisions = dict(
            session.execute(select(PostRevision.post_id, PostRevision.body_md).where(PostRevision.number == 1)).all()
        )
        for post in answers.values():
            assert first_revisions.get(post.id) == post.body_md, f"answer {post.id} has no first revision"
        for thread_id in thread_ids:
            count = sum(1 for p in answers.values() if p.thread_id == thread_id)
            assert session.get(Thread, thread_id).answer_count == count
    finally:
        session.close()
    unconfirmed_kept = len(answers) - len(confirmed)

    # The surviving and the new workers drain the outbox; then reconcile fixes whatever a killed
    # indexer left behind, and a second run finds nothing left to fix.
    wait_for_outbox_to_drain(database_url, timeout=PHASE_TIMEOUT, server=server)
    first = FIXED.search(flask_cli(server, "search", "reconcile"))
    second = FIXED.search(flask_cli(server, "search", "reconcile"))
    assert first and second
    assert second.group(1) == "0", second.group(0)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(SearchOutbox)) == 0

    backend = WhooshBackend(server.index_dir)
    try:
        for post_id, post in answers.items():
            n, c = int(post.body_md.split()[1]), int(post.body_md.split()[4].rstrip(":"))
            assert backend.search(SearchRequest(text=marker(c, n))).thread_ids == [post.thread_id], post_id
    finally:
        backend.close()

    summary = (
        f"[{engine.dialect.name}] {kills} kills, {len(confirmed)} confirmed answers, {len(cut_off)} cut off "
        f"({unconfirmed_kept} of those committed anyway), in {writing:.1f} s; first reconcile: {first.group(0)}"
    )
    request.node.user_properties.append(("summary", summary))
    print(summary)
