"""An index that lists threads the database does not have (a database restored under it, or a
deletion not yet applied) never shows in results: the total counts live threads only, later
hits fill the page, and the API and the web page agree."""

from dataclasses import replace

import pytest

from search.backend import SearchRequest
from search.documents import build_documents
from search.service import run_search
from tests.factories import make_category, make_thread, make_user
from tests.integration.helpers import text

GHOST_IDS = range(900_001, 900_005)


@pytest.fixture
def backend(app, search_backend_name):
    return app.extensions["hearth.search"]


def _add_ghosts(session, backend, model_thread, ids, title: str) -> None:
    """Index documents for threads the database does not have, as a restored database leaves them."""
    (document,), _ = build_documents(session, [model_thread.id])
    with backend.writer() as writer:
        for thread_id in ids:
            writer.update(replace(document, thread_id=thread_id, title=title))


def test_api_and_page_agree_when_the_only_hit_is_not_in_the_database(app, client, session, backend):
    thread = make_thread(session, title="Boiler pressure drops overnight", body="The gauge falls below one bar.")
    session.commit()
    _add_ghosts(session, backend, thread, GHOST_IDS[:1], "Thermostat clicks since the backup was taken")

    found = client.get("/api/v1/search", query_string={"q": "thermostat"}).get_json()
    page = text(client.get("/search", query_string={"q": "thermostat"}))

    assert (found["total"], found["items"], found["pages"]) == (0, [], 1)
    assert "No threads match “thermostat”" in page and "result-count" not in page
    assert client.get("/api/v1/search", query_string={"q": "gauge"}).get_json()["total"] == 1


def test_later_hits_fill_the_page_and_the_total_counts_live_threads_only(app, session, backend):
    category = make_category(session, "Heating", "heating")
    asker = make_user(session, "asker")
    live = [
        make_thread(session, author=asker, category=category, title=f"Boiler question {n}",
                    body=f"The boiler shows fault {n} after the storm.")
        for n in range(7)
    ]
    session.commit()
    _add_ghosts(session, backend, live[0], GHOST_IDS, "Boiler question from a later database")

    pages = [run_search(session, backend, SearchRequest(text="boiler", per_page=5, page=n)) for n in (1, 2)]

    assert [len(p.items) for p in pages] == [5, 2]
    assert {p.total for p in pages} == {7}
    assert all(p.total_exact for p in pages)
    shown = [item.thread.id for p in pages for item in p.items]
    assert sorted(shown) == sorted(t.id for t in live)
    assert [item.position for p in pages for item in p.items] == list(range(1, 8))


def test_a_thread_deleted_behind_a_cached_result_is_counted_out(app, session, backend):
    from search.result_cache import ResultCache

    first = make_thread(session, title="Printer paper jam in tray one", body="Tray one reports a paper jam.")
    make_thread(session, title="Printer paper jam in tray two", body="Tray two reports a paper jam.")
    session.commit()
    cache = ResultCache(app.config["SEARCH_INDEX_DIR"] + "-results", 8)
    try:
        request = SearchRequest(text="paper jam")
        assert run_search(session, backend, request, cache).total == 2
        first.deleted_at = first.created_at  # behind the index's back: no outbox row
        session.commit()

        page = run_search(session, backend, request, cache)
    finally:
        cache.close()

    assert page.total == len(page.items) == 1
