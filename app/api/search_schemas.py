"""The shapes of search and similar questions."""

from typing import Literal

from pydantic import BaseModel, Field

from app.api.fields import Day
from app.api.pages import PageMeta, PageQuery
from app.api.schemas import ThreadSummary
from app.searching.routes import MAX_PAGE
from community.categories import SLUG_PATTERN
from community.text import TAG_PATTERN
from search.analysis import MAX_QUERY_CHARS
from search.backend import SORTS, STATUSES
from search.service import SIMILAR_MIN_CHARS


class SearchQuery(PageQuery):
    q: str = Field(
        "",
        max_length=MAX_QUERY_CHARS,
        description='The words to look for, as a person types them. "Quoted words" must appear as a phrase; '
        "nothing else is syntax (AND, OR, *, field: and stray quotes are read as plain words or left out).",
    )
    category: str | None = Field(None, max_length=80, pattern=SLUG_PATTERN.pattern, description="A category slug.")
    tag: str | None = Field(None, max_length=30, pattern=TAG_PATTERN.pattern, description="Only threads with this tag.")
    status: Literal[STATUSES] | None = Field(None, description="Only solved, unsolved or unanswered threads.")
    since: Day | None = Field(None, description="Only threads asked on or after this day (UTC).")
    until: Day | None = Field(None, description="Only threads asked on or before this day (UTC).")
    staff: bool = Field(False, description="Only threads with an answer from staff.")
    sort: Literal[SORTS] = Field("relevance", description="Best match first, newest first, or most votes first.")
    page: int = Field(1, ge=1, le=MAX_PAGE, description=f"Page number, from 1 to {MAX_PAGE}.")
    per_page: int = Field(10, ge=1, le=100, description="Results per page.")


class SearchResult(BaseModel):
    position: int = Field(description="Rank among all the results, from 1 (the web page's order).")
    thread: ThreadSummary
    best_post_id: int = Field(description="The post in the thread that matches the most search words.")
    best_post_url: str = Field(description="A link to that post on its thread's page.")
    snippet_html: str = Field(
        description="HTML: the best post's text around the search words, escaped, with each matched word "
        "in <mark>; safe to insert as HTML. Without search words, the start of the post."
    )
    accepted_excerpt: str | None = Field(description="Plain text (not escaped): the start of the accepted answer.")


class SearchResults(PageMeta):
    items: list[SearchResult]
    total_exact: bool = Field(description="False when `total` is a lower bound: counting every match of a broad search is slow.")
    partial: bool = Field(description="True when no thread has every word, so these results match only some of them.")
    suggestion: str | None = Field(description="A corrected spelling of the search to offer (“Did you mean”), or null.")


class SimilarQuery(BaseModel):
    title: str = Field(
        max_length=MAX_QUERY_CHARS,
        description=f"A question's title as it is being typed; under {SIMILAR_MIN_CHARS} characters finds nothing.",
    )


class SimilarThread(BaseModel):
    thread: ThreadSummary
    accepted_excerpt: str | None = Field(description="Plain text (not escaped): the start of the accepted answer.")


class SimilarList(BaseModel):
    items: list[SimilarThread] = Field(description="At most 5, solved threads first, then by likeness.")

