"""Relevance on real text: each solved question is searched with a few words of its own body."""

import random
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from whoosh import fields, index, scoring
from whoosh.analysis import StemmingAnalyzer
from whoosh.qparser import MultifieldParser

from search.analysis import plain_analyzer
from search.backend import SearchBackend, SearchRequest
from search.documents import html_to_text, iter_documents
from tests.bench.stackexchange import read_posts


def queries(dump_dir: Path, words: int) -> list[tuple[str, int]]:
    """(query, dump question id) for every question with an accepted answer; seeded per question."""
    analyzer = plain_analyzer()
    out = []
    for row in read_posts(dump_dir / "Posts.xml"):
        if row.get("PostTypeId") != "1" or not row.get("AcceptedAnswerId"):
            continue
        vocabulary = list(
            dict.fromkeys(t.text for t in analyzer(html_to_text(row["Body"])) if len(t.text) >= 4)
        )
        vocabulary = [w for w in vocabulary if re.fullmatch(r"[a-z]+", w)]
        if len(vocabulary) < words:
            continue
        picked = random.Random(int(row["Id"]) * 31 + words).sample(vocabulary, words)
        out.append((" ".join(picked), int(row["Id"])))
    return out


def _score(rank: Callable[[str], list[int]], dump_dir: Path, thread_of: dict[int, int], words: int) -> dict:
    """MRR@10 and recall@5 of the asked question's thread, for a function from query to thread ids."""
    reciprocal, found5, cases = 0.0, 0, queries(dump_dir, words)
    for text, question_id in cases:
        ids = rank(text)[:10]
        target = thread_of[question_id]
        if target in ids:
            position = ids.index(target) + 1
            reciprocal += 1 / position
            found5 += position <= 5
    n = len(cases) or 1
    return {"mrr10": round(reciprocal / n, 4), "recall5": round(found5 / n, 4), "queries": len(cases)}


def evaluate(
    backend: SearchBackend, dump_dir: Path, thread_of: dict[int, int], words: int
) -> dict[str, float]:
    """Hearth's ranking."""
    return _score(
        lambda text: backend.search(SearchRequest(text=text, per_page=10)).thread_ids,
        dump_dir,
        thread_of,
        words,
    )


def evaluate_plain_whoosh(
    session_factory, dump_dir: Path, thread_of: dict[int, int], words: int
) -> dict[str, float]:
    """The same check for plain Whoosh: BM25F over title, body and answers, default query parser."""
    schema = fields.Schema(
        id=fields.ID(stored=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer()),
        body=fields.TEXT(analyzer=StemmingAnalyzer()),
        answers=fields.TEXT(analyzer=StemmingAnalyzer()),
    )
    ix = index.create_in(tempfile.mkdtemp(prefix="hearth-plain-"), schema)
    writer = ix.writer()
    with session_factory() as session:
        for doc in iter_documents(session):
            writer.add_document(
                id=str(doc.thread_id),
                title=doc.title,
                body=doc.question,
                answers=f"{doc.answers}\n{doc.accepted}",
            )
    writer.commit()
    parser = MultifieldParser(["title", "body", "answers"], schema)
    with ix.searcher(weighting=scoring.BM25F()) as searcher:
        return _score(
            lambda text: [int(hit["id"]) for hit in searcher.search(parser.parse(text), limit=10)],
            dump_dir,
            thread_of,
            words,
        )
