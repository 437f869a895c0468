"""Measuring how deeply a JSON text nests without parsing it."""

import json
import time

import pytest

from app.api.json_depth import MAX_DEPTH, nests_deeper_than


def nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize(
    "text, limit, deeper",
    [
        ("1", 0, False),
        ("[]", 0, True),
        ("[]", 1, False),
        ('{"a": [1, {"b": []}]}', 3, True),
        ('{"a": [1, {"b": []}]}', 4, False),
        ('{"a": "[[[[[[[[", "b": "{{{{"}', 1, False),  # brackets in strings are text
        (r'{"a": "\"[[[[", "b": "x"}', 1, False),  # an escaped quote does not end the string
        (r'["\\", [[]]]', 2, True),  # an escaped backslash does: the brackets after it count
        (r'["\\", [[]]]', 3, False),
        ("[" * 100, 32, True),  # never closed: the parser would still recurse into every level
        ("]" * 100 + "[[", 1, False),  # the parser stops at the first stray bracket
    ],
)
def test_depth_counts_brackets_outside_strings(text, limit, deeper):
    assert nests_deeper_than(text, limit) is deeper
    assert nests_deeper_than(text.encode(), limit) is deeper


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-32"])
def test_bytes_are_read_in_the_encoding_json_loads_would_use(encoding):
    deep = nested(5000).encode(encoding)
    with pytest.raises(RecursionError):
        json.loads(deep)  # what the check is there to prevent
    assert nests_deeper_than(deep)
    assert not nests_deeper_than(nested(MAX_DEPTH, '"[[["').encode(encoding))


def test_the_limit_is_exact():
    assert not nests_deeper_than(nested(MAX_DEPTH))
    assert nests_deeper_than(nested(MAX_DEPTH + 1))
    assert not nests_deeper_than("[" + ",".join([nested(MAX_DEPTH - 1)] * 1000) + "]")  # wide, not deep


def test_bytes_that_are_not_text_are_left_to_the_parser():
    assert not nests_deeper_than(b"\xff\xfe\xfd" + b"[" * 100)


@pytest.mark.parametrize(
    "body",
    [
        '"' + '\\"' * 500_000,  # one string that never ends: a backtracking scan would be quadratic
        '"' * 1_000_000,
        "[" + "[]," * 333_000 + "[]]",
        '["a",' * 200_000,
    ],
    ids=["unterminated-string", "quotes", "wide", "open-lists"],
)
def test_a_hostile_megabyte_is_measured_in_linear_time(body):
    started = time.perf_counter()
    nests_deeper_than(body)
    # Linear passes take a fraction of a second; a quadratic scan of a megabyte would take hours.
    assert time.perf_counter() - started < 10
