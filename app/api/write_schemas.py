"""What the write operations read, and the vote they answer with.

The limits are the services' own constants, so the document states what the services enforce;
the services still check the text after trimming it, and their message is the one sent back.
Bodies are strict: `"12"` is not an id and `true` is not a vote.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from community.db import MAX_ID
from community.text import MAX_TAGS
from community.threads import MAX_BODY, MAX_TITLE, MIN_BODY, MIN_TITLE

Title = Annotated[
    StrictStr,
    Field(min_length=MIN_TITLE, max_length=MAX_TITLE, description="What the problem is, in a sentence."),
]
Body = Annotated[
    StrictStr,
    Field(
        min_length=MIN_BODY,
        max_length=MAX_BODY,
        description=f"Markdown (no raw HTML); at least {MIN_BODY} characters besides spaces.",
    ),
]
Tags = Annotated[
    list[StrictStr],
    Field(
        max_length=MAX_TAGS,
        description="Tag names: 1-30 letters, digits or + # . - each, lower-cased. Creating a tag "
        "that does not exist yet needs reputation.",
    ),
]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class WriteBody(BaseModel):
    model_config = ConfigDict(strict=True)


class AskBody(WriteBody):
    title: Title
    body: Body
    category_id: Id = Field(description="One of the categories from `GET /categories`.")
    tags: Tags = []


class ThreadChanges(WriteBody):
    """Only the fields sent change; the question's text is edited through its post."""

    title: Title | None = None
    category_id: Id | None = Field(None, description="Move the thread to this category.")
    tags: Tags | None = Field(None, description="The thread's new tags, replacing the old ones; [] removes them all.")


class AnswerBody(WriteBody):
    body: Body


class PostChanges(WriteBody):
    body: Body


def _up_or_down(value: int) -> int:
    if value not in (1, -1):
        raise ValueError("Vote 1 (up) or -1 (down); DELETE the vote to withdraw it.")
    return value


class VoteBody(WriteBody):
    value: Annotated[StrictInt, AfterValidator(_up_or_down), Field(json_schema_extra={"enum": [1, -1]})] = Field(
        description="1 votes up, -1 votes down (answers only)."
    )


class AcceptBody(WriteBody):
    post_id: Id = Field(description="An answer in this thread.")


class VoteResult(BaseModel):
    post_id: int
    score: int = Field(description="The post's score after the vote.")
    my_vote: Literal[-1, 0, 1] = Field(description="The caller's vote now; 0 when withdrawn.")


def created(model: type[BaseModel], where: str) -> dict:
    """The OpenAPI 201 response for an operation that makes a resource: its body, and where to read it."""
    return {
        "description": "Created",
        "headers": {"Location": {"description": where, "required": True, "schema": {"type": "string"}}},
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
    }
