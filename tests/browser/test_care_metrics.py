"""A staff member opens the care metrics page in a real browser: figures, charts and a CSV download."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from community.db import utcnow
from tests import care_scenario
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, base, username):
    page.goto(base + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


def test_staff_read_care_metrics_with_charts_and_csv(live_server, new_page, db, screenshot_dir):
    scenario = care_scenario.build(db, utcnow().date() - timedelta(days=20))
    page = new_page()
    sign_in(page, live_server, "stafffirst")
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("link", name="Care metrics").click()
    page.get_by_label("From").fill(scenario.first.isoformat())
    page.get_by_label("to", exact=True).fill(scenario.last.isoformat())
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Care metrics")
    expect(page.locator(".metric-cards")).to_contain_text("Median first response45 min")
    for title in ("Unanswered threads at the end of each day", "New questions per day", "Questions per category"):
        expect(page.get_by_role("img", name=title)).to_be_visible()
    page.get_by_text("Numbers per day").click()
    expect(page.locator("#daily-table tbody tr")).to_have_count(7)
    page.screenshot(path=str(screenshot_dir / "care-metrics.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Per category (CSV)").click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert content.splitlines()[0].startswith("category,questions,median_first_response_minutes")
    assert "Heating,2,10.0,30.0,10.0,90.0,60.0,100.0,100.0,50.0" in content
