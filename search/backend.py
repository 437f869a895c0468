"""The small interface every search backend offers; views and services only use this."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from search.documents import ThreadDocument

SORTS = ("relevance", "newest", "votes")
STATUSES = ("solved", "unsolved", "unanswered")


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    category_id: int | None = None
    tag: str | None = None
    status: str | None = None
    since: date | None = None
    until: date | None = None
    staff_answered: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10


@dataclass
class BackendResult:
    thread_ids: list[int]
    total: int
    terms: list[str] = field(default_factory=list)
    suggestion: str | None = None
    # True when no thread had every word, so these match only some of them.
    partial: bool = False
    # False when `total` is a lower bound (counting every match of a broad query is slow).
    total_exact: bool = True


class IndexWriter(Protocol):
    def update(self, document: ThreadDocument) -> None: ...
    def remove(self, thread_id: int) -> None: ...


class SearchBackend(Protocol):
    def search(self, request: SearchRequest) -> BackendResult: ...

    def similar(self, title: str, limit: int) -> BackendResult: ...

    def writer(self) -> AbstractContextManager[IndexWriter]:
        """Exclusive access for applying changes; committed when the block ends without error."""
        ...

    def rebuild(self, documents: Iterable[ThreadDocument], progress: Callable[[int], None] | None = None) -> int: ...

    def indexed_versions(self) -> dict[int, str]: ...

    def optimize(self) -> int:
        """Compact the index for faster queries; returns how many parts it had (0: nothing to do)."""
        ...

    def version(self) -> object | None:
        """A value that changes whenever the index does, so results can be reused until then;
        None when the backend cannot tell (its results are then never reused)."""
        ...

    def snippet(self, text: str, terms: list[str], max_chars: int = 240) -> str:
        """HTML-escaped excerpt of `text` around the query's terms, each wrapped in <mark>."""
        ...

    def matching_terms(self, text: str, terms: list[str]) -> set[str]:
        """Which of the query's terms occur in `text` (to pick a thread's best-matching post)."""
        ...

    def close(self) -> None:
        """Release open searchers."""
        ...


def batched(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
