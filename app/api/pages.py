"""Paginated lists: `page` and `per_page` in, the same envelope out for every list."""

from flask import request, url_for
from pydantic import BaseModel, Field

from community.pagination import Page

MAX_PER_PAGE = 100


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1.")
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE, description="Items per page.")


class PageMeta(BaseModel):
    page: int
    per_page: int
    total: int = Field(description="Items in the whole list.")
    pages: int
    next: str | None = Field(description="URL of the next page, or null on the last.")
    prev: str | None = Field(description="URL of the previous page, or null on the first.")


def meta(found: Page, endpoint: str | None = None, **values) -> dict:
    """The envelope's paging fields. Links repeat the current request with another page, or go to
    `endpoint` with `values`: a write answers with a resource whose pages are read elsewhere."""

    def link(number: int) -> str:
        if endpoint is None:
            target, args = request.endpoint, {**request.args.to_dict(), **(request.view_args or {})}
        else:
            target, args = endpoint, values
        return url_for(target, _external=False, **{**args, "page": number, "per_page": found.per_page})

    return {
        "page": found.page,
        "per_page": found.per_page,
        "total": found.total,
        "pages": found.pages,
        "next": link(found.page + 1) if found.has_next else None,
        "prev": link(min(found.page - 1, found.pages)) if found.has_prev else None,
    }
