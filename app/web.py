"""Helpers every blueprint uses to translate between HTTP and the community services."""

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import abort, request
from flask_login import current_user
from flask_wtf import FlaskForm

from app.db import get_session
from community.db import parse_id
from community.errors import ValidationError
from community.models import User


class ActionForm(FlaskForm):
    """An empty form: a button that changes state still carries a CSRF token."""


def require_action_form() -> None:
    """A button's POST must carry a valid CSRF token: a 400 otherwise."""
    if not ActionForm().validate_on_submit():
        abort(400)


def viewer() -> User | None:
    """The signed-in user as a model object, or None for a visitor."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def date_arg(name: str, problems: list[str]) -> date | None:
    """A YYYY-MM-DD date from the URL; a bad one is noted in `problems` and left out."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"“{value}” is not a date (use YYYY-MM-DD); it was left out.")
        return None


def page_arg() -> int:
    """The page number from the URL; 1 when it is missing or not a number the database can count to."""
    return parse_id(request.args.get("page")) or 1


def id_arg(name: str) -> int | None:
    """An id from the URL's query string; None when missing, not a number, or past the id range."""
    return parse_id(request.args.get(name))


def save(form: FlaskForm, action: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a service call and commit; on a ValidationError roll back and show it on the form."""
    db = get_session()
    try:
        result = action()
    except ValidationError as exc:
        db.rollback()
        apply_errors(form, exc)
        return False, None
    db.commit()
    return True, result


def apply_errors(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's validation messages next to the form fields they belong to."""
    for field_name, message in error.errors.items():
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)
