"""What the loops that work after commits (search indexing, mail, webhooks) say when they fail.

They retry every second or few for as long as the database or the index is away, so logging a
traceback each time would bury everything else in the log: the first failure of a kind is
logged with its traceback, repeats of it once a minute with a count, and the recovery once."""

import logging
import time

REPEAT_EVERY = 60.0  # seconds between log lines about the same failure


def describe(exc: BaseException) -> str:
    """One line for a person: the database driver's message without SQLAlchemy's wrapping, an
    OS error's reason ("No space left on device") without the path it concerned."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else exc.__class__.__name__


class FailureLog:
    def __init__(self, logger: logging.Logger, doing: str, then: str = "will retry", clock=time.monotonic):
        self.logger = logger
        self.doing = doing
        self.then = then  # what happens instead, for the log line
        self.clock = clock
        self._failing: str | None = None
        self._failures = 0
        self._logged_at = 0.0

    def failed(self, exc: BaseException) -> None:
        reason = describe(exc)
        self._failures += 1
        now = self.clock()
        if reason != self._failing:
            self.logger.error("%s failed: %s; %s", self.doing, reason, self.then, exc_info=exc)
            self._failing, self._logged_at = reason, now
        elif now - self._logged_at >= REPEAT_EVERY:
            self.logger.warning("%s still failing (%d attempts): %s", self.doing, self._failures, reason)
            self._logged_at = now

    def succeeded(self) -> None:
        if self._failing is not None:
            self.logger.warning("%s works again after %d failed attempts", self.doing, self._failures)
        self._failing, self._failures = None, 0
