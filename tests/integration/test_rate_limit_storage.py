"""The rate-limit storage every worker process of one machine shares without Redis: which storage
the site picks, and counts that stay exact when several processes hit one key at once."""

import multiprocessing
import time

import pytest
from limits import parse
from limits.storage import MemoryStorage, RedisStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app import create_app
from app.extensions import limiter
from app.rate_limit_storage import SharedDiskStorage, storage_uri
from config import TestingConfig

PROCESSES, HITS = 4, 50


class StorageChosenConfig(TestingConfig):
    RATELIMIT_ENABLED = True  # a disabled limiter opens no storage
    RATELIMIT_STORAGE_URI = None  # what a deployment gets without setting it


@pytest.fixture
def make_app(database_url, tmp_path):
    apps = []

    def make(**settings):
        config = StorageChosenConfig(database_url, search_index_dir=str(tmp_path / "index"))
        for name, value in settings.items():
            setattr(config, name, value)
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["hearth.search"].close()
        app.extensions["hearth.engine"].dispose()


def test_without_redis_the_counters_are_kept_under_the_instance_folder(make_app, tmp_path):
    app = make_app()
    assert app.config["RATELIMIT_STORAGE_URI"] == storage_uri(f"{app.instance_path}/rate-limits")
    assert isinstance(limiter.storage, SharedDiskStorage)
    assert limiter.storage.folder == f"{app.instance_path}/rate-limits"


def test_redis_is_used_when_redis_url_is_set(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:6379/7")
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/7"
    assert isinstance(limiter.storage, RedisStorage)


def test_an_explicit_storage_uri_wins(make_app, tmp_path):
    make_app(REDIS_URL="redis://127.0.0.1:6379/7", RATELIMIT_STORAGE_URI="memory://")
    assert isinstance(limiter.storage, MemoryStorage)


def test_a_relative_folder_is_refused():
    with pytest.raises(ValueError, match="absolute folder"):
        storage_from_string("diskcache://rate-limits")


def test_a_fixed_window_counts_expires_and_clears(tmp_path):
    storage = storage_from_string(storage_uri(tmp_path / "limits"))
    window = FixedWindowRateLimiter(storage)
    three = parse("3 per 2 seconds")

    assert [window.hit(three, "ip:10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert window.hit(three, "ip:10.0.0.2")  # another address has its own count
    stats = window.get_window_stats(three, "ip:10.0.0.1")
    assert stats.remaining == 0 and time.time() < stats.reset_time <= time.time() + 2

    # Later hits do not push the window's end back: it ends two seconds after the first hit.
    deadline = time.monotonic() + 5
    while not window.test(three, "ip:10.0.0.1"):
        assert time.monotonic() < deadline, "the window never ended"
        time.sleep(0.1)
    assert window.hit(three, "ip:10.0.0.1")
    assert storage.get(three.key_for("ip:10.0.0.1")) == 1

    window.clear(three, "ip:10.0.0.2")
    assert storage.get(three.key_for("ip:10.0.0.2")) == 0
    assert storage.check()


def _hit_many(uri: str, start, results) -> None:
    storage = storage_from_string(uri)
    start.wait(10)
    results.put([storage.incr("login:ip:10.0.0.9", 60) for _ in range(HITS)])


def test_processes_hitting_one_key_at_once_count_every_hit_once(tmp_path):
    uri = storage_uri(tmp_path / "limits")
    context = multiprocessing.get_context("spawn")  # fresh interpreters, as separate workers are
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_hit_many, args=(uri, start, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    start.set()
    counts = [n for _ in workers for n in results.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    # Each increment saw its own total: none was lost or counted twice.
    assert sorted(counts) == list(range(1, PROCESSES * HITS + 1))
    assert storage_from_string(uri).get("login:ip:10.0.0.9") == PROCESSES * HITS
