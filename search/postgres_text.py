"""tsvector and tsquery values built from Hearth's own text analysis (search.analysis).

PostgreSQL only stores, matches and ranks them: words are stemmed, stop words dropped and
compounds joined ("wi-fi" also as "wifi") in Python exactly as for the Whoosh index, so both
backends find the same threads for the same words. Queries are assembled from analysed words
and never parsed from what was typed, so no text can be tsquery syntax."""

from dataclasses import dataclass, field

from search.analysis import (
    clean_query,
    plain_analyzer,
    split_phrases,
    stemming_analyzer,
    weighted,
    weighted_analyzer,
)
from search.documents import ThreadDocument

# A thread's parts, heaviest first (the repeat cap keeps the heaviest occurrences), and the
# tsvector weight label of each: title A, question B, accepted or staff answers and tags C,
# other answers D. The values ts_rank_cd gives the labels are in postgres_backend.RANK_WEIGHTS.
_LABEL_OF = {4: "A", 3: "B", 2: "C", 1: "D"}

# PostgreSQL's limits (tsvector.h): positions stop at 16383, a lexeme holds at most 2047 bytes,
# and a tsvector's lexemes at most 1 MB. Stay under them rather than fail to index a huge thread.
MAX_POSITION = 16383
MAX_LEXEME_BYTES = 2046
MAX_VECTOR_BYTES = 900_000
# Longer "words" are never a misspelling worth suggesting, and would bloat the words table.
MAX_SPELL_WORD = 40

_weighted = weighted_analyzer()
_stem = stemming_analyzer()
_plain = plain_analyzer()


def quote(lexeme: str) -> str:
    """A lexeme as a quoted tsvector/tsquery literal (quotes doubled, backslashes escaped)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def document_vector(doc: ThreadDocument) -> str:
    """The thread's searchable words with their positions and weight labels, as tsvector text."""
    value = weighted(
        [(4, doc.title), (3, doc.question), (2, doc.accepted), (2, " ".join(doc.tags)), (1, doc.answers)]
    )
    positions: dict[str, list[str]] = {}
    size = 0
    for token in _weighted(value, positions=True):
        width = len(token.text.encode())
        if width > MAX_LEXEME_BYTES:
            continue
        if token.text not in positions:
            size += width
            if size > MAX_VECTOR_BYTES:
                break
            positions[token.text] = []
        positions[token.text].append(f"{min(token.pos + 1, MAX_POSITION)}{_LABEL_OF[int(token.boost)]}")
    return " ".join(f"{quote(lexeme)}:{','.join(where)}" for lexeme, where in positions.items())


def spell_words(doc: ThreadDocument) -> list[str]:
    """The unstemmed words "did you mean" may offer (title and question, as for Whoosh)."""
    words = (t.text for t in _plain(f"{doc.title}\n{doc.question}"))
    return list(dict.fromkeys(w for w in words if len(w) <= MAX_SPELL_WORD))


def stems(text: str) -> list[str]:
    return list(dict.fromkeys(t.text for t in _stem(text)))


@dataclass
class TextQuery:
    """One tsquery clause per typed word or quoted phrase; a thread matches a clause or not."""

    clauses: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    # A quoted phrase of several words is a clause (the relaxed search treats those differently).
    has_phrase: bool = False


def text_query(text: str) -> TextQuery:
    """The clauses for what was typed, built like the Whoosh backend's query."""
    phrases, rest = split_phrases(clean_query(text))
    found = TextQuery()
    for phrase in phrases:
        by_position = {}
        for token in _stem(phrase, positions=True):
            found.terms.append(token.text)
            by_position[token.pos] = token.text  # a compound's joined form, found with either spelling
        words = [by_position[pos] for pos in sorted(by_position)]
        if words:
            found.clauses.append(" <-> ".join(quote(w) for w in words))
            found.has_phrase |= len(words) > 1
    # A compound's two spellings share a position and so one clause, which either satisfies.
    forms_at: dict[int, list[str]] = {}
    for token in _stem(rest, positions=True):
        forms_at.setdefault(token.pos, []).append(token.text)
    for forms in dict.fromkeys(tuple(dict.fromkeys(forms)) for forms in forms_at.values()):
        found.terms += forms
        found.clauses.append(" | ".join(quote(f) for f in forms))
    found.clauses = list(dict.fromkeys(found.clauses))
    found.terms = list(dict.fromkeys(found.terms))
    return found


def all_of(clauses: list[str]) -> str:
    return " & ".join(f"({c})" for c in clauses)


def any_of(clauses: list[str]) -> str:
    return " | ".join(f"({c})" for c in clauses)


def in_title(words: list[str]) -> str:
    """Any of these stems, counted only where it occurs in a title (weight label A)."""
    return " | ".join(f"{quote(w)}:A" for w in words)
