"""Notifications in two browsers: a mention and an answer reach the asker's header and centre."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_ask_answer_accept import register
from tests.factories import make_category, make_thread, make_user

pytestmark = pytest.mark.browser


def test_an_answer_with_a_mention_shows_in_the_header_and_opens_from_the_centre(
    live_server, new_page, db, screenshot_dir
):
    asker = make_user(db, "asker_amy", password="a-long-password-1")
    thread = make_thread(db, author=asker, category=make_category(db, name="Heating", slug="heating"),
                         title="The radiators stay cold in the morning")
    db.commit()
    amy, hal = new_page(), new_page()
    register(hal, live_server, "helper_hal")
    hal.goto(f"{live_server}/t/{thread.id}")
    hal.get_by_label("Write your answer").fill("@asker_amy bleed the radiators, then check the pressure.")
    hal.get_by_role("button", name="Post your answer").click()
    answer = hal.get_by_role("article", name="Answer by helper_hal")
    expect(answer.get_by_role("link", name="@asker_amy")).to_have_attribute("href", "/u/asker_amy")

    amy.goto(live_server + "/login")
    amy.get_by_label("Username or email").fill("asker_amy")
    amy.get_by_label("Password").fill("a-long-password-1")
    amy.get_by_role("button", name="Sign in").click()
    nav = amy.get_by_role("navigation", name="Account")
    # The mention, and the badge for asking a first question.
    expect(nav.get_by_role("link", name=re.compile(r"Notifications\s*2 unread"))).to_be_visible()

    nav.get_by_role("link", name=re.compile("Notifications")).click()
    expect(amy.get_by_text("You were mentioned")).to_be_visible()
    amy.screenshot(path=str(screenshot_dir / "notification-centre.png"), full_page=True)
    amy.get_by_role("button", name=re.compile("The radiators stay cold in the morning")).click()
    expect(amy).to_have_url(re.compile(rf"/t/{thread.id}/[a-z-]+#post-\d+$"))
    expect(nav.get_by_role("link", name=re.compile(r"Notifications\s*1 unread"))).to_be_visible()
