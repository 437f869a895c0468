"""robots.txt, the sitemap (split behind an index when it grows) and the Atom feeds."""

from datetime import datetime
from urllib.parse import urlsplit

from flask import Response, abort, current_app, request, url_for

from app.db import get_session
from app.seo import bp
from app.seo.documents import AtomEntry, atom_feed, sitemap_index, urlset
from community import categories, publishing
from community.db import utcnow
from community.models import Category

# Pages with nothing for a search engine: forms, personal pages, and search results (endless near-duplicates).
DISALLOWED = ("/admin/", "/settings/", "/login", "/register", "/ask", "/search")
SUMMARY_LENGTH = 300
FEEDS = {
    "latest": (publishing.latest_threads, "Latest questions"),
    "unanswered": (publishing.unanswered_threads, "Unanswered questions"),
}


@bp.route("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), ""]
    lines.append(f"Sitemap: {url_for('seo.sitemap', _external=True)}")
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


# --- Sitemap --------------------------------------------------------------------------------


def _urls_per_file() -> int:
    # A setting only so tests can reach the split without 50,000 threads.
    return current_app.config.get("SITEMAP_MAX_URLS", publishing.MAX_SITEMAP_URLS)


def _fixed_urls(db) -> list[tuple[str, datetime | None]]:
    """The home page and every category page, dated by their newest thread activity."""
    activity = publishing.category_activity(db)
    urls = [(url_for("threads.home", _external=True), max(activity.values(), default=None))]
    for category in categories.list_categories(db):
        urls.append((url_for("threads.category", slug=category.slug, _external=True), activity.get(category.id)))
    return urls


def _file_urls(db, fixed: list, number: int, per_file: int) -> list[tuple[str, datetime | None]]:
    """The URLs of sitemap file `number` (from 1): the fixed pages first, then threads."""
    start = (number - 1) * per_file
    urls = fixed[start : start + per_file]
    rows = publishing.sitemap_threads(db, offset=max(0, start - len(fixed)), limit=per_file - len(urls))
    for row in rows:
        loc = url_for("threads.thread", thread_id=row.id, slug=row.slug, _external=True)
        urls.append((loc, row.last_modified))
    return urls


def _xml(body: bytes, mimetype: str = "application/xml") -> Response:
    return Response(body, mimetype=mimetype)


@bp.route("/sitemap.xml")
def sitemap():
    db = get_session()
    fixed, per_file = _fixed_urls(db), _urls_per_file()
    total = len(fixed) + publishing.count_public_threads(db)
    if total <= per_file:
        return _xml(urlset(_file_urls(db, fixed, 1, per_file)))
    files = -(-total // per_file)
    return _xml(
        sitemap_index(url_for("seo.sitemap_file", number=n, _external=True) for n in range(1, files + 1))
    )


@bp.route("/sitemap-<int:number>.xml")
def sitemap_file(number: int):
    db = get_session()
    fixed, per_file = _fixed_urls(db), _urls_per_file()
    total = len(fixed) + publishing.count_public_threads(db)
    if number < 1 or (number - 1) * per_file >= total:
        abort(404)
    return _xml(urlset(_file_urls(db, fixed, number, per_file)))


# --- Atom feeds -----------------------------------------------------------------------------


def _entry_id(entry: publishing.FeedEntry) -> str:
    # A tag: URI rather than the thread's address, which changes with the slug when the title is edited.
    host = urlsplit(request.host_url).hostname or "localhost"
    return f"tag:{host},{entry.thread.created_at.date().isoformat()}:thread-{entry.thread.id}"


def _atom_entry(entry: publishing.FeedEntry) -> AtomEntry:
    thread = entry.thread
    return AtomEntry(
        id=_entry_id(entry),
        title=thread.title,
        url=url_for("threads.thread", thread_id=thread.id, slug=thread.slug, _external=True),
        published=entry.published,
        updated=entry.updated,
        author_name=thread.author.name,
        author_url=url_for("users.profile", username=thread.author.username, _external=True),
        summary=publishing.excerpt(entry.question.body_html, SUMMARY_LENGTH),
        category_term=thread.category.slug,
        category_label=thread.category.name,
    )


def _feed_response(kind: str, category: Category | None) -> Response:
    query, label = FEEDS[kind]
    entries = query(get_session(), category)
    site = current_app.config["SITE_NAME"]
    title = f"{label} in {category.name} · {site}" if category else f"{label} · {site}"
    page_args = {"filter": "unanswered", "sort": "newest"} if kind == "unanswered" else {"sort": "newest"}
    if category is not None:
        self_url = url_for("seo.category_feed", slug=category.slug, kind=kind, _external=True)
        page_url = url_for("threads.category", slug=category.slug, _external=True, **page_args)
    else:
        self_url = url_for("seo.site_feed", kind=kind, _external=True)
        page_url = url_for("threads.home", _external=True, **page_args)
    body = atom_feed(
        feed_id=self_url,
        title=title,
        self_url=self_url,
        page_url=page_url,
        # An empty feed still needs an <updated>; "now" is honest for a list that has just been read.
        updated=max((e.updated for e in entries), default=utcnow()),
        entries=[_atom_entry(e) for e in entries],
    )
    return _xml(body, "application/atom+xml")


@bp.route("/feeds/<any(latest, unanswered):kind>.atom")
def site_feed(kind: str):
    return _feed_response(kind, None)


@bp.route("/c/<slug>/feeds/<any(latest, unanswered):kind>.atom")
def category_feed(slug: str, kind: str):
    return _feed_response(kind, categories.get_by_slug(get_session(), slug))
