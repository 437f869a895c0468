"""Fixtures for backup and restore: a site with a database of its own (a restore replaces a
database whole, so never the shared test database), its instance folder and search index, and a
real gunicorn serving it."""

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import gunicorn
import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app import create_app
from community.db import make_engine
from community.models import Thread
from config import TestingConfig
from migrations import upgrade_database

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 30
CONTROL_SOCKET = ["--no-control-socket"] if gunicorn.version_info >= (27,) else []


def _admin_engine(database_url: str):
    return make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")


@pytest.fixture
def scratch_url(database_url, tmp_path) -> str:
    """An empty database built by the migrations: a file in the site's instance folder on
    SQLite, a database named after the test database on PostgreSQL (dropped afterwards)."""
    if database_url.startswith("sqlite"):
        instance = tmp_path / "instance"
        instance.mkdir()
        url = f"sqlite:///{instance / 'hearth.db'}"
        upgrade_database(url)
        yield url
        return
    name = f"{make_url(database_url).database}_restore_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine(database_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Site:
    """One Hearth instance: its database, instance folder (lock, key, backups) and index."""

    url: str
    instance: Path
    apps: list[Flask] = field(default_factory=list)

    @property
    def index_dir(self) -> Path:
        return self.instance / "search-index"

    @property
    def sqlite_file(self) -> Path | None:
        return Path(make_url(self.url).database) if self.url.startswith("sqlite") else None

    def app(self, config_class=TestingConfig, **settings) -> Flask:
        config = config_class(self.url, search_index_dir=str(self.index_dir))
        for name, value in settings.items():
            setattr(config, name, value)
        app = create_app(config)
        app.instance_path = str(self.instance)
        self.apps.append(app)
        return app

    def titles(self) -> set[str]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                return set(conn.scalars(select(Thread.title)))
        finally:
            engine.dispose()

    def close(self) -> None:
        for app in self.apps:
            app.extensions["hearth.search"].close()
            app.extensions["hearth.engine"].dispose()


@pytest.fixture
def site(scratch_url, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    made = Site(scratch_url, instance)
    yield made
    made.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn_serving(site: Site, **settings: str):
    """gunicorn (2 workers) serving the site as a deployment would; yields its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATELIMIT_", "SEARCH_", "REDIS_"))}
    env.update(
        DATABASE_URL=site.url,
        HEARTH_ENV="development",
        HEARTH_INSTANCE_DIR=str(site.instance),
        SEARCH_INDEX_DIR=str(site.index_dir),
        SECRET_KEY="restore-test-secret",
        **settings,
    )
    port = _free_port()
    log_path = site.instance / f"gunicorn-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--workers", "2", "--bind", f"127.0.0.1:{port}",
             *CONTROL_SOCKET, "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start:\n" + log_path.read_text(errors="replace")[-4000:])
                time.sleep(0.2)
        yield base, log_path
    finally:
        proc.terminate()
        proc.wait(timeout=15)
