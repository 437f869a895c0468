"""A staff member works the care queue in a real browser: queue → assign to me → reply with an
inserted canned response → resolve, and the thread leaves the queue."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from community import canned, staff_notes
from community.models import Role
from tests.factories import PASSWORD, make_category, make_thread, make_user

pytestmark = pytest.mark.browser
SHOTS = str(Path(__file__).resolve().parents[2] / "test-results" / "screenshots")


@pytest.fixture
def waiting_thread(db):
    staffer = make_user(db, "sam_staff", role=Role.STAFF)
    make_user(db, "tess_staff", role=Role.STAFF)
    asker = make_user(db, "cora_customer")
    category = make_category(db, name="Heating", slug="heating")
    thread = make_thread(db, author=asker, category=category, title="Radiators stay cold since the engineer visit")
    make_thread(db, author=asker, category=category, title="How do I read the meter on the new boiler")
    canned.create_canned(db, staffer, title="Bleed the radiators", body="Please bleed each radiator with the key.")
    staff_notes.add_note(db, staffer, thread, "Engineer visit was on Monday; check the job sheet.")
    db.commit()
    return thread


def sign_in(page, base, username):
    page.goto(base + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


def test_queue_assign_reply_with_canned_and_resolve(live_server, new_page, waiting_thread):
    page = new_page()
    sign_in(page, live_server, "sam_staff")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("navigation", name="Staff pages").get_by_role("link", name="Care queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Care queue")
    row = page.locator(f'tr[data-thread-id="{waiting_thread.id}"]')
    expect(row).to_contain_text("unanswered")
    page.screenshot(path=f"{SHOTS}/care-queue.png", full_page=True)

    row.get_by_role("link").click()
    panel = page.locator("#care-panel")
    expect(panel).to_contain_text("Engineer visit was on Monday")
    panel.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".flash-success")).to_contain_text("assignment is saved")
    expect(panel.locator(".care-facts")).to_contain_text("sam_staff")

    panel.get_by_role("link", name="Bleed the radiators").click()
    box = page.get_by_label("Write your answer")
    expect(box).to_have_value("Please bleed each radiator with the key.")
    assert "canned=" not in page.url  # the script filled the box; no reload
    box.fill(box.input_value() + " Then check the pressure is above 1 bar.")
    page.screenshot(path=f"{SHOTS}/care-panel.png", full_page=True)
    page.get_by_role("button", name="Post your answer").click()
    expect(page.get_by_role("article", name="Answer by sam_staff")).to_contain_text("above 1 bar")

    page.locator("#care-panel").get_by_role("button", name="Mark resolved").click()
    expect(page.locator("#care-panel .care-facts")).to_contain_text("resolved")
    page.locator("#care-panel details summary").click()
    expect(page.locator("#care-panel .care-history")).to_contain_text("care.state")

    page.goto(live_server + "/staff/care")
    expect(page.locator(f'tr[data-thread-id="{waiting_thread.id}"]')).to_have_count(0)
    expect(page.get_by_role("link", name="How do I read the meter on the new boiler")).to_be_visible()
