"""search outbox failures: attempts and the last error of rows the index could not take yet

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: no batch mode, so SQLite does not rebuild the table.
    op.add_column('search_outbox', sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('search_outbox', sa.Column('last_error', sa.String(length=300), nullable=True))
    op.add_column('search_outbox', sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')
