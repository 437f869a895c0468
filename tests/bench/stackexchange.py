"""Load a Stack Exchange dump's Posts.xml through the services, for relevance checks on real text."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from community import accepting, accounts, categories, reputation, threads
from community.models import Post, Role, Thread
from community.text import TAG_PATTERN
from search.documents import html_to_text


def read_posts(path: Path) -> list[dict]:
    """Rows of Posts.xml as dicts. The dump's DTD is never fetched (ElementTree does not load it)."""
    return [dict(row.attrib) for _, row in ET.iterparse(path) if row.tag == "row"]


def _tags(raw: str) -> list[str]:
    names = re.findall(r"<([^>]+)>", raw) or [t for t in raw.split("|") if t]
    return [n for n in names if TAG_PATTERN.match(n)][:5]


def load(session: Session, dump_dir: Path) -> dict[int, int]:
    """Import questions, answers, scores and accepted answers; returns {dump question id: thread id}."""
    rows = read_posts(dump_dir / "Posts.xml")
    asker = accounts.register(session, "se-asker", "se-asker@example.com", "not-used-123", Role.MEMBER, verified=True)
    helper = accounts.register(session, "se-helper", "se-helper@example.com", "not-used-123", Role.MEMBER, verified=True)
    staff = accounts.register(session, "se-staff", "se-staff@example.com", "not-used-123", Role.STAFF, verified=True)
    for member in (asker, helper):  # the dump's authors were established: tags and links are theirs to use
        reputation.grant(session, member, 999, "Reputation carried over from the imported site")
    category = categories.create_category(session, None, name="History", slug="history")
    thread_of: dict[int, int] = {}
    post_of: dict[int, Post] = {}
    questions = [r for r in rows if r.get("PostTypeId") == "1"]
    answers = [r for r in rows if r.get("PostTypeId") == "2"]
    for row in questions:
        thread = threads.ask(
            session, asker, title=row["Title"], body=html_to_text(row["Body"]).ljust(threads.MIN_BODY, "."),
            category_id=category.id, tags=_tags(row.get("Tags", "")),
        )
        thread_of[int(row["Id"])] = thread.id
        session.execute(update(Thread).where(Thread.id == thread.id).values(score=int(row.get("Score", 0))))
    for row in answers:
        thread_id = thread_of.get(int(row.get("ParentId", 0)))
        body = html_to_text(row["Body"])
        if thread_id is None or len(body) < threads.MIN_BODY:
            continue
        post = threads.answer(session, helper, session.get(Thread, thread_id), body=body)
        session.execute(update(Post).where(Post.id == post.id).values(score=int(row.get("Score", 0))))
        post_of[int(row["Id"])] = post
    for row in questions:
        accepted = post_of.get(int(row.get("AcceptedAnswerId") or 0))
        if accepted is not None:
            accepting.accept_answer(session, staff, accepted)
    session.commit()
    return thread_of
