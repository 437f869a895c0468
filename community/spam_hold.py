"""The spam hold: what a new account posts with many links, or repeats, waits for a moderator."""

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.db import utcnow
from community.markdown import render_markdown
from community.models import HELD_FOR_REVIEW, Post, Thread, User
from community.rules import current

_WEB_ADDRESS = re.compile(r"(?i)\b(?:https?://|www\.)")


def count_links(body: str, html: str) -> int:
    """Web addresses in a post, written bare or as Markdown links and images."""
    return max(len(_WEB_ADDRESS.findall(body)), html.count("<a ") + html.count("<img "))


def is_new_account(author: User) -> bool:
    """Below the reputation the spam hold watches (staff never are)."""
    return not author.is_staff and (author.reputation or 0) < current().new_account_reputation


def held_for_links(author: User, body: str, html: str) -> bool:
    """A new account's post with more links than the hold allows."""
    return is_new_account(author) and count_links(body, html) > current().spam_hold_links


def should_hold(session: Session, author: User, body: str, title: str | None = None) -> bool:
    """The spam hold: a new account's post with many links, or one repeating the author's own
    post from the last hours, is saved but kept back until a moderator publishes it. A question
    repeats only with its title too: the same details under a new question are not spam."""
    if not is_new_account(author):
        return False
    if held_for_links(author, body, render_markdown(body)):
        return True
    since = utcnow() - timedelta(hours=current().spam_hold_repeat_hours)
    repeated = select(Post.id).where(
        Post.author_id == author.id, Post.body_md == body, Post.created_at >= since,
        Post.is_question.is_(title is not None),
    )
    if title is not None:
        repeated = repeated.join(Thread, Thread.id == Post.thread_id).where(Thread.title == title)
    return session.scalar(repeated.limit(1)) is not None


def hold_values(held: bool, now) -> dict:
    """The columns that mark a new post or thread as held, for its constructor."""
    return {"hidden_at": now, "hidden_reason": HELD_FOR_REVIEW} if held else {}
