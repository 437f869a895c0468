"""Keeps the index in step with the database by draining the outbox, plus rebuild and reconcile."""

import fcntl
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from whoosh.index import LockError

from community.background import FailureLog, describe
from community.db import utcnow
from community.models import SearchOutbox
from search.backend import SearchBackend, batched
from search.documents import all_public_thread_ids, build_documents, iter_documents

log = logging.getLogger(__name__)
BATCH = 200
# Changes normally reach the index within a second or two; staff are told once the oldest
# waiting one is older than this, or at once when indexing failed.
LAG_TOLERATED = timedelta(minutes=2)
MAX_ERROR = 300


def drain(session_factory: sessionmaker, backend: SearchBackend, batch: int = BATCH) -> int:
    """Apply pending outbox rows to the index; returns how many threads were (re)indexed.

    The outbox is read while holding the index writer, so two drainers never apply an older
    state of a thread after a newer one. Rows are deleted only after the index commit: a crash
    in between leaves them to be applied again (updates are idempotent)."""
    done = 0
    while True:
        with session_factory() as session:
            rows = session.execute(
                select(SearchOutbox.id, SearchOutbox.thread_id).order_by(SearchOutbox.id).limit(batch)
            ).all()
            if not rows:
                return done
            waiting = [row_id for row_id, _ in rows]
            try:
                with backend.writer() as writer:
                    # Re-read under the lock: another drainer may have applied these already.
                    rows = session.execute(
                        select(SearchOutbox.id, SearchOutbox.thread_id).order_by(SearchOutbox.id).limit(batch)
                    ).all()
                    if not rows:
                        return done
                    thread_ids = list(dict.fromkeys(thread_id for _, thread_id in rows))
                    documents, removed = build_documents(session, thread_ids)
                    for document in documents:
                        writer.update(document)
                    for thread_id in removed:
                        writer.remove(thread_id)
            except LockError:
                raise  # another process is writing: not a failure
            except Exception as exc:
                if not isinstance(exc, SQLAlchemyError):  # the database failed: nowhere to write it
                    _note_failure(session, waiting, exc)
                raise
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([row_id for row_id, _ in rows])))
            session.commit()
            done += len(thread_ids)


def _note_failure(session: Session, row_ids: list[int], exc: Exception) -> None:
    """Write why the index could not take these rows on them, for staff to see (best effort:
    the caller raises the failure itself)."""
    try:
        session.rollback()  # a fresh transaction: SQLite may refuse to turn a stale read into a write
        session.execute(
            update(SearchOutbox)
            .where(SearchOutbox.id.in_(row_ids))
            .values(attempts=SearchOutbox.attempts + 1, last_error=describe(exc)[:MAX_ERROR], last_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except SQLAlchemyError:
        log.warning("could not record a search indexing failure", exc_info=True)


def pending(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SearchOutbox)) or 0


@dataclass(frozen=True)
class Backlog:
    """Changes the index has not taken yet: how many, since when, and the last failure."""

    waiting: int
    oldest_at: datetime
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None


def backlog(session: Session, now: datetime | None = None) -> Backlog | None:
    """What staff should know about the index falling behind, or None while it keeps up.

    The oldest row carries the latest failure: every drain starts from the oldest rows."""
    oldest = session.execute(
        select(SearchOutbox.created_at, SearchOutbox.attempts, SearchOutbox.last_error, SearchOutbox.last_attempt_at)
        .order_by(SearchOutbox.id)
        .limit(1)
    ).first()
    if oldest is None:
        return None
    if not oldest.attempts and (now or utcnow()) - oldest.created_at < LAG_TOLERATED:
        return None
    return Backlog(pending(session), oldest.created_at, oldest.attempts, oldest.last_error, oldest.last_attempt_at)


def reindex(session_factory: sessionmaker, backend: SearchBackend, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the index from the database. Changes committed meanwhile stay in the outbox."""
    with session_factory() as session:
        # The rebuild reads after these rows were committed, so it covers them. Not "every id up
        # to the highest": PostgreSQL hands out ids before commit, so a change committed during
        # the rebuild can hold a lower id than one already committed.
        covered = list(session.scalars(select(SearchOutbox.id)))
        count = backend.rebuild(iter_documents(session), progress)
        for ids in batched(covered, 500):
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(ids)))
        session.commit()
    return count


def reconcile(session_factory: sessionmaker, backend: SearchBackend) -> dict[str, int]:
    """Find threads whose index entry is missing, stale or should not be there, and fix them."""
    with session_factory() as session:
        indexed = backend.indexed_versions()
        public = set(all_public_thread_ids(session))
        missing, stale = 0, 0
        with backend.writer() as writer:
            for ids in batched(sorted(public), 500):
                documents, _ = build_documents(session, ids)
                for document in documents:
                    version = indexed.get(document.thread_id)
                    if version != document.version:
                        writer.update(document)
                        if version is None:
                            missing += 1
                        else:
                            stale += 1
                session.expire_all()
            extra = [thread_id for thread_id in indexed if thread_id not in public]
            for thread_id in extra:
                writer.remove(thread_id)
    return {"missing": missing, "stale": stale, "removed": len(extra), "fixed": missing + stale + len(extra)}


def drift(session_factory: sessionmaker, backend: SearchBackend) -> tuple[int, int]:
    """How many public threads the index lacks, and how many it lists that the database does
    not show. Cheap (ids only), unlike `reconcile`, which builds every thread's document."""
    with session_factory() as session:
        public = set(all_public_thread_ids(session))
    indexed = set(backend.indexed_versions())
    return len(public - indexed), len(indexed - public)


def repair_drift(session_factory: sessionmaker, backend: SearchBackend) -> dict[str, int] | None:
    """Reconcile an index that does not match the database (one kept while the database was
    restored from a backup, or copied from elsewhere); None when they already matched."""
    drain(session_factory, backend)  # pending outbox rows are not drift
    missing, extra = drift(session_factory, backend)
    if not missing and not extra:
        return None
    log.warning(
        "The search index does not match the database: %d public threads are missing from it and %d "
        "in it are not in the database. Reconciling now; meanwhile searches leave out what the "
        "database does not have.", missing, extra,
    )
    report = reconcile(session_factory, backend)
    log.warning(
        "Search index reconciled: %d threads added, %d updated, %d removed.",
        report["missing"], report["stale"], report["removed"],
    )
    return report


def repair_drift_once(session_factory: sessionmaker, backend: SearchBackend, lock_file: Path) -> dict[str, int] | None:
    """`repair_drift`, unless another process of this machine is doing it right now (workers
    start together; one check is enough)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        return repair_drift(session_factory, backend)


class BackgroundIndexer:
    """A daemon thread in a web worker that drains the outbox soon after each commit, and polls
    once a second so rows committed by other workers are never left behind."""

    def __init__(self, session_factory: sessionmaker, backend: SearchBackend, interval: float = 1.0):
        self.session_factory = session_factory
        self.backend = backend
        self.interval = interval
        self.failures = FailureLog(log, "search indexing")
        self.check_lock: Path | None = None
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_running(self, check_lock: Path | None = None) -> None:
        """Start the thread in this process (after gunicorn forked it) if it is not running.

        With `check_lock`, a thread started now first checks the index against the database
        (repair_drift_once), so a database restored under its index is not searched stale for long."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self.check_lock = check_lock
                self._thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)
                self._thread.start()

    def kick(self) -> None:
        self.ensure_running()
        self._wake.set()

    def _run(self) -> None:
        if self.check_lock is not None:
            try:
                repair_drift_once(self.session_factory, self.backend, self.check_lock)
            except LockError:
                pass  # another process holds the writer for long: the next start checks again
            except Exception:  # the index may be unreadable: searches say so, indexing retries
                log.exception("checking the search index against the database failed")
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                drain(self.session_factory, self.backend)
            except LockError:
                continue  # another process holds the writer and will drain these rows
            except Exception as exc:  # keep the thread alive; the rows stay in the outbox
                self.failures.failed(exc)
                continue
            self.failures.succeeded()
