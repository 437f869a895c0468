"""`flask restore` gives back exactly what was backed up, its search included; it refuses while
the site is served, and refuses a damaged or foreign file without touching the live database."""

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from community.db import make_engine
from tests.factories import make_answer, make_thread
from tests.integration.restore.conftest import ROOT, gunicorn_serving

BACKED_UP = "Boiler pressure drops overnight"
LATER = "Thermostat clicks since the backup was taken"


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _backup(app, destination: Path):
    result = _cli(app, "backup", str(destination))
    assert result.exit_code == 0, result.output
    return destination


def _search(client, words: str) -> dict:
    response = client.get("/api/v1/search", query_string={"q": words})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _crash_after_asking(site, title: str) -> None:
    """Ask a question in another process that then dies without closing the database, as a
    killed worker does: on SQLite its commit is left in the -wal beside the database."""
    script = textwrap.dedent(
        f"""
        import os
        from app import create_app
        from config import TestingConfig
        from sqlalchemy import select
        from community.models import Category
        from tests.factories import make_thread, make_user
        app = create_app(TestingConfig({site.url!r}, search_index_dir={str(site.index_dir)!r}))
        with app.extensions["hearth.sessionmaker"]() as session:
            category = session.scalars(select(Category)).first()
            make_thread(session, author=make_user(session, "later_asker"), category=category, title={title!r})
            session.commit()
        os._exit(0)
        """
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture
def backed_up(site, tmp_path):
    """A site with one answered thread, backed up; then a thread asked after the backup."""
    app = site.app()
    with app.extensions["hearth.sessionmaker"]() as session:
        thread = make_thread(session, title=BACKED_UP, body="The gauge falls below one bar by morning.")
        make_answer(session, thread, body="Bleed the radiators, then top up the pressure.")
        session.commit()
    backup_file = _backup(app, tmp_path / "backups" / ("hearth.db" if site.sqlite_file else "hearth.dump"))
    app.extensions["hearth.engine"].dispose()  # the site stops: nothing holds the database open
    _crash_after_asking(site, LATER)
    return app, backup_file


def test_restore_brings_back_the_backup_and_its_search_only(site, backed_up):
    app, backup_file = backed_up
    if site.sqlite_file:  # the later question sits in the -wal that a plain copy would replay
        wal = site.sqlite_file.with_name(site.sqlite_file.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0
    client = app.test_client()
    assert site.titles() == {BACKED_UP, LATER}
    assert _search(client, "thermostat")["total"] == 1

    result = _cli(app, "restore", str(backup_file), "--yes")

    assert result.exit_code == 0, result.output
    assert f"{backup_file} passed its integrity check" in result.output
    assert "Restored 1 threads" in result.output and "it passed its integrity check" in result.output
    assert "Rebuilt the search index: 1 threads." in result.output
    assert site.titles() == {BACKED_UP}
    if site.sqlite_file:
        assert not wal.exists() or wal.stat().st_size == 0
    # Search holds exactly what the backup held: the later question is gone from the index too.
    backend = app.extensions["hearth.search"]
    with app.extensions["hearth.sessionmaker"]() as session:
        ids = set(session.scalars(text("SELECT id FROM threads")))
    assert set(backend.indexed_versions()) == ids
    later = _search(client, "thermostat")
    assert (later["total"], later["items"]) == (0, [])
    found = _search(client, "gauge pressure")
    assert found["total"] == 1 and found["items"][0]["thread"]["title"] == BACKED_UP
    # A site with no webhook endpoints has nothing to pause.
    assert "paused" not in result.output


def test_restore_is_refused_while_a_server_holds_the_serving_lock(site, backed_up):
    app, backup_file = backed_up
    with gunicorn_serving(site) as (base, _log):
        with urllib.request.urlopen(base + "/api/v1/search?q=thermostat", timeout=10) as response:
            assert json.load(response)["total"] == 1

        result = _cli(app, "restore", str(backup_file), "--yes")

        assert result.exit_code == 1
        assert "Hearth is running on this instance" in result.output
        assert "stop gunicorn" in result.output and "Nothing was changed." in result.output
        assert site.titles() == {BACKED_UP, LATER}
        with urllib.request.urlopen(base + "/api/v1/search?q=thermostat", timeout=10) as response:
            assert json.load(response)["total"] == 1

    # Once the server has stopped, the same command goes through.
    result = _cli(app, "restore", str(backup_file), "--yes")
    assert result.exit_code == 0, result.output
    assert site.titles() == {BACKED_UP}


def test_restore_asks_before_replacing_the_database(site, backed_up):
    app, backup_file = backed_up

    result = app.test_cli_runner().invoke(args=["restore", str(backup_file)], input="n\n")

    assert result.exit_code == 1
    assert "Replace everything in" in result.output and "Aborted" in result.output
    assert site.titles() == {BACKED_UP, LATER}


def _damage(path: Path) -> None:
    """Overwrite the second half of the file, as a failing disk would."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\xde\xad\xbe\xef" * ((size - size // 2) // 4))


def _truncate(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size * 2 // 3)


def _foreign_database(path: Path, database_url: str) -> None:
    """A sound database of another application (an archive of one on PostgreSQL)."""
    if database_url.startswith("sqlite"):
        path.unlink()
        import sqlite3

        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE notes (body TEXT)")
            conn.execute("INSERT INTO notes VALUES ('hello')")
        return
    path.write_bytes(b"PGDMP" + os.urandom(64))


def _newer_schema(site, app, path: Path) -> None:
    """A backup of a database a newer Hearth migrated: its schema version is unknown here."""
    path.unlink()
    path.with_name(path.name + ".key").unlink()
    engine = make_engine(site.url)
    with engine.begin() as conn:
        old = conn.scalar(text("SELECT version_num FROM alembic_version"))
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    _backup(app, path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :old"), {"old": old})
    engine.dispose()
    app.extensions["hearth.engine"].dispose()


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda site, app, path: path.write_text("name,email\nana,ana@example.com\n"), "is not a"),
        (lambda site, app, path: path.write_bytes(b""), "is not a"),
        (lambda site, app, path: _damage(path), "damaged"),
        (lambda site, app, path: _truncate(path), "damaged"),
        (lambda site, app, path: _foreign_database(path, site.url), "not a"),
        (_newer_schema, "comes from a newer version of Hearth (schema 9999_from_the_future)"),
    ],
    ids=["text-file", "empty-file", "damaged", "truncated", "another-application", "newer-schema"],
)
def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(site, backed_up, spoil, message):
    app, backup_file = backed_up
    spoil(site, app, backup_file)
    client = app.test_client()

    result = _cli(app, "restore", str(backup_file), "--yes")

    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Nothing was changed." in result.output
    assert "Traceback" not in result.output
    assert site.titles() == {BACKED_UP, LATER}
    assert _search(client, "thermostat")["total"] == 1  # the index was left alone too
    assert not (site.instance / "secret_key").exists()


def test_a_missing_file_is_refused(site, tmp_path):
    app = site.app()
    result = _cli(app, "restore", str(tmp_path / "nowhere.db"), "--yes")
    assert result.exit_code == 1
    assert f"{tmp_path / 'nowhere.db'} does not exist or is not a file." in result.output
