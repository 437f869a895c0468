"""Consistent backups while the site runs: SQLite's online backup API, or pg_dump for PostgreSQL.

Beside each backup goes `<backup>.key`, the site's secret key: sessions, remember-me cookies
and the unsubscribe links in mail already sent are signed with it, so a copy restored with a
new key would refuse them all. Both files are readable by their owner only: the database
holds password hashes, emails and webhook secrets."""

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from config import write_private


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Backup:
    database: Path
    key_file: Path | None


def default_destination(instance_dir: Path, database_url: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suffix = ".db" if database_url.startswith("sqlite") else ".dump"
    return Path(instance_dir) / "backups" / f"hearth-{stamp}{suffix}"


def key_file_of(backup_file: Path) -> Path:
    return backup_file.with_name(backup_file.name + ".key")


def backup(database_url: str, destination: Path, secret_key: str | None = None) -> Backup:
    destination = Path(destination)
    key_file = key_file_of(destination) if secret_key else None
    for path in filter(None, (destination, key_file)):
        if path.exists():
            raise BackupError(f"{path} already exists; choose a new file name.")
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    url = make_url(database_url)
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise BackupError(f"No backup method for {url.get_backend_name()} databases.")
    # Created empty and private first: the copy is written into it, never readable by others.
    os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        if url.get_backend_name() == "sqlite":
            _backup_sqlite(Path(url.database), destination)
        else:
            _backup_postgres(url, destination)
        if key_file:
            write_private(key_file, secret_key + "\n")
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    return Backup(destination, key_file)


def _backup_sqlite(source: Path, destination: Path) -> None:
    """Copy page by page while writers continue: the copy is one consistent snapshot."""
    if not source.exists():
        raise BackupError(f"The database file {source} does not exist.")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, closing(sqlite3.connect(destination)) as dst:
        src.backup(dst, pages=1024)
        # One self-contained file: out of WAL mode, so reading it never needs a -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"The backup in {destination} failed its integrity check.")


def _backup_postgres(url, destination: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={destination}", libpq],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
