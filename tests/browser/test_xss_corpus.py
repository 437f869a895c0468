"""Stored XSS: a corpus of hostile strings through every field a member controls, rendered in Chromium.

The corpus (tests/browser/xss_corpus.py: 350 payloads in nine categories) goes into thread
titles, question bodies, answers, imported posts, display names, bios, locations, websites
and search queries; as usernames and tags every payload is refused. "Imported" posts are
written the way an importer will: Markdown through render_markdown, and raw HTML cleaned by
nh3 with the posts' allow-list. The pages that show the content (thread pages, the category
and home lists, profiles, revisions, the edit form, the ask page and its similar-questions
panel, search results, the staff search report) are opened in headless Chromium with the
site's real Content-Security-Policy, and checked:

- nothing ran: no dialog, no `window.__xss` sentinel, no `XSS<n>` title, no page error, no
  console error other than a failed image load, no navigation away;
- nothing dangerous reached the DOM, whether or not the CSP would have stopped it: no
  foreign <script>, no event-handler or style attribute, no javascript:/data:/vbscript:
  address, no iframe/object/embed/base/meta refresh/style/math/foreign svg, and post bodies
  hold only the sanitizer's allowed tags and attributes;
- the text is still readable: plain-text fields (titles, names, bios, locations, queries,
  form values) read back exactly as stored, and the marker words written before and after
  each payload in a post are in the page's visible text.

Scripts the CSP blocked (securitypolicyviolation events, CSP console errors) are counted
separately; one would mean the sanitizer let something through, so it fails the test too.
The pages holding every post body are also opened with the CSP switched off in the browser:
the sanitizer alone must stop every payload.

Most content is written with the service functions against the live server's database (the
same database, so the pages show it at once); the forms test drives the real HTML forms.
A summary (pages, counts, failures) is written to test-results/xss-corpus-summary.json.
"""

import json
import os
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from community import accounts, search_log, threads
from community.db import utcnow
from community.errors import ValidationError
from community.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown, sanitize_html
from community.models import Post, Role, SearchOutbox, Tag, Thread, User
from community.text import strip_controls
from tests.browser.test_ask_answer_accept import register
from tests.browser.xss_corpus import CATEGORIES, CORPUS, Payload
from tests.factories import PASSWORD, make_category, make_user

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITE = os.environ.get("HEARTH_SITE_NAME", "Hearth")  # the live server inherits the environment
MEMBER_REPUTATION = 1000  # free to post links and create tags, like a trusted member
PROFILE_GROUP = 10  # payloads packed into one member's bio
SEARCHES_PER_ACCOUNT = 50  # the search limit is 60 a minute per account (and per worker)
SCRIPT_MARK = re.compile(r"^XSS\d+$")

# Records what a page's scripts tried: CSP refusals, before any page script runs.
INIT_SCRIPT = """
window.__cspBlocked = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspBlocked.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || ''));
});
"""

# One round trip per page: sentinels, the visible text, dangerous DOM, and the values asked for.
CHECK_PAGE = r"""
([allowedTags, allowedAttrs, wanted]) => {
  const problems = [];
  const short = (el) => el.outerHTML.slice(0, 160);
  const origin = location.origin;
  const sameOriginPath = (value, prefix) => {
    try { const u = new URL(value, location.href); return u.origin === origin && u.pathname.startsWith(prefix); }
    catch (e) { return false; }
  };
  const jsonld = [];
  for (const s of document.querySelectorAll('script')) {
    if (s.type === 'application/ld+json' && !s.src) {
      try { jsonld.push(JSON.parse(s.textContent)); } catch (e) { problems.push('JSON-LD does not parse: ' + s.textContent.slice(0, 120)); }
    } else if (!(s.src && sameOriginPath(s.getAttribute('src'), '/static/') && !s.textContent.trim())) {
      problems.push('script ' + short(s));
    }
  }
  const banned = 'iframe,frame,frameset,object,embed,applet,base,portal,math,template,noscript,xmp,'
    + 'plaintext,noembed,noframes,style,meta[http-equiv],svg:not(.line-chart),body link,form[action]:not([action^="/"])';
  for (const el of document.querySelectorAll(banned)) problems.push('element ' + short(el));
  for (const el of document.querySelectorAll('head link')) {
    const rel = (el.getAttribute('rel') || '').toLowerCase();
    if (!['stylesheet', 'icon', 'canonical', 'alternate'].includes(rel)) problems.push('link ' + short(el));
  }
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'data', 'poster', 'background', 'xlink:href',
    'srcset', 'ping', 'cite', 'codebase', 'lowsrc', 'dynsrc', 'manifest']);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) problems.push('handler ' + short(el));
      else if (name === 'style' || name === 'srcdoc' || name === 'formaction') problems.push(name + ' ' + short(el));
      else if (urlAttrs.has(name)) {
        const v = attr.value.replace(/[\u0000-\u0020\u00a0\u200b-\u200f\u2028\u2029\ufeff]/g, '').toLowerCase();
        if (/^(javascript|vbscript|livescript|mocha|data):/.test(v)) {
          problems.push('address ' + short(el));
        }
      }
    }
    if ((el.tagName === 'A' || el.tagName === 'AREA') && el.hasAttribute('href')
        && !['http:', 'https:', 'mailto:'].includes(el.protocol)) problems.push('link protocol ' + short(el));
  }
  // Stored post HTML holds only what the sanitizer allows; snippets only <mark>.
  for (const el of document.querySelectorAll('.content *')) {
    const tag = el.tagName.toLowerCase();
    if (!allowedTags.includes(tag)) { problems.push('tag in post ' + short(el)); continue; }
    for (const attr of el.attributes) {
      const ok = (allowedAttrs[tag] || []).includes(attr.name) || (tag === 'a' && attr.name === 'rel');
      if (!ok) problems.push('attribute in post ' + short(el));
    }
  }
  for (const el of document.querySelectorAll('.snippet *')) {
    const plain = [...el.attributes].every((a) => a.name === 'class' && /^[\w -]*$/.test(a.value));
    if (el.tagName !== 'MARK' || !plain) problems.push('markup in snippet ' + short(el));
  }
  const values = {};
  for (const [name, selector, attr] of wanted) {
    values[name] = [...document.querySelectorAll(selector)].map(
      (el) => attr === 'text' ? el.innerText : (attr === 'value' ? el.value : el.getAttribute(attr)));
  }
  return {
    problems, jsonld, values,
    sentinel: window.__xss === undefined ? null : String(window.__xss),
    csp: window.__cspBlocked || [],
    title: document.title,
    url: location.href,
    text: document.body ? document.body.innerText : '',
  };
}
"""


def norm(text: str | None) -> str:
    """Text as a reader sees it: whitespace runs collapsed."""
    return " ".join((text or "").split())


def squash(text: str | None) -> str:
    """For form values, where browsers drop newlines and replace NUL: no whitespace, no controls."""
    return re.sub(r"[\s\x00-\x1f\x7f\ufffd]", "", text or "")


def sanitize_imported_html(raw: str) -> str:
    """What an HTML importer stores: the raw HTML cleaned with the posts' allow-list."""
    return sanitize_html(raw)


class Watch:
    """Counts what a page's scripts did: dialogs (dismissed), page errors, console errors, CSP refusals."""

    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.csp_console: list[str] = []
        self.resource_errors = 0
        page.add_init_script(INIT_SCRIPT)
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("console", self._console)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}({dialog.message})")
        dialog.dismiss()

    def _console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text
        if "Content Security Policy" in text:
            self.csp_console.append(text)
        elif text.startswith("Failed to load resource"):
            self.resource_errors += 1  # a broken image address, not a script
        else:
            self.console_errors.append(text)

    def mark(self) -> tuple[int, int, int, int]:
        return len(self.dialogs), len(self.page_errors), len(self.console_errors), len(self.csp_console)


@dataclass
class Sweep:
    """Visits pages and keeps every finding, so one run reports all failures at once."""

    base: str
    failures: list[str] = field(default_factory=list)
    pages: dict[str, int] = field(default_factory=dict)
    csp_blocked: list[str] = field(default_factory=list)
    dialogs: int = 0
    page_errors: int = 0
    console_errors: int = 0

    def visit(self, page, watch: Watch, kind: str, path: str, wanted=()) -> dict:
        before = watch.mark()
        response = page.goto(self.base + path)
        if response is None or response.status >= 400:
            self.fail(f"{kind} {path[:90]}", f"HTTP {response.status if response else 'no response'}")
        return self.inspect(page, watch, kind, before, wanted, expect_url=self.base + path)

    def inspect(self, page, watch: Watch, kind: str, before, wanted=(), expect_url: str | None = None) -> dict:
        """Check the page now shown; `before` is watch.mark() from before it was opened."""
        info = page.evaluate(CHECK_PAGE, [sorted(ALLOWED_TAGS), {k: sorted(v) for k, v in ALLOWED_ATTRIBUTES.items()}, list(wanted)])
        self.pages[kind] = self.pages.get(kind, 0) + 1
        where = f"{kind} {(expect_url or info['url']).removeprefix(self.base)[:90]}"
        dialogs = watch.dialogs[before[0]:]
        self.dialogs += len(dialogs)
        self.page_errors += len(watch.page_errors) - before[1]
        self.console_errors += len(watch.console_errors) - before[2]
        for problem in (
            [f"dialog {d}" for d in dialogs]
            + [f"page error {e}" for e in watch.page_errors[before[1]:]]
            + [f"console error {e}" for e in watch.console_errors[before[2]:]]
            + [f"DOM: {p}" for p in info["problems"]]
        ):
            self.fail(where, problem)
        blocked = watch.csp_console[before[3]:] + info["csp"]
        if blocked:
            self.csp_blocked.extend(f"{where}: {b}" for b in blocked)
            self.fail(where, f"the CSP had to block {len(blocked)} script(s): {blocked[0][:160]}")
        if info["sentinel"] is not None:
            self.fail(where, f"window.__xss was set to {info['sentinel']}")
        if SCRIPT_MARK.match(info["title"]):
            self.fail(where, f"a script set the title to {info['title']}")
        if expect_url and urllib.parse.unquote_plus(info["url"]) != urllib.parse.unquote_plus(expect_url):
            self.fail(where, f"the page went to {info['url']}")
        return info

    def fail(self, where: str, problem: str) -> None:
        self.failures.append(f"{where}: {problem}")

    def expect_text(self, where: str, haystack: str, needle: str, what: str) -> None:
        if norm(needle) not in norm(haystack):
            self.fail(where, f"{what} is not readable: {norm(needle)[:100]!r}")

    def summary(self) -> str:
        pages = ", ".join(f"{k} {v}" for k, v in self.pages.items())
        return (
            f"{sum(self.pages.values())} pages ({pages}); dialogs {self.dialogs}; page errors {self.page_errors}; "
            f"console errors {self.console_errors}; CSP-blocked {len(self.csp_blocked)}"
        )


def new_watched_page(browser, **options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Stop the browser from trying outside hosts (example.com images in payloads): refused at once.
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    return context, page, Watch(page)


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


# --- The stored corpus ------------------------------------------------------------------------


def question_body(p: Payload) -> str:
    return f"xsscorpus {p.marker}qa before:\n\n{p.text}\n\nafter {p.marker}qz"


def answer_body(p: Payload) -> str:
    return f"Answer {p.marker}aa:\n\n{p.text}\n\nanswer {p.marker}az"


def imported_html(p: Payload, kind: str) -> str:
    return f"<p>Imported {p.marker}{kind}a:</p>\n{p.text}\n<p>imported {p.marker}{kind}z</p>"


HOSTILE_WEBSITES = (
    'https://example.com/"><script>window.__xss={n},alert({n})</script>',
    "https://example.com/'onmouseover='alert({n})'",
    "http://example.com/</a><img/src=x/onerror=alert({n})>",
    'https://example.com/#"><svg/onload=alert({n})>',
    "https://example.com/?q=</title><script>alert({n})</script>",
)


@dataclass
class Item:
    """One payload's own thread (its title and question) and its member (display name)."""

    payload: Payload
    thread_id: int
    slug: str
    title: str
    question_id: int
    username: str
    display_name: str
    answer_id: int = 0  # in its batch thread, written by the payload's member
    import_md_id: int = 0
    import_html_id: int = 0


@dataclass
class Batch:
    """A thread whose page shows ten payloads three ways each: answer, imported Markdown, imported HTML."""

    thread_id: int
    slug: str
    title: str
    question_id: int
    display_name: str
    items: list[Item]


@dataclass
class Leader:
    """A member whose profile carries a group of payloads in its bio, location and website."""

    username: str
    display_name: str
    bio: str
    location: str
    website: str
    payloads: list[Payload]


@dataclass
class Corpus:
    category: object
    items: list[Item]
    batches: list[Batch]
    leaders: list[Leader]
    showcase: Thread
    picked: list[Payload]


def _add_imported_post(db, thread: Thread, author: User, body_md: str, body_html: str) -> Post:
    """What an importer does: a post row whose HTML is already sanitized, counted and queued for search."""
    post = Post(thread_id=thread.id, author_id=author.id, body_md=body_md, body_html=body_html, created_at=utcnow())
    db.add(post)
    db.execute(update(Thread).where(Thread.id == thread.id).values(answer_count=Thread.answer_count + 1))
    threads.queue_reindex(db, thread.id)
    db.flush()
    return post


def _profile_text(group: list[Payload], n: int) -> tuple[str, str, str]:
    """A group leader's bio (the group's payloads), location (as many as fit) and website."""
    bio = " | ".join(f"{q.marker}b {q.text[:85]}" for q in group)[:1000]
    location = ""
    for q in group:
        piece = f"{q.marker}l {q.text}"
        if len(location) + len(piece) + 1 > 100:
            break
        location = f"{location} {piece}".strip()
    location = location or f"{group[0].marker}l {group[0].text}"[:100]
    website = HOSTILE_WEBSITES[(n // PROFILE_GROUP) % len(HOSTILE_WEBSITES)].format(n=n)
    return bio, location, website


def seed_corpus(db) -> Corpus:
    category = make_category(db, name="Corpus", slug="xss-corpus")
    importer = make_user(db, "xss_importer", reputation=MEMBER_REPUTATION)
    items: list[Item] = []
    members: dict[int, User] = {}
    leaders: list[Leader] = []
    # Each payload: a member named with it, and a thread titled and asked with it (Markdown).
    for p in CORPUS:
        member = make_user(db, f"xss_{p.n:03d}", reputation=MEMBER_REPUTATION)
        group = CORPUS[p.n - 1 : p.n - 1 + PROFILE_GROUP] if (p.n - 1) % PROFILE_GROUP == 0 else []
        bio, location, website = _profile_text(group, p.n) if group else ("", "", "")
        accounts.update_profile(
            db, member, display_name=f"{p.marker}n {p.text}"[:60], bio=bio, location=location, website=website
        )
        if group:
            leaders.append(Leader(member.username, member.display_name, member.bio, member.location, member.website, group))
        thread = threads.ask(db, member, title=f"{p.marker} {p.text}"[:200], body=question_body(p), category_id=category.id)
        members[p.n] = member
        items.append(
            Item(p, thread.id, thread.slug, thread.title, threads.question_of(db, thread).id,
                 member.username, member.display_name)
        )
    # Batch threads: ten payloads per page, each as an answer by its member and as two imported posts.
    batches: list[Batch] = []
    for start in range(0, len(items), PROFILE_GROUP):
        group = items[start : start + PROFILE_GROUP]
        first = group[0].payload
        asker = members[first.n]
        thread = threads.ask(
            db, asker, title=f"{first.marker}t batch {first.text}"[:200], body=question_body(first), category_id=category.id
        )
        for item in group:
            p = item.payload
            item.answer_id = threads.answer(db, members[p.n], thread, body=answer_body(p)).id
            # An importer drops control characters like every post does (PostgreSQL refuses NUL).
            raw_md = strip_controls(imported_html(p, "m"))
            item.import_md_id = _add_imported_post(db, thread, importer, raw_md, render_markdown(raw_md)).id
            raw_html = strip_controls(imported_html(p, "h"))
            item.import_html_id = _add_imported_post(db, thread, importer, raw_html, sanitize_imported_html(raw_html)).id
        batches.append(
            Batch(thread.id, thread.slug, thread.title, threads.question_of(db, thread).id, asker.display_name, group)
        )
    # A showcase thread: one question and three payload answers from each category.
    showcase_author = make_user(db, "xss_showcase", reputation=MEMBER_REPUTATION)
    showcase = threads.ask(
        db, showcase_author, title="Showcase qz000: every kind of payload, still readable",
        body="xsscorpus showcase. The answers below hold payloads from each category.", category_id=category.id,
    )
    picked = []
    for name in CATEGORIES:
        members_of = [q for q in CORPUS if q.category == name]
        picked += [members_of[0], members_of[len(members_of) // 2], members_of[-1]]
    for p in picked:
        threads.answer(db, importer, showcase, body=answer_body(p))
    db.commit()
    return Corpus(category, items, batches, leaders, showcase, picked)


def wait_until_indexed(engine, timeout: float = 60) -> None:
    """The server's indexer drains the outbox once a second; wait until it is empty."""
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            pending = conn.scalar(select(func.count()).select_from(SearchOutbox))
        if not pending:
            return
        assert time.monotonic() < deadline, f"{pending} threads still waiting to be indexed"
        time.sleep(0.25)


def as_attribute(text: str) -> str:
    """What an attribute value reads after HTML parsing: CR and CRLF become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


THREAD_VALUES = [
    ("h1", "h1", "text"),
    ("og", 'meta[property="og:title"]', "content"),
    ("articles", "article.post", "id"),
    ("labels", "article.post", "aria-label"),
    ("bodies", "article.post .content", "text"),
    ("authors", "article.post .author", "text"),
]


def check_thread_head(sweep: Sweep, where: str, info: dict, title: str, asker: str) -> tuple[dict, dict]:
    """The title in the heading, the document title, og:title and the JSON-LD; returns posts by id."""
    values = info["values"]
    sweep.expect_text(where, " ".join(values["h1"]), title, "the title in the heading")
    if norm(info["title"]) != norm(f"{title} · {SITE}"):
        sweep.fail(where, f"document title is {info['title'][:100]!r}")
    if values["og"] != [title]:
        sweep.fail(where, f"og:title is {values['og']}")
    entity = (info["jsonld"] or [{}])[0].get("mainEntity", {})
    if entity.get("name") != title or entity.get("author", {}).get("name") != asker:
        sweep.fail(where, f"JSON-LD name/author changed: {str(entity.get('name'))[:80]!r}")
    bodies = dict(zip(values["articles"], values["bodies"], strict=True))
    labels = dict(zip(values["articles"], values["labels"], strict=True))
    return bodies, labels


def check_post(sweep: Sweep, where: str, bodies: dict, post_id: int, markers: list[str], what: str) -> None:
    body = bodies.get(f"post-{post_id}")
    if body is None:
        sweep.fail(where, f"the {what} is missing from the page")
        return
    for marker in markers:
        if marker not in body:
            sweep.fail(where, f"the {what} lost its text around the payload ({marker} not visible)")


def check_title_thread(sweep: Sweep, page, watch: Watch, item: Item) -> None:
    p = item.payload
    info = sweep.visit(page, watch, "thread", f"/t/{item.thread_id}/{item.slug}", wanted=THREAD_VALUES)
    where = f"thread {p.marker} [{p.category}] {p.text[:60]!r}"
    bodies, labels = check_thread_head(sweep, where, info, item.title, item.display_name)
    if labels.get(f"post-{item.question_id}") != as_attribute(f"Question by {item.display_name}"):
        sweep.fail(where, f"the question's label is {labels.get(f'post-{item.question_id}')!r}")
    check_post(sweep, where, bodies, item.question_id, [f"{p.marker}qa", f"{p.marker}qz"], "question")
    sweep.expect_text(where, " ".join(info["values"]["authors"]), item.display_name, "the author's display name")


def check_batch_thread(sweep: Sweep, page, watch: Watch, batch: Batch) -> None:
    info = sweep.visit(page, watch, "thread", f"/t/{batch.thread_id}/{batch.slug}", wanted=THREAD_VALUES)
    first = batch.items[0].payload
    bodies, labels = check_thread_head(sweep, f"batch thread {first.marker}", info, batch.title, batch.display_name)
    check_post(sweep, f"batch thread {first.marker}", bodies, batch.question_id, [f"{first.marker}qa", f"{first.marker}qz"], "question")
    authors = " ".join(info["values"]["authors"])
    for item in batch.items:
        p = item.payload
        where = f"thread {p.marker} [{p.category}] {p.text[:60]!r}"
        check_post(sweep, where, bodies, item.answer_id, [f"{p.marker}aa", f"{p.marker}az"], "answer")
        check_post(sweep, where, bodies, item.import_md_id, [f"{p.marker}ma", f"{p.marker}mz"], "imported post (Markdown-rendered)")
        # Raw HTML may legitimately end inside an unclosed <style> or comment, which the
        # sanitizer drops: the text before the payload must survive, and the next post too.
        check_post(sweep, where, bodies, item.import_html_id, [f"{p.marker}ha"], "imported post (HTML)")
        if labels.get(f"post-{item.answer_id}") != as_attribute(f"Answer by {item.display_name}"):
            sweep.fail(where, f"the answer's label is {labels.get(f'post-{item.answer_id}')!r}")
        sweep.expect_text(where, authors, item.display_name, "the answerer's display name")


def check_list_pages(sweep: Sweep, page, watch: Watch, kind: str, path: str, items: list[Item], max_pages: int = 200) -> None:
    """Page through a thread list until every one of `items` has been seen, each title read back exactly."""
    by_title = {norm(i.title): i for i in items}
    seen: set[str] = set()
    for number in range(1, max_pages + 1):
        sep = "&" if "?" in path else "?"
        info = sweep.visit(
            page, watch, kind, f"{path}{sep}page={number}",
            wanted=[("titles", ".thread-title a", "text"), ("authors", ".thread-row .author", "text"),
                    ("next", 'a[rel="next"]', "href")],
        )
        titles = [norm(t) for t in info["values"]["titles"]]
        for title, author in zip(titles, info["values"]["authors"], strict=False):
            item = by_title.get(title)
            if item is not None:
                seen.add(title)
                if norm(author) != norm(item.display_name):
                    sweep.fail(f"{kind} row {item.payload.marker}", f"author shows as {author[:80]!r}")
        if not info["values"]["next"]:
            break
    for title in set(by_title) - seen:
        sweep.fail(kind, f"title not found or not readable in the list: {title[:100]!r}")


def check_profile(sweep: Sweep, page, watch: Watch, leader: Leader) -> None:
    info = sweep.visit(
        page, watch, "profile", f"/u/{leader.username}",
        wanted=[
            ("h1", "h1", "text"), ("bio", ".bio", "text"), ("meta", ".profile-id .meta", "text"),
            ("site", '.profile-id a[rel~="nofollow"]', "href"), ("site_text", '.profile-id a[rel~="nofollow"]', "text"),
        ],
    )
    where = f"profile {leader.username}"
    values = info["values"]
    sweep.expect_text(where, " ".join(values["h1"]), leader.display_name, "the display name")
    if norm(" ".join(values["bio"])) != norm(leader.bio):
        sweep.fail(where, f"the bio reads {' '.join(values['bio'])[:100]!r}")
    sweep.expect_text(where, " ".join(values["meta"]), leader.location, "the location")
    if values["site"] != [leader.website] or norm(" ".join(values["site_text"])) != norm(leader.website):
        sweep.fail(where, f"the website link changed: {values['site']}")
    for p in leader.payloads:
        if f"{p.marker}b" not in info["text"]:
            sweep.fail(where, f"bio text around {p.marker} is not visible")


def check_search_query(sweep: Sweep, page, watch: Watch, text: str, label: str) -> dict:
    path = "/search?" + urllib.parse.urlencode({"q": text})
    info = sweep.visit(page, watch, "search", path, wanted=[
        ("h1", "h1", "text"), ("q", "input#q", "value"), ("marks", ".snippet mark", "text"),
    ])
    where = f"search {label}"
    if squash(" ".join(info["values"]["q"])) != squash(text):
        sweep.fail(where, f"the search box reads {' '.join(info['values']['q'])[:100]!r}")
    if text.strip() and squash(text) not in squash(" ".join(info["values"]["h1"])):
        sweep.fail(where, f"the query is not echoed readably: {' '.join(info['values']['h1'])[:100]!r}")
    return info


def test_the_harness_sees_scripts_that_run_and_scripts_the_csp_blocks(live_server, browser):
    """Without this, a silent harness would pass everything."""
    context, page, watch = new_watched_page(browser)
    try:
        page.set_content("<p>canary</p><img src=x onerror=window.__xss=7,alert(7)>")
        page.wait_for_function("window.__xss === 7")
        assert watch.dialogs == ["alert(7)"]
        # On a real page the CSP stops an injected handler: counted as blocked, not run.
        page.goto(live_server + "/")
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=/nothing onerror=window.__xss=8,alert(8)>')")
        page.wait_for_function("window.__cspBlocked.length > 0")
        info = page.evaluate(CHECK_PAGE, [sorted(ALLOWED_TAGS), {}, []])
        assert info["sentinel"] is None and watch.dialogs == ["alert(7)"]
        assert any(p.startswith("handler ") for p in info["problems"])
    finally:
        context.close()


# Payload threads opened one by one: the breakers aimed at <title>, attributes, JSON-LD and
# raw-text elements, plus every 25th payload. Every title is read back in the lists and the
# search results too, and the batch threads' pages show 35 more titles.
TITLE_BREAKERS = ("</title", "</textarea", "</style", "</noscript", "</script></head", "-->", "\u2028", "\u2029")


def opened_title_threads(items: list[Item]) -> list[Item]:
    return [
        i for i in items
        if i.payload.n % 25 == 0 or i.payload.text[:1] in "\"'" or any(k in i.payload.text.lower() for k in TITLE_BREAKERS)
    ]


def test_stored_corpus_is_inert_and_readable_on_every_page(live_server, browser, db, engine, screenshot_dir):
    started = time.monotonic()
    assert len(CORPUS) >= 300 and len({p.text for p in CORPUS}) == len(CORPUS)
    corpus = seed_corpus(db)
    items = corpus.items
    moderator = make_user(db, "xss_moderator", role=Role.MODERATOR, reputation=MEMBER_REPUTATION)
    searchers = [make_user(db, f"xss_searcher{i}").username for i in range(1, 4)]
    # A moderator edits some questions, so their revision pages show a diff of hostile Markdown.
    edited = items[5 :: len(items) // 10]
    for item in edited:
        question = db.get(Post, item.question_id)
        threads.edit_post(db, moderator, question, body=question.body_md + f"\n\nEdited {item.payload.marker}ed.", title=item.title)
    db.commit()
    seeded = time.monotonic()

    sweep = Sweep(live_server)
    context, page, watch = new_watched_page(browser)
    try:
        for batch in corpus.batches:
            check_batch_thread(sweep, page, watch, batch)
        for item in opened_title_threads(items):
            check_title_thread(sweep, page, watch, item)

        # The showcase thread: payload answers of every category on one page, photographed for people.
        showcase = corpus.showcase
        info = sweep.visit(page, watch, "thread", f"/t/{showcase.id}/{showcase.slug}")
        for p in corpus.picked:
            for marker in (f"{p.marker}aa", f"{p.marker}az"):
                if marker not in info["text"]:
                    sweep.fail("showcase thread", f"{marker} not visible")
        page.screenshot(path=screenshot_dir / "xss-thread.png", full_page=True)

        check_list_pages(sweep, page, watch, "category list", f"/c/{corpus.category.slug}", items)
        # The home list uses the same row macro: its first three pages are enough. Newest first,
        # they hold the batch threads, the showcase and then the newest payload threads.
        newest = items[-20:]
        check_list_pages(sweep, page, watch, "home list", "/?sort=newest", newest, max_pages=3)
        for leader in corpus.leaders:
            check_profile(sweep, page, watch, leader)
        for item in edited:
            info = sweep.visit(page, watch, "revisions", f"/p/{item.question_id}/revisions",
                               wanted=[("diff", "pre.diff", "text"), ("body", "details[open] .content", "text")])
            where = f"revisions {item.payload.marker}"
            if f"{item.payload.marker}ed" not in " ".join(info["values"]["diff"]):
                sweep.fail(where, "the diff lost its text")
            if f"{item.payload.marker}qa" not in " ".join(info["values"]["body"]):
                sweep.fail(where, "the latest version lost its text")
    finally:
        context.close()

    # The same batch pages with the CSP switched off in the browser: the sanitizer alone must
    # stop every payload (the CSP is the second wall, not the first).
    context, page, watch = new_watched_page(browser, bypass_csp=True)
    try:
        for batch in corpus.batches:
            sweep.visit(page, watch, "thread without CSP", f"/t/{batch.thread_id}/{batch.slug}")
    finally:
        context.close()

    # A moderator's view: the edit form puts the stored Markdown back in a <textarea> and the
    # title in an <input>, exactly as written (the </textarea> payloads must not escape).
    context, page, watch = new_watched_page(browser)
    try:
        sign_in(page, live_server, moderator.username)
        for item in [i for i in items if "textarea" in i.payload.text.lower()] + items[::35]:
            info = sweep.visit(page, watch, "edit form", f"/p/{item.question_id}/edit",
                               wanted=[("body", "textarea#body", "value"), ("title", "input#title", "value")])
            question_md = db.get(Post, item.question_id).body_md
            where = f"edit form {item.payload.marker} {item.payload.text[:50]!r}"
            if info["values"]["body"] != [as_attribute(question_md)]:
                sweep.fail(where, "the textarea does not hold the stored Markdown")
            if info["values"]["title"] != [item.title]:
                sweep.fail(where, f"the title field reads {info['values']['title']}")
        # The ask page with a hostile title: the field and the server-side similar panel.
        for item in items[::30]:
            info = sweep.visit(page, watch, "ask page", "/ask?" + urllib.parse.urlencode({"title": item.title}),
                               wanted=[("title", "input#title", "value")])
            if squash(" ".join(info["values"]["title"])) != squash(item.title):
                sweep.fail(f"ask page {item.payload.marker}", f"the title field reads {info['values']['title']}")
    finally:
        context.close()

    # Search: every corpus thread in the results (titles, snippets around the query word,
    # names), and hostile queries echoed back. Searches are limited per account: spread them.
    wait_until_indexed(engine)
    queries = [(p.text, f"{p.marker} [{p.category}]") for p in CORPUS[::10]]
    queries += [("script onerror alert", "words"), ("javascript", "words"), ("svg onload", "words")]
    by_title = {norm(i.title): i for i in items}
    found: set[str] = set()
    highlighted = 0  # hostile queries whose results mark words inside the payload text
    listed = len(items) + len(corpus.batches) + 1  # every thread says xsscorpus
    listing_pages = list(range(1, -(-listed // 10) + 1))
    jobs = [("listing", n) for n in listing_pages] + [("query", q) for q in queries]
    for start in range(0, len(jobs), SEARCHES_PER_ACCOUNT):
        context, page, watch = new_watched_page(browser)
        try:
            sign_in(page, live_server, searchers[start // SEARCHES_PER_ACCOUNT % len(searchers)])
            for kind, job in jobs[start : start + SEARCHES_PER_ACCOUNT]:
                if kind == "query":
                    highlighted += bool(check_search_query(sweep, page, watch, job[0], job[1])["values"]["marks"])
                    continue
                info = sweep.visit(page, watch, "search results", f"/search?q=xsscorpus&sort=newest&page={job}",
                                   wanted=[("titles", ".search-result .thread-title a", "text"),
                                           ("snippets", ".search-result .snippet", "text")])
                for title, snippet in zip(info["values"]["titles"], info["values"]["snippets"], strict=False):
                    item = by_title.get(norm(title))
                    if item is not None:
                        found.add(norm(title))
                        if "xsscorpus" not in snippet.lower():
                            sweep.fail(f"search result {item.payload.marker}", f"snippet lost the query word: {snippet[:80]!r}")
        finally:
            context.close()
    for title in sorted(set(by_title) - found):
        sweep.fail("search results", f"corpus thread not found or not readable: {title[:100]!r}")
    if highlighted < len(queries) // 2:
        sweep.fail("search", f"only {highlighted} of {len(queries)} hostile queries found a highlighted result")

    # Staff reports show what members searched for and which threads they read.
    context, page, watch = new_watched_page(browser)
    try:
        sign_in(page, live_server, moderator.username)
        info = sweep.visit(page, watch, "staff report", "/staff/search", wanted=[("queries", "table td:first-child", "text")])
        logged = squash(" ".join(info["values"]["queries"]))
        if not any(squash(search_log.normalize(text))[:40] in logged for text, _ in queries):
            sweep.fail("staff search report", "none of the hostile searches is listed readably")
        sweep.visit(page, watch, "staff report", "/staff/deflection")
    finally:
        context.close()

    summary = sweep.summary()
    write_summary(summary, sweep, seeded - started, time.monotonic() - seeded)
    print(f"\nXSS corpus: {len(CORPUS)} payloads; {summary}; seeding {seeded - started:.1f}s")
    assert not sweep.failures, f"{len(sweep.failures)} problems:\n" + "\n".join(sweep.failures[:60])


def write_summary(summary: str, sweep: Sweep, seeding: float, browsing: float) -> None:
    out = ROOT / "test-results" / "xss-corpus-summary.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for p in CORPUS:
        counts[p.category] = counts.get(p.category, 0) + 1
    out.write_text(json.dumps({
        "payloads": len(CORPUS),
        "by_category": counts,
        "pages": sweep.pages,
        "dialogs": sweep.dialogs,
        "page_errors": sweep.page_errors,
        "console_errors": sweep.console_errors,
        "csp_blocked": sweep.csp_blocked,
        "failures": sweep.failures,
        "seconds": {"seeding": round(seeding, 1), "browsing": round(browsing, 1)},
        "summary": summary,
    }, indent=2, ensure_ascii=False))


# --- The real forms ---------------------------------------------------------------------------

FORM_PROFILE = {
    "Display name": "</title><svg/onload=window.__xss=901,alert(901)> fay",
    "Location": '"><img src=x onerror=window.__xss=902,alert(902)> Leeds',
    "About you": (
        "</textarea><script>window.__xss=903,alert(903)</script>\n"
        '<a href="javascript:alert(904)">x</a> {{7*7}} ${alert(905)} \u202eevil\u202c bio903 end'
    ),
}
FORM_WEBSITE = 'https://example.com/"><script>window.__xss=907,alert(907)</script>'
FORM_TITLE = "Thermostat wobble <img src=x onerror=window.__xss=908,alert(908)> \"quoted\" </title>"
FORM_BODY = (
    "Lead qz908qa:\n\n[x](javascript:alert(909)) and [y](JaVaScRiPt:alert(909))\n\n"
    "<script>window.__xss=910,alert(910)</script>\n\n![x](x\" onerror=\"alert(911))\n\n"
    "</textarea><svg onload=alert(912)>\n\nTail qz908qz"
)
FORM_TAGS = "<script>alert(913)</script> firmware"
FORM_ANSWER = '"><img src=x onerror=window.__xss=914,alert(914)>\n\n<details open ontoggle=alert(915)>\n\nAnswer qz914az'
FORM_SEARCHES = (
    '"><script>window.__xss=916,alert(916)</script>',
    "</title><img src=x onerror=alert(917)> wobble",
    "{{7*7}} ${alert(918)} javascript:alert(918)",
)
HOSTILE_USERNAMES = (
    "<script>alert(921)</script>",
    '"><svg/onload=alert(922)>',
    "ann'--",
    "{{7*7}}",
    "javascript:alert(923)",
    "\uff53\uff43\uff52\uff49\uff50\uff54",
    "bob\u202egnp.exe",
    "zero\u200bwidth",
    "<b",
    "-starts-with-a-dash",
    "no spaces please",
)


def test_payloads_through_the_real_forms(live_server, browser, db, engine):
    make_category(db, name="Forms", slug="forms")
    db.add(Tag(name="firmware"))
    db.commit()
    sweep = Sweep(live_server)
    context, page, watch = new_watched_page(browser)
    try:
        register(page, live_server, "form_fay")
        # Confirmed as if by the emailed link: the payloads below hold links, which an
        # unconfirmed address may not post.
        db.execute(update(User).where(User.username == "form_fay").values(email_verified_at=utcnow()))
        db.commit()

        # Profile: free text in every field; a javascript: website is refused with a clear message.
        page.goto(live_server + "/settings/profile")
        for label, value in FORM_PROFILE.items():
            page.get_by_label(label).fill(value)
        page.get_by_label("Website").fill("javascript:alert(906)")
        before = watch.mark()
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_text("Give a full web address starting with http:// or https://.")).to_be_visible()
        expect(page.get_by_label("About you")).to_have_value(FORM_PROFILE["About you"])
        sweep.inspect(page, watch, "profile form (refused)", before)
        page.get_by_label("Website").fill(FORM_WEBSITE)
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_text("Your profile is saved.")).to_be_visible()
        fay = db.scalar(select(User).where(User.username == "form_fay"))
        db.refresh(fay)
        assert (fay.display_name, fay.location, fay.website) == (
            FORM_PROFILE["Display name"], FORM_PROFILE["Location"], FORM_WEBSITE
        )
        info = sweep.visit(page, watch, "profile", "/u/form_fay",
                           wanted=[("bio", ".bio", "text"), ("site", '.profile-id a[rel~="nofollow"]', "href")])
        for value in FORM_PROFILE.values():
            sweep.expect_text("profile form_fay", info["text"], value, "a profile field")
        assert norm(" ".join(info["values"]["bio"])) == norm(FORM_PROFILE["About you"])
        assert info["values"]["site"] == [FORM_WEBSITE]

        # Ask: an invalid tag is refused (and echoed harmlessly), nothing is stored, the text is kept.
        threads_before = db.scalar(select(func.count()).select_from(Thread))
        page.goto(live_server + "/ask")
        page.get_by_label("Title").fill(FORM_TITLE)
        page.get_by_label("Category").select_option(label="Forms")
        page.get_by_label("Details").fill(FORM_BODY)
        page.get_by_label("Tags").fill(FORM_TAGS)
        before = watch.mark()
        page.get_by_role("button", name="Post your question").click()
        expect(page.get_by_text("Tag '<script>alert(913)</script>' is not valid")).to_be_visible()
        expect(page.get_by_label("Details")).to_have_value(FORM_BODY)
        expect(page.get_by_label("Tags")).to_have_value(FORM_TAGS)
        sweep.inspect(page, watch, "ask form (refused tag)", before)
        db.rollback()
        assert db.scalar(select(func.count()).select_from(Thread)) == threads_before
        assert db.scalar(select(Tag.name).where(Tag.name.like("%script%"))) is None

        page.get_by_label("Tags").fill("firmware")
        page.get_by_role("button", name="Post your question").click()
        expect(page.get_by_role("article", name=f"Question by {FORM_PROFILE['Display name']}")).to_be_visible()
        thread_path = page.url.removeprefix(live_server)
        info = sweep.visit(page, watch, "thread (forms)", thread_path, wanted=[("h1", "h1", "text")])
        sweep.expect_text("thread (forms)", " ".join(info["values"]["h1"]), FORM_TITLE, "the title")
        for marker in ("qz908qa", "qz908qz"):
            assert marker in info["text"]

        # Answer through the answer form.
        page.get_by_label("Write your answer").fill(FORM_ANSWER)
        page.get_by_role("button", name="Post your answer").click()
        expect(page.get_by_text("Thanks for helping! Your answer is posted.")).to_be_visible()
        info = sweep.visit(page, watch, "thread (forms)", thread_path)
        assert "qz914az" in info["text"]

        # The header search box, with hostile queries echoed back as text.
        for query in FORM_SEARCHES:
            box = page.get_by_role("searchbox", name="Search the community")
            box.fill(query)
            before = watch.mark()
            box.press("Enter")
            page.wait_for_url("**/search?**")
            info = sweep.inspect(page, watch, "search box", before, wanted=[("h1", "h1", "text"), ("q", "input#q", "value")])
            assert squash(" ".join(info["values"]["q"])) == squash(query)
            sweep.expect_text(f"search box {query[:40]!r}", " ".join(info["values"]["h1"]), query, "the query")

        # The ask page's script lists look-alike questions from JSON: the hostile title stays text.
        wait_until_indexed(engine)
        page.goto(live_server + "/ask")
        panel = page.locator("#similar-panel")
        for _ in range(40):
            page.get_by_label("Title").fill("")
            page.get_by_label("Title").press_sequentially("thermostat wobble quoted", delay=5)
            try:
                expect(panel).to_be_visible(timeout=1500)
                break
            except AssertionError:
                continue
        expect(panel.locator("a").first).to_have_text(" ".join(FORM_TITLE.split()))
        sweep.inspect(page, watch, "ask page (similar.js)", (0, 0, 0, 0), expect_url=None)
        # The endpoint behind it is JSON, never sniffed as HTML.
        reply = page.request.get(live_server + "/search/similar?" + urllib.parse.urlencode({"title": "thermostat wobble"}))
        assert reply.headers["content-type"].startswith("application/json")
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.json()[0]["title"] == " ".join(FORM_TITLE.split())
    finally:
        context.close()
    assert not sweep.failures, "\n".join(sweep.failures)


def test_hostile_usernames_and_tags_are_refused_and_nothing_is_stored(live_server, browser, db):
    category = make_category(db, name="Tags", slug="tags")
    tagger = make_user(db, "xss_tagger", reputation=MEMBER_REPUTATION)  # may create tags
    db.commit()
    users_before = db.scalar(select(func.count()).select_from(User))

    # Every payload, as a username and as tags, through the services an importer would use too.
    for p in CORPUS:
        with pytest.raises(ValidationError) as refused:
            accounts.register(db, p.text, f"corpus{p.n}@example.com", PASSWORD)
        assert set(refused.value.errors) == {"username"}, p.text
        with pytest.raises(ValidationError) as refused:
            threads.ask(db, tagger, title=f"{p.marker} tags are checked", body=question_body(p),
                        category_id=category.id, tags=p.text)
        assert set(refused.value.errors) == {"tags"}, p.text
        assert refused.value.errors["tags"].startswith(("Tag ", "Use at most")), refused.value.errors
        db.rollback()
    assert db.scalar(select(func.count()).select_from(User)) == users_before
    assert db.scalar(select(func.count()).select_from(Thread)) == 0
    assert db.scalar(select(func.count()).select_from(Tag)) == 0

    # A few through the registration form: a clear message beside the field, the text kept, no account.
    sweep = Sweep(live_server)
    context, page, watch = new_watched_page(browser)
    try:
        for i, name in enumerate(HOSTILE_USERNAMES):
            page.goto(live_server + "/register")
            page.get_by_label("Username").fill(name)
            page.get_by_label("Email").fill(f"hostile{i}@example.com")
            page.get_by_label("Password").fill("a-long-password-1")
            before = watch.mark()
            page.get_by_role("button", name="Create account").click()
            message = page.locator("#username-help .error")
            expect(message).to_have_text(re.compile(r"Use 3-30 letters|between 3 and 30 characters"))
            expect(page.get_by_role("alert")).to_contain_text("nothing was saved")
            info = sweep.inspect(page, watch, "register form", before, wanted=[("name", "input#username", "value")])
            assert squash(" ".join(info["values"]["name"])) == squash(name)
    finally:
        context.close()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(User)) == users_before
    assert not sweep.failures, "\n".join(sweep.failures)
