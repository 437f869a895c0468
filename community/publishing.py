"""What the outside world is shown: sitemap rows, feed entries, excerpts and schema.org data."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from community.models import Category, Post, Thread, User, visible_thread

FEED_SIZE = 30
# sitemaps.org caps one file at 50,000 URLs.
MAX_SITEMAP_URLS = 50_000

# Elements after which the text continues as a new block: they must not glue words together.
_BLOCKS = {
    "p", "br", "div", "li", "ul", "ol", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "table", "tr", "td", "th",
}


class _TextCollector(HTMLParser):
    """Collects the text of an HTML fragment; entities are decoded by the parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data) -> None:
        self.parts.append(data)


# Control characters that are not whitespace: invisible junk that XML cannot even carry.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def plain_text(html: str) -> str:
    """The readable text of stored post HTML: no tags, entities decoded, whitespace collapsed."""
    collector = _TextCollector()
    collector.feed(html or "")
    collector.close()
    return " ".join(_CONTROL.sub("", "".join(collector.parts)).split())


def truncate(text: str, limit: int) -> str:
    """Shorten to at most `limit` characters, cutting at a word boundary and ending with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - 1  # leave space for the ellipsis
    cut = text[:room]
    if text[room] != " " and " " in cut:
        cut = cut[: cut.rindex(" ")]  # drop the half word
    return cut.rstrip(" ,;:.-") + "…"


def excerpt(html: str, limit: int = 155) -> str:
    """A plain-text excerpt of stored post HTML (the rendered Markdown), for descriptions and feeds."""
    return truncate(plain_text(html), limit)


# --- Sitemap --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SitemapThread:
    id: int
    slug: str
    last_modified: datetime


def _public_threads():
    return select(Thread).where(visible_thread())


def count_public_threads(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(_public_threads().subquery())) or 0


def sitemap_threads(session: Session, *, offset: int = 0, limit: int = MAX_SITEMAP_URLS) -> list[SitemapThread]:
    """Public threads, newest activity first; an edit counts as a change even though it is not activity."""
    last_edit = (
        select(func.max(Post.edited_at)).where(Post.thread_id == Thread.id).correlate(Thread).scalar_subquery()
    )
    rows = session.execute(
        select(Thread.id, Thread.slug, Thread.last_activity_at, last_edit)
        .where(visible_thread())
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [
        SitemapThread(id=id_, slug=slug, last_modified=max(activity, edited or activity))
        for id_, slug, activity, edited in rows
    ]


def category_activity(session: Session) -> dict[int, datetime]:
    """The latest activity among each category's public threads (categories without any are absent)."""
    rows = session.execute(
        select(Thread.category_id, func.max(Thread.last_activity_at))
        .where(visible_thread())
        .group_by(Thread.category_id)
    )
    return {category_id: latest for category_id, latest in rows}


# --- Feeds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    thread: Thread
    question: Post

    @property
    def published(self) -> datetime:
        # The thread's time, which also orders the feed and the site's "newest" lists.
        return self.thread.created_at

    @property
    def updated(self) -> datetime:
        # The entry shows the question, so only an edit of the question changes it.
        return max(self.published, self.question.edited_at or self.published)


def _feed(session: Session, category: Category | None, limit: int, unanswered: bool) -> list[FeedEntry]:
    query = (
        select(Thread, Post)
        .join(Post, (Post.thread_id == Thread.id) & Post.is_question.is_(True))
        .options(joinedload(Thread.author), joinedload(Thread.category))
        .where(visible_thread())
        .order_by(Thread.created_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    if category is not None:
        query = query.where(Thread.category_id == category.id)
    if unanswered:
        # answer_count counts visible answers only, so a thread whose answers were all deleted qualifies.
        query = query.where(Thread.answer_count == 0)
    return [FeedEntry(thread, question) for thread, question in session.execute(query)]


def latest_threads(session: Session, category: Category | None = None, limit: int = FEED_SIZE) -> list[FeedEntry]:
    """The newest public questions, newest first."""
    return _feed(session, category, limit, unanswered=False)


def unanswered_threads(
    session: Session, category: Category | None = None, limit: int = FEED_SIZE
) -> list[FeedEntry]:
    """The newest public questions that have no visible answer yet, newest first."""
    return _feed(session, category, limit, unanswered=True)


# --- schema.org QAPage ----------------------------------------------------------------------


def _person(user: User, profile_url: Callable[[User], str]) -> dict:
    return {"@type": "Person", "name": user.name, "url": profile_url(user)}


def _answer(post: Post, page_url: str, profile_url: Callable[[User], str]) -> dict:
    return {
        "@type": "Answer",
        "text": plain_text(post.body_html),
        "upvoteCount": post.score,
        "dateCreated": post.created_at.isoformat(timespec="seconds"),
        "url": f"{page_url}#post-{post.id}",
        "author": _person(post.author, profile_url),
    }


def qa_page(
    thread: Thread,
    question: Post,
    accepted: Post | None,
    answers: list[Post],
    *,
    page_url: str,
    profile_url: Callable[[User], str],
) -> dict | None:
    """schema.org QAPage data for the answers shown on one page; deleted posts are left out for everyone."""
    if thread.is_deleted or question.is_deleted or question.is_hidden:
        return None
    data: dict = {
        "@type": "Question",
        "name": thread.title,
        "text": plain_text(question.body_html),
        "answerCount": thread.answer_count,
        "upvoteCount": question.score,
        "dateCreated": question.created_at.isoformat(timespec="seconds"),
        "author": _person(question.author, profile_url),
    }
    if accepted is not None and not accepted.is_deleted and not accepted.is_hidden:
        data["acceptedAnswer"] = _answer(accepted, page_url, profile_url)
    others = [
        _answer(post, page_url, profile_url)
        for post in answers
        if not post.is_deleted and not post.is_hidden and (accepted is None or post.id != accepted.id)
    ]
    if others:
        data["suggestedAnswer"] = others
    return {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": data}


_HTML_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def embed_json(data: dict) -> str:
    """JSON that can sit inside an HTML <script> element: no `</script>` or `<!--` can appear in it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _HTML_UNSAFE[m.group(0)], text)
