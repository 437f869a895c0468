"""The shapes the API reads and writes; the OpenAPI document is generated from these."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.api.fields import PathId
from app.api.pages import PageMeta, PageQuery


class CategoryRef(BaseModel):
    id: int
    slug: str
    name: str


class Category(CategoryRef):
    description: str
    thread_count: int = Field(description="Threads a visitor can see.")
    url: str = Field(description="The category's web page.")


class CategoryList(BaseModel):
    items: list[Category]


class UserRef(BaseModel):
    id: int
    username: str
    display_name: str
    is_staff: bool = Field(description="Answers from staff are the brand's official answers.")
    url: str = Field(description="The member's public profile page.")


class ThreadSummary(BaseModel):
    id: int
    title: str
    url: str = Field(description="The thread's web page.")
    category: CategoryRef
    author: UserRef
    tags: list[str]
    created_at: datetime
    last_activity_at: datetime
    answer_count: int
    score: int
    view_count: int
    solved: bool
    accepted_post_id: int | None
    locked: bool
    pinned: bool


class ThreadList(PageMeta):
    items: list[ThreadSummary]


class Post(BaseModel):
    id: int
    thread_id: int
    is_question: bool
    is_official: bool = Field(description="Written by staff for the brand.")
    is_accepted: bool
    author: UserRef
    body_markdown: str
    body_html: str = Field(description="Rendered and sanitized; safe to show as HTML.")
    score: int
    my_vote: Literal[-1, 0, 1] = Field(description="The caller's vote; 0 for visitors.")
    created_at: datetime
    edited_at: datetime | None
    url: str = Field(description="A link to this post on its thread's page.")
    held_for_review: bool = Field(
        description="Saved but kept back as likely spam until a moderator publishes it; until then only its author and staff see it."
    )
    can_edit: bool
    can_delete: bool


class Thread(ThreadSummary):
    question: Post
    accepted_answer: Post | None = Field(description="The answer that solved it, shown first.")
    answers: list[Post] = Field(description="The other answers, best first; paged by `page` and `per_page`.")
    answers_page: PageMeta
    duplicate_of_id: int | None
    can_answer: bool
    can_accept: bool


class ThreadPath(BaseModel):
    thread_id: PathId


class PostPath(BaseModel):
    post_id: PathId


class CategoryPath(BaseModel):
    category_id: PathId


class ThreadListQuery(PageQuery):
    category: str | None = Field(None, max_length=80, description="A category slug.")
    filter: Literal["all", "unanswered", "unsolved", "solved"] = "all"
    sort: Literal["active", "newest", "votes"] = "active"


class ThreadQuery(PageQuery):
    per_page: int = Field(30, ge=1, le=100, description="Answers per page.")
