"""An admin of a restored copy finds webhook deliveries paused, reads why, and resumes them;
the delivery that waited then reaches its receiver."""

import time

import pytest
from playwright.sync_api import expect

from community import webhooks
from community.models import Role
from tests.browser.test_care_console import sign_in
from tests.factories import make_thread, make_user
from tests.receiver import Receiver

pytestmark = pytest.mark.browser
REASON = "Restored from the backup hearth-20261209-031500.db on 2026-12-09 03:16 UTC."


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def paused_copy(db, receiver):
    boss = make_user(db, "root_admin", role=Role.ADMIN)
    webhooks.create_endpoint(db, boss, url=receiver.url, events=["thread.created"], description="Ticketing system")
    webhooks.pause_deliveries(db, REASON)
    make_thread(db, title="Queued before the backup was taken")
    db.commit()


def test_an_admin_resumes_paused_deliveries(live_server, new_page, paused_copy, receiver, screenshot_dir):
    for width, name in ((1280, "desktop"), (375, "375")):
        page = new_page(width)
        sign_in(page, live_server, "root_admin")
        page.goto(live_server + "/admin/webhooks")
        notice = page.get_by_role("status").filter(has_text="Deliveries are paused")
        expect(notice).to_contain_text(REASON)
        expect(notice).to_contain_text("1 delivery is waiting")
        expect(notice.get_by_role("button", name="Resume deliveries")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / f"backup-webhooks-paused-{name}.png"), full_page=True)
    assert receiver.requests == []  # the live server's sender holds the delivery while paused

    notice.get_by_role("button", name="Resume deliveries").click()

    expect(page.get_by_role("status").filter(has_text="Deliveries resumed")).to_contain_text(
        "1 waiting delivery goes out now."
    )
    expect(page.get_by_text("Deliveries are paused")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "backup-webhooks-resumed-375.png"), full_page=True)
    deadline = time.monotonic() + 15
    while not receiver.requests:
        assert time.monotonic() < deadline, "the waiting delivery was not sent after resuming"
        time.sleep(0.1)
    assert receiver.requests[0].json["event"] == "thread.created"
