"""Database base class, shared column types and the engine factory."""

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, mapped_column, sessionmaker

log = logging.getLogger(__name__)

# Stable constraint names, so migrations stay the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


intpk = Annotated[int, mapped_column(primary_key=True)]
timestamp = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


# The largest id an integer column holds on every database we run on (PostgreSQL's int4).
MAX_ID = 2**31 - 1
_MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(value) -> int | None:
    """An id from outside (a URL, a form, a query string) as an int; None when it is not a whole
    number the id columns can hold, so it is simply not found rather than refused by the database."""
    if isinstance(value, str):
        value = value.strip()
        if len(value.lstrip("+0")) > _MAX_ID_DIGITS:  # no need to read a thousand digits to refuse them
            return None
    try:
        ident = int(value)
    except (TypeError, ValueError):
        return None
    return ident if 0 < ident <= MAX_ID else None


def get_by_id(session, model, ident):
    """`session.get` for an id from a URL or a form: anything the id column cannot hold is just absent."""
    ident = parse_id(ident)
    return None if ident is None else session.get(model, ident)


def _sqlite_pragmas(dbapi_connection, _record, busy_timeout_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_companions(path: Path) -> list[Path]:
    """The database file and the -wal and -shm files SQLite keeps beside it."""
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def keep_sqlite_file_private(database: str | None) -> None:
    """The database holds password hashes, emails and webhook secrets, so only its owner may
    read it. SQLite gives the -wal and -shm files the database file's mode, so creating the
    file 0600 covers them; files left readable by an earlier version are tightened."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileNotFoundError:
        return  # no such folder: SQLite says so when it connects
    except FileExistsError:
        pass
    for part in sqlite_companions(path):
        try:
            mode = part.stat().st_mode & 0o777
            if mode & 0o077:
                part.chmod(0o600)
                log.warning("%s was readable by others (%o); it is now readable by its owner only.", part, mode)
        except FileNotFoundError:
            continue
        except PermissionError:
            log.warning("%s is readable by others and belongs to another user: make it mode 0600.", part)


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 15000, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        keep_sqlite_file_private(make_url(url).database)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": sqlite_busy_timeout_ms / 1000, "check_same_thread": False},
        )
        event.listen(
            engine,
            "connect",
            lambda conn, record: _sqlite_pragmas(conn, record, sqlite_busy_timeout_ms),
        )
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def lock_row(session, model, ident) -> None:
    """Take a write lock before reading what a change depends on.

    A no-op UPDATE locks the row on PostgreSQL (like SELECT ... FOR UPDATE) and, on SQLite,
    starts the write transaction now, so the reads that follow see the latest commit instead
    of a state another worker is about to change."""
    from sqlalchemy import update

    session.execute(update(model).where(model.id == ident).values(id=model.id))
