"""Threads: the list with the web's filters and sorts, one thread with its posts, and the writes
that start, answer, retitle and solve a thread."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, url_for
from flask_openapi3 import Tag

from app.api import auth, bp, new_account_posts, problems, represent, schemas
from app.api import write_schemas as ws
from app.api.pages import meta
from app.api.posts import post_detail
from app.db import get_session
from community import accepting, categories, reading, threads
from community.errors import NotFound, ValidationError
from community.models import Post, Thread

TAG = Tag(name="Threads", description="Questions with their answers.")


@bp.get("/threads", tags=[TAG], security=auth.OPTIONAL, responses={200: schemas.ThreadList, **problems.responses(404)}, summary="List threads")
def list_threads(query: schemas.ThreadListQuery):
    """The same list as the web pages: optionally one category, filtered and sorted the same ways."""
    db = get_session()
    list_filter, sort = reading.parse_list_options(query.filter, query.sort)
    category = categories.get_by_slug(db, query.category) if query.category else None
    found = reading.list_threads(
        db, auth.actor(), page=query.page, per_page=query.per_page, category=category, list_filter=list_filter, sort=sort
    )
    items = [represent.thread_summary(t) for t in found.items]
    return represent.respond(schemas.ThreadList, {**meta(found), "items": items})


def thread_detail(db, thread, viewer, page: int = 1, per_page: int = 30) -> dict:
    view = reading.thread_page(
        db, thread, viewer, page=page, per_page=per_page, outscored_margin=current_app.config["OUTSCORED_MARGIN"]
    )
    found = view.thread

    def shown(post):
        return represent.post(post, found, viewer, view.my_votes.get(post.id, 0))

    return {
        **represent.thread_summary(found),
        "question": shown(view.question),
        "accepted_answer": shown(view.accepted) if view.accepted else None,
        "answers": [shown(p) for p in view.answers.items],
        "answers_page": meta(view.answers, "api.get_thread", thread_id=found.id),
        "duplicate_of_id": view.duplicate_of.id if view.duplicate_of else None,
        "can_answer": view.can_answer,
        "can_accept": view.can_accept,
    }


@bp.get(
    "/threads/<digits:thread_id>",
    tags=[TAG],
    security=auth.OPTIONAL,
    responses={200: schemas.Thread, **problems.responses(404)},
    summary="Get a thread with its posts",
)
def get_thread(path: schemas.ThreadPath, query: schemas.ThreadQuery):
    """The question, the accepted answer first, then the other answers best first, a page at a time."""
    db = get_session()
    viewer = auth.actor()
    thread = threads.get_thread(db, path.thread_id, viewer)
    return represent.respond(schemas.Thread, thread_detail(db, thread, viewer, query.page, query.per_page))


@contextmanager
def fields_named(names: dict[str, str]) -> Iterator[None]:
    """Report a service's refusal under the API's field names (the web form's `category` is `category_id` here)."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError({names.get(field, field): message for field, message in exc.errors.items()}) from exc


def _thread_response(db, thread: Thread, viewer, status: int = 200, headers: dict | None = None):
    return represent.respond(schemas.Thread, thread_detail(db, thread, viewer), status, headers)


@bp.post(
    "/threads",
    tags=[TAG],
    security=auth.needs("write"),
    responses={201: ws.created(schemas.Thread, "The new thread in the API."), **problems.responses(403)},
    summary="Ask a question",
)
@new_account_posts
def create_thread(body: ws.AskBody):
    """Start a thread with its question, as the Ask page does; the asker follows it. A question the spam hold keeps back is saved all the same (201) with `question.held_for_review` true: only the asker and staff see it until a moderator publishes it."""
    user = auth.require("write")
    db = get_session()
    with fields_named({"category": "category_id"}):
        thread = threads.ask(db, user, title=body.title, body=body.body, category_id=body.category_id, tags=body.tags)
    db.commit()
    return _thread_response(db, thread, user, 201, {"Location": url_for("api.get_thread", thread_id=thread.id)})


@bp.patch(
    "/threads/<digits:thread_id>",
    tags=[TAG],
    security=auth.needs("write"),
    responses={200: schemas.Thread, **problems.responses(403, 404)},
    summary="Retitle, move or retag a thread",
)
def update_thread(path: schemas.ThreadPath, body: ws.ThreadChanges):
    """Change the title, category or tags of a thread: only the fields sent change, saved as a new revision of the question, with the same rights as editing it on the web. The question's text changes through `PATCH /posts/{post_id}`."""
    user = auth.require("write")
    db = get_session()
    thread = threads.get_thread(db, path.thread_id, user)
    question = threads.question_of(db, thread)
    title = body.title if body.title is not None else thread.title
    with fields_named({"category": "category_id"}):
        threads.edit_post(
            db, user, question, body=question.body_md, title=title, tags=body.tags, category_id=body.category_id
        )
    db.commit()
    return _thread_response(db, thread, user)


@bp.post(
    "/threads/<digits:thread_id>/answers",
    tags=[TAG],
    security=auth.needs("write"),
    responses={201: ws.created(schemas.Post, "The new answer in the API."), **problems.responses(403, 404)},
    summary="Answer a thread",
)
@new_account_posts
def create_answer(path: schemas.ThreadPath, body: ws.AnswerBody):
    """Post an answer; a locked thread takes answers from staff only. An answer the spam hold keeps back is saved all the same (201) with `held_for_review` true, and is not counted or shown to others until a moderator publishes it."""
    user = auth.require("write")
    db = get_session()
    thread = threads.get_thread(db, path.thread_id, user)
    post = threads.answer(db, user, thread, body=body.body)
    db.commit()
    location = url_for("api.get_post", post_id=post.id)
    return represent.respond(schemas.Post, post_detail(db, post.id, user), 201, {"Location": location})


def _answer_of(db, thread: Thread, post_id: int, viewer) -> Post:
    """The post the body names, which must be in the thread the address names."""
    try:
        post = threads.get_post(db, post_id, viewer)
    except NotFound:
        post = None
    if post is None or post.thread_id != thread.id:
        raise ValidationError({"post_id": f"Post {post_id} is not an answer in thread {thread.id}."})
    return post


@bp.put(
    "/threads/<digits:thread_id>/accepted-answer",
    tags=[TAG],
    security=auth.needs("write"),
    responses={200: schemas.Thread, **problems.responses(403, 404)},
    summary="Accept an answer",
)
def accept_answer(path: schemas.ThreadPath, body: ws.AcceptBody):
    """Mark the answer that solved the thread, replacing any earlier one; the thread shows as solved with that answer first. The asker may while the thread is open, staff always."""
    user = auth.require("write")
    db = get_session()
    thread = threads.get_thread(db, path.thread_id, user)
    post = _answer_of(db, thread, body.post_id, user)
    with fields_named({"": "post_id"}):  # the service's refusals here are all about the post named
        accepting.accept_answer(db, user, post)
    db.commit()
    return _thread_response(db, thread, user)


@bp.delete(
    "/threads/<digits:thread_id>/accepted-answer",
    tags=[TAG],
    security=auth.needs("write"),
    responses={200: schemas.Thread, **problems.responses(403, 404)},
    summary="Withdraw the accepted answer",
)
def unaccept_answer(path: schemas.ThreadPath):
    """The thread is open for a solution again; the points the accept earned are reversed. Who may: as for accepting. A thread with no accepted answer is returned unchanged."""
    user = auth.require("write")
    db = get_session()
    thread = threads.get_thread(db, path.thread_id, user)
    accepting.unaccept_answer(db, user, thread)
    db.commit()
    return _thread_response(db, thread, user)
