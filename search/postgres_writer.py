"""Writing to the PostgreSQL backend's tables: a thread's row, and the live-word counts that
"did you mean" draws from."""

from sqlalchemy import Connection, text

from search import postgres_text as pgtext
from search.documents import ThreadDocument

_COLUMNS = "thread_id, version, title, vector, spell_words, tags, category_id, solved, answered, staff_answered, created, votes"


def upsert_sql(table: str) -> str:
    """Insert a thread's row, or replace every column of the one already there."""
    return (
        f"INSERT INTO {table} ({_COLUMNS}) VALUES (:thread_id, :version, :title, CAST(:vector AS tsvector), "
        ":spell_words, :tags, :category_id, :solved, :answered, :staff_answered, :created, :votes) "
        "ON CONFLICT (thread_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.split(", ")[1:])
    )


def row_of(doc: ThreadDocument) -> dict:
    """The row's values; text is analysed here, in Python, as for the Whoosh index."""
    return {
        "thread_id": doc.thread_id,
        "version": doc.version,
        "title": doc.title.replace("\x00", ""),  # PostgreSQL text cannot hold NUL
        "vector": pgtext.document_vector(doc),
        "spell_words": pgtext.spell_words(doc),
        "tags": list(dict.fromkeys(t.replace("\x00", "").strip().lower() for t in doc.tags if t.strip())),
        "category_id": doc.category_id,
        "solved": doc.solved,
        "answered": doc.answered,
        "staff_answered": doc.staff_answered,
        "created": doc.created,
        "votes": doc.votes,
    }


class TableWriter:
    """Applies documents to the backend's tables inside the writer's transaction."""

    def __init__(self, conn: Connection, documents: str, words: str):
        self._conn, self._documents, self._words = conn, documents, words

    def update(self, document: ThreadDocument) -> None:
        row = row_of(document)
        # The row's old spelling words come back from the same statement that replaces it.
        old = self._conn.execute(
            text(
                f"WITH old AS (SELECT spell_words FROM {self._documents} WHERE thread_id = :thread_id), "
                f"new AS ({upsert_sql(self._documents)}) SELECT spell_words FROM old"
            ),
            row,
        ).scalar()
        new = set(row["spell_words"])
        self._count_words(added=new - set(old or ()), removed=set(old or ()) - new)

    def remove(self, thread_id: int) -> None:
        old = self._conn.execute(
            text(f"DELETE FROM {self._documents} WHERE thread_id = :id RETURNING spell_words"), {"id": thread_id}
        ).scalar()
        if old:
            self._count_words(added=set(), removed=set(old))

    def _count_words(self, added: set[str], removed: set[str]) -> None:
        """Keep each spelling word's count of live threads, so removed content is never suggested."""
        if removed:
            params = {"words": sorted(removed)}
            self._conn.execute(
                text(f"UPDATE {self._words} SET documents = documents - 1 WHERE word = ANY(:words)"), params
            )
            self._conn.execute(
                text(f"DELETE FROM {self._words} WHERE word = ANY(:words) AND documents <= 0"), params
            )
        if added:
            self._conn.execute(
                text(
                    f"INSERT INTO {self._words} (word, documents) SELECT unnest(CAST(:words AS text[])), 1 "
                    f"ON CONFLICT (word) DO UPDATE SET documents = {self._words}.documents + 1"
                ),
                {"words": sorted(added)},
            )
