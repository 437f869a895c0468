"""reputation ledger and badges

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('badge_awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('badge', sa.String(length=40), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('awarded_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['awarded_by_id'], ['users.id'], name=op.f('fk_badge_awards_awarded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_badge_awards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_awards')),
    sa.UniqueConstraint('user_id', 'badge', 'item_id', name=op.f('uq_badge_awards_user_id_badge_item_id'))
    )
    with op.batch_alter_table('badge_awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_awards_awarded_at'), ['awarded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_awards_badge'), ['badge'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_awards_user_id'), ['user_id'], unique=False)

    op.create_table('reputation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('award_key', sa.String(length=80), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('capped', sa.Boolean(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_reputation_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_reputation_events_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_reputation_events_thread_id_threads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reputation_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reputation_events')),
    sa.UniqueConstraint('award_key', 'sequence', name=op.f('uq_reputation_events_award_key_sequence'))
    )
    with op.batch_alter_table('reputation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reputation_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reputation_events_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reputation_events_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reputation_events_user_id'), ['user_id'], unique=False)

    # Existing rows get their starting values from server defaults, which are then dropped:
    # the application always writes these columns itself.
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accept_held', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('view_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('accepted_view_count', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('threads', schema=None) as batch_op:
        for column in ('accept_held', 'view_count', 'accepted_view_count'):
            batch_op.alter_column(column, server_default=None)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reputation', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('reputation', server_default=None)

    # A withdrawn vote now keeps its row with value 0.
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_votes_value_is_up_or_down'), type_='check')
        batch_op.create_check_constraint('value_is_up_down_or_withdrawn', 'value IN (-1, 0, 1)')
        batch_op.add_column(sa.Column('voted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('counted', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('void_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_votes_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_votes_user_id'), ['user_id'], unique=False)
    op.execute("UPDATE votes SET voted_at = created_at")
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.alter_column('voted_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('counted', server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM votes WHERE value = 0")
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_votes_value_is_up_down_or_withdrawn'), type_='check')
        batch_op.create_check_constraint('value_is_up_or_down', 'value IN (-1, 1)')
        batch_op.drop_index(batch_op.f('ix_votes_user_id'))
        batch_op.drop_index(batch_op.f('ix_votes_created_at'))
        batch_op.drop_column('voided_at')
        batch_op.drop_column('void_reason')
        batch_op.drop_column('counted')
        batch_op.drop_column('voted_at')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('reputation')

    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_column('accepted_view_count')
        batch_op.drop_column('view_count')
        batch_op.drop_column('accept_held')

    with op.batch_alter_table('reputation_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reputation_events_user_id'))
        batch_op.drop_index(batch_op.f('ix_reputation_events_thread_id'))
        batch_op.drop_index(batch_op.f('ix_reputation_events_post_id'))
        batch_op.drop_index(batch_op.f('ix_reputation_events_created_at'))

    op.drop_table('reputation_events')
    with op.batch_alter_table('badge_awards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_awards_user_id'))
        batch_op.drop_index(batch_op.f('ix_badge_awards_badge'))
        batch_op.drop_index(batch_op.f('ix_badge_awards_awarded_at'))

    op.drop_table('badge_awards')
