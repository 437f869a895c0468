"""What the index holds for a thread, built from the database: public content only."""

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.models import Post, Thread, visible_post, visible_thread

_TAG = re.compile(r"<[^>]+>")


def html_to_text(body_html: str) -> str:
    """Plain text of a rendered post (what readers see), for indexing and snippets."""
    text = _TAG.sub(" ", body_html)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


@dataclass
class ThreadDocument:
    thread_id: int
    title: str
    question: str
    answers: str
    accepted: str
    tags: list[str]
    category_id: int
    solved: bool
    answered: bool
    staff_answered: bool
    created: datetime
    activity: datetime
    votes: int

    @property
    def version(self) -> str:
        """A fingerprint of everything indexed, so drift between database and index can be found."""
        parts = [
            self.title, self.question, self.answers, self.accepted, ",".join(self.tags),
            str(self.category_id), str(self.solved), str(self.answered), str(self.staff_answered),
            self.created.isoformat(), str(self.votes),
        ]
        return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]


def _document(thread: Thread, posts: list[Post]) -> ThreadDocument:
    question = next((p for p in posts if p.is_question), None)
    answers = [p for p in posts if not p.is_question]
    # Accepted and official answers go to a field that weighs more.
    weighty = [p for p in answers if p.id == thread.accepted_post_id or p.is_official]
    others = [p for p in answers if p not in weighty]
    return ThreadDocument(
        thread_id=thread.id,
        title=thread.title,
        question=html_to_text(question.body_html) if question else "",
        answers="\n".join(html_to_text(p.body_html) for p in others),
        accepted="\n".join(html_to_text(p.body_html) for p in weighty),
        tags=[t.name for t in thread.tags],
        category_id=thread.category_id,
        solved=thread.accepted_post_id is not None,
        answered=bool(answers),
        staff_answered=any(p.is_official for p in answers),
        created=thread.created_at,
        activity=thread.last_activity_at,
        votes=thread.score,
    )


def build_documents(session: Session, thread_ids: list[int]) -> tuple[list[ThreadDocument], list[int]]:
    """Documents for the public threads among `thread_ids`, and the ids that must leave the index.

    Threads closed as duplicates leave the index rather than rank lower: their page only sends
    readers on to the original, which holds the answers, so a hit on the copy would cost a click
    and push another result down. Reopening one queues it back in."""
    if not thread_ids:
        return [], []
    threads = {
        t.id: t
        for t in session.scalars(
            select(Thread).where(Thread.id.in_(thread_ids), visible_thread(), Thread.duplicate_of_id.is_(None))
        )
    }
    posts: dict[int, list[Post]] = {tid: [] for tid in threads}
    if threads:
        for post in session.scalars(
            select(Post)
            .where(Post.thread_id.in_(list(threads)), visible_post())
            .order_by(Post.id)
        ):
            posts[post.thread_id].append(post)
    documents = [_document(threads[tid], posts[tid]) for tid in threads]
    removed = [tid for tid in thread_ids if tid not in threads]
    return documents, removed


def all_public_thread_ids(session: Session) -> list[int]:
    return list(
        session.scalars(select(Thread.id).where(visible_thread(), Thread.duplicate_of_id.is_(None)).order_by(Thread.id))
    )


def iter_documents(session: Session, batch: int = 500) -> Iterator[ThreadDocument]:
    """Every public thread's document, read in batches to keep memory flat."""
    ids = all_public_thread_ids(session)
    for start in range(0, len(ids), batch):
        documents, _ = build_documents(session, ids[start : start + batch])
        yield from documents
        session.expire_all()
