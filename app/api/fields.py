"""Field types the API's path, query and body models share."""

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field

from community.db import MAX_ID

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value):
    # Pydantic alone also reads a number ("-1.5", "1700000000") as a Unix time.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("Use a date written as YYYY-MM-DD.")


Day = Annotated[date, BeforeValidator(_iso_day)]


# An id in a path (`<digits:thread_id>`): past the id columns' range it is a 422 naming the
# part, never a number the database refuses.
PathId = Annotated[int, Field(ge=1, le=MAX_ID)]
