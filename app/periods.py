"""The period a staff report covers, chosen in the URL or by an API call: a preset number of
days or two dates, kept between EARLIEST and today."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import request

from app.web import date_arg
from community.db import utcnow

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST = date(2000, 1, 1)  # dates in the URL are kept between this and today


@dataclass
class Period:
    first: date
    last: date  # inclusive
    days: int | None  # the preset chosen, or None for explicit dates

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time.min, UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, UTC)

    @property
    def args(self) -> dict[str, str | int]:
        """URL arguments that choose this period again."""
        if self.days:
            return {"days": self.days}
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def period_from_args(problems: list[str]) -> Period:
    """Last 7, 30 or 90 days (UTC, today included), or ?from=&to= dates, both included."""
    first, last = date_arg("from", problems), date_arg("to", problems)
    return period_between(first, last, request.args.get("days", type=int), problems)


def period_between(first: date | None, last: date | None, days: int | None, problems: list[str]) -> Period:
    """The period from `first` to `last` (both included), kept between EARLIEST and today; with
    neither, the last `days` (a preset, else DEFAULT_DAYS). One too long is shortened, noted in `problems`."""
    today = utcnow().date()
    if first is None and last is None:
        days = days if days in PRESETS else DEFAULT_DAYS
        return Period(today - timedelta(days=days - 1), today, days)
    last = min(max(last or today, EARLIEST), today)
    first = min(max(first or last - timedelta(days=DEFAULT_DAYS - 1), EARLIEST), today)
    if first > last:
        first, last = last, first
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
        problems.append(f"A period is at most {MAX_DAYS} days: it starts on {first.isoformat()}.")
    return Period(first, last, None)
