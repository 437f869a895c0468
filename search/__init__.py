"""Search over public threads, behind a small interface (`search.backend.SearchBackend`).

Every change to a thread writes a row to the `search_outbox` table in the same transaction;
`search.indexer.drain` applies those rows to the index after the commit."""

from sqlalchemy import Engine

from search.backend import SearchBackend, SearchRequest


def make_backend(name: str, index_dir: str, engine: Engine | None = None) -> SearchBackend:
    """The configured backend: Whoosh on local disk, or PostgreSQL full-text search in the
    application's database (`engine`), which every app server shares."""
    if name == "whoosh":
        from search.whoosh_backend import WhooshBackend

        return WhooshBackend(index_dir)
    if name == "postgres":
        dialect = engine.dialect.name if engine is not None else "no database"
        if dialect != "postgresql":
            raise ValueError(
                f"SEARCH_BACKEND=postgres keeps the index in the database, so DATABASE_URL must be a "
                f"PostgreSQL database (this one is {dialect}); use SEARCH_BACKEND=whoosh with SQLite."
            )
        from search.postgres_backend import PostgresBackend

        return PostgresBackend(engine)
    raise ValueError(f"Unknown SEARCH_BACKEND {name!r}: use 'whoosh' or 'postgres'.")


__all__ = ["SearchBackend", "SearchRequest", "make_backend"]
