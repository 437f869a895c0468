"""`flask restore`: put a backup made by `flask backup` back in place of the live database.

The backup is checked before anything changes; the restore runs only while no process serves
the instance (app/serving.py); afterwards the schema is brought up to date, the search index
is rebuilt from the restored data, the secret key saved beside the backup is put back, and
webhook deliveries are paused until an admin resumes them (a copy restored on another machine
would otherwise post the original's pending events to its receivers)."""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import pathname2url

from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app import serving
from app.backup import key_file_of
from community import webhooks
from community.db import keep_sqlite_file_private, sqlite_companions
from community.models import Thread, WebhookEndpoint
from config import write_private
from migrations import alembic_config, upgrade_database
from search import indexer

SQLITE_HEADER = b"SQLite format 3\x00"
# How long to wait for another connection to the live SQLite database to let go.
LIVE_DATABASE_TIMEOUT = 5


class RestoreError(Exception):
    pass


@dataclass(frozen=True)
class Checked:
    """A backup that passed every check, ready to restore."""

    source: Path
    revision: str
    target: str  # the live database, as the admin knows it


@dataclass(frozen=True)
class Restored:
    revision: str  # the schema version the backup had
    upgraded: bool  # migrations ran after the restore
    threads: int
    indexed: int
    webhooks_paused: bool
    key: str  # "restored", "same", "differs" or "absent"
    key_file: Path


# -- checking -----------------------------------------------------------------------------------


def check(app: Flask, source: Path) -> Checked:
    """Refuse what is not a sound Hearth backup of the kind this site's database needs."""
    source = Path(source)
    if not source.is_file():
        raise RestoreError(f"{source} does not exist or is not a file.")
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        revision, target = _check_sqlite_backup(source), url.database
    elif url.get_backend_name() == "postgresql":
        revision, target = _check_postgres_archive(source), f"the PostgreSQL database {url.database}"
    else:
        raise RestoreError(f"No restore method for {url.get_backend_name()} databases.")
    _check_revision_known(app.config["DATABASE_URL"], source, revision)
    return Checked(source, revision, target)


def _check_sqlite_backup(source: Path) -> str:
    with open(source, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise RestoreError(f"{source} is not a SQLite database, so not a `flask backup` of this site. Nothing was changed.")
    if sqlite_companions(source)[1].exists():
        raise RestoreError(
            f"{source.name}-wal sits beside {source}: that is a copy of a live database, not a file made by "
            "`flask backup`. Restore a `flask backup` file. Nothing was changed."
        )
    # immutable: reading the backup writes nothing beside it (no -shm, no -wal).
    uri = f"file:{pathname2url(str(source.resolve()))}?mode=ro&immutable=1"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise RestoreError(
                    f"{source} failed SQLite's integrity check ({problems[0]}); it is damaged. Nothing was changed."
                )
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", Thread.__tablename__} <= tables:
                raise RestoreError(f"{source} is a SQLite database but not a Hearth backup. Nothing was changed.")
            return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise RestoreError(f"{source} cannot be read as a database ({exc}); it is damaged. Nothing was changed.") from None


def _require(program: str) -> None:
    if shutil.which(program) is None:
        raise RestoreError(f"{program} is not installed (Debian: apt-get install postgresql-client).")


def _check_postgres_archive(source: Path) -> str:
    _require("pg_restore")
    listing = subprocess.run(["pg_restore", "--list", str(source)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        reason = listing.stderr.strip().splitlines()[-1] if listing.stderr.strip() else "unreadable"
        raise RestoreError(
            f"{source} is not a readable pg_dump archive ({reason}): it is damaged, or not a `flask backup` file. "
            "Nothing was changed."
        )
    if not re.search(r"\bTABLE public threads\b", listing.stdout) or "alembic_version" not in listing.stdout:
        raise RestoreError(f"{source} is a pg_dump archive but not of a Hearth database. Nothing was changed.")
    data = subprocess.run(
        ["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(source)],
        capture_output=True, text=True, check=False,
    )
    rows = re.search(r"^COPY public\.alembic_version .*? FROM stdin;\n(.*?)^\\\.$", data.stdout, re.S | re.M)
    if data.returncode != 0 or rows is None or not rows.group(1).strip():
        raise RestoreError(f"{source} has no readable schema version; it is damaged. Nothing was changed.")
    return rows.group(1).split()[0]


def _check_revision_known(database_url: str, source: Path, revision: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(database_url))
    if revision not in {rev.revision for rev in script.walk_revisions()}:
        raise RestoreError(
            f"{source} comes from a newer version of Hearth (schema {revision}): upgrade Hearth, then restore. "
            "Nothing was changed."
        )


# -- restoring ----------------------------------------------------------------------------------


def restore(app: Flask, checked: Checked) -> Restored:
    """Replace the live database with the backup, then bring the rest of the site in line with it."""
    database_url = app.config["DATABASE_URL"]
    engine = app.extensions["hearth.engine"]
    factory = app.extensions["hearth.sessionmaker"]
    try:
        with serving.alone(app.instance_path):
            engine.dispose()  # this process's own connections must not hold the old database
            url = make_url(database_url)
            if url.get_backend_name() == "sqlite":
                _restore_sqlite(checked.source, Path(url.database))
            else:
                _restore_postgres(url, checked.source, Path(app.instance_path))
            upgraded = _head(database_url) != checked.revision
            if upgraded:
                upgrade_database(database_url)
            engine.dispose()
            with factory() as session:
                threads = session.scalar(select(func.count()).select_from(Thread))
                paused = bool(session.scalar(select(func.count()).select_from(WebhookEndpoint)))
                if paused:
                    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
                    webhooks.pause_deliveries(session, f"Restored from the backup {checked.source.name} on {stamp}.")
                session.commit()
            indexed = indexer.reindex(factory, app.extensions["hearth.search"])
            key = _put_back_key(app, checked.source)
    except serving.InstanceBusy as exc:
        raise RestoreError(f"{exc} Nothing was changed.") from None
    return Restored(checked.revision, upgraded, threads, indexed, paused, key, key_file_of(checked.source))


def _head(database_url: str) -> str:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def _restore_sqlite(source: Path, live: Path) -> None:
    """Through SQLite's backup API into the live file, so SQLite itself deals with the -wal and
    -shm files beside it: a plain copy would let an old -wal replay later writes over the backup."""
    keep_sqlite_file_private(str(live))
    uri = f"file:{pathname2url(str(source.resolve()))}?mode=ro&immutable=1"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as src, closing(
            sqlite3.connect(live, timeout=LIVE_DATABASE_TIMEOUT)
        ) as dst:
            # Leaving WAL mode folds a -wal left beside the database into it and removes it; it
            # needs every other connection closed, so a process still using the file stops us here.
            dst.execute("PRAGMA journal_mode=DELETE")
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
            problems = [row[0] for row in dst.execute("PRAGMA integrity_check(5)")]
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise RestoreError(
                f"Another process still has {live} open (a `flask` command, a cron job or a sqlite3 shell): "
                "stop it and run restore again. Nothing was changed."
            ) from None
        raise RestoreError(f"Could not restore into {live}: {exc}.") from None
    except sqlite3.DatabaseError as exc:
        raise RestoreError(
            f"The live database {live} cannot be opened ({exc}): move it and its -wal and -shm files aside, "
            "then run restore again."
        ) from None
    if problems != ["ok"]:
        raise RestoreError(f"The restored database {live} failed SQLite's integrity check: {problems[0]}")


def _restore_postgres(url, source: Path, workdir: Path) -> None:
    """The archive becomes the whole database, in one transaction: every table the live database
    has is dropped first (a newer schema's tables would otherwise stay and break `db upgrade`).
    pg_restore writes its script to a private file first, so an archive that cannot be read in
    full stops the restore before the database is touched."""
    _require("psql")
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    fd, script = tempfile.mkstemp(prefix="restore-", suffix=".sql", dir=workdir)  # mode 0600
    os.close(fd)
    try:
        made = subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--file={script}", str(source)],
            capture_output=True, text=True, check=False,
        )
        if made.returncode != 0:
            raise RestoreError(
                f"pg_restore could not read {source} in full, so it is damaged ({made.stderr.strip()}). "
                "Nothing was changed."
            )
        tables = _live_tables(libpq)
        drop = f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE" if tables else "SELECT 1"
        result = subprocess.run(
            ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
             f"--dbname={libpq}", f"--command={drop}", f"--file={script}"],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise RestoreError(f"The restore failed and was rolled back ({result.stderr.strip()}). Nothing was changed.")
    finally:
        os.unlink(script)


def _live_tables(libpq: str) -> list[str]:
    from community.db import make_engine

    engine = make_engine(libpq)
    try:
        with engine.connect() as conn:
            names = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))
            return ['public."' + name.replace('"', '""') + '"' for name in names]
    finally:
        engine.dispose()


def _put_back_key(app: Flask, source: Path) -> str:
    """The key sessions and mailed links were signed with: put back in the instance folder, or
    compared with SECRET_KEY when the environment sets it (the admin must change it there)."""
    key_file = key_file_of(source)
    if not key_file.is_file():
        return "absent"
    key = key_file.read_text().strip()
    if os.environ.get("SECRET_KEY"):
        return "same" if os.environ["SECRET_KEY"] == key else "differs"
    if app.config.get("SECRET_KEY") == key:
        return "same"
    write_private(Path(app.instance_path) / "secret_key", key, replace=True)
    return "restored"
