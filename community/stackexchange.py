"""Import a Stack Exchange data dump: questions, answers, accepted answers, authors, comments,
duplicate links and tags, kept with their dates, scores and view counts.

Files are read as streams (one row in memory at a time) by a parser that refuses entities and
never loads the DTD a dump names. Every file is read through once before anything is
written, so a malformed file stops the import with its name and line, and the import is one
transaction, so any other failure leaves nothing half-imported either. Each imported row is
remembered in `import_records`, so running the same import again adds nothing. Authors become placeholder accounts (no password, an unreachable address) that
show the name they had on the source site.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree as SafeTree
from defusedxml.common import DefusedXmlException
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from community import reputation, tone
from community.db import utcnow
from community.errors import ValidationError
from community.markdown import sanitize_html
from community.models import (
    Category,
    ImportRecord,
    Post,
    PostComment,
    PostRevision,
    SearchOutbox,
    Tag,
    Thread,
    User,
)
from community.text import TAG_PATTERN, slugify, strip_controls
from search.documents import html_to_text

REQUIRED = "Posts.xml"
OPTIONAL = ("Users.xml", "Comments.xml", "PostLinks.xml", "Tags.xml", "Votes.xml", "Badges.xml")
QUESTION, ANSWER = "1", "2"
DUPLICATE_LINK = "3"
MAX_TAGS = 5
BATCH = 200
SITE_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


class DumpError(Exception):
    """The dump cannot be imported; nothing was written."""


@dataclass
class CategoryRule:
    """How threads find their category: the first tag's (made on first use), or one for all."""

    first_tag: bool = False
    slug: str = "imported"


@dataclass
class Summary:
    site: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    def add(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


# ------------------------------------------------------------------ reading


def rows(path: Path, progress: Callable[[int], None] | None = None) -> Iterator[dict[str, str]]:
    """The attributes of each <row> of a dump file, streamed; the tree is cleared as it goes."""
    with path.open("rb") as stream:
        try:
            events = SafeTree.iterparse(stream, events=("start", "end"), forbid_dtd=False, forbid_entities=True, forbid_external=True)
            root = None
            for event, element in events:
                if event == "start":
                    root = element if root is None else root
                    continue
                if element.tag == "row":
                    yield dict(element.attrib)
                    root.clear()
                    if progress is not None:
                        progress(stream.tell())
        except ParseError as error:
            line, column = error.position
            raise DumpError(f"{path.name} line {line}, column {column}: {_reason(error)}") from None
        except DefusedXmlException as error:
            raise DumpError(f"{path.name}: refused ({error.__class__.__name__}): {error}") from None


def _reason(error: ParseError) -> str:
    return re.sub(r":\s*line \d+, column \d+$", "", str(error))


def check_files(directory: Path) -> list[Path]:
    """The dump files to import, each read through once: a broken one stops everything here."""
    if not (directory / REQUIRED).is_file():
        raise DumpError(f"{directory} has no {REQUIRED}: it is not a Stack Exchange dump folder.")
    present = [directory / REQUIRED] + [directory / name for name in OPTIONAL if (directory / name).is_file()]
    for path in present:
        for _ in rows(path):
            pass
    return present


def _date(row: dict, name: str, where: str) -> datetime:
    raw = row.get(name)
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    except (TypeError, ValueError):
        raise DumpError(f"{where}: {name} {raw!r} is not a date.") from None


def _int(row: dict, name: str, default: int = 0) -> int:
    try:
        return int(row.get(name, default))
    except (TypeError, ValueError):
        return default


def dump_tags(raw: str) -> list[str]:
    """Tag names from "<a><b>" or "|a|b|", lower-cased, valid names only, at most five."""
    names = re.findall(r"<([^>]+)>", raw or "") or [t for t in (raw or "").split("|") if t]
    valid = [n.lower() for n in names if TAG_PATTERN.match(n.lower())]
    return list(dict.fromkeys(valid))[:MAX_TAGS]


# ------------------------------------------------------------------ importing


class Importer:
    def __init__(self, session: Session, directory: Path, site: str, rule: CategoryRule, progress=None):
        self.session, self.directory, self.site, self.rule = session, directory, site, rule
        self.progress = progress or (lambda name, size: (lambda position: None))
        self.summary = Summary(site=site)
        self._ids: dict[tuple[str, str], int] = {}
        self._tags: dict[str, int] = {}
        self._categories: dict[str, int] = {}

    # -- the import record: what each row of the dump became here
    def _known(self, kind: str) -> None:
        for external_id, local_id in self.session.execute(
            select(ImportRecord.external_id, ImportRecord.local_id).where(
                ImportRecord.source == self.site, ImportRecord.kind == kind
            )
        ):
            self._ids[(kind, external_id)] = local_id

    def _local(self, kind: str, external_id: str | None) -> int | None:
        return self._ids.get((kind, external_id)) if external_id else None

    def _remember(self, kind: str, external_id: str, local_id: int) -> None:
        self.session.add(ImportRecord(source=self.site, kind=kind, external_id=external_id, local_id=local_id))
        self._ids[(kind, external_id)] = local_id

    def _rows(self, name: str) -> Iterator[dict[str, str]]:
        path = self.directory / name
        return rows(path, self.progress(name, path.stat().st_size))

    def run(self) -> Summary:
        present = {p.name for p in check_files(self.directory)}
        for kind in ("user", "question", "answer", "comment", "link"):
            self._known(kind)
        if "Users.xml" in present:
            self._import_users()
        else:
            self.summary.notices.append("Users.xml is absent: authors are made from the names in Posts.xml.")
        if "Tags.xml" in present:
            self._import_tags()
        self._import_posts(QUESTION)
        self._import_posts(ANSWER)
        self._accept_answers()
        if "Comments.xml" in present:
            self._import_comments()
        else:
            self.summary.notices.append("Comments.xml is absent: no comments imported.")
        if "PostLinks.xml" in present:
            self._import_duplicate_links()
        else:
            self.summary.notices.append("PostLinks.xml is absent: no duplicate links imported.")
        for name, why in (
            ("Votes.xml", "votes in a dump name no voter, so scores come from Posts.xml"),
            ("Badges.xml", "badges here follow this community's own rules (`flask badges backfill`)"),
        ):
            if name in present:
                self.summary.notices.append(f"{name} was read but not imported: {why}.")
        self.session.flush()
        return self.summary

    # -- users
    def _placeholder(self, external_id: str, display_name: str, created: datetime | None = None, **profile) -> User:
        name = " ".join(strip_controls(display_name or "").split())[:60] or f"user {external_id}"
        user = User(
            username=f"{slugify(name, 18)}-{external_id}"[:30],
            email=f"{slugify(self.site, 40)}-{external_id}@imported.invalid",
            password_hash="!imported",  # matches no password: the account is claimed, not signed into
            display_name=name,
            session_token=f"imported-{external_id}",
            placeholder_source=self.site,
            created_at=created or utcnow(),
            **profile,
        )
        self.session.add(user)
        self.session.flush()
        self._remember("user", external_id, user.id)
        self.summary.add("members")
        return user

    def _import_users(self) -> None:
        for n, row in enumerate(self._rows("Users.xml"), 1):
            external_id = row.get("Id", "")
            if not external_id or self._local("user", external_id) is not None:
                continue
            self._placeholder(
                external_id,
                row.get("DisplayName", ""),
                _date(row, "CreationDate", f"Users.xml row Id={external_id}"),
                location=strip_controls(row.get("Location", ""))[:100],
                bio=html_to_text(strip_controls(row.get("AboutMe", "")))[:2000],
            )
            self._checkpoint(n)

    def _author(self, row: dict) -> int:
        """The local account of a post's author; a placeholder is made when Users.xml lacks it."""
        external_id = row.get("OwnerUserId") or row.get("UserId")
        if external_id and external_id != "-1":
            local = self._local("user", external_id)
            if local is None:
                local = self._placeholder(external_id, row.get("OwnerDisplayName") or row.get("UserDisplayName", "")).id
            return local
        # No owner (the account was deleted on the source site): one shared placeholder.
        local = self._local("user", "former")
        return local if local is not None else self._placeholder("former", "Former member").id

    # -- tags and categories
    def _tag(self, name: str) -> Tag:
        if name not in self._tags:
            tag = self.session.scalar(select(Tag).where(Tag.name == name))
            if tag is None:
                tag = Tag(name=name)
                self.session.add(tag)
                self.session.flush()
                self.summary.add("tags")
            self._tags[name] = tag.id
        return self.session.get(Tag, self._tags[name])

    def _import_tags(self) -> None:
        for row in self._rows("Tags.xml"):
            for name in dump_tags(f"<{row.get('TagName', '')}>"):
                self._tag(name)

    def _category_id(self, tags: list[str]) -> int:
        slug = tags[0] if self.rule.first_tag and tags else self.rule.slug
        slug = slugify(slug, 80)
        if slug not in self._categories:
            category = self.session.scalar(select(Category).where(Category.slug == slug))
            if category is None:
                name = slug.replace("-", " ").capitalize()
                category = Category(name=name, slug=slug, description=f"Imported from {self.site}.")
                self.session.add(category)
                self.session.flush()
                self.summary.add("categories")
            self._categories[slug] = category.id
        return self._categories[slug]

    # -- posts
    def _absolute_links(self, html: str) -> str:
        """Links within the source site ("/questions/12") point back to it, not to this site."""
        if not SITE_HOST.match(self.site):
            return html
        return re.sub(r'(\b(?:href|src)=")/(?!/)', rf"\1https://{self.site}/", html)

    def _import_posts(self, post_type: str) -> None:
        kind = "question" if post_type == QUESTION else "answer"
        for n, row in enumerate(self._rows(REQUIRED), 1):
            if row.get("PostTypeId") != post_type:
                continue
            external_id = row.get("Id", "")
            if not external_id or self._local(kind, external_id) is not None:
                continue
            where = f"{REQUIRED} row Id={external_id}"
            if post_type == QUESTION:
                self._question(row, external_id, where)
            else:
                self._answer(row, external_id, where)
            self._checkpoint(n)

    def _post(
        self, row: dict, thread_id: int, author_id: int, created: datetime, *, question: bool, title: str | None = None
    ) -> Post:
        html = self._absolute_links(sanitize_html(strip_controls(row.get("Body", ""))))
        post = Post(
            thread_id=thread_id,
            author_id=author_id,
            is_question=question,
            body_md=html_to_text(html),
            body_html=html,
            score=_int(row, "Score"),
            created_at=created,
        )
        # Scored like a post written here; watchlists only listen to new posts, not to imported history.
        tone.score_post(post, tone.post_text(post, title))
        self.session.add(post)
        self.session.flush()
        self.session.add(
            PostRevision(post_id=post.id, number=1, editor_id=author_id, body_md=post.body_md, body_html=html, created_at=created)
        )
        return post

    def _question(self, row: dict, external_id: str, where: str) -> None:
        title = " ".join(strip_controls(row.get("Title", "")).split())[:200]
        if not title:
            raise DumpError(f"{where}: a question needs a Title.")
        created = _date(row, "CreationDate", where)
        tags = dump_tags(row.get("Tags", ""))
        author_id = self._author(row)
        thread = Thread(
            category_id=self._category_id(tags),
            author_id=author_id,
            title=title,
            slug=slugify(title),
            created_at=created,
            last_activity_at=_date(row, "LastActivityDate", where) if row.get("LastActivityDate") else created,
            score=_int(row, "Score"),
            view_count=_int(row, "ViewCount"),
            tags=[self._tag(name) for name in tags],
            source_site=self.site,
            source_id=external_id,
        )
        self.session.add(thread)
        self.session.flush()
        post = self._post(row, thread.id, author_id, created, question=True, title=title)
        self._remember("question", external_id, post.id)
        self.session.add(SearchOutbox(thread_id=thread.id))
        self.summary.add("questions")

    def _answer(self, row: dict, external_id: str, where: str) -> None:
        question = self._local("question", row.get("ParentId"))
        if question is None:
            self.summary.skip("answers whose question is not in the dump")
            return
        thread_id = self.session.scalar(select(Post.thread_id).where(Post.id == question))
        post = self._post(row, thread_id, self._author(row), _date(row, "CreationDate", where), question=False)
        self.session.execute(update(Thread).where(Thread.id == thread_id).values(answer_count=Thread.answer_count + 1))
        self._remember("answer", external_id, post.id)
        self.session.add(SearchOutbox(thread_id=thread_id))
        self.summary.add("answers")

    def _accept_answers(self) -> None:
        """Accepted answers, marked as the asker's, earning what an accept earns here."""
        for n, row in enumerate(self._rows(REQUIRED), 1):
            if row.get("PostTypeId") != QUESTION or not row.get("AcceptedAnswerId"):
                continue
            question, answer = self._local("question", row.get("Id")), self._local("answer", row["AcceptedAnswerId"])
            if question is None or answer is None:
                continue
            post = self.session.get(Post, answer)
            thread = self.session.get(Thread, post.thread_id)
            if thread.accepted_post_id == post.id:
                continue
            thread.accepted_post_id = post.id
            thread.accepted_by_id = thread.author_id
            thread.accepted_by_asker = True
            thread.accepted_at = post.created_at
            thread.accepted_view_count = thread.view_count
            self.session.add(SearchOutbox(thread_id=thread.id))
            self.session.flush()
            reputation.lock_members(self.session, {post.author_id, thread.author_id})
            reputation.sync_accept(self.session, post, thread)
            self.summary.add("accepted answers")
            self._checkpoint(n)

    def _import_comments(self) -> None:
        for n, row in enumerate(self._rows("Comments.xml"), 1):
            external_id = row.get("Id", "")
            if not external_id or self._local("comment", external_id) is not None:
                continue
            post_id = self._local("question", row.get("PostId")) or self._local("answer", row.get("PostId"))
            text = " ".join(strip_controls(row.get("Text", "")).split())
            if post_id is None or not text:
                self.summary.skip("comments on posts not imported")
                continue
            comment = PostComment(
                post_id=post_id,
                author_id=self._author(row),
                body=text[:2000],
                score=_int(row, "Score"),
                created_at=_date(row, "CreationDate", f"Comments.xml row Id={external_id}"),
            )
            self.session.add(comment)
            self.session.flush()
            self._remember("comment", external_id, comment.id)
            self.summary.add("comments")
            self._checkpoint(n)

    def _import_duplicate_links(self) -> None:
        for row in self._rows("PostLinks.xml"):
            if row.get("LinkTypeId") != DUPLICATE_LINK or self._local("link", row.get("Id")) is not None:
                continue
            duplicate = self._local("question", row.get("PostId"))
            original = self._local("question", row.get("RelatedPostId"))
            if duplicate is None or original is None:
                self.summary.skip("duplicate links to questions not imported")
                continue
            thread_ids = dict(
                self.session.execute(select(Post.id, Post.thread_id).where(Post.id.in_([duplicate, original]))).all()
            )
            thread = self.session.get(Thread, thread_ids[duplicate])
            thread.duplicate_of_id = thread_ids[original]
            self._remember("link", row["Id"], thread.id)
            self.summary.add("duplicate links")

    def _checkpoint(self, n: int) -> None:
        """Write out what the last rows made and forget the objects, so memory stays flat
        however large the dump; it is all committed at the end, in one transaction."""
        if n % BATCH == 0:
            self.session.flush()
            self.session.expunge_all()


def import_dump(session: Session, directory: Path, *, site: str, rule: CategoryRule, progress=None) -> Summary:
    """Import the dump in `directory` and commit; on any error roll back and re-raise."""
    if not site.strip():
        raise ValidationError({"site": "Name the site the dump comes from."})
    try:
        summary = Importer(session, directory, site.strip()[:120], rule, progress).run()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return summary
