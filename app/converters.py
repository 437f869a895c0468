"""URL converters that keep ids within what the database's integer columns hold."""

import builtins

from werkzeug.routing import BaseConverter, IntegerConverter, Map

from community.db import MAX_ID


class BoundedIntegerConverter(IntegerConverter):
    """Werkzeug's `int`, never past MAX_ID: a larger number matches no route (404) instead of
    reaching the database, which refuses it (an overflow on SQLite, a DataError on PostgreSQL)."""

    def __init__(
        self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else builtins.min(max, MAX_ID), signed)


class DigitsConverter(BaseConverter):
    """Digits handed to the view as text, for the API: its pydantic path models read and bound
    them, so an id past the range gets the API's 422 problem naming the path part."""

    regex = r"\d+"
    weight = IntegerConverter.weight  # ordered among rules as `int` is


def init_app(app) -> None:
    """Register before any route: a rule binds its converters when it is added."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.url_map.converters["digits"] = DigitsConverter
