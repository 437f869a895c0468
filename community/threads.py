"""Asking, answering, editing, deleting and following: the life of threads and posts."""

import difflib
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from community import audit, badges, care, listening, mentions, notifications, permissions, reputation, webhooks
from community.db import get_by_id, utcnow
from community.errors import NotFound, PermissionDenied, ValidationError
from community.markdown import mentioned_names, render_markdown
from community.models import (
    HELD_FOR_REVIEW,
    Category,
    Follow,
    Post,
    PostRevision,
    SearchOutbox,
    Tag,
    Thread,
    User,
    visible_post,
)
from community.rules import Privilege, current, threshold
from community.spam_hold import count_links, held_for_links, hold_values, should_hold
from community.suspensions import refuse_if_suspended
from community.text import parse_tags, slugify, strip_controls, tag_errors

MAX_TITLE = 200
MIN_TITLE = 10
MAX_BODY = 50_000
MIN_BODY = 10


def get_thread(session: Session, thread_id: int, viewer: User | None) -> Thread:
    thread = get_by_id(session, Thread, thread_id)
    if thread is None or not permissions.can_see_thread(viewer, thread):
        raise NotFound("No such thread.")
    return thread


_REVISION = select(Thread.slug, Thread.revision).where(Thread.id == bindparam("thread_id"))


def revision_of(session: Session, thread_id: int) -> tuple[str, int] | None:
    """(slug, revision) of a thread, read without loading it: enough to find a cached page."""
    row = session.execute(_REVISION, {"thread_id": thread_id}).first()
    return tuple(row) if row else None


def get_post(session: Session, post_id: int, viewer: User | None) -> Post:
    post = get_by_id(session, Post, post_id)
    if post is None or not permissions.can_see_post(viewer, post):
        raise NotFound("No such post.")
    thread = session.get(Thread, post.thread_id)
    if not permissions.can_see_thread(viewer, thread):
        raise NotFound("No such post.")
    return post


def queue_reindex(session: Session, thread_id: int) -> None:
    """Record in this transaction that the thread changed: its search document must be
    rebuilt, and pages rendered from the old version are out of date."""
    session.add(SearchOutbox(thread_id=thread_id))
    session.execute(update(Thread).where(Thread.id == thread_id).values(revision=Thread.revision + 1))


def _title_error(title: str) -> str | None:
    if len(title) < MIN_TITLE:
        return f"Write a title of at least {MIN_TITLE} characters that says what the problem is."
    if len(title) > MAX_TITLE:
        return f"Keep the title to {MAX_TITLE} characters (it has {len(title)})."
    return None


def _body_error(body: str) -> str | None:
    if len(body.strip()) < MIN_BODY:
        return f"Write at least {MIN_BODY} characters."
    if len(body) > MAX_BODY:
        return f"Keep it to {MAX_BODY:,} characters (it has {len(body):,})."
    return None


# Spam accounts are made with addresses nobody reads: until the address is confirmed, no links.
UNVERIFIED_LINKS = (
    "Confirm your email address before posting links or images: open the link we emailed you "
    "(Settings → Email can send it again). Until then, write the post without them."
)


def _render_body(session: Session, author: User, body: str) -> tuple[str, dict[str, str]]:
    """Markdown to safe HTML with mentions linked, and the mentions (lower-cased name -> username).
    Members without the links privilege may include only a few links (mentions do not count; a
    post with so many that the spam hold keeps it back is saved and held instead)."""
    mentioned = mentions.resolve(session, mentioned_names(body))
    html = render_markdown(body, mentioned)
    plain = render_markdown(body) if mentioned else html
    if author.email_verified_at is None and count_links(body, plain):
        raise ValidationError({"body": UNVERIFIED_LINKS})
    if not permissions.has_privilege(author, Privilege.POST_LINKS) and not held_for_links(author, body, plain):
        links = count_links(body, plain)
        allowed = current().links_before_privilege
        if links > allowed:
            raise ValidationError(
                {
                    "body": f"New members can include at most {allowed} links or images in a post "
                    f"(this one has {links}); posting more links freely needs "
                    f"{threshold(Privilege.POST_LINKS)} reputation."
                }
            )
    return html, mentioned


def _resolve_tags(session: Session, names: list[str], author: User) -> list[Tag]:
    if not names:
        return []
    existing = {t.name: t for t in session.scalars(select(Tag).where(Tag.name.in_(names)))}
    new = [name for name in names if name not in existing]
    if new and not permissions.has_privilege(author, Privilege.CREATE_TAGS):
        raise ValidationError(
            {
                "tags": f"Creating a new tag ({', '.join(new)}) needs {threshold(Privilege.CREATE_TAGS)} "
                "reputation; choose from the existing tags."
            }
        )
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
        tags.append(tag)
    return tags


def _validate_question(session: Session, title: str, body: str, category_id, raw_tags) -> tuple:
    errors: dict[str, str] = {}
    if error := _title_error(title):
        errors["title"] = error
    if error := _body_error(body):
        errors["body"] = error
    category = get_by_id(session, Category, category_id)
    if category is None:
        errors["category"] = "Choose one of the listed categories."
    tag_names = parse_tags(raw_tags or "")
    if error := tag_errors(tag_names):
        errors["tags"] = error
    if errors:
        raise ValidationError(errors)
    return category, tag_names


def _add_revision(session: Session, post: Post, editor: User, title=None, tags=None) -> None:
    session.add(
        PostRevision(
            post_id=post.id,
            number=post.edit_count + 1,
            editor_id=editor.id,
            title=title,
            tags=tags,
            body_md=post.body_md,
            body_html=post.body_html,
        )
    )


def ask(session: Session, author: User, *, title: str, body: str, category_id, tags="") -> Thread:
    """Start a thread with its question; the asker follows it."""
    refuse_if_suspended(author)
    if not permissions.can_ask(author):
        raise PermissionDenied("Sign in to ask a question.")
    title, body = " ".join(strip_controls(title).split()), strip_controls(body)
    category, tag_names = _validate_question(session, title, body, category_id, tags)
    body_html, mentioned = _render_body(session, author, body)
    held = should_hold(session, author, body, title)
    now = utcnow()
    thread = Thread(
        **hold_values(held, now),
        category_id=category.id,
        author_id=author.id,
        title=title,
        slug=slugify(title),
        created_at=now,
        last_activity_at=now,
        tags=_resolve_tags(session, tag_names, author),
    )
    session.add(thread)
    session.flush()
    post = Post(
        thread_id=thread.id,
        author_id=author.id,
        is_question=True,
        is_official=author.is_staff,
        body_md=body,
        body_html=body_html,
        created_at=now,
        **hold_values(held, now),
    )
    session.add(post)
    session.flush()
    _add_revision(session, post, author, title=title, tags=" ".join(sorted(tag_names)))
    if not held:  # a held post is matched when a moderator publishes it
        listening.post_saved(session, post, title)
    session.add(Follow(user_id=author.id, thread_id=thread.id))
    queue_reindex(session, thread.id)
    session.flush()
    if held:
        audit.record(session, None, "post.hold", "post", post.id, after={"hidden": True, "reason": HELD_FOR_REVIEW})
    else:
        mentions.notify_mentioned(session, post, thread, mentioned)
        webhooks.emit(session, "thread.created", lambda: webhooks.thread_created(session, thread))
    badges.evaluate(session, badges.Event.ASK, {author.id})
    return thread


def question_of(session: Session, thread: Thread) -> Post:
    return session.scalar(select(Post).where(Post.thread_id == thread.id, Post.is_question.is_(True)))


def answer(session: Session, author: User, thread: Thread, *, body: str) -> Post:
    refuse_if_suspended(author)
    if not permissions.can_answer(author, thread):
        if thread.is_locked:
            raise PermissionDenied("This thread is locked: it takes no new answers.")
        raise PermissionDenied("Sign in to answer.")
    body = strip_controls(body)
    if error := _body_error(body):
        raise ValidationError({"body": error})
    body_html, mentioned = _render_body(session, author, body)
    held = should_hold(session, author, body)
    now = utcnow()
    post = Post(
        thread_id=thread.id,
        author_id=author.id,
        is_official=author.is_staff,
        body_md=body,
        body_html=body_html,
        created_at=now,
        **hold_values(held, now),
    )
    session.add(post)
    if not held:  # a held answer is not counted, nor is it activity anyone can see yet
        session.execute(
            update(Thread)
            .where(Thread.id == thread.id)
            .values(answer_count=Thread.answer_count + 1, last_activity_at=now)
        )
    session.flush()
    _add_revision(session, post, author)
    if not held:
        listening.post_saved(session, post)
    queue_reindex(session, thread.id)
    session.flush()
    session.refresh(thread)
    if held:
        audit.record(session, None, "post.hold", "post", post.id, after={"hidden": True, "reason": HELD_FOR_REVIEW})
    else:
        # One notice per person for one answer: being mentioned says more than "a new answer".
        told = mentions.notify_mentioned(session, post, thread, mentioned)
        notifications.notify_reply(session, post, thread, skip=told)
        webhooks.emit(session, "post.created", lambda: webhooks.post_created(session, post, thread))
        care.after_answer(session, author, thread)
    badges.evaluate(session, badges.Event.ANSWER, {author.id})
    return post


def edit_post(
    session: Session, editor: User, post: Post, *, body: str, title=None, tags=None, category_id=None
) -> None:
    """Save a new version; the earlier ones stay in the revision history."""
    thread = session.get(Thread, post.thread_id)
    refuse_if_suspended(editor)
    if not permissions.can_edit(editor, post, thread):
        raise PermissionDenied("You cannot edit this post.")
    body = strip_controls(body)
    if post.is_question:
        title = " ".join(strip_controls(title).split())
        if tags is None:
            tags = [t.name for t in thread.tags]
        category, tag_names = _validate_question(
            session, title, body, category_id if category_id is not None else thread.category_id, tags
        )
        unchanged = (
            body == post.body_md
            and title == thread.title
            and category.id == thread.category_id
            and sorted(tag_names) == sorted(t.name for t in thread.tags)
        )
    else:
        if error := _body_error(body):
            raise ValidationError({"body": error})
        unchanged = body == post.body_md
    if unchanged:
        raise ValidationError("Nothing changed: edit the text before saving.")

    body_html, mentioned = _render_body(session, editor, body)
    before = {name.lower() for name in mentioned_names(post.body_md)}
    if post.author_id != editor.id and permissions.is_staff(editor):
        _audit_staff_edit(session, editor, post, thread, body, title if post.is_question else None,
                          category if post.is_question else None)
    post.body_md = body
    post.body_html = body_html
    post.edit_count += 1
    post.edited_at = utcnow()
    if post.is_question:
        thread.title, thread.slug, thread.category_id = title, slugify(title), category.id
        thread.tags = _resolve_tags(session, tag_names, editor)
        _add_revision(session, post, editor, title=title, tags=" ".join(sorted(tag_names)))
    else:
        _add_revision(session, post, editor)
    listening.post_saved(session, post, thread.title if post.is_question else None)
    queue_reindex(session, thread.id)
    session.flush()
    if editor.id == post.author_id:  # only names the author adds now are news to those named
        mentions.notify_mentioned(session, post, thread, mentioned, already=before)
    badges.evaluate(session, badges.Event.EDIT, {editor.id})


def _audit_staff_edit(session: Session, editor: User, post: Post, thread: Thread, body, title, category) -> None:
    """Staff changing someone else's words, title or category: each kind of change gets its row."""
    if body != post.body_md:
        audit.record(session, editor, "post.edit", "post", post.id, before={"edit_count": post.edit_count},
                     after={"edit_count": post.edit_count + 1})
    if post.is_question and title != thread.title:
        audit.record(session, editor, "thread.retitle", "thread", thread.id, before={"title": thread.title},
                     after={"title": title})
    if post.is_question and category.id != thread.category_id:
        audit.record(session, editor, "thread.move", "thread", thread.id, before={"category_id": thread.category_id},
                     after={"category_id": category.id})


@dataclass
class RevisionView:
    revision: PostRevision
    title_change: tuple[str, str] | None
    tags_change: tuple[str, str] | None
    diff: list[tuple[str, str]]


def revision_history(session: Session, post: Post) -> list[RevisionView]:
    """Every version of a post, newest first, each with what changed from the one before."""
    rows = list(
        session.scalars(
            select(PostRevision)
            .options(joinedload(PostRevision.editor))
            .where(PostRevision.post_id == post.id)
            .order_by(PostRevision.number)
        )
    )
    views, previous = [], None
    for rev in rows:
        diff: list[tuple[str, str]] = []
        title_change = tags_change = None
        if previous is not None:
            for line in difflib.ndiff(previous.body_md.splitlines(), rev.body_md.splitlines()):
                if line[:2] in ("+ ", "- ", "  "):
                    diff.append(({"+ ": "added", "- ": "removed", "  ": "same"}[line[:2]], line[2:]))
            if rev.title != previous.title:
                title_change = (previous.title or "", rev.title or "")
            if rev.tags != previous.tags:
                tags_change = (previous.tags or "", rev.tags or "")
        views.append(RevisionView(rev, title_change, tags_change, diff))
        previous = rev
    return list(reversed(views))


def delete_post(session: Session, actor: User, post: Post) -> None:
    """Soft-delete: staff can still see and restore it. Deleting the question hides the thread."""
    thread = session.get(Thread, post.thread_id)
    refuse_if_suspended(actor)
    if not permissions.can_delete(actor, post, thread):
        raise PermissionDenied("You cannot delete this post.")
    now = utcnow()
    if post.author_id != actor.id:  # only moderators delete other people's posts
        audit.record(session, actor, "post.delete", "post", post.id, before={"deleted": False}, after={"deleted": True})
    post.deleted_at, post.deleted_by_id = now, actor.id
    if post.is_question:
        thread.deleted_at = now
    elif not post.is_hidden:  # a hidden answer already left the count
        thread.answer_count = Thread.answer_count - 1
        if thread.accepted_post_id == post.id:
            clear_acceptance(thread)
    queue_reindex(session, thread.id)
    session.flush()
    _sync_reputation(session, post, thread)


def _sync_reputation(session: Session, post: Post, thread: Thread) -> None:
    """A deleted post stops earning (a deleted question takes its answers with it); a restored one earns again."""
    session.refresh(thread)
    if post.is_question:
        reputation.sync_thread(session, thread)
    else:
        reputation.sync_post(session, post, thread)


def clear_acceptance(thread: Thread) -> None:
    thread.accepted_post_id = None
    thread.accepted_by_id = None
    thread.accepted_by_asker = False
    thread.accepted_at = None
    thread.accept_held = False


def restore_post(session: Session, actor: User, post: Post) -> None:
    if not permissions.can_restore(actor, post):
        raise PermissionDenied("Only staff can restore deleted posts.")
    thread = session.get(Thread, post.thread_id)
    audit.record(session, actor, "post.restore", "post", post.id, before={"deleted": True}, after={"deleted": False})
    post.deleted_at, post.deleted_by_id = None, None
    if post.is_question:
        thread.deleted_at = None
    elif not post.is_hidden:
        thread.answer_count = Thread.answer_count + 1
    queue_reindex(session, thread.id)
    session.flush()
    _sync_reputation(session, post, thread)


def set_locked(session: Session, actor: User, thread: Thread, locked: bool) -> None:
    if not permissions.can_lock(actor):
        raise PermissionDenied("Only moderators lock threads.")
    if thread.is_locked != locked:
        audit.record(session, actor, "thread.lock" if locked else "thread.unlock", "thread", thread.id,
                     before={"locked": thread.is_locked}, after={"locked": locked})
    thread.is_locked = locked
    queue_reindex(session, thread.id)
    session.flush()


def follow(session: Session, user: User, thread: Thread) -> None:
    refuse_if_suspended(user)
    if not permissions.can_follow(user, thread):
        raise PermissionDenied("Sign in to follow threads.")
    if session.get(Follow, (user.id, thread.id)) is None:
        session.add(Follow(user_id=user.id, thread_id=thread.id))
        session.flush()


def unfollow(session: Session, user: User, thread: Thread) -> None:
    refuse_if_suspended(user)
    existing = session.get(Follow, (user.id, thread.id))
    if existing is not None:
        session.delete(existing)
        session.flush()


def is_following(session: Session, user: User | None, thread: Thread) -> bool:
    if not permissions.is_signed_in(user):
        return False
    return session.get(Follow, (user.id, thread.id)) is not None


def count_answers(session: Session, thread: Thread) -> int:
    return session.scalar(
        select(func.count()).where(
            Post.thread_id == thread.id, Post.is_question.is_(False), visible_post()
        )
    )


def record_views(session: Session, views: dict[int, int]) -> None:
    """Add counted page views to threads in one batch, then award view badges to their askers."""
    for thread_id, count in sorted(views.items()):
        session.execute(update(Thread).where(Thread.id == thread_id).values(view_count=Thread.view_count + count))
    askers = set(session.scalars(select(Thread.author_id).where(Thread.id.in_(sorted(views)))))
    badges.evaluate(session, badges.Event.VIEW, askers)
