"""A server started on a database restored without a reindex (the index still holds what came
after the backup, and lacks what the backup has) puts its index right by itself, in the
background, and says so in its log."""

import json
import time
import urllib.request
from dataclasses import replace

from search.documents import build_documents
from search.whoosh_backend import WhooshBackend
from tests.factories import make_thread
from tests.integration.restore.conftest import gunicorn_serving

WAIT_SECONDS = 30


def _search_total(base: str, words: str) -> int:
    with urllib.request.urlopen(f"{base}/api/v1/search?q={words}", timeout=10) as response:
        return json.load(response)["total"]


def test_a_server_reconciles_an_index_that_does_not_match_its_database(site):
    app = site.app()
    with app.extensions["hearth.sessionmaker"]() as session:
        kept = make_thread(session, title="Boiler pressure drops overnight")
        lost = make_thread(session, title="Thermostat clicks every hour")
        session.commit()
        (document,), _ = build_documents(session, [kept.id])
    backend = app.extensions["hearth.search"]
    with backend.writer() as writer:
        writer.remove(lost.id)
        writer.update(replace(document, thread_id=900_001, title="Radiator question from a later database"))
    site.close()

    with gunicorn_serving(site) as (base, log_path):
        index = WhooshBackend(site.index_dir)
        deadline = time.monotonic() + WAIT_SECONDS
        while set(index.indexed_versions()) != {kept.id, lost.id}:
            assert time.monotonic() < deadline, "the index was not reconciled:\n" + log_path.read_text()[-3000:]
            time.sleep(0.2)
        index.close()
        assert _search_total(base, "thermostat") == 1
        assert _search_total(base, "radiator") == 0
    log = log_path.read_text()
    assert "The search index does not match the database: 1 public threads are missing from it and 1" in log
    assert "Search index reconciled: 1 threads added, 0 updated, 1 removed." in log
