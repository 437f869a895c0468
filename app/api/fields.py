"""Field types the API's query models share."""

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value):
    # Pydantic alone also reads a number ("-1.5", "1700000000") as a Unix time.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("Use a date written as YYYY-MM-DD.")


Day = Annotated[date, BeforeValidator(_iso_day)]
