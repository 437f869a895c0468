"""search analytics and deflection

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "search_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_queries")),
    )
    with op.batch_alter_table("search_queries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_queries_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_queries_query"), ["query"], unique=False)

    op.create_table(
        "deflection_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visitor_key", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("answer_author_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_after_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_author_id"],
            ["users.id"],
            name=op.f("fk_deflection_views_answer_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_deflection_views_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["threads.id"],
            name=op.f("fk_deflection_views_thread_id_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deflection_views")),
        sa.UniqueConstraint(
            "visitor_key", "thread_id", name=op.f("uq_deflection_views_visitor_key_thread_id")
        ),
    )
    with op.batch_alter_table("deflection_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deflection_views_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deflection_views_opened_at"), ["opened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deflection_views_thread_id"), ["thread_id"], unique=False)

    op.create_table(
        "search_clicks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["query_id"],
            ["search_queries.id"],
            name=op.f("fk_search_clicks_query_id_search_queries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_search_clicks_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_clicks")),
    )
    with op.batch_alter_table("search_clicks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_clicks_query_id"), ["query_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_clicks_thread_id"), ["thread_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("search_clicks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_clicks_thread_id"))
        batch_op.drop_index(batch_op.f("ix_search_clicks_query_id"))

    op.drop_table("search_clicks")
    with op.batch_alter_table("deflection_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deflection_views_thread_id"))
        batch_op.drop_index(batch_op.f("ix_deflection_views_opened_at"))
        batch_op.drop_index(batch_op.f("ix_deflection_views_category_id"))

    op.drop_table("deflection_views")
    with op.batch_alter_table("search_queries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_queries_query"))
        batch_op.drop_index(batch_op.f("ix_search_queries_created_at"))

    op.drop_table("search_queries")
