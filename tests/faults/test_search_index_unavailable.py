"""The search index becomes unusable while the site runs: pages that do not search stay up, the
search page says so kindly instead of failing, posting still works (the outbox keeps the changes),
and once the index is back the missed changes become searchable."""

import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community.db import make_session_factory
from community.models import Post, SearchOutbox
from search.backend import SearchRequest
from search.documents import ThreadDocument
from search.whoosh_backend import WhooshBackend
from tests.factories import make_category, make_thread, make_user
from tests.faults.conftest import (
    ROOT,
    Client,
    confirmed_post_id,
    finds,
    on_each_worker,
    server_errors,
    wait_for_outbox_to_drain,
    wait_until_found,
)

pytestmark = pytest.mark.faults

THREAD_LINK = re.compile(r"/t/(\d+)/")


def outbox_rows(engine) -> int:
    with make_session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(SearchOutbox))


@pytest.mark.parametrize("breakage", ["moved-away", "deleted"])
def test_search_index_unavailable(start_server, database_url, db, engine, breakage):
    category = make_category(db)
    thread = make_thread(db, category=category, title="Question about the thermostat schedule")
    member = make_user(db, "indexless_ida")
    db.commit()
    server = start_server(workers=2, SEARCH_INDEXER="thread")
    statuses: list = []
    writer = Client(server.base, statuses)
    writer.login(member.username)
    reader = Client(server.base, statuses)

    before = confirmed_post_id(
        writer.post(f"/t/{thread.id}/answer", {"body": "Set the schedule from the zqbefore menu entry."})
    )
    assert before
    wait_for_outbox_to_drain(database_url, timeout=30, server=server)
    # Every worker has the index open (and a searcher on it) when it goes away.
    assert on_each_worker(server, lambda: finds(reader, "zqbefore", before)) == [True, True]

    index_dir = server.index_dir
    away = index_dir.with_name(index_dir.name + ".away")
    if breakage == "moved-away":
        index_dir.rename(away)
        index_dir.write_text("not an index")  # nothing can recreate the folder while this is here
    else:
        shutil.rmtree(index_dir)

    # Reading pages that do not search is unaffected.
    for path in ["/", f"/t/{thread.id}/{thread.slug}", f"/c/{category.slug}", "/ask"]:
        response = (writer if path == "/ask" else reader).get(path)
        assert response.status == 200, f"{path}: {response.status}\n{server.log_tail()}"
    # In every worker, the search page says search is unavailable (not a 500), and the
    # similar-questions lookup is empty.
    for page in on_each_worker(server, lambda: reader.get("/search?q=zqbefore")):
        assert page.status == 200, server.log_tail()
        assert "Search is unavailable right now" in page.text
    for similar in on_each_worker(server, lambda: reader.get("/search/similar?title=thermostat+schedule+question")):
        assert (similar.status, similar.text.strip()) == (200, "[]")

    # Posting still works: an answer and a new question (whose form looks for similar questions).
    during = confirmed_post_id(
        writer.post(f"/t/{thread.id}/answer", {"body": "The zqduring option resets the schedule."})
    )
    assert during, server.log_tail()
    writer.read_token("/ask")
    asked = writer.post(
        "/ask",
        {
            "title": "Thermostat schedule lost after zqasked power cut",
            "body": "After a power cut the whole weekly schedule was gone. How do I restore it?",
            "category": str(category.id),
            "tags": "",
        },
    )
    assert asked.status == 302, f"{asked.status}\n{server.log_tail()}"
    new_thread = int(THREAD_LINK.search(asked.location).group(1))
    with make_session_factory(engine)() as session:
        new_question = session.scalar(select(Post.id).where(Post.thread_id == new_thread, Post.is_question.is_(True)))
    time.sleep(1.5)  # the indexers try (and fail) at least once
    assert outbox_rows(engine) >= 2, "the outbox must keep the changes the index missed"

    # The index comes back; the missed changes are applied.
    if breakage == "moved-away":
        index_dir.unlink()
        away.rename(index_dir)  # the background indexers retry every second
    else:
        # A deleted index is rebuilt by the operator's reconcile (which also drains the outbox).
        done = subprocess.run(
            [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "search", "reconcile"],
            cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    wait_for_outbox_to_drain(database_url, timeout=30, server=server)
    wait_until_found(reader, "zqduring", during, server)
    # Every worker finds them all again.
    for word, post in [("zqduring", during), ("zqasked", new_question), ("zqbefore", before)]:
        assert on_each_worker(server, lambda w=word, p=post: finds(reader, w, p)) == [True, True], word
    assert server_errors(statuses) == []
    assert [row for row in server.access() if row[1] >= 500] == []


def _document(thread_id: int, word: str) -> ThreadDocument:
    now = datetime.now(UTC)
    return ThreadDocument(
        thread_id=thread_id, title=f"Question {thread_id} about the boiler", question=f"It shows {word} today.",
        answers="", accepted="", tags=[], category_id=1, solved=False, answered=False, staff_answered=False,
        created=now, activity=now, votes=0,
    )


def test_a_worker_searches_again_once_its_index_is_back(tmp_path):
    """A searcher whose refresh failed while the index was away is not kept (closed) for later
    searches: they would all fail until the worker restarts."""
    index_dir = tmp_path / "index"
    backend = WhooshBackend(index_dir)
    with backend.writer() as writer:
        writer.update(_document(1, "zqfirst"))
    assert backend.search(SearchRequest(text="zqfirst")).thread_ids == [1]

    away = tmp_path / "index.away"
    index_dir.rename(away)
    index_dir.write_text("not an index")
    with pytest.raises(Exception):  # noqa: B017 - whatever the index library raises
        backend.search(SearchRequest(text="zqfirst"))
    index_dir.unlink()
    away.rename(index_dir)

    with backend.writer() as writer:
        writer.update(_document(2, "zqsecond"))
    assert backend.search(SearchRequest(text="zqsecond")).thread_ids == [2]
    assert backend.search(SearchRequest(text="zqfirst")).thread_ids == [1]
    backend.close()
