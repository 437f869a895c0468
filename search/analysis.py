"""Text analysis shared by indexing, querying and highlighting."""

import re
import unicodedata

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter, Tokenizer

# Words joined by dots, dashes or pluses stay one token where it matters (e-17, c++, v3.9.1).
TOKEN_PATTERN = r"\w+(?:[.+#-]\w+)*\+*#?"
MAX_QUERY_CHARS = 300


class CapRepeats(Filter):
    """Index a word at most `limit` times per field, so repeating it cannot push a post up."""

    def __init__(self, limit: int = 2):
        self.limit = limit

    def __eq__(self, other):
        return type(other) is type(self) and other.limit == self.limit

    def __call__(self, tokens):
        seen: dict[str, int] = {}
        for token in tokens:
            count = seen.get(token.text, 0) + 1
            seen[token.text] = count
            if count <= self.limit:
                yield token


class JoinCompounds(Filter):
    """After "wi-fi" or "e-17", also index "wifi" and "e17", so either spelling finds it."""

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(self, tokens):
        for token in tokens:
            yield token
            joined = re.sub(r"(?<=\w)[.-](?=\w)", "", token.text)
            if joined != token.text and joined:
                token.text = joined
                yield token


SEGMENT = "\x1e"
WEIGHT_END = "\x1f"


def weighted(parts: list[tuple[float, str]]) -> str:
    """Join texts into one field value whose words carry their part's weight (see WeightedTokenizer).
    The marks are taken out of the texts first, so no post can forge a segment or a weight."""
    unmarked = str.maketrans({SEGMENT: " ", WEIGHT_END: " "})
    return "".join(f"{SEGMENT}{weight}{WEIGHT_END}{text.translate(unmarked)}" for weight, text in parts if text)


class WeightedTokenizer(Tokenizer):
    """Tokenizes "\x1e<weight>\x1f<text>" segments, giving each word its segment's weight.

    One field then weighs a title word above an answer word in a single posting (true BM25F,
    and one posting list per word to read instead of one per field)."""

    def __init__(self, gap: int = 50):
        self.inner = RegexTokenizer(TOKEN_PATTERN)
        self.gap = gap

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(self, value, positions=False, start_pos=0, **kwargs):
        pos = start_pos
        for segment in value.split(SEGMENT):
            weight, found, text = segment.partition(WEIGHT_END)
            if not found:
                weight, text = "1", segment
            if not text:
                continue
            boost, last = float(weight), pos
            for token in self.inner(text, positions=positions, start_pos=pos, **kwargs):
                token.boost = boost
                if positions:
                    last = token.pos
                yield token
            pos = last + self.gap


def weighted_analyzer():
    """For the combined search field: weighted words, stemmed, repeats capped."""
    return (
        WeightedTokenizer() | LowercaseFilter() | StopFilter(minsize=1) | JoinCompounds()
        | StemFilter(lang="en", cachesize=50000) | CapRepeats(2)
    )


def _base():
    # JoinCompounds after StopFilter, which renumbers positions: the joined form then shares the
    # original's position, so a quoted phrase matches either spelling.
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter(minsize=1) | JoinCompounds()


def stemming_analyzer():
    """For indexed text: stemmed, so "refunds" finds "refund"; whole words only, so "redis" never
    matches "redirect"."""
    return _base() | StemFilter(lang="en", cachesize=50000) | CapRepeats(2)


def highlight_analyzer():
    """Same words as the index, but every occurrence, so a snippet marks each one."""
    return _base() | StemFilter(lang="en", cachesize=50000)


def plain_analyzer():
    """Unstemmed words, the vocabulary that spelling suggestions are drawn from."""
    return RegexTokenizer(r"[^\W\d_]{3,}") | LowercaseFilter() | StopFilter()


def clean_query(text: str) -> str:
    """Make any typed string safe to analyze: no control characters, bounded length."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip()[:MAX_QUERY_CHARS]


def split_phrases(text: str) -> tuple[list[str], str]:
    """Pull out "quoted phrases" (balanced quotes only); return them and the rest of the text."""
    phrases = [p.strip() for p in re.findall(r'"([^"]+)"', text) if p.strip()]
    rest = re.sub(r'"[^"]*"', " ", text).replace('"', " ")
    return phrases, rest
