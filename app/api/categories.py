"""Categories: where threads live."""

from flask_openapi3 import Tag

from app.api import auth, bp, problems, represent, schemas
from app.db import get_session
from community import categories

TAG = Tag(name="Categories", description="The places threads are asked in.")


def _category(category, counts: dict[int, int]) -> dict:
    from flask import url_for

    return {
        **represent.category_ref(category),
        "description": category.description,
        "thread_count": counts.get(category.id, 0),
        "url": url_for("threads.category", slug=category.slug, _external=True),
    }


@bp.get("/categories", tags=[TAG], security=auth.OPTIONAL, responses={200: schemas.CategoryList}, summary="List categories")
def list_categories():
    """Every category in display order, with the number of threads a visitor can see."""
    db = get_session()
    counts = categories.thread_counts(db)
    items = [_category(c, counts) for c in categories.list_categories(db)]
    return represent.respond(schemas.CategoryList, {"items": items})


@bp.get(
    "/categories/<digits:category_id>",
    tags=[TAG],
    security=auth.OPTIONAL,
    responses={200: schemas.Category, **problems.responses(404)},
    summary="Get a category",
)
def get_category(path: schemas.CategoryPath):
    db = get_session()
    category = categories.get_category(db, path.category_id)
    return represent.respond(schemas.Category, _category(category, categories.thread_counts(db)))
