"""Posts: one question or answer read, edited, deleted and voted on."""

from flask_openapi3 import Tag
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.api import auth, bp, problems, represent, schemas
from app.api import write_schemas as ws
from app.db import get_session
from community import threads, voting
from community.models import Post, Thread

TAG = Tag(name="Posts", description="One question or answer: read, edit, delete and vote.")


def post_detail(db, post_id: int, viewer) -> dict:
    """One post as `viewer` may see it (404 otherwise), read afresh with its author."""
    threads.get_post(db, post_id, viewer)
    post = db.scalars(
        select(Post).options(joinedload(Post.author)).where(Post.id == post_id).execution_options(populate_existing=True)
    ).one()
    thread = db.get(Thread, post.thread_id)
    return represent.post(post, thread, viewer, voting.votes_by(db, viewer, [post.id]).get(post.id, 0))


@bp.get(
    "/posts/<digits:post_id>",
    tags=[TAG],
    security=auth.OPTIONAL,
    responses={200: schemas.Post, **problems.responses(404)},
    summary="Get a post",
)
def get_post(path: schemas.PostPath):
    """A question or an answer with what the caller may do with it; its thread is `thread_id`."""
    return represent.respond(schemas.Post, post_detail(get_session(), path.post_id, auth.actor()))


@bp.patch(
    "/posts/<digits:post_id>",
    tags=[TAG],
    security=auth.needs("write"),
    responses={200: schemas.Post, **problems.responses(403, 404)},
    summary="Edit a post",
)
def update_post(path: schemas.PostPath, body: ws.PostChanges):
    """Replace the text of a question or an answer; earlier versions stay in its history. The author may while the thread is open; members with the edit-others reputation and moderators may edit others' posts, as on the web. A question's title, category and tags change through `PATCH /threads/{thread_id}`."""
    user = auth.require("write")
    db = get_session()
    post = threads.get_post(db, path.post_id, user)
    kept = {"title": db.get(Thread, post.thread_id).title} if post.is_question else {}
    threads.edit_post(db, user, post, body=body.body, **kept)
    db.commit()
    return represent.respond(schemas.Post, post_detail(db, path.post_id, user))


@bp.delete(
    "/posts/<digits:post_id>",
    tags=[TAG],
    security=auth.needs("write"),
    responses={204: None, **problems.responses(403, 404)},
    summary="Delete a post",
)
def delete_post(path: schemas.PostPath):
    """Delete your own post while its thread is open (moderators any post); staff can still see and restore it. Deleting the question deletes the thread."""
    user = auth.require("write")
    db = get_session()
    post = threads.get_post(db, path.post_id, user)
    threads.delete_post(db, user, post)
    db.commit()
    return represent.no_content()


def _vote(post_id: int, value: int):
    user = auth.require("write")
    db = get_session()
    post = threads.get_post(db, post_id, user)
    score = voting.cast_vote(db, user, post, value)
    db.commit()
    mine = voting.votes_by(db, user, [post_id]).get(post_id, 0)
    return represent.respond(ws.VoteResult, {"post_id": post_id, "score": score, "my_vote": mine})


@bp.put(
    "/posts/<digits:post_id>/vote",
    tags=[TAG],
    security=auth.needs("write"),
    responses={200: ws.VoteResult, **problems.responses(403, 404)},
    summary="Vote on a post",
)
def vote(path: schemas.PostPath, body: ws.VoteBody):
    """Vote up (1) or down (-1), or change your vote, by the web's rules: never on your own post, questions can only be voted up, each direction needs its reputation, votes are limited per day, and a vote can be changed only for a few minutes after it is cast."""
    return _vote(path.post_id, body.value)


@bp.delete(
    "/posts/<digits:post_id>/vote",
    tags=[TAG],
    security=auth.needs("write"),
    responses={200: ws.VoteResult, **problems.responses(403, 404)},
    summary="Withdraw your vote",
)
def clear_vote(path: schemas.PostPath):
    """Withdraw your vote on a post, within the minutes a vote can be changed; without a vote nothing changes."""
    return _vote(path.post_id, 0)
