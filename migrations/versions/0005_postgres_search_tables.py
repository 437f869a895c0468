"""PostgreSQL full-text search tables (nothing to do on SQLite)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

The tables belong to search/postgres_backend.py, not to the models: they exist only on
PostgreSQL, so the model comparison leaves them out (migrations.SEARCH_BACKEND_TABLES).
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite deployments search with Whoosh
    op.execute(
        """
        CREATE TABLE search_documents (
            thread_id integer NOT NULL,
            version varchar(16) NOT NULL,
            title text NOT NULL,
            vector tsvector NOT NULL,
            spell_words text[] NOT NULL,
            tags text[] NOT NULL,
            category_id integer NOT NULL,
            solved boolean NOT NULL,
            answered boolean NOT NULL,
            staff_answered boolean NOT NULL,
            created timestamptz NOT NULL,
            votes integer NOT NULL,
            CONSTRAINT pk_search_documents PRIMARY KEY (thread_id)
        )
        """
    )
    op.execute("CREATE INDEX ix_search_documents_vector ON search_documents USING gin (vector)")
    # Filter-only listings are newest first.
    op.execute("CREATE INDEX ix_search_documents_created ON search_documents (created)")
    # Words of live threads' titles and questions, for "did you mean".
    op.execute(
        """
        CREATE TABLE search_words (
            word text NOT NULL,
            documents integer NOT NULL,
            CONSTRAINT pk_search_words PRIMARY KEY (word)
        )
        """
    )
    # pg_trgm finds close spellings quickly. Creating it needs a privilege some hosts withhold:
    # then the migration still succeeds and the site simply offers no "did you mean".
    op.execute(
        """
        DO $$
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'pg_trgm is not available (%): no spelling suggestions', SQLERRM;
        END
        $$
        """
    )
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                CREATE INDEX ix_search_words_trigrams ON search_words USING gin (word gin_trgm_ops);
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS search_words")
    op.execute("DROP TABLE IF EXISTS search_documents")
