"""Alembic migrations; `upgrade_database()` builds or updates the schema on SQLite and PostgreSQL."""

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent
# Made by migration 0005 on PostgreSQL only, for search/postgres_backend.py; no model describes
# them, so comparing the schema with the models (autogenerate, tests) leaves them out.
SEARCH_BACKEND_TABLES = frozenset({"search_documents", "search_words"})


def include_name(name: str | None, type_: str, _parent_names) -> bool:
    """For Alembic's `include_name`: everything but the search backend's own tables."""
    return not (type_ == "table" and name in SEARCH_BACKEND_TABLES)


def alembic_config(database_url: str) -> Config:
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
