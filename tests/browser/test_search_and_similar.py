"""Lurkers search; askers see look-alike questions while they type (the script) and before posting."""

import pytest
from playwright.sync_api import expect

from community import accepting
from tests.browser.test_ask_answer_accept import register
from tests.factories import make_answer, make_category, make_thread, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def solved_thread(db):
    category = make_category(db, name="Sensors", slug="sensors")
    asker = make_user(db, "sensor_sam")
    thread = make_thread(
        db, author=asker, category=category, title="Room sensor goes offline every night",
        body="My room sensor drops offline at 2 a.m. with error E-17.",
    )
    answer = make_answer(db, thread, body="Update the thermostat firmware to 3.9.0; it fixes the nightly drop.")
    accepting.accept_answer(db, asker, answer)
    db.commit()
    return thread


def test_search_finds_the_solved_thread_and_opens_the_best_post(live_server, new_page, solved_thread):
    page = new_page()
    page.goto(live_server + "/")
    box = page.get_by_role("searchbox", name="Search the community")
    # The index follows the database within about a second; search until it shows up.
    for _ in range(40):
        box.fill("firmware nightly drop")
        box.press("Enter")
        if page.get_by_role("link", name="Room sensor goes offline every night").count():
            break
        page.wait_for_timeout(250)
    result = page.get_by_role("listitem").filter(has_text="Room sensor goes offline every night")
    expect(result).to_contain_text("Solved")
    expect(result.locator("mark").first).to_be_visible()
    expect(result).to_contain_text("Accepted answer:")
    result.get_by_role("link", name="Room sensor goes offline every night").click()
    expect(page).to_have_url(f"{live_server}/t/{solved_thread.id}/{solved_thread.slug}#post-{solved_thread.accepted_post_id}")


def test_similar_questions_appear_while_typing_a_title(live_server, new_page, solved_thread):
    page = new_page()
    register(page, live_server, "typing_tia")
    page.goto(live_server + "/ask")
    panel = page.locator("#similar-panel")
    for _ in range(40):
        page.get_by_label("Title").fill("")
        page.get_by_label("Title").press_sequentially("my room sensor offline at night", delay=5)
        try:
            expect(panel).to_be_visible(timeout=1500)
            break
        except AssertionError:
            continue
    expect(panel.get_by_role("link", name="Room sensor goes offline every night")).to_be_visible()
    expect(panel).to_contain_text("Update the thermostat firmware")
