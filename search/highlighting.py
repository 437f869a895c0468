"""Snippets and matched words, computed from a post's own text: no index is needed, so every
backend gives the same highlights for the same query terms."""

from whoosh import highlight

from search.analysis import highlight_analyzer

# Same words as the index, but every occurrence, so a snippet marks each one.
_ANALYZER = highlight_analyzer()


def snippet(text: str, terms: list[str], max_chars: int = 240) -> str:
    """An HTML-escaped excerpt of `text` around the matching words, each wrapped in <mark>."""
    fragmenter = highlight.ContextFragmenter(maxchars=max_chars, surround=80)
    formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
    return highlight.highlight(text, terms, _ANALYZER, fragmenter, formatter, top=2)


def matching_terms(text: str, terms: list[str]) -> set[str]:
    """Which of the query's terms occur in `text`."""
    wanted = set(terms)
    return {t.text for t in _ANALYZER(text) if t.text in wanted}
