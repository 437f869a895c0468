"""`flask backup` writes a consistent copy that restores to exactly what was committed."""

import subprocess
import uuid

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from community.db import make_engine
from community.models import Post, Thread, User
from config import TestingConfig
from tests.factories import make_answer, make_thread


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(m)) for m in (User, Thread, Post))


def _restore_postgres(dump, source_url: str):
    """pg_restore into a scratch database; returns its URL (the caller drops it)."""
    name = f"hearth_restore_{uuid.uuid4().hex[:8]}"
    admin = make_engine(source_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = make_url(source_url).set(database=name)
    libpq = target.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={libpq}", str(dump)], check=True, capture_output=True)
    return target.render_as_string(hide_password=False), name


def _drop_database(source_url: str, name: str) -> None:
    admin = make_engine(source_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restores_what_was_committed_and_nothing_after(app, db, database_url, tmp_path):
    thread = make_thread(db, title="Backed up question about the boiler")
    make_answer(db, thread)
    db.commit()
    before = _counts(app.extensions["hearth.engine"])
    destination = tmp_path / ("copy.db" if database_url.startswith("sqlite") else "copy.dump")

    result = app.test_cli_runner().invoke(args=["backup", str(destination)])
    assert result.exit_code == 0, result.output
    assert f"Backed up the database to {destination}" in result.output

    make_thread(db, title="Written after the backup was taken")  # must not be in the copy
    db.commit()

    if database_url.startswith("sqlite"):
        restored_url, scratch = f"sqlite:///{destination}", None
    else:
        restored_url, scratch = _restore_postgres(destination, database_url)
    try:
        restored = create_app(TestingConfig(restored_url, search_index_dir=str(tmp_path / "index")))
        engine = restored.extensions["hearth.engine"]
        assert _counts(engine) == before
        with engine.connect() as conn:
            titles = set(conn.scalars(select(Thread.title)))
        assert "Backed up question about the boiler" in titles
        assert "Written after the backup was taken" not in titles
        # The restored copy is a working site.
        assert restored.test_client().get(f"/t/{thread.id}/{thread.slug}").status_code == 200
        engine.dispose()
    finally:
        if scratch:
            _drop_database(database_url, scratch)


def test_a_backup_never_overwrites_a_file(app, tmp_path):
    existing = tmp_path / "keep.db"
    existing.write_bytes(b"precious")
    result = app.test_cli_runner().invoke(args=["backup", str(existing)])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert existing.read_bytes() == b"precious"
