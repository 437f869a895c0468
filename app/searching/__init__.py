"""Search pages, the similar-questions endpoint, and keeping the index in step after commits."""

import logging
import threading
from pathlib import Path

from flask import Blueprint, Flask, current_app
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db import get_session
from community import permissions
from community.models import SearchOutbox
from search import SearchBackend, make_backend
from search.indexer import Backlog, BackgroundIndexer, backlog, drain
from app.searching import log_buffer
from search.result_cache import ResultCache

log = logging.getLogger(__name__)
bp = Blueprint("search", __name__)
_draining = threading.local()


def backend() -> SearchBackend:
    return current_app.extensions["hearth.search"]


def result_cache() -> ResultCache | None:
    return current_app.extensions.get("hearth.search_cache")


def backlog_for_staff() -> Backlog | None:
    """How far the index is behind, for the staff pages (None for anyone else, or when it keeps up)."""
    if not permissions.is_staff(current_user):
        return None
    return backlog(get_session())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["search_backlog"] = backlog_for_staff
    search_backend = make_backend(
        app.config["SEARCH_BACKEND"], app.config["SEARCH_INDEX_DIR"], engine=app.extensions["hearth.engine"]
    )
    app.extensions["hearth.search"] = search_backend
    if app.config["SEARCH_CACHE_MB"] > 0 and app.config["SEARCH_BACKEND"] == "whoosh":
        directory = app.config["SEARCH_CACHE_DIR"] or app.config["SEARCH_INDEX_DIR"].rstrip("/") + "-results"
        app.extensions["hearth.search_cache"] = ResultCache(directory, app.config["SEARCH_CACHE_MB"])
    factory = app.extensions["hearth.sessionmaker"]
    log_buffer.init_app(app)
    mode = app.config["SEARCH_INDEXER"]
    indexer = BackgroundIndexer(factory, search_backend)
    app.extensions["hearth.indexer"] = indexer

    @event.listens_for(factory, "after_flush")
    def _note_outbox(session: Session, _context) -> None:
        if any(isinstance(obj, SearchOutbox) for obj in session.new):
            session.info["search_dirty"] = True

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint was released: the outer transaction has not committed yet
        if not session.info.pop("search_dirty", False):
            return
        if mode == "thread":
            indexer.kick()
        elif mode == "sync" and not getattr(_draining, "active", False):
            _draining.active = True
            try:
                drain(factory, search_backend)
            except Exception:  # the change is committed; its rows wait in the outbox for the next drain
                log.exception("indexing after a commit failed")
            finally:
                _draining.active = False

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        if not session.in_nested_transaction():
            session.info.pop("search_dirty", None)

    if mode == "thread":
        # Catch up on anything left in the outbox (a crash, or commits made by the CLI).
        # A serving worker's indexer first checks the index against the database (one process
        # of the machine at a time); a `flask` command whose commit starts the thread does not.
        check_lock = None if app.testing else Path(app.instance_path) / "search-check.lock"

        @app.before_request
        def _start_indexer() -> None:
            indexer.ensure_running(check_lock)

    from app.searching import routes  # noqa: F401 - registers the views

    app.register_blueprint(bp)
