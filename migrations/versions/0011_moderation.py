"""moderation: suspensions, hidden posts, flags and pinned threads

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: users and posts are big tables that batch mode would rebuild on SQLite.
    op.add_column('users', sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('suspended_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('suspension_reason', sa.String(length=500), nullable=True))
    op.add_column('threads', sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('threads', sa.Column('hidden_reason', sa.String(length=200), nullable=True))
    op.add_column('threads', sa.Column('pinned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('posts', sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('posts', sa.Column('hidden_by_id', sa.Integer(), nullable=True))
    op.add_column('posts', sa.Column('hidden_reason', sa.String(length=200), nullable=True))

    op.create_table('post_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('flagger_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name=op.f('ck_post_flags_status_is_known')),
    sa.ForeignKeyConstraint(['flagger_id'], ['users.id'], name=op.f('fk_post_flags_flagger_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_flags_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_post_flags_resolved_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_flags'))
    )
    op.create_index(op.f('ix_post_flags_flagger_id'), 'post_flags', ['flagger_id'], unique=False)
    op.create_index(op.f('ix_post_flags_post_id'), 'post_flags', ['post_id'], unique=False)
    op.create_index(op.f('ix_post_flags_status'), 'post_flags', ['status'], unique=False)
    op.create_index('uq_post_flags_open', 'post_flags', ['post_id', 'flagger_id'], unique=True,
                    sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_table('post_flags')
    op.drop_column('posts', 'hidden_reason')
    op.drop_column('posts', 'hidden_by_id')
    op.drop_column('posts', 'hidden_at')
    op.drop_column('threads', 'pinned_at')
    op.drop_column('threads', 'hidden_reason')
    op.drop_column('threads', 'hidden_at')
    op.drop_column('users', 'suspension_reason')
    op.drop_column('users', 'suspended_until')
    op.drop_column('users', 'suspended_at')
