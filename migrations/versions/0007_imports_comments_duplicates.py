"""imports, comments and duplicate links

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=40), nullable=False),
    sa.Column('local_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_records')),
    sa.UniqueConstraint('source', 'kind', 'external_id', name=op.f('uq_import_records_source_kind_external_id'))
    )
    op.create_table('post_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_post_comments_author_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_comments_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_comments'))
    )
    with op.batch_alter_table('post_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_comments_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_comments_post_id'), ['post_id'], unique=False)

    # Plain added columns: SQLite adds them in place. (A new foreign key would rebuild the table,
    # and dropping the old one with foreign keys on would cascade into its posts.)
    op.add_column('threads', sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
    op.add_column('threads', sa.Column('source_site', sa.String(length=120), nullable=True))
    op.add_column('threads', sa.Column('source_id', sa.String(length=40), nullable=True))

    op.add_column('users', sa.Column('placeholder_source', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('placeholder_source')

    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_column('source_id')
        batch_op.drop_column('source_site')
        batch_op.drop_column('duplicate_of_id')

    op.drop_table('post_comments')
    op.drop_table('import_records')
