"""A live gunicorn server on 127.0.0.1 and Debian's headless Chromium driven by Playwright."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


class LiveServer(str):
    """The server's base URL (so `live_server + "/path"` works), with the mbox its mail goes to."""

    outbox: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Package scope: the server (and its background indexer, which drains the shared test
# database's outbox) stops before other test packages run.
@pytest.fixture(scope="package")
def live_server(database_url, tmp_path_factory):
    port = _free_port()
    instance = tmp_path_factory.mktemp("instance")
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        HEARTH_ENV="development",
        HEARTH_INSTANCE_DIR=str(instance),
        MAIL_OUTBOX_PATH=str(instance / "outbox.mbox"),
        SECRET_KEY="browser-test-secret",
        RATELIMIT_REGISTER="1000 per hour",
        RATELIMIT_LOGIN="1000 per hour",
        RATELIMIT_WRITE="1000 per minute",
        RATELIMIT_NEW_ACCOUNT_POSTS="1000 per minute",
        RATELIMIT_WRITE_PER_ADDRESS="10000 per minute",
        RATELIMIT_SEARCH="1000 per minute",
        RATELIMIT_SIMILAR="1000 per minute",
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(instance / "gunicorn.log", "wb")
    proc = subprocess.Popen(
        [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = LiveServer(f"http://127.0.0.1:{port}")
    base.outbox = instance / "outbox.mbox"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                pytest.fail("gunicorn did not start:\n" + (instance / "gunicorn.log").read_text())
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture
def new_page(browser):
    """Open pages in fresh browser contexts (separate cookies per person)."""
    contexts = []

    def open_page(width: int = 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    path = ROOT / "test-results" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
