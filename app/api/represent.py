"""Model objects as the API's JSON, through the documented schemas so a response always matches them."""

from flask import current_app, url_for
from pydantic import BaseModel

from community import permissions
from community.models import HELD_FOR_REVIEW, Category, Post, Thread, User


def respond(model: type[BaseModel], data: dict, status: int = 200, headers: dict | None = None):
    body = model.model_validate(data).model_dump_json()
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.headers.update(headers or {})
    return response


def no_content():
    """A 204: no body, so no Content-Type either (RFC 9110); Flask would label it text/html."""
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]
    return response


def category_ref(category: Category) -> dict:
    return {"id": category.id, "slug": category.slug, "name": category.name}


def user_ref(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name or user.username,
        "is_staff": permissions.is_staff(user),
        "url": url_for("users.profile", username=user.username, _external=True),
    }


def thread_summary(thread: Thread) -> dict:
    return {
        "id": thread.id,
        "title": thread.title,
        "url": url_for("threads.thread", thread_id=thread.id, slug=thread.slug, _external=True),
        "category": category_ref(thread.category),
        "author": user_ref(thread.author),
        "tags": [tag.name for tag in thread.tags],
        "created_at": thread.created_at,
        "last_activity_at": thread.last_activity_at,
        "answer_count": thread.answer_count,
        "score": thread.score,
        "view_count": thread.view_count,
        "solved": thread.is_solved,
        "accepted_post_id": thread.accepted_post_id,
        "locked": thread.is_locked,
        "pinned": thread.is_pinned,
    }


def post(post: Post, thread: Thread, viewer: User | None, my_vote: int = 0) -> dict:
    return {
        "id": post.id,
        "thread_id": post.thread_id,
        "is_question": post.is_question,
        "is_official": post.is_official,
        "is_accepted": thread.accepted_post_id == post.id,
        "author": user_ref(post.author),
        "body_markdown": post.body_md,
        "body_html": post.body_html,
        "score": post.score,
        "my_vote": my_vote,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "url": url_for("threads.post_link", post_id=post.id, _external=True),
        "held_for_review": post.is_hidden and post.hidden_reason == HELD_FOR_REVIEW,
        "can_edit": permissions.can_edit(viewer, post, thread),
        "can_delete": permissions.can_delete(viewer, post, thread),
    }
