"""Fixtures: a real database built by the migrations (SQLite, or PostgreSQL with --db=postgres)."""

import functools
import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.security import generate_password_hash

from app import create_app
from community import accounts
from community.db import Base, make_engine, make_session_factory
from config import TestingConfig
from migrations import SEARCH_BACKEND_TABLES, upgrade_database

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip with a reason on a developer's machine; fail under CI=true, so nothing is silently skipped."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must be available)", pytrace=False)
    pytest.skip(reason)


def pytest_addoption(parser):
    parser.addoption(
        "--db", choices=("sqlite", "postgres"), default="sqlite",
        help="Database to run against; postgres reads TEST_DATABASE_URL.",
    )


def search_backend_names(config) -> list[str]:
    """Whoosh always; PostgreSQL full-text search too when the suite runs on PostgreSQL."""
    return ["whoosh", "postgres"] if config.getoption("--db") == "postgres" else ["whoosh"]


def pytest_generate_tests(metafunc):
    # Tests that use `search_backend_name` run once per backend. On SQLite the postgres variant
    # is never generated (rather than skipped), so CI's SQLite pass has nothing to fail on.
    if "search_backend_name" in metafunc.fixturenames:
        metafunc.parametrize(
            "search_backend_name", search_backend_names(metafunc.config), indirect=True, scope="module"
        )


@pytest.fixture(scope="module")
def search_backend_name(request) -> str:
    """The search backend under test ("whoosh" or "postgres"); see pytest_generate_tests."""
    return request.param


@contextmanager
def standalone_search_backend(name: str, workdir: Path, database_url: str | None = None):
    """A backend with an index of its own: a fresh Whoosh index under `workdir`, or scratch
    copies of the PostgreSQL search tables, dropped afterwards (so a module's backend and the
    app's never share rows)."""
    if name == "whoosh":
        from search.whoosh_backend import WhooshBackend

        backend = WhooshBackend(workdir / "index")
        try:
            yield backend
        finally:
            backend.close()
        return
    from search.postgres_backend import PostgresBackend

    prefix = f"scratch{uuid.uuid4().hex[:10]}"
    engine = make_engine(database_url)
    copies = {f"{prefix}_documents": "search_documents", f"{prefix}_words": "search_words"}
    try:
        with engine.begin() as conn:
            for copy, table in copies.items():
                conn.execute(text(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)"))
        yield PostgresBackend(engine, prefix=prefix)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {', '.join(copies)}"))
        engine.dispose()


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory) -> str:
    if request.config.getoption("--db") == "postgres":
        url = os.environ.get("TEST_DATABASE_URL", "")
        require(bool(url), "TEST_DATABASE_URL is not set")
        try:
            _reset_postgres(url)
        except Exception as exc:  # any connection failure means the server is not there
            require(False, f"PostgreSQL at {url} is unreachable: {exc.__class__.__name__}")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _empty_all_tables(engine, attempts: int = 5) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if engine.dialect.name == "postgresql":
        tables += sorted(SEARCH_BACKEND_TABLES)  # the PostgreSQL search backend's index
        for attempt in range(attempts):
            try:
                with engine.begin() as conn:
                    conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                return
            except OperationalError as error:
                # A live server's background thread (indexer, mail or webhook sender) may hold
                # these tables in another order; PostgreSQL then ends one side as a deadlock.
                if "deadlock" not in str(error).lower() or attempt == attempts - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
    with engine.begin() as conn:
        conn.execute(text("UPDATE threads SET accepted_post_id = NULL"))
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test starts from empty tables (only for tests that touch the database)."""
    yield
    if "engine" in request.fixturenames:
        _empty_all_tables(request.getfixturevalue("engine"))


@pytest.fixture
def db(engine):
    """A session for service tests; tests commit like a request would."""
    session = make_session_factory(engine)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def app(request, engine, database_url, tmp_path):
    """The site; its search backend is `search_backend_name`'s when the test asks for that."""
    backend = request.getfixturevalue("search_backend_name") if "search_backend_name" in request.fixturenames else None
    app = create_app(TestingConfig(database_url, search_index_dir=str(tmp_path / "index"), search_backend=backend))
    yield app
    app.extensions["hearth.search"].close()
    app.extensions["hearth.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """Cheap hashes so tests that create many members stay fast; checks still run for real,
    because check_password_hash reads the method from the stored hash."""
    monkeypatch.setattr(
        accounts, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")
    )


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, one for the whole run: Playwright's sync API runs one event loop
    per process, so the browser and fault tests must share it rather than each start their own."""
    import shutil

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    require(shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
