"""When the index cannot take changes (its folder unwritable, the disk full), posting still works,
the changes wait in the outbox with the reason, staff pages say how far behind search is, and
the next drain catches up. The index is broken for real: its folder is replaced by a file."""

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app import create_app
from community.background import FailureLog, describe
from community.db import utcnow
from community.models import SearchOutbox
from config import TestingConfig
from search import indexer
from search.backend import SearchRequest
from tests.factories import make_category, make_thread, make_user
from tests.integration.helpers import login, text

BANNER = re.compile(r'<div class="notice index-backlog" role="status">(.*?)</div>', re.S)


class WorkerConfig(TestingConfig):
    """Indexing left to a separate worker process that is not running."""

    __test__ = False
    SEARCH_INDEXER = "worker"


@pytest.fixture
def worker_app(engine, database_url, tmp_path):
    app = create_app(WorkerConfig(database_url, search_index_dir=str(tmp_path / "worker-index")))
    yield app
    app.extensions["hearth.search"].close()
    app.extensions["hearth.engine"].dispose()


@pytest.fixture
def people(session):
    category = make_category(session, "Heating", "heating")
    thread = make_thread(session, category=category, title="Boiler pressure drops overnight")
    make_user(session, "member_max")
    make_user(session, "staff_sal", role="staff")
    make_user(session, "admin_ada", role="admin")
    session.commit()
    return {"thread": thread}


class BrokenIndex:
    """The index folder replaced by a file, as good as unwritable; `repair()` puts it back."""

    def __init__(self, app):
        self.folder = Path(app.config["SEARCH_INDEX_DIR"])
        self.away = self.folder.with_name(self.folder.name + ".away")
        self.folder.rename(self.away)
        self.folder.write_text("not an index")

    def repair(self) -> None:
        self.folder.unlink()
        self.away.rename(self.folder)


def banner(client, path: str = "/staff/care") -> str | None:
    page = client.get(path)
    assert page.status_code == 200, path
    found = BANNER.search(text(page))
    return " ".join(found.group(1).split()) if found else None


def outbox(session) -> list[tuple[int, int, str | None]]:
    session.rollback()
    return list(
        session.execute(
            select(SearchOutbox.thread_id, SearchOutbox.attempts, SearchOutbox.last_error).order_by(SearchOutbox.id)
        ).all()
    )


def test_answers_wait_for_an_unwritable_index_and_staff_see_why(app, session, people):
    thread = people["thread"]
    broken = BrokenIndex(app)
    member = app.test_client()
    login(member, "member_max")
    for n in range(2):
        response = member.post(f"/t/{thread.id}/answer", data={"body": f"Check the zqvalve{n} for a leak."})
        assert response.status_code == 302  # saved and confirmed, although the index refused it

    # Each drain after a commit failed and wrote why on the rows that wait.
    rows = outbox(session)
    assert [(thread_id, error) for thread_id, _, error in rows] == [(thread.id, "Not a directory")] * 2
    assert rows[0][1] == 2 and rows[1][1] == 1  # the older row was tried with both commits

    staff = app.test_client()
    login(staff, "staff_sal")
    shown = banner(staff)
    assert shown.startswith("<p><strong>Search index is 2 changes behind</strong>, oldest waiting since")
    assert "after 2 attempts: Not a directory." in shown
    admin = app.test_client()
    login(admin, "admin_ada")
    assert "Search index is 2 changes behind" in banner(admin, "/admin/categories")
    # Members never see it (nor the staff pages), and it is not on public pages.
    assert member.get("/staff/care").status_code == 403
    assert "index-backlog" not in text(staff.get(f"/t/{thread.id}/{thread.slug}"))

    broken.repair()
    assert indexer.drain(app.extensions["hearth.sessionmaker"], app.extensions["hearth.search"]) == 1
    assert outbox(session) == []
    assert banner(staff) is None
    found = app.extensions["hearth.search"].search(SearchRequest(text="zqvalve1"))
    assert found.thread_ids == [thread.id]


def test_a_failed_drain_marks_only_the_batch_it_tried(worker_app, engine):
    factory, backend = worker_app.extensions["hearth.sessionmaker"], worker_app.extensions["hearth.search"]
    with factory() as session:
        category = make_category(session)
        threads = [make_thread(session, category=category, title=f"Question {n} about the pump") for n in range(3)]
        session.commit()
    assert backend.search(SearchRequest(text="pump")).thread_ids == []  # the index exists, still empty
    broken = BrokenIndex(worker_app)
    with pytest.raises(OSError):
        indexer.drain(factory, backend, batch=2)
    with factory() as session:
        assert outbox(session) == [
            (threads[0].id, 1, "Not a directory"), (threads[1].id, 1, "Not a directory"), (threads[2].id, 0, None)
        ]
    broken.repair()
    assert indexer.drain(factory, backend, batch=2) == 3
    with factory() as session:
        assert outbox(session) == []


def test_staff_are_told_when_changes_wait_long_without_any_failure(worker_app, engine, people):
    """With SEARCH_INDEXER=worker and no worker running, nothing fails: the age says it."""
    factory = worker_app.extensions["hearth.sessionmaker"]
    staff = worker_app.test_client()
    login(staff, "staff_sal")
    with factory() as session:
        make_thread(session, category=None, title="Thermostat loses its schedule")
        session.commit()
        assert indexer.backlog(session) is None  # a fresh change: the indexer has time to apply it
    assert banner(staff) is None

    with factory() as session:
        session.execute(update(SearchOutbox).values(created_at=utcnow() - indexer.LAG_TOLERATED - timedelta(seconds=5)))
        session.commit()
        found = indexer.backlog(session)
    assert (found.waiting, found.attempts, found.last_error) == (1, 0, None)
    shown = banner(staff)
    assert "Search index is 1 change behind" in shown
    assert "No attempt has failed yet" in shown and "flask search worker" in shown


def test_a_failure_log_keeps_repeats_out_of_the_log(caplog):
    clock = [0.0]
    failures = FailureLog(logging.getLogger("tests.failures"), "search indexing", clock=lambda: clock[0])
    full = OSError(28, "No space left on device", "/srv/index/_MAIN_1.toc")
    assert describe(full) == "No space left on device"
    with caplog.at_level(logging.WARNING, logger="tests.failures"):
        failures.failed(full)
        clock[0] = 30
        failures.failed(full)  # the same failure again, within the minute: not logged
        clock[0] = 61
        failures.failed(full)
        failures.failed(PermissionError(13, "Permission denied"))  # another failure: logged in full
        failures.succeeded()
        failures.succeeded()  # working as before: nothing to say
    logged = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert logged == [
        ("ERROR", "search indexing failed: No space left on device; will retry", True),
        ("WARNING", "search indexing still failing (3 attempts): No space left on device", False),
        ("ERROR", "search indexing failed: Permission denied; will retry", True),
        ("WARNING", "search indexing works again after 4 failed attempts", False),
    ]
