"""Who helped whom: accepted answers, people helped and the readers their solutions reached.

An accepted answer counts here when it is not the asker's own, neither it nor its thread is
deleted, and its accept is not held for a staff check. Badges, profiles and leaderboards all
read this one definition.
"""

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from community.models import Category, Post, Thread, visible_post, visible_thread


def accepted_answers(user_ids: set[int] | None = None) -> Select:
    """One row per accepted answer: post, answerer, thread, asker, category and timings."""
    query = (
        select(
            Post.id.label("post_id"),
            Post.author_id.label("user_id"),
            Post.created_at.label("answered_at"),
            Thread.id.label("thread_id"),
            Thread.author_id.label("asker_id"),
            Thread.category_id.label("category_id"),
            Thread.created_at.label("asked_at"),
            Thread.accepted_at.label("accepted_at"),
            Thread.accepted_by_asker.label("by_asker"),
            Thread.view_count.label("views"),
            Thread.accepted_view_count.label("views_at_accept"),
        )
        .join(Thread, Thread.accepted_post_id == Post.id)
        .where(
            visible_post(),
            visible_thread(),
            Thread.accept_held.is_(False),
            Post.author_id != Thread.author_id,
        )
    )
    if user_ids is not None:
        query = query.where(Post.author_id.in_(sorted(user_ids)))
    return query


@dataclass
class Impact:
    accepted: int
    people_helped: int
    people_reached: int


def impact_of(session, user_id: int) -> Impact:
    rows = accepted_answers({user_id}).subquery()
    accepted, helped, reached = session.execute(
        select(
            func.count(),
            func.count(func.distinct(rows.c.asker_id)),
            func.coalesce(func.sum(rows.c.views - rows.c.views_at_accept), 0),
        ).select_from(rows)
    ).one()
    return Impact(accepted, helped, max(0, reached))


@dataclass
class CategoryHelp:
    category: Category
    answers: int
    accepted: int


def categories_helped(session, user_id: int, limit: int = 8) -> list[CategoryHelp]:
    """The categories a member answers in, most accepted answers first."""
    answered = (
        select(Thread.category_id, func.count().label("answers"))
        .join(Post, Post.thread_id == Thread.id)
        .where(
            Post.author_id == user_id,
            Post.is_question.is_(False),
            visible_post(),
            visible_thread(),
        )
        .group_by(Thread.category_id)
        .subquery()
    )
    accepted_rows = accepted_answers({user_id}).subquery()
    accepted = (
        select(accepted_rows.c.category_id, func.count().label("accepted"))
        .group_by(accepted_rows.c.category_id)
        .subquery()
    )
    rows = session.execute(
        select(Category, answered.c.answers, func.coalesce(accepted.c.accepted, 0))
        .join(answered, answered.c.category_id == Category.id)
        .outerjoin(accepted, accepted.c.category_id == Category.id)
        .order_by(func.coalesce(accepted.c.accepted, 0).desc(), answered.c.answers.desc(), Category.name)
        .limit(limit)
    )
    return [CategoryHelp(category, answers, accepted) for category, answers, accepted in rows]
