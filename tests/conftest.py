"""Fixtures: a real database built by the migrations (SQLite, or PostgreSQL with --db=postgres)."""

import functools
import os

import pytest
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from app import create_app
from community import accounts
from community.db import Base, make_engine, make_session_factory
from config import TestingConfig
from migrations import upgrade_database

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


def _empty_all_tables(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
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
def app(engine, database_url, tmp_path):
    app = create_app(TestingConfig(database_url, search_index_dir=str(tmp_path / "index")))
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
