"""A member creates an API token in the browser, copies the secret shown once, and revokes it."""

import re

import pytest
from playwright.sync_api import expect

from community import api_tokens
from tests.browser.test_ask_answer_accept import register
from tests.integration.helpers import fresh

pytestmark = pytest.mark.browser


def test_create_copy_and_revoke_a_token(live_server, new_page, db, screenshot_dir):
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    register(page, live_server, "integrator_ivy")
    page.goto(live_server + "/settings/password")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(page.get_by_role("checkbox", name=re.compile("^read"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("^read"))).to_be_disabled()
    expect(page.get_by_role("checkbox", name=re.compile("^staff"))).to_have_count(0)

    page.get_by_label("Name").fill("CRM sync")
    page.get_by_role("checkbox", name=re.compile("^write")).check()
    page.get_by_role("button", name="Create token").click()

    box = page.get_by_role("region", name="Your new token “CRM sync”")
    expect(box).to_contain_text("Copy it now: it will not be shown again.")
    secret = box.locator("code.secret").inner_text().strip()
    assert secret.startswith("hth_")
    row = page.get_by_role("row", name=re.compile("CRM sync"))
    expect(row.get_by_role("cell").nth(4)).to_have_text("never")
    session = fresh(db)
    assert api_tokens.authenticate(session, secret) is not None  # as the API will
    session.commit()
    page.screenshot(path=str(screenshot_dir / "api-token-created.png"), full_page=True)
    box.get_by_role("button", name="Copy").click()
    expect(box.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret

    # A reload asks the server again with a GET: no second token, and no secret.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(page.locator("code.secret")).to_have_count(0)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(1)).to_have_text("read write")
    expect(row.get_by_role("cell").nth(4)).to_have_text("just now")  # last used

    row.get_by_role("button", name="Revoke CRM sync").click()
    expect(page.get_by_role("status")).to_contain_text("Token “CRM sync”")
    expect(page.get_by_text("You have no tokens.")).to_be_visible()
    assert api_tokens.authenticate(fresh(db), secret) is None
