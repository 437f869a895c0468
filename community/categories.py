"""Categories: the top-level places where threads live, managed by admins."""

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community import audit, permissions
from community.db import get_by_id
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import Category, Thread, User, visible_thread
from community.text import strip_controls

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def list_categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.position, Category.name)))


def thread_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Thread.category_id, func.count())
        .where(visible_thread())
        .group_by(Thread.category_id)
    )
    return {category_id: count for category_id, count in rows}


def get_by_slug(session: Session, slug: str) -> Category:
    category = session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound("No such category.")
    return category


def get_category(session: Session, category_id: int) -> Category:
    category = get_by_id(session, Category, category_id)
    if category is None:
        raise NotFound("No such category.")
    return category


def _validate(session: Session, name: str, slug: str, description: str, existing_id: int | None):
    errors: dict[str, str] = {}
    if not name or len(name) > 80:
        errors["name"] = "Give a name of 1-80 characters."
    if not SLUG_PATTERN.match(slug):
        errors["slug"] = "Use lower-case letters, digits and '-', up to 80 characters."
    else:
        clash = session.scalar(select(Category.id).where(Category.slug == slug))
        if clash is not None and clash != existing_id:
            errors["slug"] = "Another category already uses that slug."
    if len(description) > 2000:
        errors["description"] = "Use at most 2,000 characters."
    if errors:
        raise ValidationError(errors)


def create_category(
    session: Session, actor: User | None, *, name: str, slug: str, description: str = "", position: int = 0
) -> Category:
    if actor is not None and not permissions.can_manage_categories(actor):
        raise PermissionDenied("Only admins manage categories.")
    name, slug, description = strip_controls(name).strip(), slug.strip().lower(), strip_controls(description).strip()
    _validate(session, name, slug, description, None)
    category = Category(name=name, slug=slug, description=description, position=position)
    session.add(category)
    session.flush()
    if actor is not None:  # None: the demo loader and importers
        audit.record(session, actor, "category.create", "category", category.id, after=_state(category))
    return category


def _state(category: Category) -> dict:
    return {"name": category.name, "slug": category.slug, "position": category.position}


def update_category(
    session: Session, actor: User, category: Category, *, name: str, slug: str, description: str, position: int
) -> None:
    if not permissions.can_manage_categories(actor):
        raise PermissionDenied("Only admins manage categories.")
    name, slug, description = strip_controls(name).strip(), slug.strip().lower(), strip_controls(description).strip()
    _validate(session, name, slug, description, category.id)
    before = _state(category)
    category.name, category.slug, category.description, category.position = name, slug, description, position
    session.flush()
    audit.record(session, actor, "category.update", "category", category.id, before=before, after=_state(category))


def delete_category(session: Session, actor: User, category: Category) -> None:
    """Delete an empty category; one that holds threads must be emptied first so nothing is lost."""
    if not permissions.can_manage_categories(actor):
        raise PermissionDenied("Only admins manage categories.")
    if session.scalar(select(Thread.id).where(Thread.category_id == category.id).limit(1)):
        raise ValidationError("This category still holds threads; move them before deleting it.")
    audit.record(session, actor, "category.delete", "category", category.id, before=_state(category))
    session.delete(category)
    session.flush()
