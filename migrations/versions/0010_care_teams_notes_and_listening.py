"""care teams notes canned responses and listening

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('canned_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body_md', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_canned_responses_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_responses')),
    sa.UniqueConstraint('title', name=op.f('uq_canned_responses_title'))
    )
    op.create_table('team_categories',
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_team_categories_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_categories_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('category_id', name=op.f('pk_team_categories'))
    )
    with op.batch_alter_table('team_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_categories_team_id'), ['team_id'], unique=False)

    op.create_table('team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('watchlists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('keywords', sa.Text(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_watchlists_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_watchlists_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watchlists')),
    sa.UniqueConstraint('name', name=op.f('uq_watchlists_name'))
    )
    op.create_table('staff_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_staff_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_staff_notes_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_notes'))
    )
    with op.batch_alter_table('staff_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_notes_thread_id'), ['thread_id'], unique=False)

    op.create_table('thread_care',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_by_id', sa.Integer(), nullable=True),
    sa.Column('ticket_ref', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_thread_care_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['escalated_by_id'], ['users.id'], name=op.f('fk_thread_care_escalated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_thread_care_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_thread_care_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', name=op.f('pk_thread_care'))
    )
    with op.batch_alter_table('thread_care', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_care_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_thread_care_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_thread_care_team_id'), ['team_id'], unique=False)

    op.create_table('watch_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('watchlist_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('keyword', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_watch_matches_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['watchlist_id'], ['watchlists.id'], name=op.f('fk_watch_matches_watchlist_id_watchlists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_matches')),
    sa.UniqueConstraint('watchlist_id', 'post_id', name=op.f('uq_watch_matches_watchlist_id_post_id'))
    )
    with op.batch_alter_table('watch_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watch_matches_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_watch_matches_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_watch_matches_watchlist_id'), ['watchlist_id'], unique=False)

    # Plain ADD COLUMN: batch mode would rebuild the posts table on SQLite.
    op.add_column('posts', sa.Column('sentiment', sa.Float(), nullable=True))
    op.add_column('posts', sa.Column('tone', sa.String(length=8), nullable=True))

def downgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('tone')
        batch_op.drop_column('sentiment')

    with op.batch_alter_table('watch_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watch_matches_watchlist_id'))
        batch_op.drop_index(batch_op.f('ix_watch_matches_post_id'))
        batch_op.drop_index(batch_op.f('ix_watch_matches_created_at'))

    op.drop_table('watch_matches')
    with op.batch_alter_table('thread_care', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_care_team_id'))
        batch_op.drop_index(batch_op.f('ix_thread_care_state'))
        batch_op.drop_index(batch_op.f('ix_thread_care_assignee_id'))

    op.drop_table('thread_care')
    with op.batch_alter_table('staff_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_notes_thread_id'))

    op.drop_table('staff_notes')
    op.drop_table('watchlists')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_user_id'))

    op.drop_table('team_members')
    with op.batch_alter_table('team_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_categories_team_id'))

    op.drop_table('team_categories')
    op.drop_table('canned_responses')
    op.drop_table('teams')
