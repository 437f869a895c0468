"""site settings: site-wide switches such as webhook deliveries paused after a restore

Revision ID: 0014_site_settings
Revises: 0013
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = '0014_site_settings'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('site_settings',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_site_settings'))
    )


def downgrade() -> None:
    op.drop_table('site_settings')
