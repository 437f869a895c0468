"""search outbox ids are never handed out twice on SQLite

Without AUTOINCREMENT, SQLite gives a new row the highest id in the table plus one: once the
drainers have emptied the outbox, the next change gets an id that a drainer still working may
hold, and its DELETE by id would remove the new row before it was applied.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL's sequences never hand out an id twice: only SQLite's table is rebuilt.
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("search_outbox", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("search_outbox", recreate="always", table_kwargs={"sqlite_autoincrement": False}):
        pass
