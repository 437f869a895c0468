"""Anything typed into search is treated as words: it never raises, never reaches a private
field, and never finds threads that are not indexed. Run once per search backend (conftest.py)."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from config import TestingConfig
from search.backend import SearchRequest
from search.documents import ThreadDocument
from tests.conftest import _empty_all_tables, standalone_search_backend
from tests.factories import make_answer, make_category, make_thread, make_user

HOSTILE = [
    '"unbalanced quote',
    '"boiler pressure" zzzunknown',
    '"no such phrase" boiler qqq',
    '"pressure drops" "gauge falls" qqq',
    'boiler "pressure',
    '"',
    '""',
    '"""',
    "(boiler",
    "boiler)",
    "((()))",
    "AND",
    "OR",
    "NOT",
    "AND OR NOT",
    "boiler AND NOT",
    "*",
    "?",
    "boil*",
    "b?iler",
    "~2",
    "boiler~",
    "^5",
    "boiler^100",
    "[a TO z]",
    "{a TO z}",
    "title:x",
    "title:boiler",
    "private_field:value",
    "thread_id:1",
    "thread_id:*",
    "version:abc",
    "spell:x",
    "category:1",
    "solved:true",
    "solved:",
    ":",
    ":::",
    'body:"x',
    "\\",
    "\\\\",
    "boiler\\",
    "/regex.*/",
    "x" * 10_000,
    "boiler " * 2_000,
    "\x00",
    "boiler\x00pressure",
    "\x1b[31mred\x1b[0m",
    "\u200b",
    "zero\u200bwidth",
    "\u202eevil",
    "\ufeffbom",
    "🔥🚒 boiler 🔥",
    "👨‍👩‍👧‍👦",
    "مرحبا بالعالم",
    "שלום עולם",
    "مرحبا boiler שלום",
    "'; DROP TABLE threads; --",
    "1' OR '1'='1",
    "boiler%' OR 1=1 --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "&lt;b&gt;&amp;",
    "{{ config }}",
    "{% for x in y %}",
    "%s %d %n",
    "${jndi:ldap://x}",
    "   ",
    "",
    "e-17 wi-fi c++ c# v3.9.1",
    "-",
    "--",
    "+",
    "#",
    ".",
    "+++ ### ...",
    "a" * 300 + " " + "b" * 300,
    "ǅ ß ﬁ Ⅸ ①",
    "\ud7ff\ue000\U0010fffd",
]

NOW = datetime(2024, 3, 1, tzinfo=UTC)


def _doc(thread_id: int, title: str, question: str, **extra) -> ThreadDocument:
    fields = dict(
        answers="", accepted="", tags=["boiler"], category_id=1, solved=False, answered=False,
        staff_answered=False, created=NOW, activity=NOW, votes=0,
    )
    fields.update(extra)
    return ThreadDocument(thread_id=thread_id, title=title, question=question, **fields)


INDEXED = {
    1: _doc(1, "Boiler pressure drops overnight", "The boiler pressure gauge falls to zero."),
    2: _doc(2, "Title with AND OR NOT words", "Fields like title:x or thread_id:1 in the text."),
    3: _doc(3, "Wi-Fi drops at error e-17", "The router shows e-17; see <script>alert(1)</script>."),
    4: _doc(4, "مرحبا boiler שלום", "Right-to-left text 🔥 and emoji.", solved=True, accepted="Fixed it."),
}


def _database_url(request, name: str) -> str | None:
    return request.getfixturevalue("database_url") if name == "postgres" else None


@pytest.fixture(scope="module")
def backend(request, search_backend_name, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("safety")
    with standalone_search_backend(search_backend_name, workdir, _database_url(request, search_backend_name)) as backend:
        with backend.writer() as writer:
            for document in INDEXED.values():
                writer.update(document)
        yield backend


# --- the backend -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_the_backend_treats_any_text_as_words(backend, text):
    for sort in ("relevance", "newest", "votes"):
        result = backend.search(SearchRequest(text=text, sort=sort))
        assert set(result.thread_ids) <= set(INDEXED)
        assert result.total >= len(result.thread_ids)
        assert result.suggestion is None or isinstance(result.suggestion, str)
    filtered = backend.search(SearchRequest(text=text, tag=text[:30] or None, status="solved", page=3))
    assert set(filtered.thread_ids) <= set(INDEXED)
    similar = backend.similar(text, 5)
    assert set(similar.thread_ids) <= set(INDEXED)
    assert isinstance(backend.snippet("The boiler <b>pressure</b> gauge", backend.search(
        SearchRequest(text=text)).terms), str)


def test_operators_are_words_not_syntax(backend):
    # Parsed as syntax, "NOT" would exclude thread 1 and "AND" would require the unknown word.
    assert 1 in backend.search(SearchRequest(text="boiler NOT pressure")).thread_ids
    assert 1 in backend.search(SearchRequest(text="boiler AND zzzunknown")).thread_ids
    assert backend.search(SearchRequest(text="AND OR NOT")).thread_ids == []  # stop words only


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=400))
def test_any_text_never_raises_and_finds_only_indexed_threads(backend, text):
    result = backend.search(SearchRequest(text=text))
    assert set(result.thread_ids) <= set(INDEXED)
    assert len(result.thread_ids) == len(set(result.thread_ids))
    assert set(backend.similar(text).thread_ids) <= set(INDEXED)


# --- what is indexed -------------------------------------------------------------------------

NASTY_POSTS = [
    "x" * 5000,  # one word longer than PostgreSQL keeps in a tsvector
    " ".join(f"w{n}" for n in range(20_000)),  # positions far past PostgreSQL's last (16383)
    "it's C:\\temp\\new 'quoted' \"double\" a:b & | ! <-> (x) :* \\ '' \\'",
    "forged \x1e9\x1fweight marks \x1e and \x00 NUL",
    "ǅ ß ﬁ Ⅸ ① 🔥 مرحبا שלום e-17 wi-fi c++",
]


@pytest.fixture
def scratch(request, search_backend_name, tmp_path):
    database_url = _database_url(request, search_backend_name)
    with standalone_search_backend(search_backend_name, tmp_path / "scratch", database_url) as backend:
        yield backend


@pytest.mark.parametrize("body", NASTY_POSTS)
def test_any_post_text_can_be_indexed(scratch, body):
    with scratch.writer() as writer:
        writer.update(_doc(5, "Boiler " + body[:200], body, answers=body, accepted=body, tags=[body[:30]]))
    assert scratch.search(SearchRequest(text="boiler")).thread_ids == [5]
    assert scratch.indexed_versions() == {5: _doc(5, "Boiler " + body[:200], body, answers=body, accepted=body,
                                                  tags=[body[:30]]).version}


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.text(max_size=400), tag=st.text(max_size=20))
def test_any_document_can_be_indexed_searched_and_removed(request, search_backend_name, tmp_path, body, tag):
    # A fresh index per example: Hypothesis reseeds `random` for each one, and Whoosh names new
    # segments with it, so a reused index would get the same segment name twice.
    workdir = Path(tempfile.mkdtemp(dir=tmp_path))
    database_url = _database_url(request, search_backend_name)
    with standalone_search_backend(search_backend_name, workdir, database_url) as scratch:
        with scratch.writer() as writer:
            writer.update(_doc(6, body[:80], body, answers=body, tags=[tag]))
        assert set(scratch.search(SearchRequest(text=body)).thread_ids) <= {6}
        assert set(scratch.similar(body).thread_ids) <= {6}
        with scratch.writer() as writer:
            writer.remove(6)
        assert scratch.indexed_versions() == {}


# --- private fields --------------------------------------------------------------------------


@pytest.fixture
def private(request, search_backend_name, tmp_path):
    """A thread whose non-public values (id, category id, version) are distinctive tokens."""
    document = _doc(8675309, "Thermostat schedule ignored", "It ignores the weekend schedule.", category_id=4242421)
    other = _doc(7, "Thermostat display blank", "Nothing on screen.", category_id=1)
    database_url = _database_url(request, search_backend_name)
    with standalone_search_backend(search_backend_name, tmp_path / "private", database_url) as backend:
        with backend.writer() as writer:
            writer.update(document)
            writer.update(other)
        yield backend, document


def test_the_stored_version_cannot_be_searched(private):
    backend, document = private
    assert backend.indexed_versions()[document.thread_id] == document.version
    for text in (document.version, f"version:{document.version}", f'"{document.version}"', f"version:{document.version[:8]}*"):
        assert backend.search(SearchRequest(text=text)).thread_ids == [], text
        assert backend.similar(text).thread_ids == [], text


def test_the_category_id_and_thread_id_cannot_be_searched(private):
    backend, document = private
    for text in ("4242421", "category:4242421", "8675309", "thread_id:8675309", "id:8675309"):
        assert backend.search(SearchRequest(text=text)).thread_ids == [], text
    # The values are there, but reachable only through the filters the site offers.
    assert backend.search(SearchRequest(text="thermostat", category_id=4242421)).thread_ids == [8675309]
    assert sorted(backend.search(SearchRequest(text="thermostat")).thread_ids) == [7, 8675309]


def test_field_syntax_does_not_filter(backend):
    # "solved:true" is two words, not a filter: unsolved threads about boilers are still found.
    found = set(backend.search(SearchRequest(text="boiler solved:true")).thread_ids)
    assert {1, 4} <= found
    assert 1 in backend.search(SearchRequest(text="boiler category:99")).thread_ids
    # "title:x" only searches for the words "title" and "x", which thread 2 contains.
    assert backend.search(SearchRequest(text="title:nonexistentword")).thread_ids == [2]


# --- the search page -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(search_backend_name, database_url, tmp_path_factory):
    """One app for every page test here (cheap enough to ask it ~100 hostile questions), with a
    thread indexed through the outbox by the sync indexer; the tables are emptied afterwards."""
    index_dir = str(tmp_path_factory.mktemp("site") / "index")
    app = create_app(TestingConfig(database_url, search_index_dir=index_dir, search_backend=search_backend_name))
    with app.extensions["hearth.sessionmaker"]() as session:
        thread = make_thread(
            session, author=make_user(session), category=make_category(session),
            title="Boiler pressure drops overnight", body="The **boiler** pressure falls. <script>x</script>",
        )
        make_answer(session, thread, body="Top up the boiler pressure to 1.5 bar.")
        session.commit()
    assert app.extensions["hearth.search"].search(SearchRequest(text="boiler")).total == 1
    yield app
    app.extensions["hearth.search"].close()
    _empty_all_tables(app.extensions["hearth.engine"])
    app.extensions["hearth.engine"].dispose()


def _page_is_fine(response) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert "Traceback" not in page and "Internal Server Error" not in page
    return page


@pytest.mark.parametrize("text", HOSTILE)
def test_the_search_page_answers_any_text(site, text):
    client = site.test_client()
    page = _page_is_fine(client.get("/search", query_string={"q": text}))
    assert "<script>alert(1)</script>" not in page
    _page_is_fine(client.get("/search", query_string={"q": text, "sort": "newest", "status": "solved"}))
    similar = client.get("/search/similar", query_string={"title": text})
    assert similar.status_code == 200 and isinstance(similar.get_json(), list)


@pytest.mark.parametrize(
    "args",
    [
        {"q": "boiler", "category": "1' OR 1=1"},
        {"q": "boiler", "category": "99999999999999999999"},
        {"q": "boiler", "category": "-1"},
        {"q": "boiler", "tag": "<script>"},
        {"q": "boiler", "tag": "x" * 500},
        {"q": "boiler", "status": "deleted"},
        {"q": "boiler", "sort": "thread_id"},
        {"q": "boiler", "since": "2024-13-45"},
        {"q": "boiler", "since": "0001-01-01", "until": "9999-12-31"},
        {"q": "boiler", "since": "99999-01-01"},
        {"q": "boiler", "until": "\x00"},
        {"q": "boiler", "page": "-1"},
        {"q": "boiler", "page": "0"},
        {"q": "boiler", "page": "abc"},
        {"q": "boiler", "page": "99999999999999999999999"},
        {"q": "boiler", "staff": "<b>"},
        {"q": ["boiler", "pressure"]},
    ],
)
def test_the_search_page_answers_any_filter(site, args):
    _page_is_fine(site.test_client().get("/search", query_string=args))
