"""HTTP load for `make bench`: Hearth's pages under gunicorn, measured with wrk, against a ceiling.

The synthetic community that search_bench generated (in `workdir`) is served by gunicorn on
127.0.0.1 with 2 sync workers. wrk (the Debian package `wrk`) runs 16 connections on 2 threads
for BENCH_LOAD_SECONDS (10) per page, after a short warm-up, and reports requests/s and the
p50/p99 latency of: the home page, a category list, a thread page with 20 answers, a search
(200 different queries in turn), a similar-question lookup (200 typed titles in turn) and
posting an answer (a signed-in member's form with its CSRF token, spread over 2,000 threads).

The ceiling is tests/bench/ceiling_app.py under the same gunicorn settings: a bare Flask page
rendering a same-size thread template from memory. Every page's throughput is also given as
a ratio of it. Worker memory is read from /proc after the run.
"""

import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

import config
from community.db import make_engine, make_session_factory
from community.models import Category, Post, Thread, User
from community.publishing import excerpt
from search import indexer
from search.whoosh_backend import WhooshBackend
from tests.bench.synthetic import TextMaker, thread_with_answers

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
CONNECTIONS = 16
WRK_THREADS = 2
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", 10))
WARMUP_SECONDS = 3
USER_AGENT = "hearth-bench/1.0"  # Flask-Login's strong session protection ties the session to it
MEMBER = "member42"  # a plain member (not staff), with the synthetic community's reputation
MEMBER_PASSWORD = "bench-password-42"
THREAD_ANSWERS = 20
# The same for Hearth and for the ceiling app.
GUNICORN_ARGS = [
    "--workers",
    str(WORKERS),
    "--worker-class",
    "sync",
    "--timeout",
    "60",
    "--log-level",
    "warning",
]

READ_PAGES = ("home", "category", "thread_page", "search", "similar")
PAGES = READ_PAGES + ("post_answer",)
# Per-page keys; the search and similar latencies are called *_page_* because search_p50_ms and
# similar_p95_ms already name the in-process figures of search_bench.
LATENCY_NAME = {"search": "search_page", "similar": "similar_page"}
LOAD_KEYS = [
    "ceiling_rps",
    "ceiling_p50_ms",
    "ceiling_p99_ms",
    "ceiling_page_bytes",
    "ceiling_static_rps",
    "hello_rps",
    "ceiling_worker_rss_mb_max",
    "thread_page_bytes",
    "thread_page_answers",
    *[f"{page}_rps" for page in PAGES],
    *[f"{page}_ratio" for page in PAGES],
    *[f"{LATENCY_NAME.get(page, page)}_p{pct}_ms" for page in PAGES for pct in (50, 99)],
    "thread_page_cpu_ratio",
    "read_p99_ms_max",
    "read_errors",
    "worker_rss_mb_max",
    "worker_rss_anon_mb_max",
    "post_answer_requests",
    "post_answer_landed",
    "post_answer_errors",
    *[f"{page}_cpu_ms" for page in PAGES],
    "ceiling_cpu_ms",
    "load_connections",
    "load_seconds",
    "gunicorn_workers",
    "machine_busy_pct_before_load",
    "machine_busy_pct_after_load",
]


# ---------------------------------------------------------------- gunicorn


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: fields start after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_pct(seconds: float = 2.0) -> float:
    """How busy all CPUs are over a short window (from /proc/stat), as a percentage."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return round(100 * (1 - (idle1 - idle0) / max(1, total1 - total0)), 1)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB: VmRSS (all of it), or RssAnon (its private memory,
    leaving out file pages such as a memory-mapped search index, which workers share)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Gunicorn:
    """gunicorn on a free port of 127.0.0.1, stopped (SIGTERM to its own master) on exit."""

    def __init__(self, app_spec: str, env: dict, log_path: Path, probe: str = "/"):
        self.app_spec, self.env, self.log_path, self.probe = app_spec, env, log_path, probe
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *GUNICORN_ARGS,
                "--bind",
                f"127.0.0.1:{self.port}",
                self.app_spec,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.app_spec}) exited:\n{self.log_tail()}")
            try:
                fetch(self.base + self.probe)
                if len(self.worker_pids()) >= WORKERS:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn ({self.app_spec}) did not answer:\n{self.log_tail()}")

    def __exit__(self, *_exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid)

    def worker_rss_mb_max(self, field: str = "VmRSS") -> float:
        return round(max(rss_mb(pid, field) for pid in self.worker_pids()), 1)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


# ---------------------------------------------------------------- HTTP and wrk


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, opener=None, data: dict | None = None) -> tuple[int, bytes, dict]:
    """(status, body, headers) of one request; HTTP errors are returned, not raised."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"User-Agent": USER_AGENT})
    try:
        with (opener or urllib.request.build_opener(_NoRedirect)).open(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> dict:
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M)}
    requests = re.search(r"(\d+) requests in", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if not (rps and requests and 50 in percentiles and 99 in percentiles):
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    statuses = {key: int(count) for key, count in re.findall(r"^BENCH_STATUS (\S+) (\d+)$", output, re.M)}
    return {
        "rps": round(float(rps.group(1)), 1),
        "p50_ms": round(percentiles[50], 2),
        "p99_ms": round(percentiles[99], 2),
        "requests": int(requests.group(1)),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "statuses": statuses,
    }


def wrk(url: str, seconds: int, script: Path | None = None, headers: tuple[str, ...] = ()) -> dict:
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        f"User-Agent: {USER_AGENT}",
    ]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}\n{done.stdout}")
    return parse_wrk(done.stdout)


def _lua_string(value: str) -> str:
    assert "]==]" not in value
    return f"[==[{value}]==]"


def paths_script(path: Path, paths: list[str]) -> Path:
    """A wrk script that requests `paths` in turn (each wrk thread from its own starting point)."""
    items = ",\n".join(f"  {_lua_string(p)}" for p in paths)
    path.write_text(
        f"""local paths = {{
{items}
}}
local started = 0
function setup(thread)
  started = started + 1
  thread:set("offset", started * 37)
end
function init(args)
  counter = offset or 0
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""
    )
    return path


def answer_script(path: Path, csrf_token: str, thread_ids: list[int]) -> Path:
    """A wrk script that posts answers with the form's CSRF token and counts responses by status
    (a 302 to the sign-in page, meaning the session was refused, is counted apart)."""
    targets = ", ".join(str(t) for t in thread_ids)
    token = urllib.parse.quote(csrf_token, safe="")
    path.write_text(
        f"""local targets = {{ {targets} }}
local token = {_lua_string(token)}
local threads = {{}}
local started = 0
function setup(thread)
  started = started + 1
  thread:set("id", started)
  table.insert(threads, thread)
end
function init(args)
  sent = 0
  statuses = {{}}
end
function request()
  sent = sent + 1
  local target = targets[((id * 7919 + sent) % #targets) + 1]
  local body = "csrf_token=" .. token .. "&body=Bench+answer+" .. id .. "-" .. sent ..
    "+written+under+load%2C+with+enough+words+to+pass+the+checks."
  return wrk.format("POST", "/t/" .. target .. "/answer", nil, body)
end
function response(status, headers, body)
  local key = tostring(status)
  if status == 302 then
    local location = headers["Location"] or headers["location"] or ""
    if string.find(location, "/login", 1, true) then key = "302-to-login" end
  end
  statuses[key] = (statuses[key] or 0) + 1
end
function done(summary, latency, requests)
  local total = {{}}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do total[key] = (total[key] or 0) + count end
  end
  for key, count in pairs(total) do io.write(string.format("BENCH_STATUS %s %d\\n", key, count)) end
end
"""
    )
    return path


def measure(
    server: "Gunicorn",
    path: str,
    script: Path | None = None,
    headers: tuple[str, ...] = (),
    warm: bool = True,
) -> dict:
    """wrk's figures, plus the CPU time the workers spent per request (which, unlike requests/s,
    does not depend on what else the machine is running)."""
    url = server.base + path
    if warm:
        wrk(url, WARMUP_SECONDS, script, headers)
    workers = server.worker_pids()
    before = sum(cpu_seconds(pid) for pid in workers)
    result = wrk(url, SECONDS, script, headers)
    spent = sum(cpu_seconds(pid) for pid in workers) - before
    result["cpu_ms"] = round(spent * 1000 / max(1, result["requests"]), 2)
    return result


# ---------------------------------------------------------------- the data


def prepare(url: str, index_dir: Path, seed: int = 7) -> dict:
    """Give the community a thread with exactly 20 answers and the bench member a password; pick
    the searches, typed titles and answer targets. Returns what the load runs need."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        showcase = thread_with_answers(session, THREAD_ANSWERS, seed)
        member = session.scalar(select(User).where(User.username == MEMBER))
        member.password_hash = generate_password_hash(MEMBER_PASSWORD)
        session.commit()
        thread = session.get(Thread, showcase)
        category = session.get(Category, thread.category_id)
        titles = list(
            session.scalars(select(Thread.title).where(Thread.id > 1).order_by(Thread.id).limit(200))
        )
        open_ids = list(
            session.scalars(
                select(Thread.id).where(
                    Thread.id != showcase, Thread.deleted_at.is_(None), Thread.is_locked.is_(False)
                )
            )
        )
        info = {
            "thread_id": showcase,
            "thread_path": f"/t/{showcase}/{thread.slug}",
            "category_path": f"/c/{category.slug}",
            "member_id": member.id,
        }
    backend = WhooshBackend(index_dir)
    indexer.drain(factory, backend)  # the topped-up thread's document
    backend.close()
    engine.dispose()

    rng = random.Random(13)
    words = TextMaker(seed).words[20:2000]
    info["search_paths"] = [
        "/search?" + urllib.parse.urlencode({"q": " ".join(rng.sample(words, rng.choice((1, 2, 2, 3))))})
        for _ in range(200)
    ]
    info["similar_paths"] = []
    for title in titles:
        typed = title.split()
        typed = " ".join(rng.sample(typed, max(2, len(typed) - 2)))
        info["similar_paths"].append("/search/similar?" + urllib.parse.urlencode({"title": typed}))
    info["answer_targets"] = sorted(random.Random(5).sample(open_ids, min(2000, len(open_ids))))
    return info


def answers_by(url: str, member_id: int) -> int:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(
                select(func.count()).where(Post.author_id == member_id, Post.is_question.is_(False))
            )
    finally:
        engine.dispose()


def settled_answers(url: str, member_id: int, timeout: float = 60) -> int:
    """The member's answer count once requests still in flight when wrk stopped have finished
    (gunicorn completes them after the client has gone)."""
    last, deadline = answers_by(url, member_id), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = answers_by(url, member_id)
        if now == last:
            return now
        last = now
    return last


def ceiling_data(url: str, thread_id: int, html: bytes) -> dict:
    """The real thread page's posts, in page order, for the ceiling app to render from memory."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        thread = session.get(Thread, thread_id)
        category = session.get(Category, thread.category_id)
        posts = list(
            session.scalars(select(Post).where(Post.thread_id == thread_id, Post.deleted_at.is_(None)))
        )
        authors = {
            u.id: u for u in session.scalars(select(User).where(User.id.in_({p.author_id for p in posts})))
        }
        question = next(p for p in posts if p.is_question)
        accepted = [p for p in posts if p.id == thread.accepted_post_id]
        rest = sorted(
            (p for p in posts if not p.is_question and p.id != thread.accepted_post_id),
            key=lambda p: (-p.score, p.created_at, p.id),
        )
        data = {
            "title": thread.title,
            "category": category.name,
            "category_slug": category.slug,
            "answer_count": thread.answer_count,
            "solved": thread.accepted_post_id is not None,
            "description": excerpt(question.body_html),
            "posts": [
                {
                    "id": p.id,
                    "is_question": p.is_question,
                    "accepted": p.id == thread.accepted_post_id,
                    "author": authors[p.author_id].username,
                    "reputation": authors[p.author_id].reputation,
                    "score": p.score,
                    "created": p.created_at.isoformat(timespec="seconds"),
                    "body_html": p.body_html,
                }
                for p in [question, *accepted, *rest]
            ],
            "size": len(html),
            "html": html.decode(),
        }
    engine.dispose()
    return data


# ---------------------------------------------------------------- the run


def _sign_in(base: str, thread_path: str) -> tuple[str, str]:
    """Sign the bench member in; returns (session cookie, the answer form's CSRF token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, body, _ = fetch(base + "/login", opener)
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1).decode()
    status, body, _ = fetch(
        base + "/login", opener, {"csrf_token": token, "login": MEMBER, "password": MEMBER_PASSWORD}
    )
    if status != 200 or MEMBER.encode() not in body:  # redirected to the home page, signed in
        raise RuntimeError(f"signing in as {MEMBER} failed ({status})")
    status, body, _ = fetch(base + thread_path, opener)
    form = re.search(rb'action="/t/\d+/answer".*?name="csrf_token" type="hidden" value="([^"]+)"', body, re.S)
    if status != 200 or not form:
        raise RuntimeError(f"no answer form on {thread_path} for a signed-in member ({status})")
    cookie = next(c.value for c in jar if c.name == "session")
    return cookie, form.group(1).decode()


def _hearth_env(url: str, index_dir: Path, workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HEARTH_REPUTATION_RULES")}
    env.update(
        HEARTH_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        HEARTH_INSECURE_COOKIES="1",  # plain http on 127.0.0.1
        HEARTH_INSTANCE_DIR=str(workdir / "instance"),
        DATABASE_URL=url,
        SEARCH_INDEX_DIR=str(index_dir),
        # The default: reads never write the index, and posting answers pays for indexing in
        # the web workers as it would in a one-machine deployment.
        SEARCH_INDEXER="thread",
    )
    # All the load comes from one address and one member: lift every rate limit the app reads
    # (RATELIMIT_WRITE, RATELIMIT_SEARCH, ...), while the limiter itself stays on and checks.
    for name in dir(config.Config):
        value = getattr(config.Config, name)
        if name.startswith("RATELIMIT_") and isinstance(value, str) and " per " in value:
            env[name] = "1000000 per minute"
    return env


def _print(name: str, result: dict) -> None:
    print(
        f"load: {name:<12} {result['rps']:>8.1f} req/s  p50 {result['p50_ms']:>7.2f} ms  "
        f"p99 {result['p99_ms']:>7.2f} ms  {result['cpu_ms']:>6.2f} CPU ms/request  ({result['requests']} requests, "
        f"{result['non_2xx_3xx']} 4xx/5xx, {result['socket_errors']} socket errors)"
    )


def run(workdir: Path, seed: int = 7) -> dict:
    figures: dict = dict.fromkeys(LOAD_KEYS)
    if shutil.which("wrk") is None:
        print(
            "load: wrk is not installed, so the HTTP load figures are skipped (printed as null). "
            "Install it from the Debian package `wrk` (apt-get install -y wrk) and run `make bench` again."
        )
        return figures
    url = f"sqlite:///{workdir / 'bench.db'}"
    index_dir = workdir / "index"
    started = time.perf_counter()
    info = prepare(url, index_dir, seed)
    print(
        f"load: prepared thread {info['thread_id']} with {THREAD_ANSWERS} answers in {time.perf_counter() - started:.1f} s"
    )
    figures |= {
        "load_connections": CONNECTIONS,
        "load_seconds": SECONDS,
        "gunicorn_workers": WORKERS,
        "thread_page_answers": THREAD_ANSWERS,
    }
    results: dict[str, dict] = {}
    figures["machine_busy_pct_before_load"] = machine_busy_pct()
    if figures["machine_busy_pct_before_load"] > 15:
        print(
            f"load: warning: other processes keep the CPUs {figures['machine_busy_pct_before_load']}% busy "
            "before the load starts: requests/s and latencies will be lower than on an idle machine; "
            "the CPU ms per request figures are less affected"
        )

    with Gunicorn(
        "wsgi:app", _hearth_env(url, index_dir, workdir), workdir / "gunicorn-hearth.log"
    ) as hearth:
        base = hearth.base
        reads = {
            "home": ("/", None),
            "category": (info["category_path"], None),
            "thread_page": (info["thread_path"], None),
            "search": (info["search_paths"][0], paths_script(workdir / "search.lua", info["search_paths"])),
            "similar": (
                info["similar_paths"][0],
                paths_script(workdir / "similar.lua", info["similar_paths"]),
            ),
        }
        for name, (path, _) in reads.items():
            status, body, _ = fetch(base + path)
            if status != 200:
                raise RuntimeError(f"{name} ({path}) answered {status}:\n{hearth.log_tail()}")
            if name == "thread_page":
                thread_html = body
        figures["thread_page_bytes"] = len(thread_html)
        similar_hits = sum(bool(json.loads(fetch(base + p)[1])) for p in info["similar_paths"][:20])
        print(
            f"load: thread page {len(thread_html):,} bytes; {similar_hits} of 20 similar lookups found threads"
        )

        # The ceiling serves a page of the same size as this thread page, beside Hearth (idle
        # while the other is measured); it runs right before the thread page, so that both see
        # the machine in the same state.
        data_path = workdir / "ceiling.json"
        data_path.write_text(json.dumps(ceiling_data(url, info["thread_id"], thread_html)))
        ceiling_env = dict(os.environ, CEILING_DATA=str(data_path))
        with Gunicorn(
            "tests.bench.ceiling_app:app", ceiling_env, workdir / "gunicorn-ceiling.log", probe="/hello"
        ) as ceiling:
            figures["ceiling_page_bytes"] = len(fetch(ceiling.base + "/thread")[1])
            ceiling_result = measure(ceiling, "/thread")
            _print("ceiling", ceiling_result)
            results["thread_page"] = measure(hearth, reads["thread_page"][0])
            _print("thread_page", results["thread_page"])
            static_result = measure(ceiling, "/constant")
            _print("constant", static_result)
            hello_result = measure(ceiling, "/hello")
            _print("hello", hello_result)
            figures["ceiling_worker_rss_mb_max"] = ceiling.worker_rss_mb_max()

        for name, (path, script) in reads.items():
            if name not in results:
                results[name] = measure(hearth, path, script)
                _print(name, results[name])

        cookie, token = _sign_in(base, info["thread_path"])
        headers = (f"Cookie: session={cookie}", "Content-Type: application/x-www-form-urlencoded")
        script = answer_script(workdir / "answer.lua", token, info["answer_targets"])
        wrk(base + "/", WARMUP_SECONDS, script, headers)  # warm-up: these answers are not counted
        before = settled_answers(url, info["member_id"])
        results["post_answer"] = measure(hearth, "/", script, headers, warm=False)
        # wrk counts the responses it received; up to one request per connection was still
        # being served when it stopped, and lands too.
        landed = settled_answers(url, info["member_id"]) - before
        statuses = results["post_answer"]["statuses"]
        failed = sum(n for key, n in statuses.items() if key != "302")
        _print("post_answer", results["post_answer"])
        print(f"load: post_answer responses by status {statuses}; {landed} answers landed in the database")
        figures |= {
            "post_answer_requests": results["post_answer"]["requests"],
            "post_answer_landed": landed,
            "post_answer_errors": failed + results["post_answer"]["socket_errors"],
        }
        figures["worker_rss_mb_max"] = hearth.worker_rss_mb_max()
        figures["worker_rss_anon_mb_max"] = hearth.worker_rss_mb_max("RssAnon")
        print(
            "load: Hearth workers' resident memory after the run: "
            + ", ".join(
                f"{rss_mb(p):.1f} MB ({rss_mb(p, 'RssAnon'):.1f} MB private)" for p in hearth.worker_pids()
            )
        )

    figures["machine_busy_pct_after_load"] = machine_busy_pct()
    ceiling_rps = ceiling_result["rps"]
    figures |= {
        "ceiling_rps": ceiling_rps,
        "ceiling_p50_ms": ceiling_result["p50_ms"],
        "ceiling_p99_ms": ceiling_result["p99_ms"],
        "ceiling_cpu_ms": ceiling_result["cpu_ms"],
        "ceiling_static_rps": static_result["rps"],
        "hello_rps": hello_result["rps"],
    }
    for page, result in results.items():
        name = LATENCY_NAME.get(page, page)
        figures |= {
            f"{page}_rps": result["rps"],
            f"{page}_ratio": round(result["rps"] / ceiling_rps, 3),
            f"{page}_cpu_ms": result["cpu_ms"],
            f"{name}_p50_ms": result["p50_ms"],
            f"{name}_p99_ms": result["p99_ms"],
        }
    # What the ratio would be on an otherwise idle machine, where both are CPU-bound.
    figures["thread_page_cpu_ratio"] = round(ceiling_result["cpu_ms"] / results["thread_page"]["cpu_ms"], 3)
    figures["read_p99_ms_max"] = max(results[page]["p99_ms"] for page in READ_PAGES)
    figures["read_errors"] = sum(results[p]["non_2xx_3xx"] + results[p]["socket_errors"] for p in READ_PAGES)
    if figures["read_errors"]:
        print(
            f"load: warning: {figures['read_errors']} read requests failed (4xx/5xx or socket errors): "
            "the figures of the pages that show them above do not measure the page"
        )
    return figures
