"""Rate limits and Redis: the site keeps working when Redis is down, and with Redis up the limits
are shared by every worker (with memory storage each worker would count on its own)."""

import os
import socket
import urllib.parse

import pytest
import redis
from sqlalchemy import select

from community.models import Post
from tests.conftest import require
from tests.factories import make_category, make_thread, make_user
from tests.faults.conftest import Client, confirmed_post_id, failed_sign_ins, free_port, server_errors

pytestmark = pytest.mark.faults

# A logical database of its own, emptied before and after (never the one anything else uses).
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def _nothing_listens(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_redis_down_the_site_keeps_serving_and_posting(start_server, db, engine):
    category = make_category(db)
    thread = make_thread(db, category=category, title="Question about the heat pump defrost cycle")
    member = make_user(db, "redisless_rae")
    db.commit()
    port = free_port()
    assert _nothing_listens(port)
    server = start_server(workers=2, REDIS_URL=f"redis://127.0.0.1:{port}/0")

    statuses: list = []
    visitor = Client(server.base, statuses)
    for path in ["/", f"/t/{thread.id}/{thread.slug}", "/search?q=defrost", "/search/similar?title=heat+pump+defrost"]:
        assert visitor.get(path).status == 200, f"{path}\n{server.log_tail()}"

    # Sign-in and answering are rate limited: with the limiter's storage down they still work.
    member_client = Client(server.base, statuses)
    member_client.login(member.username)
    body = "Run the defrost test from the service menu, then check the coil sensor."
    response = member_client.post(f"/t/{thread.id}/answer", {"body": body})
    post_id = confirmed_post_id(response)
    assert post_id, (response.status, server.log_tail())
    assert server_errors(statuses) == []
    with engine.connect() as conn:
        assert conn.scalar(select(Post.body_md).where(Post.id == post_id)) == body


def _redis_or_skip() -> redis.Redis:
    # The tests empty this database: never the default one, which a developer's Redis may use.
    assert urllib.parse.urlsplit(TEST_REDIS_URL).path not in ("", "/", "/0"), "TEST_REDIS_URL needs its own db"
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        require(False, f"Redis at {TEST_REDIS_URL} is unreachable: {exc.__class__.__name__}")
    return client


def test_rate_limits_are_shared_by_all_workers_through_redis(start_server, engine):
    # (engine: the failed sign-ins leave throttle rows, which the shared clean-up then removes)
    store = _redis_or_skip()
    store.flushdb()
    try:
        shared = start_server(workers=2, REDIS_URL=TEST_REDIS_URL, RATELIMIT_LOGIN="3 per minute")
        first, second = shared.wait_for_workers(2)
        served = failed_sign_ins(shared, [first, first, second, second])
        assert len({pid for pid, _ in served}) == 2
        assert [status for _, status in served] == [400, 400, 400, 429]
    finally:
        store.flushdb()
        store.close()


def test_with_memory_storage_each_worker_counts_on_its_own(start_server, engine):
    """The control for the test above: it would pass by accident if one worker served every try."""
    alone = start_server(workers=2, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_LOGIN="3 per minute")
    first, second = alone.wait_for_workers(2)
    served = failed_sign_ins(alone, [first, first, second, second])
    assert [status for _, status in served] == [400, 400, 400, 400]
