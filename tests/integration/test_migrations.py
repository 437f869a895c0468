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
