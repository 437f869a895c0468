"""The development outbox: messages appended to a local mbox file, one writer at a time.

Writers take an `flock` on the mbox file itself. The kernel releases an flock when its process
ends, however it ends, so a worker or a CLI command that dies mid-append leaves no lock behind.
(mailbox's own lock also writes a `<mbox>.lock` file, which stays after a crash; from then on
every message failed. That file is ignored here and may be deleted.)
"""

import fcntl
import mailbox
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

# flock excludes other open files, including a second one in this process: threads queue here first.
_in_process = threading.Lock()


class OutboxLocked(TimeoutError):
    """Another process kept the outbox file locked for longer than we wait."""


@contextmanager
def locked(path: Path, wait_seconds: float) -> Iterator[None]:
    """Hold the outbox file's lock, waiting up to `wait_seconds` for another writer to finish."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0o600: the file holds one-time sign-in and reset links.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutboxLocked(
                        f"{path} stayed locked by another process for {wait_seconds:g} s"
                    ) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def append(path: Path, message: EmailMessage, wait_seconds: float) -> None:
    """Add one message at the end of the mbox file."""
    with _in_process, locked(path, wait_seconds):
        box = mailbox.mbox(path)
        try:
            box.add(message)
            box.flush()
        finally:
            box.close()
