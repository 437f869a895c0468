"""Ids from outside: anything the id columns cannot hold is simply absent."""

import pytest

from community.db import MAX_ID, get_by_id, parse_id
from community.models import Thread
from tests.factories import make_thread


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", 1),
        (" 42 ", 42),
        (7, 7),
        (str(MAX_ID), MAX_ID),
        ("0" * 30 + "5", 5),  # leading zeros are still a small number
        (str(MAX_ID + 1), None),
        (str(2**63), None),
        ("9" * 5000, None),  # past Python's own limit for reading digits
        (2**64, None),
        ("0", None),
        ("-3", None),
        ("1.5", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("ident", [MAX_ID + 1, 2**63, "99999999999999999999"])
def test_get_by_id_past_the_range_finds_nothing_on_either_database(db, ident):
    make_thread(db)
    db.commit()
    assert get_by_id(db, Thread, ident) is None
