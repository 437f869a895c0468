"""Snippets and matched words, computed from a post's own text: no index is needed, so every
backend gives the same highlights for the same query terms."""

import functools
import re

from whoosh import highlight

from search.analysis import TOKEN_PATTERN, highlight_analyzer

# Same words as the index, but every occurrence, so a snippet marks each one.
_ANALYZER = highlight_analyzer()


def snippet(text: str, terms: list[str], max_chars: int = 240) -> str:
    """An HTML-escaped excerpt of `text` around the matching words, each wrapped in <mark>."""
    fragmenter = highlight.ContextFragmenter(maxchars=max_chars, surround=80)
    formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
    return highlight.highlight(text, terms, _ANALYZER, fragmenter, formatter, top=2)


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
