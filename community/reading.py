"""What readers see: thread lists with filters and sorting, and a thread page in reading order."""

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from community import badges, permissions
from community.errors import ValidationError
from community.models import HELD_FOR_REVIEW, Category, Follow, Post, PostComment, Thread, User, visible_post, visible_thread
from community.pagination import Page, paginate
from community.rules import Privilege
from community.voting import votes_by


class ListFilter(StrEnum):
    ALL = "all"
    UNANSWERED = "unanswered"
    UNSOLVED = "unsolved"
    SOLVED = "solved"


class ListSort(StrEnum):
    NEWEST = "newest"
    ACTIVE = "active"
    VOTES = "votes"


def parse_list_options(filter_value: str | None, sort_value: str | None) -> tuple[ListFilter, ListSort]:
    try:
        list_filter = ListFilter(filter_value or ListFilter.ALL.value)
        sort = ListSort(sort_value or ListSort.ACTIVE.value)
    except ValueError:
        raise ValidationError("Unknown filter or sort order.") from None
    return list_filter, sort


def _with_list_relations(query: Select) -> Select:
    return query.options(
        joinedload(Thread.author), joinedload(Thread.category), joinedload(Thread.accepted_by)
    )


def thread_list_query(
    viewer: User | None,
    *,
    category: Category | None = None,
    list_filter: ListFilter = ListFilter.ALL,
    sort: ListSort = ListSort.ACTIVE,
) -> Select:
    query = _with_list_relations(select(Thread))
    if not permissions.is_staff(viewer):
        query = query.where(visible_thread())
    if category is not None:
        query = query.where(Thread.category_id == category.id)
    if list_filter is ListFilter.UNANSWERED:
        query = query.where(Thread.answer_count == 0)
    elif list_filter is ListFilter.UNSOLVED:
        query = query.where(Thread.accepted_post_id.is_(None))
    elif list_filter is ListFilter.SOLVED:
        query = query.where(Thread.accepted_post_id.is_not(None))
    order = {
        ListSort.NEWEST: (Thread.created_at.desc(),),
        ListSort.ACTIVE: (Thread.last_activity_at.desc(),),
        ListSort.VOTES: (Thread.score.desc(), Thread.last_activity_at.desc()),
    }[sort]
    return query.order_by(*order, Thread.id.desc())


def list_threads(session: Session, viewer: User | None, *, page: int = 1, per_page: int = 20, **options) -> Page:
    """A page of threads; in a category, pinned ones are left out here and listed by pinned_threads."""
    query = thread_list_query(viewer, **options)
    if options.get("category") is not None:
        # A separate filter rather than a leading sort key: the list keeps reading the
        # (category, activity) index in order instead of sorting the whole category.
        query = query.where(Thread.pinned_at.is_(None))
    return paginate(session, query, page, per_page)


def pinned_threads(session: Session, viewer: User | None, **options) -> list[Thread]:
    """The category's pinned threads that match the list's filter, most recently pinned first."""
    query = thread_list_query(viewer, **options).where(Thread.pinned_at.is_not(None))
    return list(session.scalars(query.order_by(None).order_by(Thread.pinned_at.desc(), Thread.id.desc())))


def followed_threads(session: Session, user: User, viewer: User | None, page: int, per_page: int) -> Page:
    query = (
        _with_list_relations(select(Thread))
        .join(Follow, Follow.thread_id == Thread.id)
        .where(Follow.user_id == user.id)
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    )
    if not permissions.is_staff(viewer):
        query = query.where(visible_thread())
    return paginate(session, query, page, per_page)


def asked_by(session: Session, user: User, viewer: User | None, page: int, per_page: int) -> Page:
    query = _with_list_relations(select(Thread)).where(Thread.author_id == user.id)
    if not permissions.is_staff(viewer):
        query = query.where(visible_thread())
    return paginate(session, query.order_by(Thread.created_at.desc(), Thread.id.desc()), page, per_page)


def answers_by(session: Session, user: User, viewer: User | None, page: int, per_page: int) -> Page:
    query = (
        select(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .options(joinedload(Post.thread))
        .where(Post.author_id == user.id, Post.is_question.is_(False))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    if not permissions.is_staff(viewer):
        query = query.where(visible_post(), visible_thread())
    return paginate(session, query, page, per_page)


@dataclass
class ThreadPage:
    """A thread as one reader sees it, with what that reader may do to each post."""

    thread: Thread
    question: Post
    accepted: Post | None
    answers: Page
    my_votes: dict[int, int]
    outscored_by: Post | None
    following: bool
    can_answer: bool
    can_accept: bool
    can_lock: bool
    can_hide: bool = False
    editable: set[int] = field(default_factory=set)
    deletable: set[int] = field(default_factory=set)
    restorable: set[int] = field(default_factory=set)
    votable: set[int] = field(default_factory=set)
    flaggable: set[int] = field(default_factory=set)
    can_vote_up: bool = False
    can_vote_down: bool = False
    # Gold / silver / bronze badge counts of every author on the page, for the bylines.
    author_badges: dict[int, dict[str, int]] = field(default_factory=dict)
    # Remarks under each post shown, oldest first.
    comments: dict[int, list[PostComment]] = field(default_factory=dict)
    # The question this thread was closed as a duplicate of, when it is visible.
    duplicate_of: Thread | None = None

    def posts(self) -> list[Post]:
        head = [self.question] + ([self.accepted] if self.accepted else [])
        return head + list(self.answers.items)


def _answers_query(thread: Thread, viewer: User | None, entity=Post) -> Select:
    query = select(entity).where(Post.thread_id == thread.id, Post.is_question.is_(False))
    if entity is Post:
        query = query.options(joinedload(Post.author))
    if thread.accepted_post_id is not None:
        query = query.where(Post.id != thread.accepted_post_id)
    if not permissions.is_staff(viewer):
        shown = visible_post()
        if permissions.is_signed_in(viewer):
            # The author's own answer waiting for review, so they can see it was kept.
            shown = or_(
                shown,
                and_(Post.deleted_at.is_(None), Post.author_id == viewer.id, Post.hidden_reason == HELD_FOR_REVIEW),
            )
        query = query.where(shown)
    return query.order_by(Post.score.desc(), Post.created_at, Post.id)


def outscoring_answer(session: Session, thread: Thread, accepted: Post | None, margin: int) -> Post | None:
    """The best other answer when it leads the accepted one by at least `margin` points."""
    if accepted is None:
        return None
    best = session.scalar(
        select(Post)
        .where(
            Post.thread_id == thread.id,
            Post.is_question.is_(False),
            visible_post(),
            Post.id != accepted.id,
        )
        .order_by(Post.score.desc(), Post.created_at)
        .limit(1)
    )
    if best is not None and best.score >= accepted.score + margin:
        return best
    return None


def thread_page(
    session: Session,
    thread: Thread,
    viewer: User | None,
    *,
    page: int = 1,
    per_page: int = 30,
    outscored_margin: int = 5,
) -> ThreadPage:
    thread = session.scalars(
        select(Thread)
        .options(joinedload(Thread.author), joinedload(Thread.category), joinedload(Thread.accepted_by))
        .where(Thread.id == thread.id)
        .execution_options(populate_existing=True)
    ).one()
    question = session.scalars(
        select(Post)
        .options(joinedload(Post.author))
        .where(Post.thread_id == thread.id, Post.is_question.is_(True))
    ).one()
    accepted = None
    if thread.accepted_post_id is not None:
        accepted = session.scalars(
            select(Post).options(joinedload(Post.author)).where(Post.id == thread.accepted_post_id)
        ).one_or_none()
    answers = paginate(session, _answers_query(thread, viewer), page, per_page)

    view = ThreadPage(
        thread=thread,
        question=question,
        accepted=accepted,
        answers=answers,
        my_votes={},
        outscored_by=outscoring_answer(session, thread, accepted, outscored_margin),
        following=permissions.is_signed_in(viewer)
        and session.get(Follow, (viewer.id, thread.id)) is not None,
        can_answer=permissions.can_answer(viewer, thread),
        can_accept=permissions.can_accept(viewer, thread),
        can_lock=permissions.can_lock(viewer),
        can_hide=permissions.can_hide(viewer),
    )
    posts = view.posts()
    view.my_votes = votes_by(session, viewer, [p.id for p in posts])
    for post in posts:
        if permissions.can_edit(viewer, post, thread):
            view.editable.add(post.id)
        if permissions.can_delete(viewer, post, thread):
            view.deletable.add(post.id)
        if permissions.can_restore(viewer, post):
            view.restorable.add(post.id)
        if permissions.can_vote(viewer, post, thread):
            view.votable.add(post.id)
        if permissions.can_flag(viewer, post):
            view.flaggable.add(post.id)
    view.can_vote_up = permissions.has_privilege(viewer, Privilege.VOTE_UP)
    view.can_vote_down = permissions.has_privilege(viewer, Privilege.VOTE_DOWN)
    view.author_badges = badges.tier_counts(session, {p.author_id for p in posts})
    view.comments = comments_on(session, [p.id for p in posts])
    if thread.duplicate_of_id is not None:
        original = session.get(Thread, thread.duplicate_of_id)
        view.duplicate_of = original if original and permissions.can_see_thread(viewer, original) else None
    return view


def comments_on(session: Session, post_ids: list[int]) -> dict[int, list[PostComment]]:
    found: dict[int, list[PostComment]] = {}
    if post_ids:
        for comment in session.scalars(
            select(PostComment)
            .options(joinedload(PostComment.author))
            .where(PostComment.post_id.in_(post_ids))
            .order_by(PostComment.created_at, PostComment.id)
        ):
            found.setdefault(comment.post_id, []).append(comment)
    return found


def answer_page_of(session: Session, thread: Thread, post: Post, viewer: User | None, per_page: int) -> int:
    """Which page of the thread shows this answer (the accepted one is always on page 1)."""
    if post.is_question or post.id == thread.accepted_post_id:
        return 1
    ids = list(session.scalars(_answers_query(thread, viewer, entity=Post.id)))
    try:
        return ids.index(post.id) // per_page + 1
    except ValueError:
        return 1


def site_counts(session: Session) -> dict[str, int]:
    row = session.execute(
        select(
            func.count(),
            func.sum(case((Thread.accepted_post_id.is_not(None), 1), else_=0)),
            func.sum(case((Thread.answer_count == 0, 1), else_=0)),
        ).where(visible_thread())
    ).one()
    return {"threads": row[0] or 0, "solved": row[1] or 0, "unanswered": row[2] or 0}


def member_stats(session: Session, user: User) -> dict[str, int]:
    """Counts shown on a profile: questions, answers, accepted answers, followed threads."""
    visible_posts = select(func.count()).select_from(Post).join(Thread, Thread.id == Post.thread_id).where(
        Post.author_id == user.id, visible_post(), visible_thread()
    )
    return {
        "questions": session.scalar(visible_posts.where(Post.is_question.is_(True))) or 0,
        "answers": session.scalar(visible_posts.where(Post.is_question.is_(False))) or 0,
        "accepted": session.scalar(visible_posts.where(Thread.accepted_post_id == Post.id)) or 0,
        # Deleted threads are left out, as in the public "following" list.
        "following": session.scalar(
            select(func.count())
            .select_from(Follow)
            .join(Thread, Thread.id == Follow.thread_id)
            .where(Follow.user_id == user.id, visible_thread())
        )
        or 0,
    }


def recent_posts(session: Session, user: User, viewer: User | None, page: int, per_page: int) -> Page:
    """A member's questions and answers, newest first: their recent activity."""
    query = (
        select(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .options(joinedload(Post.thread))
        .where(Post.author_id == user.id)
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    if not permissions.is_staff(viewer):
        query = query.where(visible_post(), visible_thread())
    return paginate(session, query, page, per_page)


def accepted_by(session: Session, user: User, viewer: User | None, page: int, per_page: int) -> Page:
    """A member's accepted answers, most recently accepted first."""
    query = (
        select(Post)
        .join(Thread, Thread.accepted_post_id == Post.id)
        .options(joinedload(Post.thread))
        .where(Post.author_id == user.id, visible_post(), visible_thread())
        .order_by(Thread.accepted_at.desc(), Post.id.desc())
    )
    return paginate(session, query, page, per_page)
