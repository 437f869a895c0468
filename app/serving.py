"""Which processes serve an instance: each holds a shared lock on a file in the instance folder,
and `flask restore` must get that lock alone before it replaces the database under them.

An flock is released by the kernel when its process ends, however it ends, so a crashed
server never leaves a stale lock behind."""

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask

log = logging.getLogger(__name__)
LOCK_NAME = "serving.lock"
_held: dict[Path, int] = {}  # lock file -> this process's descriptor


class InstanceBusy(Exception):
    pass


def lock_path(instance_dir: str | Path) -> Path:
    return Path(instance_dir) / LOCK_NAME


def _open(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def hold(instance_dir: str | Path) -> None:
    """Take this process's shared lock (once); waits while a restore holds the lock alone."""
    path = lock_path(instance_dir).resolve()
    if path in _held:
        return
    fd = _open(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        log.warning("A restore is running on %s; waiting for it to finish before serving.", path.parent)
        fcntl.flock(fd, fcntl.LOCK_SH)
    _held[path] = fd


@contextmanager
def alone(instance_dir: str | Path) -> Iterator[None]:
    """Hold the lock exclusively (no process may serve meanwhile), or raise InstanceBusy."""
    path = lock_path(instance_dir).resolve()
    if path in _held:
        raise InstanceBusy("This process is serving the site itself.")
    fd = _open(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InstanceBusy(
                f"Hearth is running on this instance ({path} is held by a server or a worker): stop "
                "gunicorn and every `flask search worker`, `flask webhooks worker` first."
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _run_by_the_cli() -> bool:
    """`flask <command>` builds the app inside a click command; a WSGI server does not."""
    return click.get_current_context(silent=True) is not None


def init_app(app: Flask) -> None:
    """A WSGI server (gunicorn, uwsgi, ...) holds the lock from the moment the app is built;
    `flask run` from its first request; other `flask` commands never (a restore is one)."""
    if app.testing:
        return

    tried = False

    def take() -> None:
        nonlocal tried
        tried = True
        try:
            hold(app.instance_path)
        except OSError as exc:  # an unwritable instance folder must not stop the site
            log.warning("Could not take %s (%s): `flask restore` cannot tell the site is running.",
                        lock_path(app.instance_path), exc)

    if not _run_by_the_cli():
        take()

    @app.before_request
    def _hold_while_serving() -> None:
        if not tried:
            take()
