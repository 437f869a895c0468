"""Ranking quality on real text must not regress: the Stack Exchange sample, searched with words
of each solved question's own body (tests/bench/relevance.py; `make bench` prints the figures)."""

from pathlib import Path

import pytest

from community.db import make_session_factory
from search import indexer
from search.whoosh_backend import WhooshBackend
from tests.bench import relevance
from tests.bench.stackexchange import load
from tests.conftest import require

DUMP = Path(__file__).resolve().parents[3] / "shared" / "data" / "stackexchange-history"
# Measured 0.68 / 0.91 here; plain Whoosh scores 0.61 / 0.85 on the same queries.
FLOORS = {2: 0.66, 4: 0.86}


@pytest.fixture
def ranked(engine, tmp_path_factory):
    require((DUMP / "Posts.xml").exists(), f"the Stack Exchange sample is not at {DUMP}")
    factory = make_session_factory(engine)
    with factory() as session:
        thread_of = load(session, DUMP)
    backend = WhooshBackend(tmp_path_factory.mktemp("relevance-index"))
    indexer.reindex(factory, backend)
    yield backend, thread_of, factory
    backend.close()


def test_solved_questions_are_found_by_words_of_their_body(ranked):
    backend, thread_of, factory = ranked
    for words, floor in FLOORS.items():
        ours = relevance.evaluate(backend, DUMP, thread_of, words)
        plain = relevance.evaluate_plain_whoosh(factory, DUMP, thread_of, words)
        assert ours["queries"] >= 150
        assert ours["mrr10"] >= floor, (words, ours)
        assert ours["mrr10"] > plain["mrr10"], (words, ours, plain)
