"""Threads: the list with the web's filters and sorts, and one thread with its posts."""

from flask import current_app
from flask_openapi3 import Tag

from app.api import auth, bp, problems, represent, schemas
from app.api.pages import meta
from app.db import get_session
from community import categories, reading, threads

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
        "answers_page": meta(view.answers),
        "duplicate_of_id": view.duplicate_of.id if view.duplicate_of else None,
        "can_answer": view.can_answer,
        "can_accept": view.can_accept,
    }


@bp.get(
    "/threads/<int:thread_id>",
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
