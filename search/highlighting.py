"""Snippets and matched words, computed from a post's own text: no index is needed, so every
backend gives the same highlights for the same query terms."""

import functools
import html
import re

from search.analysis import TOKEN_PATTERN, highlight_analyzer

# Same words as the index, but every occurrence, so a snippet marks each one.
_ANALYZER = highlight_analyzer()


def snippet(text: str, terms: list[str], max_chars: int = 240, surround: int = 80, top: int = 2) -> str:
    """An HTML-escaped excerpt of `text` around the matching words, each wrapped in <mark>: the
    `top` windows of at most `max_chars` holding the most distinct terms, in reading order.

    Words are matched through `_terms_of`, which analyses each distinct word once per process,
    instead of running the analyzer over every word of every post shown (most of a search's cost)."""
    wanted = set(terms)
    hits = []
    for match in _WORD.finditer(text):
        found = _terms_of(match.group()) & wanted
        if found:
            hits.append((match.start(), match.end(), found))
            if len(hits) == MAX_HITS:
                break
    if not hits:
        return ""
    windows = []
    for first in range(len(hits)):
        last = first
        while last + 1 < len(hits) and hits[last + 1][1] - hits[first][0] <= max_chars - surround:
            last += 1
        chosen = hits[first : last + 1]
        start, end = _bounds(text, chosen[0][0], chosen[-1][1], max_chars, surround)
        distinct = len(set().union(*(found for _, _, found in chosen)))
        windows.append(((distinct, len(chosen), -first), start, end, chosen))
    picked: list = []
    for window in sorted(windows, key=lambda w: w[0], reverse=True):
        if all(window[2] <= other[1] or window[1] >= other[2] for other in picked):
            picked.append(window)
            if len(picked) == top:
                break
    return " … ".join(_marked(text, start, end, chosen) for _, start, end, chosen in sorted(picked, key=lambda w: w[1]))


MAX_HITS = 200  # enough to choose good windows; a very long post is not scanned past it


def _bounds(text: str, first: int, last: int, max_chars: int, surround: int) -> tuple[int, int]:
    """Where a window around [first, last) starts and ends: some context either side, cut at spaces."""
    pad = min(surround, max(0, max_chars - (last - first)) // 2)
    start, end = max(0, first - pad), min(len(text), last + pad)
    if start > 0 and " " in text[start:first]:
        start = text.index(" ", start, first) + 1
    if end < len(text) and " " in text[last:end]:
        end = text.rindex(" ", last, end)
    return start, end


def _marked(text: str, start: int, end: int, hits) -> str:
    out, position = [], start
    for s, e, _ in hits:
        out.append(html.escape(text[position:s], quote=False))
        out.append(f"<mark>{html.escape(text[s:e], quote=False)}</mark>")
        position = e
    out.append(html.escape(text[position:end], quote=False))
    return "".join(out).strip()


_WORD = re.compile(TOKEN_PATTERN)


@functools.lru_cache(maxsize=65536)
def _terms_of(word: str) -> frozenset[str]:
    return frozenset(t.text for t in _ANALYZER(word))


def matching_terms(text: str, terms: list[str]) -> set[str]:
    """Which of the query's terms occur in `text`. The analyzer treats each word on its own,
    so each distinct word is analysed once, and remembered: posts share most of their words."""
    wanted = set(terms)
    found: set[str] = set()
    for word in set(_WORD.findall(text)):
        found.update(_terms_of(word) & wanted)
    return found
