"""The schema the migrations build is the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from community import models  # noqa: F401 - registers every table on Base.metadata
from community.db import Base


def _diff(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": True},
        )
        return compare_metadata(context, Base.metadata)


def test_migrations_match_the_models(engine):
    diff = _diff(engine)
    assert diff == [], "\n".join(str(d) for d in diff)


def test_every_model_table_is_created_by_the_migrations(engine):
    from sqlalchemy import inspect

    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
