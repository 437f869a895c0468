"""Several processes writing and indexing at once lose nothing; and the `flask search` commands.
Once per search backend (conftest.py)."""

import multiprocessing
import re
import threading
import time
import traceback
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from community import threads
from community.db import make_engine, make_session_factory
from community.models import Post, SearchOutbox, Thread, User
from search import indexer
from search.backend import SearchRequest
from search.documents import ThreadDocument, all_public_thread_ids, build_documents
from search.postgres_backend import PostgresBackend
from search.whoosh_backend import WhooshBackend
from tests.factories import make_category, make_thread, make_user

pytestmark = pytest.mark.usefixtures("search_backend_name")

WRITERS = 4
ANSWERS_EACH = 10
# Hang guards, not speed limits: starting a process and importing the app takes long on a busy
# machine, so the writers' clock starts only once every one of them is ready.
READY_TIMEOUT = 180  # seconds for every writer to start and connect
JOIN_TIMEOUT = 180  # seconds for all writers together once started; they normally need a few


def unique_word(writer: int, n: int) -> str:
    """A word no other answer has (it ends in a digit, so stemming leaves it whole)."""
    return f"zqw{writer}n{n}"


def shared_backend(name: str, index_dir, engine, writer_timeout: float = 30.0):
    """A backend on the index every worker shares: the Whoosh folder, or the PostgreSQL tables."""
    if name == "postgres":
        return PostgresBackend(engine, writer_timeout=writer_timeout)
    return WhooshBackend(index_dir, writer_timeout=writer_timeout)


def write_answers(backend_name, database_url, index_dir, writer, user_id, thread_ids, ready, errors_dir) -> None:
    """One "web worker": its own engine, its own backend on the shared index, and a drain after
    every commit."""
    try:
        engine = make_engine(database_url)
        factory = make_session_factory(engine)
        backend = shared_backend(backend_name, index_dir, engine)
        ready.wait(timeout=READY_TIMEOUT)  # every writer starts at once
        for n in range(ANSWERS_EACH):
            thread_id = thread_ids[(writer + n) % len(thread_ids)]
            with factory() as session:
                threads.answer(
                    session, session.get(User, user_id), session.get(Thread, thread_id),
                    body=f"Answer {n} from writer {writer} mentions {unique_word(writer, n)} here.",
                )
                session.commit()
            indexer.drain(factory, backend)
            # Once drain returns, this change is in the index, whoever applied it, and no other
            # drainer can have overwritten it with an older state of the thread.
            seen = backend.search(SearchRequest(text=unique_word(writer, n))).thread_ids
            assert seen == [thread_id], f"{unique_word(writer, n)} not searchable after drain: {seen}"
        backend.close()
        engine.dispose()
    except BaseException:
        Path(errors_dir, f"writer-{writer}.txt").write_text(traceback.format_exc())
        raise


def _db_versions(session) -> dict[int, str]:
    session.expire_all()
    documents, _ = build_documents(session, all_public_thread_ids(session))
    return {d.thread_id: d.version for d in documents}


def test_processes_writing_and_indexing_at_once_lose_nothing(search_backend_name, db, database_url, tmp_path):
    category = make_category(db)
    targets = [make_thread(db, category=category, title=f"Shared thread number {n} about heating") for n in range(2)]
    writers = [make_user(db) for _ in range(WRITERS)]
    db.commit()
    factory = make_session_factory(db.get_bind())
    index_dir = tmp_path / "index"
    backend = shared_backend(search_backend_name, index_dir, db.get_bind())
    assert indexer.drain(factory, backend) == 2
    errors_dir = tmp_path / "errors"
    errors_dir.mkdir()

    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(WRITERS + 1)
    processes = [
        ctx.Process(
            target=write_answers,
            args=(
                search_backend_name, database_url, str(index_dir), n, writers[n].id, [t.id for t in targets], ready,
                str(errors_dir),
            ),
            daemon=True,
        )
        for n in range(WRITERS)
    ]
    for process in processes:
        process.start()
    try:
        ready.wait(timeout=READY_TIMEOUT)
    except threading.BrokenBarrierError:
        pass  # a writer failed to start: its error is reported below
    deadline = time.monotonic() + JOIN_TIMEOUT
    for process in processes:
        process.join(timeout=max(0.1, deadline - time.monotonic()))
    stuck = [p for p in processes if p.is_alive()]
    for process in stuck:
        process.kill()
        process.join(5)
    errors = "\n".join(path.read_text() for path in sorted(errors_dir.iterdir()))
    assert not stuck, f"{len(stuck)} writers did not finish in {JOIN_TIMEOUT} s\n{errors}"
    assert [p.exitcode for p in processes] == [0] * WRITERS, errors
    assert errors == ""

    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Post).where(Post.is_question.is_(False))) == WRITERS * ANSWERS_EACH
    assert indexer.pending(db) == 0
    backend.close()
    fresh = shared_backend(search_backend_name, index_dir, db.get_bind())
    for writer in range(WRITERS):
        for n in range(ANSWERS_EACH):
            expected = targets[(writer + n) % len(targets)].id
            assert fresh.search(SearchRequest(text=unique_word(writer, n))).thread_ids == [expected]
    # Not just every word: every thread's entry is its latest state, and reconcile finds no drift.
    assert fresh.indexed_versions() == _db_versions(db)
    assert indexer.reconcile(factory, fresh) == {"missing": 0, "stale": 0, "removed": 0, "fixed": 0}
    fresh.close()


class _Interleaved:
    """The real backend, with what other processes do run at one exact moment: while a drainer
    holds the writer, after it has read its outbox rows and built their documents, before it
    deletes the rows."""

    def __init__(self, backend, meanwhile):
        self.backend, self.meanwhile = backend, meanwhile

    def __getattr__(self, name):
        return getattr(self.backend, name)

    @contextmanager
    def writer(self):
        with self.backend.writer() as writer:
            yield _InterleavedWriter(writer, self)


class _InterleavedWriter:
    def __init__(self, writer, owner):
        self.writer, self.owner = writer, owner

    def _first(self):
        if self.owner.meanwhile is not None:
            meanwhile, self.owner.meanwhile = self.owner.meanwhile, None
            meanwhile()

    def update(self, document):
        self._first()
        self.writer.update(document)

    def remove(self, thread_id):
        self._first()
        self.writer.remove(thread_id)


def test_a_row_queued_while_a_drainer_works_is_never_deleted_unapplied(search_backend_name, db, tmp_path):
    """Another drainer deletes the rows this one read (it applied them first), and a new answer
    queues its row before this drainer deletes: the new row must survive, even where the table
    is now empty and an id could be handed out again."""
    category = make_category(db)
    thread = make_thread(db, category=category, title="Shared thread about heating pumps")
    author = make_user(db)
    db.commit()
    factory = make_session_factory(db.get_bind())

    def another_drainer_then_a_new_answer():
        with factory() as other:
            other.execute(delete(SearchOutbox))
            other.commit()
        with factory() as other:
            threads.answer(other, other.get(User, author.id), other.get(Thread, thread.id), body="Bleed the zqwlate radiator.")
            other.commit()

    backend = _Interleaved(shared_backend(search_backend_name, tmp_path / "index", db.get_bind()), another_drainer_then_a_new_answer)
    indexer.drain(factory, backend)

    assert backend.search(SearchRequest(text="zqwlate")).thread_ids == [thread.id]
    assert indexer.pending(db) == 0
    assert indexer.reconcile(factory, backend)["fixed"] == 0
    backend.close()


class _RebuildThen:
    """The real backend, running `meanwhile` right after a rebuild has read the database."""

    def __init__(self, backend, meanwhile):
        self.backend, self.meanwhile = backend, meanwhile

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def rebuild(self, documents, progress=None):
        count = self.backend.rebuild(documents, progress)
        self.meanwhile()
        return count


def test_a_change_committed_during_a_reindex_stays_queued(search_backend_name, db, tmp_path):
    """A change whose outbox row got its id before the rebuild started but committed after the
    rebuild read the database (PostgreSQL hands ids out before commit) is not dropped with the
    rows the rebuild covered."""
    category = make_category(db)
    thread = make_thread(db, category=category, title="Shared thread about heating pumps")
    author = make_user(db)
    db.commit()
    factory = make_session_factory(db.get_bind())
    late = factory()
    threads.answer(late, late.get(User, author.id), late.get(Thread, thread.id), body="Bleed the zqwlate radiator.")
    late.flush()  # its outbox row has its id; the change is not committed yet
    if db.get_bind().dialect.name == "postgresql":
        # A change with a higher id commits first (SQLite's single writer cannot interleave so).
        with factory() as other:
            make_thread(other, category=other.get(type(category), category.id), title="Another heating question here")
            other.commit()
    backend = _RebuildThen(shared_backend(search_backend_name, tmp_path / "index", db.get_bind()), late.commit)
    try:
        indexer.reindex(factory, backend)
    finally:
        late.close()

    assert indexer.pending(db) >= 1
    indexer.drain(factory, backend)
    assert backend.search(SearchRequest(text="zqwlate")).thread_ids == [thread.id]
    assert indexer.reconcile(factory, backend)["fixed"] == 0
    backend.close()


# --- the `flask search` commands -----------------------------------------------------------


def _entry(thread_id: int, title: str) -> ThreadDocument:
    """An index entry written behind the database's back."""
    when = datetime(2024, 1, 1, tzinfo=UTC)
    return ThreadDocument(thread_id, title, "", "", "", [], 1, False, False, False, when, when, 0)


def _search(app, words: str) -> list[int]:
    return app.extensions["hearth.search"].search(SearchRequest(text=words)).thread_ids


def _invoke(app, *args):
    """Run `flask search ...`; the `flask` command pushes an app context, as done here."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["search", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def _three_threads(db):
    """Made with the test's own session, which the app's sync indexer does not follow: they wait
    in the outbox, as after a crash or a bulk import."""
    author, category = make_user(db), make_category(db)
    made = [
        make_thread(db, author=author, category=category, title=f"Boiler question {word} explained")
        for word in ("alpha", "bravo", "charlie")
    ]
    gone = make_thread(db, author=author, category=category, title="Boiler question delta explained")
    threads.delete_post(db, author, threads.question_of(db, gone))
    db.commit()
    return made, gone


def test_reindex_rebuilds_from_the_database_and_reports_progress(app, db):
    made, gone = _three_threads(db)
    backend = app.extensions["hearth.search"]
    with backend.writer() as writer:  # an entry the database no longer has
        writer.update(_entry(424242, "Stale kettle thread"))
    assert _search(app, "boiler") == []

    output = _invoke(app, "reindex")

    assert "Indexing threads" in output
    assert re.search(r"Indexed 3 threads in \d+\.\d s\.", output), output
    assert sorted(_search(app, "boiler")) == sorted(t.id for t in made)
    assert _search(app, "delta") == [] and _search(app, "kettle") == []
    db.expire_all()
    assert indexer.pending(db) == 0


def test_reconcile_reports_what_it_fixed(app, db):
    made, _ = _three_threads(db)
    factory, backend = app.extensions["hearth.sessionmaker"], app.extensions["hearth.search"]
    indexer.drain(factory, backend)
    first, second, _third = made
    with backend.writer() as writer:
        writer.remove(first.id)
        writer.update(_entry(second.id, "Wrong title"))
        writer.update(_entry(424242, "Stale kettle thread"))

    output = _invoke(app, "reconcile")

    assert "Fixed 3 threads: 1 missing, 1 out of date, 1 that should not be searchable." in output
    assert sorted(_search(app, "boiler")) == sorted(t.id for t in made)
    assert _search(app, "kettle") == [] and _search(app, "wrong") == []
    assert "Fixed 0 threads" in _invoke(app, "reconcile")


def test_reconcile_applies_the_outbox_first(app, db):
    made, _ = _three_threads(db)
    output = _invoke(app, "reconcile")
    assert "Fixed 0 threads" in output
    assert sorted(_search(app, "boiler")) == sorted(t.id for t in made)


def test_worker_once_drains_the_outbox_and_exits(app, db):
    made, gone = _three_threads(db)
    assert indexer.pending(db) == 5  # three questions, one more, and its deletion

    output = _invoke(app, "worker", "--once")

    assert "Search worker started" in output
    assert "Indexed 4 threads." in output
    assert sorted(_search(app, "boiler")) == sorted(t.id for t in made)
    db.expire_all()
    assert indexer.pending(db) == 0
    assert "Indexed" not in _invoke(app, "worker", "--once")


def test_worker_once_leaves_rows_when_another_indexer_holds_the_writer(search_backend_name, app, db):
    made, _ = _three_threads(db)
    backend = app.extensions["hearth.search"]
    index_dir = app.config["SEARCH_INDEX_DIR"]
    other = shared_backend(search_backend_name, index_dir, app.extensions["hearth.engine"], writer_timeout=0.1)
    backend.writer_timeout = 0.2
    with other.writer():
        output = _invoke(app, "worker", "--once")
    assert "Indexed" not in output
    db.expire_all()
    assert indexer.pending(db) == 5
    backend.writer_timeout = 30.0
    assert "Indexed 4 threads." in _invoke(app, "worker", "--once")
    other.close()
