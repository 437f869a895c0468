"""Search over public threads, behind a small interface (`search.backend.SearchBackend`).

Every change to a thread writes a row to the `search_outbox` table in the same transaction;
`search.indexer.drain` applies those rows to the index after the commit."""

from search.backend import SearchBackend, SearchRequest


def make_backend(name: str, index_dir: str) -> SearchBackend:
    if name == "whoosh":
        from search.whoosh_backend import WhooshBackend

        return WhooshBackend(index_dir)
    raise ValueError(f"Unknown SEARCH_BACKEND {name!r}: use 'whoosh'.")


__all__ = ["SearchBackend", "SearchRequest", "make_backend"]
