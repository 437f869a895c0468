"""Search results are shared by the workers of a machine while the index is unchanged, and
never show what the database no longer holds (once per search backend: see
`search_backend_name` in conftest.py)."""

import pytest

from community import threads
from search.backend import SearchRequest
from search.highlighting import matching_terms
from search.result_cache import ResultCache
from search.service import run_search, similar_threads
from tests.factories import make_answer, make_thread


class CountingBackend:
    """The app's real backend, counting the searches that reach it."""

    def __init__(self, backend):
        self.backend, self.searches, self.lookups = backend, 0, 0

    def search(self, request):
        self.searches += 1
        return self.backend.search(request)

    def similar(self, title, limit):
        self.lookups += 1
        return self.backend.similar(title, limit)

    def __getattr__(self, name):
        return getattr(self.backend, name)


@pytest.fixture
def db(app):
    """A session from the app's own factory: its commits are indexed by the sync indexer."""
    with app.extensions["hearth.sessionmaker"]() as session:
        yield session


@pytest.fixture
def cache(tmp_path):
    cache = ResultCache(tmp_path / "results", size_mb=8)
    yield cache
    cache.close()


@pytest.fixture
def backend(app):
    return CountingBackend(app.extensions["hearth.search"])


def _titles(page) -> list[str]:
    return [item.thread.title for item in page.items]


def test_the_same_search_is_answered_once_while_the_index_is_unchanged(app, db, backend, cache, search_backend_name):
    make_thread(db, title="Printer shows paper jam error", body="The printer says paper jam but it is empty.")
    db.commit()
    request = SearchRequest(text="paper jam")
    first = run_search(db, backend, request, cache)
    second = run_search(db, backend, request, cache)
    assert _titles(first) == _titles(second) == ["Printer shows paper jam error"]
    assert second.items[0].snippet_html == first.items[0].snippet_html
    # PostgreSQL's index is shared by every app server, so a process cannot know it is unchanged.
    assert backend.searches == (1 if search_backend_name == "whoosh" else 2)


def test_a_new_post_is_found_at_once(app, db, backend, cache):
    make_thread(db, title="Printer shows paper jam error", body="The printer says paper jam.")
    db.commit()
    request = SearchRequest(text="paper jam")
    assert len(run_search(db, backend, request, cache).items) == 1
    make_thread(db, title="Paper jam after the firmware update", body="Since the update: paper jam.")
    db.commit()  # indexed right after the commit (SEARCH_INDEXER=sync in tests)
    assert len(run_search(db, backend, request, cache).items) == 2


def test_reused_results_show_current_titles_and_drop_deleted_threads(app, db, backend, cache):
    kept = make_thread(db, title="Paper jam in tray two", body="Tray two reports a paper jam.")
    gone = make_thread(db, title="Paper jam in tray one", body="Tray one reports a paper jam.")
    db.commit()
    request = SearchRequest(text="paper jam")
    run_search(db, backend, request, cache)
    question = threads.question_of(db, gone)
    gone.deleted_at = question.deleted_at = kept.created_at  # behind the index's back
    kept.answer_count = 3
    db.commit()
    page = run_search(db, backend, request, cache)
    assert _titles(page) == ["Paper jam in tray two"]
    assert page.items[0].thread.answer_count == 3


def test_similar_lookups_are_reused_too(app, db, backend, cache, search_backend_name):
    thread = make_thread(db, title="Bluetooth headset will not pair with laptop")
    make_answer(db, thread)
    db.commit()
    for _ in range(2):
        found = similar_threads(db, backend, "headset will not pair", cache=cache)
        assert [item.thread.id for item in found] == [thread.id]
    assert backend.lookups == (1 if search_backend_name == "whoosh" else 2)


def test_workers_share_results_through_the_cache_folder(app, db, backend, tmp_path, search_backend_name):
    """Two caches on one folder stand for two gunicorn workers of one machine."""
    make_thread(db, title="Printer shows paper jam error", body="The printer says paper jam.")
    db.commit()
    first, second = ResultCache(tmp_path / "shared", 8), ResultCache(tmp_path / "shared", 8)
    request = SearchRequest(text="paper jam")
    run_search(db, backend, request, first)
    page = run_search(db, backend, request, second)
    assert [item.thread.title for item in page.items] == ["Printer shows paper jam error"]
    assert backend.searches == (1 if search_backend_name == "whoosh" else 2)
    first.close()
    second.close()


def test_a_rebuilt_index_does_not_reuse_the_old_one_s_results(app, db, backend, cache):
    from search import indexer

    make_thread(db, title="Printer shows paper jam error", body="The printer says paper jam.")
    db.commit()
    before = backend.version()
    run_search(db, backend, SearchRequest(text="paper jam"), cache)
    indexer.reindex(app.extensions["hearth.sessionmaker"], backend.backend)
    assert backend.version() != before


@pytest.mark.parametrize(
    "text, terms, found",
    [
        ("Refunds were issued twice.", ["refund", "issu"], {"refund", "issu"}),
        ("The Wi-Fi drops; e-17 shows", ["wifi", "e17", "drop"], {"wifi", "e17", "drop"}),
        ("REDIRECT loops", ["redi"], set()),
        ("", ["anything"], set()),
    ],
)
def test_matching_terms_finds_stems_of_each_word(text, terms, found):
    assert matching_terms(text, terms) == found


def test_whoosh_reads_segments_from_disk_instead_of_copying_them(tmp_path):
    """Opened through mmap, whoosh copies each segment into the process's private memory: every
    web worker would then hold the whole index."""
    from search.whoosh_backend import WhooshBackend

    backend = WhooshBackend(tmp_path / "index")
    try:
        assert backend._index().storage.supports_mmap is False
    finally:
        backend.close()
