"""Alembic environment: runs migrations on the database the app is configured for."""

from alembic import context

from community import models  # noqa: F401 - registers every table on Base.metadata
from community.db import Base, make_engine
from migrations import include_name

config = context.config


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return url
    from config import config_from_env

    return config_from_env().DATABASE_URL


def run_migrations() -> None:
    engine = make_engine(_database_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
