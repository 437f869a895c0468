"""Visitors' pages come from a short-lived cache; thread changes show at once; members, flashed
messages and CSRF tokens never go through it."""

import pytest
from sqlalchemy import func, select

from app.page_cache import PageCache
from community import accepting, threads
from config import TestingConfig
from app import create_app
from tests.factories import make_answer, make_category, make_thread, make_user
from tests.integration.helpers import fresh, login, set_cookie_headers, text


@pytest.fixture
def app(engine, database_url, tmp_path):
    config = TestingConfig(database_url, search_index_dir=str(tmp_path / "index"))
    config.ANON_CACHE_SECONDS = 60
    config.SEARCH_CACHE_MB = 8
    config.SEARCH_CACHE_DIR = str(tmp_path / "search-results")
    app = create_app(config)
    yield app
    app.extensions["hearth.search"].close()
    app.extensions["hearth.engine"].dispose()


def _rename_behind_the_app(db, thread, title: str) -> None:
    """Change what the page shows without telling the thread: only the cache can hide it."""
    thread.title = title
    db.commit()


def test_a_visitor_gets_the_cached_thread_page_until_the_thread_changes(client, db):
    thread = make_thread(db, title="Router keeps dropping the connection")
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"
    assert "Router keeps dropping" in text(client.get(url))

    _rename_behind_the_app(db, thread, "Renamed without a revision")
    assert "Router keeps dropping" in text(client.get(url))  # served from the cache

    make_answer(db, thread, body="Update the firmware to 2.1, then reboot it.")
    db.commit()  # answering bumps the thread's revision
    page = text(client.get(url))
    assert "Update the firmware to 2.1" in page
    assert "Renamed without a revision" in page


@pytest.mark.parametrize("change", ["accept", "edit", "delete", "lock"])
def test_every_change_a_reader_sees_renews_the_thread_page(client, db, change):
    asker, moderator, helper = make_user(db), make_user(db, role="moderator"), make_user(db)
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread, author=helper, body="Reset the pairing code from the app settings.")
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"
    before = text(client.get(url))
    revision = db.get(type(thread), thread.id).revision
    if change == "accept":
        accepting.accept_answer(db, asker, answer)
    elif change == "edit":
        threads.edit_post(db, helper, answer, body="Reset the pairing code, then pair again.")
    elif change == "delete":
        threads.delete_post(db, moderator, answer)
    else:
        threads.set_locked(db, moderator, thread, True)
    db.commit()
    db.expire_all()
    assert db.get(type(thread), thread.id).revision > revision
    assert text(client.get(url)) != before


def test_answer_votes_wait_for_the_time_to_live(app, client, db):
    thread = make_thread(db)
    answer = make_answer(db, thread)
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"
    client.get(url)
    answer.score = 7
    db.commit()
    assert 'aria-label="Score 7"' not in text(client.get(url))
    app.extensions["hearth.page_cache"].clear()
    assert 'aria-label="Score 7"' in text(client.get(url))


def test_lists_are_cached_for_visitors_but_never_for_members(client, db):
    member = make_user(db, username="reader")
    thread = make_thread(db, title="Old title of the question")
    db.commit()
    assert "Old title of the question" in text(client.get("/"))
    _rename_behind_the_app(db, thread, "New title of the question")
    assert "Old title of the question" in text(client.get("/"))

    login(client, "reader")
    assert "New title of the question" in text(client.get("/"))
    assert member.username in text(client.get("/"))


def test_a_signed_in_page_is_never_served_to_a_visitor(app, db):
    make_user(db, username="alice")
    thread = make_thread(db)
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"
    member = app.test_client()
    login(member, "alice")
    assert "Post your answer" in text(member.get(url))
    visitor_page = text(app.test_client().get(url))
    assert "Post your answer" not in visitor_page
    assert "alice" not in visitor_page
    assert 'name="csrf_token"' not in visitor_page


def test_reading_as_a_visitor_sets_no_cookie(client, db):
    category = make_category(db)
    thread = make_thread(db, category=category)
    db.commit()
    for url in ("/", f"/c/{category.slug}", f"/t/{thread.id}/{thread.slug}"):
        for _ in range(2):  # rendered, then from the cache
            response = client.get(url)
            assert response.status_code == 200
            assert set_cookie_headers(response, "session") == []


def test_a_flashed_message_is_shown_and_not_cached(app, client, db):
    thread = make_thread(db)
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"
    client.get(url)  # cached without a message
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your session ended.")]
    assert "Your session ended." in text(client.get(url))
    assert "Your session ended." not in text(client.get(url))  # shown once, never cached
    assert "Your session ended." not in text(app.test_client().get(url))


def test_a_thread_the_visitor_may_not_see_is_never_served_from_the_cache(client, db):
    moderator = make_user(db, role="moderator")
    thread = make_thread(db)
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"
    assert client.get(url).status_code == 200
    threads.delete_post(db, moderator, threads.question_of(db, thread))
    db.commit()
    assert client.get(url).status_code == 404


def test_the_cache_keeps_to_its_size_and_forgets_expired_pages(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("app.page_cache.time.monotonic", lambda: clock[0])
    cache = PageCache(max_bytes=8_000, ttl_seconds=30)
    for n in range(10):
        cache.put(("/t", n), "x" * 1_000)
    assert len(cache) == 8 and cache.get(("/t", 0)) is None and cache.get(("/t", 9)) is not None
    cache.put(("/huge",), "x" * 5_000)  # bigger than an eighth of the cache: not kept
    assert cache.get(("/huge",)) is None
    clock[0] += 31
    assert cache.get(("/t", 9)) is None


def _indexed_session(app):
    """A session from the app's factory: its commits reach the search index at once."""
    return app.extensions["hearth.sessionmaker"]()


def test_a_visitor_s_search_page_is_shared_yet_every_search_is_counted(app, client):
    from community.models import SearchQuery

    with _indexed_session(app) as db:
        thread = make_thread(db, title="Printer paper jam after update", body="The printer reports a paper jam.")
        db.commit()
        first = text(client.get("/search?q=paper+jam"))
        assert "Printer paper jam after update" in first
        _rename_behind_the_app(db, thread, "Renamed without reindexing")
        other_visitor = app.test_client()
        assert text(other_visitor.get("/search?q=paper+jam")) == first  # the same page, from the cache
        assert db.scalar(select(func.count()).select_from(SearchQuery)) == 2

        make_thread(db, title="Paper jam in the second tray", body="Tray two: paper jam every morning.")
        db.commit()  # the index changed: the cached page is not used any more
        assert "Paper jam in the second tray" in text(other_visitor.get("/search?q=paper+jam"))


def test_a_member_s_search_page_is_never_shared(app):
    with _indexed_session(app) as db:
        make_user(db, username="carol")
        make_thread(db, title="Printer paper jam after update", body="The printer reports a paper jam.")
        db.commit()
    visitor_page = text(app.test_client().get("/search?q=paper+jam"))
    member = app.test_client()
    login(member, "carol")
    member_page = text(member.get("/search?q=paper+jam"))
    assert "carol" in member_page and "carol" not in visitor_page


def test_look_alike_lookups_are_shared_between_visitors(app, client):
    with _indexed_session(app) as db:
        thread = make_thread(db, title="Bluetooth headset will not pair with laptop")
        db.commit()
        url = "/search/similar?title=headset+will+not+pair+laptop"
        first = client.get(url).get_json()
        assert [item["id"] for item in first] == [thread.id]
        _rename_behind_the_app(db, thread, "Renamed without reindexing")
        assert app.test_client().get(url).get_json() == first


def test_searches_served_from_the_store_are_logged_in_batches(app, db):
    from app.searching.log_buffer import SearchLogBuffer
    from community.models import SearchQuery

    buffer = SearchLogBuffer(app.extensions["hearth.sessionmaker"], flush_seconds=3600)
    buffer.add("Paper  JAM", 3)
    buffer.add("wifi drops", 0)
    assert fresh_count(db, SearchQuery) == 0  # not a write per search
    buffer.flush()
    assert sorted(fresh(db).scalars(select(SearchQuery.query))) == ["paper jam", "wifi drops"]
    buffer.flush()  # nothing pending: nothing written twice
    assert fresh_count(db, SearchQuery) == 2


def fresh_count(db, model) -> int:
    return fresh(db).scalar(select(func.count()).select_from(model))
