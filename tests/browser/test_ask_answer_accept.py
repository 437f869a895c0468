"""Two people in two browsers: one asks, the other answers, the asker accepts, everyone sees Solved."""

import mailbox
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from community.models import Tag, User
from tests.factories import VOTER_REPUTATION, give_reputation, make_category

pytestmark = pytest.mark.browser


def _links(outbox: Path, address: str, fragment: str) -> list[str]:
    """Paths of the links containing `fragment` in the emails to `address`, oldest first."""
    if not outbox.exists():
        return []
    box = mailbox.mbox(outbox)
    try:
        bodies = [m.get_payload(decode=True).decode() for m in box if m["To"] == address]
    finally:
        box.close()
    urls = [url for body in bodies for url in re.findall(r"https?://\S+", body) if fragment in url]
    return [re.sub(r"^https?://[^/]+", "", url) for url in urls]


def emailed_link(outbox: Path, address: str, fragment: str, seconds: float = 30, seen: int = 0) -> str:
    """The path of the link in the first email to `address` after the `seen` earlier ones (the
    server's outbox outlives a test: an earlier test may have mailed the same address), waiting
    for the server's background sender to write it."""
    deadline = time.monotonic() + seconds
    while True:
        links = _links(outbox, address, fragment)
        if len(links) > seen:
            return links[seen]
        assert time.monotonic() < deadline, f"no new email to {address} with a {fragment} link"
        time.sleep(0.05)


def register(page, base, username):
    """Join through the form and the emailed link, as a visitor does."""
    page.goto(base + "/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill("a-long-password-1")
    address = f"{username}@example.com"
    seen = len(_links(base.outbox, address, "/register/finish/"))
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email to finish")).to_be_visible()
    page.goto(base + emailed_link(base.outbox, address, "/register/finish/", seen=seen))
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


@pytest.fixture
def category(db):
    created = make_category(db, name="Devices", slug="devices")
    db.add_all([Tag(name="firmware"), Tag(name="e-42")])  # set up by the brand; new tags need reputation
    db.commit()
    return created


def grant_reputation(db, username, total):
    give_reputation(db, db.query(User).filter_by(username=username).one(), total)
    db.commit()


def test_ask_answer_accept_shows_solved(live_server, new_page, category, screenshot_dir):
    asker, helper = new_page(), new_page()
    register(asker, live_server, "asker_ann")
    register(helper, live_server, "helper_hal")

    asker.get_by_role("link", name="Ask a question").first.click()
    asker.get_by_label("Title").fill("Thermostat shows E-42 after the update")
    asker.get_by_label("Category").select_option(label="Devices")
    asker.get_by_label("Details").fill("Since this morning the display shows **E-42** and the heating is off.")
    asker.get_by_label("Tags").fill("firmware e-42")
    asker.get_by_role("button", name="Post your question").click()
    expect(asker.get_by_role("heading", level=1)).to_contain_text("Thermostat shows E-42 after the update")
    assert re.search(r"/t/\d+/thermostat-shows-e-42-after-the-update$", asker.url)
    thread_url = asker.url

    helper.goto(thread_url)
    helper.get_by_label("Write your answer").fill("Hold the reset button for 10 seconds, then re-pair it in the app.")
    helper.get_by_role("button", name="Post your answer").click()
    expect(helper.get_by_role("article", name="Answer by helper_hal")).to_be_visible()

    asker.goto(thread_url)
    asker.get_by_role("button", name="Accept this answer").click()
    accepted = asker.get_by_role("article", name="Accepted answer by helper_hal")
    expect(accepted).to_contain_text("Accepted by the asker")
    expect(asker.get_by_role("heading", level=1)).to_contain_text("Solved")
    asker.screenshot(path=screenshot_dir / "thread-solved.png", full_page=True)

    # The helper's profile shows the points, why they came, and the badges earned.
    helper.goto(live_server + "/u/helper_hal?tab=reputation")
    expect(helper.locator(".rank-card")).to_contain_text("16 reputation")
    expect(helper.locator(".ledger")).to_contain_text("+15 answer accepted in Thermostat shows E-42 after the update")
    expect(helper.locator(".badge-list")).to_contain_text("Solver")
    expect(helper.locator(".badge-list")).to_contain_text("Quick Fix")
    helper.screenshot(path=screenshot_dir / "profile-reputation.png", full_page=True)

    # A visitor with no account sees it solved in the list too.
    visitor = new_page(width=375)
    visitor.goto(live_server + "/c/devices")
    row = visitor.get_by_role("listitem").filter(has_text="Thermostat shows E-42 after the update")
    expect(row).to_contain_text("Solved")
    visitor.screenshot(path=screenshot_dir / "category-375.png", full_page=True)
    # Usable at 375 px: nothing wider than the screen.
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 375


def test_voting_changes_score_and_own_post_has_no_vote_buttons(live_server, new_page, category, db):
    asker, voter = new_page(), new_page()
    register(asker, live_server, "vic_asks")
    register(voter, live_server, "val_votes")
    grant_reputation(db, "val_votes", VOTER_REPUTATION)
    asker.goto(live_server + "/ask")
    asker.get_by_label("Title").fill("Can the schedule follow sunrise times?")
    asker.get_by_label("Category").select_option(label="Devices")
    asker.get_by_label("Details").fill("I would like the morning warm-up to start at sunrise.")
    asker.get_by_role("button", name="Post your question").click()
    question = asker.get_by_role("article", name="Question by vic_asks")
    expect(question).to_be_visible()
    expect(question.get_by_role("button", name="Vote up")).to_have_count(0)

    voter.goto(asker.url)
    voter_question = voter.get_by_role("article", name="Question by vic_asks")
    voter_question.get_by_role("button", name="Vote up").click()
    voted = voter.get_by_role("article", name="Question by vic_asks")
    expect(voted.locator(".score")).to_have_text("1")
    expect(voted.get_by_role("button", name="Vote up")).to_have_attribute("aria-pressed", "true")
    # Pressing it again withdraws the vote.
    voted.get_by_role("button", name="Vote up").click()
    expect(voter.get_by_role("article", name="Question by vic_asks").locator(".score")).to_have_text("0")


def test_form_errors_keep_what_was_typed(live_server, new_page, category):
    page = new_page()
    register(page, live_server, "typo_tess")
    page.goto(live_server + "/ask")
    page.get_by_label("Title").fill("Short")
    page.get_by_label("Details").fill("A long explanation that must not be lost when the form is refused.")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_text("Write a title of at least")).to_be_visible()
    expect(page.get_by_text("Choose one of the listed categories.")).to_be_visible()
    expect(page.get_by_label("Details")).to_have_value(
        "A long explanation that must not be lost when the form is refused."
    )
