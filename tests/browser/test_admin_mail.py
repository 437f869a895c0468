"""An admin finds failing mail from the count on the admin tabs, reads why it fails, and sends
one again with "Retry now": the live server's sender delivers it to its outbox file."""

import re

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from app.mail_sender import send_due
from community import mail
from community.db import utcnow
from community.models import Role
from tests.browser.test_ask_answer_accept import emailed_link
from tests.browser.test_care_console import sign_in
from tests.factories import make_user
from tests.integration.test_mail import _free_port
from tests.integration.test_mail_delivery import _Refusing

pytestmark = pytest.mark.browser


@pytest.fixture
def failing_mail(app, db):
    """Three messages that really failed: a closed port twice, and an address a server refused."""
    make_user(db, "ada_admin", role=Role.ADMIN)
    for to in ("alice@example.com", "bob@example.com", "gone@example.com"):
        mail.queue(
            db, to, "password_reset", subject="Reset your password",
            body="Choose a new password: http://localhost/reset-password/not-a-real-token",
        )
    db.commit()
    factory = app.extensions["hearth.sessionmaker"]
    refusing = Controller(_Refusing(), hostname="127.0.0.1", port=_free_port())
    refusing.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=refusing.port, MAIL_USE_TLS=False)
        send_due(app, factory)  # gone@ is refused for good; the others get a 451
    finally:
        refusing.stop()
    app.config["MAIL_PORT"] = _free_port()  # nothing listens: the two others fail once more
    send_due(app, factory, now=utcnow() + mail.retry_delay(1))


def test_an_admin_sees_failing_mail_and_retries_one(live_server, new_page, failing_mail, screenshot_dir):
    page = new_page()
    sign_in(page, live_server, "ada_admin")
    page.goto(live_server + "/admin/categories")
    tabs = page.get_by_role("navigation", name="Admin")
    expect(tabs.get_by_role("link", name=re.compile(r"^Mail 3"))).to_be_visible()
    tabs.get_by_role("link", name=re.compile(r"^Mail")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Outgoing mail")
    rows = page.locator(".mail-table tbody tr")
    expect(rows).to_have_count(3)
    alice = rows.filter(has_text="alice@example.com")
    expect(alice).to_contain_text("failing")
    expect(alice).to_contain_text("ConnectionRefusedError: [Errno 111] Connection refused")
    expect(alice.locator("td.num")).to_have_text("2")
    gone = rows.filter(has_text="gone@example.com")
    expect(gone).to_contain_text("gave up")
    expect(gone).to_contain_text("SMTPRecipientsRefused: gone@example.com: 550 5.1.1")
    page.screenshot(path=str(screenshot_dir / "mail-admin-desktop.png"), full_page=True)

    phone = new_page(width=375)
    sign_in(phone, live_server, "ada_admin")
    phone.goto(live_server + "/admin/mail")
    expect(phone.locator(".mail-table tbody tr")).to_have_count(3)
    phone.screenshot(path=str(screenshot_dir / "mail-admin-375.png"), full_page=True)
    # Nothing spills sideways but the table, which scrolls in its own box.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_role("button", name="Retry the message to gone@example.com now").click()
    expect(page.get_by_text("The message to gone@example.com goes out again now.")).to_be_visible()
    # The live server sends it at once, into its outbox file (it has no MAIL_SERVER).
    assert emailed_link(live_server.outbox, "gone@example.com", "/reset-password/")
    page.reload()
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="gone@example.com")).to_have_count(0)
    expect(tabs.get_by_role("link", name=re.compile(r"^Mail 2"))).to_be_visible()
