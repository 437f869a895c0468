"""Sign-in and writes are rate limited, with a friendly 429 page and a Retry-After header."""

import pytest

from app import create_app
from config import TestingConfig
from tests.factories import PASSWORD, make_thread, make_user


class LimitedConfig(TestingConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_LOGIN = "3 per minute"
    RATELIMIT_WRITE = "2 per minute"
    RATELIMIT_WRITE_PER_ADDRESS = "3 per minute"
    RATELIMIT_SEARCH = "2 per minute"
    RATELIMIT_SIMILAR = "2 per minute"


@pytest.fixture
def limited_app(engine, database_url):
    app = create_app(LimitedConfig(database_url))
    yield app
    app.extensions["hearth.engine"].dispose()


def test_too_many_sign_ins_get_a_friendly_429(limited_app, db):
    make_user(db, "limited_lee")
    db.commit()
    client = limited_app.test_client()
    for _ in range(3):
        response = client.post("/login", data={"login": "limited_lee", "password": "wrong-password"})
        assert response.status_code == 400 and "Retry-After" not in response.headers
    blocked = client.post("/login", data={"login": "limited_lee", "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert b"Slow down a little" in blocked.data


def test_answers_are_limited_per_account(limited_app, db):
    thread = make_thread(db)
    make_user(db, "fast_fay")
    db.commit()
    client = limited_app.test_client()
    client.post("/login", data={"login": "fast_fay", "password": PASSWORD})
    url = f"/t/{thread.id}/answer"
    statuses = [client.post(url, data={"body": f"Answer number {n} with enough text."}).status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    page = client.get(f"/t/{thread.id}/{thread.slug}")
    # Count the rendered answer bodies: the page's JSON-LD repeats each answer's text as well.
    assert page.data.count(b"<p>Answer number") == 2


def test_one_address_has_one_write_budget_across_accounts(limited_app, db):
    thread = make_thread(db)
    for name in ("puppet_one", "puppet_two"):
        make_user(db, name)
    db.commit()
    statuses = []
    for name in ("puppet_one", "puppet_two"):
        client = limited_app.test_client()
        client.post("/login", data={"login": name, "password": PASSWORD})
        url = f"/t/{thread.id}/answer"
        statuses += [client.post(url, data={"body": f"Answer from {name} number {n}."}).status_code for n in range(2)]
    # Each account is under its own limit of 2, but the address allows 3 writes a minute.
    assert statuses == [302, 302, 302, 429]


def test_searches_are_limited_with_a_retry_after(limited_app, db):
    client = limited_app.test_client()
    allowed = [client.get("/search?q=boiler") for _ in range(2)]
    assert [r.status_code for r in allowed] == [200, 200]
    # The budget is reported on every answer; only the refusal asks the client to wait.
    assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["1", "0"]
    assert not any("Retry-After" in r.headers for r in allowed)
    blocked = client.get("/search?q=boiler")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert [client.get("/search/similar?title=boiler+pressure").status_code for _ in range(3)] == [200, 200, 429]
    # Another address still searches.
    assert client.get("/search?q=boiler", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 200


class NewAccountConfig(TestingConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_NEW_ACCOUNT_POSTS = "2 per day"


def test_a_new_account_posts_a_few_a_day_and_forms_sent_back_do_not_count(engine, database_url, db):
    from community.rules import current

    app = create_app(NewAccountConfig(database_url))
    thread = make_thread(db)
    make_user(db, "newcomer_nia")
    make_user(db, "regular_rob", reputation=current().new_account_reputation)
    db.commit()
    newcomer, regular = app.test_client(), app.test_client()
    newcomer.post("/login", data={"login": "newcomer_nia", "password": PASSWORD})
    regular.post("/login", data={"login": "regular_rob", "password": PASSWORD})
    url = f"/t/{thread.id}/answer"
    too_short = [newcomer.post(url, data={"body": "no"}).status_code for _ in range(3)]
    saved = [newcomer.post(url, data={"body": f"Answer number {n} from a newcomer."}).status_code for n in range(3)]
    asked = newcomer.post("/ask", data={"title": "A third post from a newcomer today", "body": "Details here."})
    assert too_short == [400, 400, 400] and saved == [302, 302, 429] and asked.status_code == 429
    # An established member is not held to it.
    assert [regular.post(url, data={"body": f"Answer {n} from a regular."}).status_code for n in range(3)] == [302] * 3
    app.extensions["hearth.engine"].dispose()
