"""How deeply a JSON text nests, found without parsing it.

Python's JSON parser (and pydantic after it) recurses once per level of `[` or `{`: a text
nested a few thousand deep exhausts the stack with a RecursionError before any validation
runs. Each step below is a single linear regular-expression pass, so a hostile megabyte costs
no more than a friendly one.
"""

import json
import re
from itertools import accumulate

# Far deeper than anything Hearth reads (its API bodies nest two levels: an object with a list).
MAX_DEPTH = 32

_ESCAPE = re.compile(r"\\.", re.DOTALL)  # \" and \\ first, so every remaining quote opens or closes a string
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nests_deeper_than(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether `text` opens more than `limit` arrays and objects inside one another.

    Bytes are decoded as `json.loads` would (UTF-8, -16 or -32); bytes that do not decode are
    not JSON at all and are left for the parser to refuse."""
    if isinstance(text, bytes):
        try:
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        except UnicodeDecodeError:
            return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    if brackets.count("[") + brackets.count("{") <= limit:
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets))) > limit  # the running depth's peak
