"""One database session per request, closed at teardown; views commit once."""

import logging

from flask import Flask, current_app, g
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from community.background import describe
from community.db import make_engine, make_session_factory

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    engine = make_engine(
        app.config["DATABASE_URL"], sqlite_busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )
    app.extensions["hearth.engine"] = engine
    app.extensions["hearth.sessionmaker"] = make_session_factory(engine)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["hearth.sessionmaker"]()
    return g.db_session


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except DBAPIError as exc:
        # The database ended the connection (a restart) after the response was made: the
        # rollback that closing sends fails, but the response stands. Drop the connection.
        log.warning("database connection lost while closing a session: %s", describe(exc))
        session.invalidate()
