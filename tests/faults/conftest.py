"""Fault tests: real gunicorn servers on 127.0.0.1 against the test database, driven by HTTP clients.

Each test starts its own server (its own workers, index folder and settings) and stops it before
the shared `_clean_database` fixture empties the tables. Every wait is bounded, so a hang fails
the test instead of blocking the run."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import gunicorn
import pytest
from sqlalchemy import func, select

from community.db import make_engine, make_session_factory
from community.models import SearchOutbox
from config import Config
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
REQUEST_TIMEOUT = 30  # seconds for one HTTP request
START_TIMEOUT = 30  # seconds for gunicorn to answer its first request
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The access log names the worker (%(p)s) that served each request and how long it took:
# "<pid> <status> <milliseconds> <METHOD> <path>".
ACCESS_FORMAT = '%(p)s %(s)s %(M)s %(m)s %(U)s'
# gunicorn 27 opens a control socket at one path in the home folder: not for these servers.
CONTROL_SOCKET = ["--no-control-socket"] if gunicorn.version_info >= (27,) else []
# Every rate limit the configuration reads ("N per period"), set high enough that none gets in
# the way of the load these tests make; a test lowers the one it is about.
GENEROUS_LIMITS = {
    name: "100000 per minute"
    for name, value in vars(Config).items()
    if name.startswith("RATELIMIT_") and isinstance(value, str) and " per " in value
}


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: starts gunicorn servers and breaks things under load")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the server ----------------------------------------------------------------------------------


@dataclass
class LiveServer:
    base: str
    port: int
    proc: subprocess.Popen
    env: dict
    instance: Path
    index_dir: Path
    log_path: Path
    access_path: Path
    _log: object = field(repr=False, default=None)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, chars: int = 6000) -> str:
        return self.log()[-chars:]

    def access(self) -> list[tuple[int, int, str, str]]:
        """(worker pid, status, method, path) for every request served so far."""
        return [row[:2] + row[3:] for row in self.timed_access()]

    def timed_access(self) -> list[tuple[int, int, int, str, str]]:
        """(worker pid, status, milliseconds, method, path) for every request served so far."""
        rows = []
        for line in self.access_path.read_text(errors="replace").splitlines():
            parts = line.split(" ", 4)
            pid = parts[0].strip("<>")  # gunicorn writes the pid as <1234>
            if len(parts) == 5 and pid.isdigit() and parts[1].isdigit() and parts[2].isdigit():
                rows.append((int(pid), int(parts[1]), int(parts[2]), parts[3], parts[4]))
        return rows

    def workers(self) -> list[int]:
        """The worker processes: the master's children."""
        return child_pids(self.proc.pid)

    def wait_for_workers(self, count: int, timeout: float = START_TIMEOUT) -> list[int]:
        deadline = time.monotonic() + timeout
        while True:
            pids = self.workers()
            if len(pids) >= count:
                return pids
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn has {len(pids)} of {count} workers:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


def child_pids(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended meanwhile
        # The command name is in parentheses and may hold spaces: the fields after it are fixed.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent:
            pids.append(int(entry.name))
    return sorted(pids)


def wait_until_serving(base: str, proc: subprocess.Popen, log_path: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(base + "/robots.txt", timeout=2).close()
            return
        except (OSError, http.client.HTTPException):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait(timeout=10)
                pytest.fail("gunicorn did not start:\n" + log_path.read_text(errors="replace")[-6000:])
            time.sleep(0.2)


@pytest.fixture
def start_server(database_url, tmp_path_factory):
    """Start gunicorn on a free port: start_server(workers=4, **environment) -> LiveServer.

    The environment is the one a deployment would set; REDIS_URL and the search settings are
    only what the test passes (never inherited from the shell running the tests)."""
    servers: list[LiveServer] = []

    def start(workers: int = 2, index_dir: Path | None = None, **settings: str) -> LiveServer:
        instance = tmp_path_factory.mktemp("faults-instance")
        index_dir = index_dir or instance / "search-index"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RATELIMIT_", "SEARCH_", "REDIS_"))}
        env.update(
            DATABASE_URL=database_url,
            HEARTH_ENV="development",
            HEARTH_INSTANCE_DIR=str(instance),
            SECRET_KEY="fault-test-secret",
            SEARCH_INDEX_DIR=str(index_dir),
            **GENEROUS_LIMITS,
        )
        env.update(settings)
        port = free_port()
        log_path, access_path = instance / "gunicorn.log", instance / "access.log"
        log = open(log_path, "wb")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        proc = subprocess.Popen(
            [
                str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                "--timeout", "60", "--graceful-timeout", "10",
                "--access-logfile", str(access_path), "--access-logformat", ACCESS_FORMAT,
                *CONTROL_SOCKET, "wsgi:app",
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        server = LiveServer(base, port, proc, env, instance, Path(index_dir), log_path, access_path, log)
        servers.append(server)
        wait_until_serving(base, proc, log_path)
        server.wait_for_workers(workers)
        return server

    yield start
    for server in servers:
        server.stop()


# -- HTTP clients ---------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPErrorProcessor):
    """Hand every response back as it is: redirects are read, not followed; 4xx/5xx are not raised."""

    def http_response(self, request, response):
        return response

    https_response = http_response


@dataclass
class Response:
    status: int
    headers: dict
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Client:
    """One person's browser: its own cookies, a CSRF token read from the pages like a browser would.

    Every response status is kept in `statuses` (shared between clients when given), and a
    request that got no response at all raises ConnectionFailed."""

    def __init__(self, base: str, statuses: list | None = None, timeout: float = REQUEST_TIMEOUT):
        self.base = base
        self.timeout = timeout
        self.statuses = statuses if statuses is not None else []
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirects())
        self.token: str | None = None

    def request(self, method: str, path: str, data: dict | None = None) -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=self.timeout) as raw:
                text = raw.read().decode("utf-8", errors="replace")
                response = Response(raw.status, {k.lower(): v for k, v in raw.headers.items()}, text)
        except (OSError, http.client.HTTPException) as exc:
            self.statuses.append((method, path, None))
            raise ConnectionFailed(f"{method} {path}: {exc!r}") from exc
        self.statuses.append((method, path, response.status))
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict | None = None) -> Response:
        return self.request("POST", path, {**(data or {}), "csrf_token": self.token or ""})

    def read_token(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, f"GET {path}: {page.status}"
        found = CSRF_INPUT.search(page.text)
        assert found, f"no CSRF token on {path}"
        self.token = found.group(1)
        return self.token

    def login(self, username: str, password: str = PASSWORD, *, expect: int = 302) -> Response:
        self.read_token("/login")
        response = self.post("/login", {"login": username, "password": password})
        assert response.status == expect, f"sign-in of {username}: {response.status}"
        if response.status == 302:
            # The session is renewed at sign-in: its forms carry a new token.
            self.read_token("/")
        return response


class ConnectionFailed(Exception):
    """The request got no HTTP response (the worker died, or the connection was refused)."""


POST_LOCATION = re.compile(r"/p/(\d+)$")


def confirmed_post_id(response: Response) -> int | None:
    """The post a successful answer redirects to (/p/<id>), or None when it was not accepted."""
    if response.status != 302:
        return None
    found = POST_LOCATION.search(urllib.parse.urlsplit(response.location).path)
    return int(found.group(1)) if found else None


def server_errors(statuses: list) -> list:
    return [s for s in statuses if s[2] is not None and s[2] >= 500]


# -- waiting for the search indexer ---------------------------------------------------------------


def wait_for_outbox_to_drain(database_url: str, timeout: float = 60, server: LiveServer | None = None) -> float:
    """Poll the search outbox until it is empty; returns the seconds it took."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    started = time.monotonic()
    try:
        while True:
            with factory() as session:
                left = session.scalar(select(func.count()).select_from(SearchOutbox))
            if not left:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                tail = server.log_tail() if server else ""
                pytest.fail(f"the search outbox still holds {left} rows after {timeout} s\n{tail}")
            time.sleep(0.2)
    finally:
        engine.dispose()


def finds(client: Client, word: str, post_id: int) -> bool:
    """Whether searching for the word leads to that post."""
    page = client.get(f"/search?q={word}")
    assert page.status == 200, page.status
    return re.search(rf'href="/search/open/{post_id}[?"]', page.text) is not None


def wait_until_found(client: Client, word: str, post_id: int, server: LiveServer, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not finds(client, word, post_id):
        if time.monotonic() > deadline:
            pytest.fail(f"{word} is still not found after {timeout} s\n{server.log_tail()}")
        time.sleep(0.3)


def run_clients(targets, timeout: float) -> list[BaseException]:
    """Run one thread per callable, wait for all of them (bounded), return what they raised."""
    errors: list[BaseException] = []
    lock = threading.Lock()

    def wrap(target):
        try:
            target()
        except BaseException as exc:  # reported to the test, which fails on it
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(t,), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(t.is_alive() for t in threads)
    if stuck:
        errors.append(TimeoutError(f"{stuck} client threads still running after {timeout} s"))
    return errors


def pause(pid: int) -> None:
    os.kill(pid, signal.SIGSTOP)


def resume(pid: int) -> None:
    os.kill(pid, signal.SIGCONT)


def on_each_worker(server: LiveServer, action) -> list:
    """Run action() once per worker, the other workers paused meanwhile, so that worker serves
    it (a paused worker cannot accept the connection; the kernel hands it to a running one)."""
    results = []
    workers = server.workers()
    for serving in workers:
        others = [pid for pid in workers if pid != serving]
        for pid in others:
            pause(pid)
        try:
            results.append(action())
        finally:
            for pid in others:
                resume(pid)
    return results


def failed_sign_ins(server: LiveServer, serving: list[int]) -> list[tuple[int, int]]:
    """One wrong password from one address per entry of `serving`, served by the worker it names
    (the others paused, so the kernel hands the connection to the running one): [(worker pid,
    status)]. Each try uses another name, so only the per-address rate limit counts them (not the
    per-name sign-in guard)."""

    def sign_in_posts() -> list[int]:
        return [pid for pid, _, method, path in server.access() if method == "POST" and path == "/login"]

    earlier = len(sign_in_posts())
    served = []
    for busy in serving:
        client = Client(server.base)
        client.read_token("/login")
        idle = [pid for pid in server.workers() if pid != busy]
        for pid in idle:
            pause(pid)
        try:
            attempt = {"login": f"nobody{earlier + len(served)}", "password": "wrong-password"}
            status = client.post("/login", attempt).status
        finally:
            for pid in idle:
                resume(pid)
        served.append((busy, status))
    # The access log says which worker served each sign-in (it is written just after the response).
    deadline = time.monotonic() + 10
    while len(posts := sign_in_posts()) < earlier + len(served) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert posts[earlier:] == list(serving), "a sign-in was served by a paused worker"
    return served
