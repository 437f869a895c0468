"""The disk that holds the search index fills up, or turns read-only, while the site runs: members
still post, the changes wait in the outbox, staff pages say how far behind search is and why, and
once the disk can be written again the index catches up by itself within seconds.

The index lives on a small tmpfs of its own, so the fault is real (root ignores file modes, but
not a full or read-only filesystem). Mounting needs root: elsewhere the tests are skipped with
the reason, and under CI=true they fail."""

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community.db import make_engine
from community.models import SearchOutbox
from tests.conftest import require
from tests.factories import PASSWORD, make_category, make_thread, make_user
from tests.faults.conftest import (
    Client,
    LiveServer,
    confirmed_post_id,
    finds,
    on_each_worker,
    server_errors,
    wait_for_outbox_to_drain,
)

pytestmark = pytest.mark.faults

DISK_SIZE = "4m"  # a few small segments fit; the filler takes the rest
CATCH_UP_SECONDS = 10  # "within a few seconds": the indexers retry once a second
BANNER = re.compile(r'<div class="notice index-backlog" role="status">(.*?)</div>', re.S)
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
REASONS = {"disk-full": "No space left on device", "read-only": "Read-only file system"}


@dataclass
class SmallDisk:
    """A tmpfs for the index folder and, beside it, the search result store (as by default).

    `break_it()` fills the disk, or makes the index folder a read-only bind mount of itself (the
    result store keeps a database open for writing, so the whole tmpfs cannot turn read-only
    under it); `repair()` frees the space or makes the folder writable again."""

    mountpoint: Path
    breakage: str
    bound: bool = False

    @property
    def index_dir(self) -> Path:
        return self.mountpoint / "search-index"

    @property
    def filler(self) -> Path:
        return self.mountpoint / "filler"

    def break_it(self) -> None:
        if self.breakage == "read-only":
            _mount("--bind", str(self.index_dir), str(self.index_dir))
            self.bound = True
            _mount("-o", "remount,bind,ro", str(self.index_dir))
            return
        with open(self.filler, "wb", buffering=0) as filler:  # unbuffered: nothing left to flush at close
            try:
                while filler.write(b"\0" * 65536):
                    pass
            except OSError as exc:
                assert exc.strerror == REASONS["disk-full"], exc
        assert self.free_bytes() < 4096

    def repair(self) -> None:
        if self.breakage == "read-only":
            # Remounted rather than unmounted: the workers' searchers hold index files open through it.
            _mount("-o", "remount,bind,rw", str(self.index_dir))
        else:
            self.filler.unlink()

    def free_bytes(self) -> int:
        stats = os.statvfs(self.mountpoint)
        return stats.f_bavail * stats.f_frsize

    def unmount(self) -> None:
        """Never let a mount outlive the test (lazily if something still holds it open)."""
        for path in ([self.index_dir] if self.bound else []) + [self.mountpoint]:
            if subprocess.run(["umount", str(path)], capture_output=True, timeout=30).returncode != 0:
                subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def _mount(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(params=["disk-full", "read-only"])
def small_disk(request, tmp_path):
    """The index's own tmpfs. Request it before start_server, so it is unmounted after the server stops."""
    mountpoint = tmp_path / "index-disk"
    mountpoint.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0700", "hearth-index", str(mountpoint)],
        capture_output=True, text=True, timeout=30,
    )
    require(done.returncode == 0, f"cannot mount a tmpfs for the search index (needs root): {done.stderr.strip()}")
    disk = SmallDisk(mountpoint, request.param)
    try:
        yield disk
    finally:
        disk.unmount()


@pytest.fixture
def place(db):
    category = make_category(db)
    # An asker without a checked address gets no email: no mail sender holds the database's write
    # lock when on_each_worker pauses a worker (with SQLite, the running one would wait for it).
    asker = make_user(db, "unchecked_uma", verified=False)
    thread = make_thread(db, author=asker, category=category, title="Question about the heat pump defrost cycle")
    make_user(db, "diskful_dan")
    make_user(db, "staff_stella", role="staff")
    db.commit()
    return thread


def outbox_state(database_url: str) -> tuple[int, int]:
    """(rows waiting, rows with a failed attempt recorded)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            waiting = conn.scalar(select(func.count()).select_from(SearchOutbox))
            failed = conn.scalar(select(func.count()).select_from(SearchOutbox).where(SearchOutbox.attempts > 0))
        return waiting, failed
    finally:
        engine.dispose()


def banner(client: Client) -> str | None:
    page = client.get("/staff/care")
    assert page.status == 200, page.status
    found = BANNER.search(page.text)
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split()) if found else None


def answer(client: Client, thread_id: int, word: str, server: LiveServer) -> int:
    response = client.post(f"/t/{thread_id}/answer", {"body": f"Run the {word} test from the service menu first."})
    post_id = confirmed_post_id(response)
    assert post_id, f"{response.status}\n{server.log_tail()}"
    return post_id


@dataclass
class Broken:
    server: LiveServer
    staff: Client
    reader: Client
    posted: dict[str, int]  # the answers' own words -> their post ids
    statuses: list


def break_while_posting(small_disk, start_server, database_url, place) -> Broken:
    """Serve on the small disk, index one answer, break the disk and post three more (all confirmed),
    then wait until the indexers have failed on them."""
    server = start_server(workers=2, index_dir=small_disk.index_dir, SEARCH_INDEXER="thread")
    statuses: list = []
    member, staff, reader = Client(server.base, statuses), Client(server.base, statuses), Client(server.base, statuses)
    member.login("diskful_dan")
    staff.login("staff_stella")
    posted = {"zqbefore": answer(member, place.id, "zqbefore", server)}
    wait_for_outbox_to_drain(database_url, timeout=30, server=server)
    # Every worker has the index open when the disk fails.
    assert on_each_worker(server, lambda: finds(reader, "zqbefore", posted["zqbefore"])) == [True, True]
    assert banner(staff) is None

    small_disk.break_it()
    for word in ("zqduring1", "zqduring2", "zqduring3"):
        posted[word] = answer(member, place.id, word, server)
    deadline = time.monotonic() + 30
    while outbox_state(database_url) != (3, 3):
        if time.monotonic() > deadline:
            pytest.fail(f"the outbox holds {outbox_state(database_url)} (waiting, failed)\n{server.log_tail()}")
        time.sleep(0.2)
    return Broken(server, staff, reader, posted, statuses)


def test_a_full_or_read_only_index_disk_delays_search_but_not_posting(small_disk, start_server, database_url, place):
    broken = break_while_posting(small_disk, start_server, database_url, place)
    server, staff, reader, posted = broken.server, broken.staff, broken.reader, broken.posted
    reason = REASONS[small_disk.breakage]

    shown = banner(staff)
    assert shown is not None, server.log_tail()
    assert shown.startswith("Search index is 3 changes behind, oldest waiting since ")
    assert re.search(rf"Last error just now, after \d+ attempts: {reason}\.", shown), shown
    # Searching still works from the index as it was; the waiting answers are not in it yet.
    assert finds(reader, "zqbefore", posted["zqbefore"])
    assert not finds(reader, "zqduring1", posted["zqduring1"])
    time.sleep(1.5)  # the indexers keep retrying, and keep failing, while the disk stays broken
    assert outbox_state(database_url)[0] == 3

    small_disk.repair()
    took = wait_for_outbox_to_drain(database_url, timeout=CATCH_UP_SECONDS, server=server)
    # Every worker finds every answer, and the staff pages no longer warn.
    for word, post_id in posted.items():
        assert on_each_worker(server, lambda w=word, p=post_id: finds(reader, w, p)) == [True, True], word
    assert banner(staff) is None
    log = server.log()
    assert f"search indexing failed: {reason}; will retry" in log
    assert "search indexing works again after" in log
    assert "Exception in thread" not in log
    assert server_errors(broken.statuses) == []
    assert [row for row in server.access() if row[1] >= 500] == []
    print(f"{small_disk.breakage}: caught up {took:.1f} s after the disk was repaired")


@pytest.mark.parametrize("small_disk", ["disk-full"], indirect=True)
def test_staff_see_the_backlog_in_a_browser(small_disk, start_server, database_url, place, browser):
    """The notice as staff see it, on a desktop and on a 375 px phone: visible, inside the screen."""
    from playwright import sync_api

    server = break_while_posting(small_disk, start_server, database_url, place).server
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, width in (("desktop", 1280), ("375", 375)):
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(server.base + "/login")
        page.get_by_label("Username or email").fill("staff_stella")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        sync_api.expect(page.get_by_role("navigation", name="Account")).to_contain_text("staff_stella")
        page.goto(server.base + "/staff/care")
        notice = page.locator(".index-backlog")
        sync_api.expect(notice).to_be_visible()
        sync_api.expect(notice).to_contain_text("Search index is 3 changes behind")
        sync_api.expect(notice).to_contain_text("No space left on device")
        page.screenshot(path=str(SHOTS / f"faults-index-backlog-{name}.png"), full_page=False)
        # The notice fits the screen and wraps its text (the page as a whole may not: the
        # queue's seven-column table below it is wider than a phone).
        box = notice.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
        assert notice.evaluate("element => element.scrollWidth <= element.clientWidth")
        context.close()
    small_disk.repair()
    wait_for_outbox_to_drain(database_url, timeout=CATCH_UP_SECONDS, server=server)
