"""Small helpers for driving the site through the Flask test client."""

import html
import re

from tests.factories import PASSWORD

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
THREAD_TITLE = re.compile(r'<h3 class="thread-title">.*?<a href="[^"]*">([^<]*)</a>', re.S)


def text(response) -> str:
    return response.get_data(as_text=True)


def login(client, name: str, password: str = PASSWORD, *, remember: bool = False, **extra):
    """Sign in through the real form and check it worked."""
    data = {"login": name, "password": password, **extra}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, text(response)
    return response


def signed_in_as(client) -> str | None:
    """The username the site's header shows for this client, or None for a visitor."""
    page = text(client.get("/"))
    nav = re.search(r'<nav class="user-nav".*?</nav>', page, re.S).group(0)
    if "Sign out" not in nav:
        return None
    return re.search(r'href="/u/([^"]+)"', nav).group(1)


def csrf_token(page: str) -> str:
    return CSRF_INPUT.search(page).group(1)


def thread_titles(page: str) -> list[str]:
    """The thread titles of a list page, in the order shown."""
    return [html.unescape(t) for t in THREAD_TITLE.findall(page)]


def article(page: str, post_id: int) -> str:
    """The HTML of one post on a thread page ('' when it is not shown)."""
    found = re.search(rf'<article id="post-{post_id}".*?</article>', page, re.S)
    return found.group(0) if found else ""


def set_cookie_headers(response, name: str) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]


def fresh(db):
    """Forget what the test's session has read, so the next query sees what the app committed."""
    db.rollback()  # ends any open read transaction (a stale snapshot on SQLite)
    db.expire_all()  # and reloads objects the session already holds
    return db


def field_errors(page: str, field_id: str) -> list[str]:
    """The error messages shown beside one form field."""
    found = re.search(rf'<div id="{field_id}-help">(.*?)</div>', page, re.S)
    if not found:
        return []
    return [html.unescape(m) for m in re.findall(r'<p class="error">(.*?)</p>', found.group(1), re.S)]
