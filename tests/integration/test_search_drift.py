"""An index that does not match its database (restored under it, or copied from elsewhere) is
found by comparing thread ids and reconciled; one process of a machine checks at a time."""

import fcntl
from dataclasses import replace

import pytest

from search import indexer
from search.documents import build_documents
from tests.factories import make_thread


@pytest.fixture
def parts(app, search_backend_name):
    return app.extensions["hearth.sessionmaker"], app.extensions["hearth.search"]


@pytest.fixture
def drifted(session, parts):
    """Two threads, one missing from the index, and a document for a thread the database lacks."""
    factory, backend = parts
    kept = make_thread(session, title="Boiler pressure drops overnight")
    lost = make_thread(session, title="Thermostat clicks every hour")
    session.commit()
    (document,), _ = build_documents(session, [kept.id])
    with backend.writer() as writer:
        writer.remove(lost.id)
        writer.update(replace(document, thread_id=900_001, title="A question from a later database"))
    return kept.id, lost.id


def test_drift_counts_missing_and_extra_threads(parts, drifted):
    assert indexer.drift(*parts) == (1, 1)


def test_repair_reconciles_a_drifted_index_once(parts, drifted, caplog):
    factory, backend = parts
    kept, lost = drifted

    report = indexer.repair_drift(factory, backend)

    assert (report["missing"], report["removed"]) == (1, 1)
    assert set(backend.indexed_versions()) == {kept, lost}
    assert "does not match the database: 1 public threads are missing from it and 1" in caplog.text
    assert indexer.repair_drift(factory, backend) is None  # nothing left to fix


def test_only_one_process_checks_at_a_time(parts, drifted, tmp_path):
    factory, backend = parts
    lock_file = tmp_path / "search-check.lock"
    with open(lock_file, "a") as other_process:
        fcntl.flock(other_process, fcntl.LOCK_EX)
        assert indexer.repair_drift_once(factory, backend, lock_file) is None
        assert indexer.drift(factory, backend) == (1, 1)
    assert indexer.repair_drift_once(factory, backend, lock_file) is not None
    assert indexer.drift(factory, backend) == (0, 0)
