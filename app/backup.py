"""Consistent backups while the site runs: SQLite's online backup API, or pg_dump for PostgreSQL."""

import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def default_destination(instance_dir: Path, database_url: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suffix = ".db" if database_url.startswith("sqlite") else ".dump"
    return Path(instance_dir) / "backups" / f"hearth-{stamp}{suffix}"


def backup(database_url: str, destination: Path) -> Path:
    destination = Path(destination)
    if destination.exists():
        raise BackupError(f"{destination} already exists; choose a new file name.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _backup_sqlite(Path(url.database), destination)
    elif url.get_backend_name() == "postgresql":
        _backup_postgres(url, destination)
    else:
        raise BackupError(f"No backup method for {url.get_backend_name()} databases.")
    return destination


def _backup_sqlite(source: Path, destination: Path) -> None:
    """Copy page by page while writers continue: the copy is one consistent snapshot."""
    if not source.exists():
        raise BackupError(f"The database file {source} does not exist.")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(destination) as dst:
        src.backup(dst, pages=1024)
    with sqlite3.connect(destination) as check:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
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
        destination.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
