"""The schema the migrations build is the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from community import models  # noqa: F401 - registers every table on Base.metadata
from community.db import Base
from migrations import SEARCH_BACKEND_TABLES, include_name


def _diff(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": True, "include_name": include_name},
        )
        return compare_metadata(context, Base.metadata)


def test_migrations_match_the_models(engine):
    diff = _diff(engine)
    assert diff == [], "\n".join(str(d) for d in diff)


def test_every_model_table_is_created_by_the_migrations(engine):
    from sqlalchemy import inspect

    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables - SEARCH_BACKEND_TABLES == set(Base.metadata.tables)


def test_the_postgres_search_tables_exist_only_on_postgres(engine):
    from sqlalchemy import inspect

    tables = set(inspect(engine).get_table_names())
    expected = SEARCH_BACKEND_TABLES if engine.dialect.name == "postgresql" else set()
    assert tables & SEARCH_BACKEND_TABLES == expected


def test_upgrading_a_populated_sqlite_database_keeps_every_row(tmp_path):
    """A migration that rebuilt a table on SQLite would drop the old one first, and with foreign
    keys on that cascades into every row that points at it: upgrades must keep all content."""
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, Table, func, select

    from community.db import make_engine
    from migrations import upgrade_database

    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade_database(url, "0005")
    engine = make_engine(url)
    tables = MetaData()
    users, categories, threads, posts = (
        Table(name, tables, autoload_with=engine) for name in ("users", "categories", "threads", "posts")
    )
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(users.insert().values(id=1, username="ana", email="ana@example.com", password_hash="x",
                                           role="member", display_name="", bio="", location="", website="",
                                           session_token="t", reputation=1, created_at=now))
        conn.execute(categories.insert().values(id=1, name="Help", slug="help", description="", position=0, created_at=now))
        for n in range(1, 4):
            conn.execute(threads.insert().values(id=n, category_id=1, author_id=1, title=f"Question {n}", slug="q",
                                                 created_at=now, last_activity_at=now, answer_count=1, score=0,
                                                 is_locked=False, accepted_by_asker=False, accept_held=False,
                                                 view_count=0, accepted_view_count=0))
            for question in (True, False):
                conn.execute(posts.insert().values(thread_id=n, author_id=1, is_question=question, is_official=False,
                                                   body_md="text", body_html="<p>text</p>", score=0, edit_count=0,
                                                   created_at=now))
    engine.dispose()

    upgrade_database(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(threads)) == 3
        assert conn.scalar(select(func.count()).select_from(posts)) == 6
    engine.dispose()
