"""Tone of posts and threads: a VADER sentiment score taken when a post is saved, shown to staff only."""

import functools
from html.parser import HTMLParser

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import permissions
from community.models import Post, Thread, User

# VADER's own cut-offs for its compound score.
POSITIVE_FROM = 0.05
NEGATIVE_TO = -0.05
TONES = ("negative", "neutral", "positive")

# Elements whose text is not the author's voice: code is not prose, a quote is someone else's words.
_SKIPPED = frozenset({"pre", "code", "blockquote", "kbd"})
_BLOCKS = frozenset({"p", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "hr", "div"})


class _TextOnly(HTMLParser):
    """Collects the visible text of sanitized post HTML, leaving out code and quotes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """The words a reader sees in a post's HTML, without code, quotes or markup; one line per block."""
    parser = _TextOnly()
    parser.feed(html or "")
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def post_text(post: Post, title: str | None = None) -> str:
    """What is scored and matched for a post: a question's title (often where the complaint is) and its body."""
    body = plain_text(post.body_html)
    return f"{title}\n{body}" if title else body


@functools.cache
def _analyzer():
    # Reading the lexicon takes a while: once per process.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def label(compound: float) -> str:
    """positive (>= 0.05), negative (<= -0.05) or neutral, as VADER's authors suggest."""
    if compound >= POSITIVE_FROM:
        return "positive"
    if compound <= NEGATIVE_TO:
        return "negative"
    return "neutral"


def score_text(text: str) -> tuple[float, str]:
    """(compound score from -1 to 1, its label) of plain text; empty text is neutral."""
    if not text.strip():
        return 0.0, "neutral"
    compound = round(_analyzer().polarity_scores(text)["compound"], 4)
    return compound, label(compound)


def score_post(post: Post, text: str) -> None:
    """Store the tone of `text` (from post_text) on the post; the caller's transaction saves it."""
    post.sentiment, post.tone = score_text(text)


def score_unscored(session: Session, batch_size: int = 500) -> int:
    """Score up to `batch_size` posts that have no score yet; returns how many (0 when done)."""
    posts = list(
        session.scalars(select(Post).where(Post.sentiment.is_(None)).order_by(Post.id).limit(batch_size))
    )
    if not posts:
        return 0
    titles = dict(
        session.execute(
            select(Thread.id, Thread.title).where(Thread.id.in_({p.thread_id for p in posts if p.is_question}))
        ).all()
    )
    for post in posts:
        score_post(post, post_text(post, titles.get(post.thread_id) if post.is_question else None))
    session.flush()
    return len(posts)


def thread_tones(session: Session, thread_ids: list[int]) -> dict[int, str | None]:
    """Tone of each thread: the question's tone, made negative when a later post by the asker is negative.

    The asker coming back upset ("still broken", "this did not help") is what staff need to see,
    even when the question itself was calm. Deleted posts do not count; an unscored question has
    no tone (None).
    """
    if not thread_ids:
        return {}
    rows = session.execute(
        select(Post.thread_id, Post.is_question, Post.tone)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.thread_id.in_(thread_ids), Post.deleted_at.is_(None))
        .where(Post.is_question.is_(True) | ((Post.author_id == Thread.author_id) & (Post.tone == "negative")))
    ).all()
    tones: dict[int, str | None] = dict.fromkeys(thread_ids)
    asker_upset = set()
    for thread_id, is_question, tone in rows:
        if is_question:
            tones[thread_id] = tone
        else:
            asker_upset.add(thread_id)
    for thread_id in asker_upset:
        tones[thread_id] = "negative"
    return tones


def tone_for_staff(session: Session, thread: Thread, viewer: User | None) -> str | None:
    """The thread's tone when the viewer is staff; None for anyone else, so nothing is shown to them."""
    if not permissions.is_staff(viewer):
        return None
    return thread_tones(session, [thread.id])[thread.id]
