"""Typed SQLAlchemy models: people, categories, threads, posts and what hangs off them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import Base, UTCDateTime, intpk, timestamp, utcnow


class Role(enum.StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    MODERATOR = "moderator"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(30), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(100), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    # Bumped when the password changes so other sessions and remember cookies stop working.
    session_token: Mapped[str] = mapped_column(String(64))
    # Cached sum of the reputation ledger (plus the starting 1); `flask reputation recompute` rebuilds it.
    reputation: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[timestamp]
    # Set on accounts made by an import for the authors of another site: no password, an
    # unreachable address; the person can claim the account later.
    placeholder_source: Mapped[str | None] = mapped_column(String(120))
    # When the member proved the address is theirs; until then posts may hold no links and no
    # notification is sent there by email.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A suspension: set while one was imposed; no end date means permanent. It ends by time
    # alone (compared with now), so nothing has to run when it runs out.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspension_reason: Mapped[str | None] = mapped_column(String(500))

    # The attributes a sign-in session library expects of a user object.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF.value, Role.MODERATOR.value, Role.ADMIN.value)

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def is_suspended(self) -> bool:
        if self.suspended_at is None:
            return False
        return self.suspended_until is None or self.suspended_until > utcnow()

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[timestamp]


thread_tags = Table(
    "thread_tags",
    Base.metadata,
    Column("thread_id", ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(30), unique=True)


class Thread(Base):
    __tablename__ = "threads"
    # A category's list, most recently active first, reads this index instead of sorting.
    __table_args__ = (Index("ix_threads_category_activity", "category_id", "last_activity_at"),)

    id: Mapped[intpk]
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[timestamp] = mapped_column(index=True)
    last_activity_at: Mapped[timestamp] = mapped_column(index=True)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int] = mapped_column(Integer, default=0)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # One accepted answer per thread: a single column cannot hold two.
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL")
    )
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_by_asker: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An accept that looks like collusion marks the thread solved but earns nothing until staff approve.
    accept_held: Mapped[bool] = mapped_column(Boolean, default=False)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    # Views at the moment of acceptance: "people reached" counts the views a solution received since.
    accepted_view_count: Mapped[int] = mapped_column(Integer, default=0)
    # Counts every change a reader of the thread page would see, so a cached page is renewed.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The question this one repeats: its page sends readers there. A plain id (threads are never
    # removed, only marked deleted): a foreign key would make SQLite rebuild this table to add it.
    duplicate_of_id: Mapped[int | None] = mapped_column(Integer)
    # Set while the question is hidden (as deleted_at follows a deleted question): lists filter
    # on the thread row alone instead of joining its question.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(String(200))
    # Pinned by a moderator: listed above the other threads of its category.
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where an imported thread came from (a site name and its id there), credited on the page.
    source_site: Mapped[str | None] = mapped_column(String(120))
    source_id: Mapped[str | None] = mapped_column(String(40))

    category: Mapped[Category] = relationship(lazy="raise_on_sql")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise_on_sql")
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id], lazy="raise_on_sql")
    tags: Mapped[list[Tag]] = relationship(
        secondary=thread_tags, order_by=Tag.name, lazy="selectin"
    )

    @property
    def is_solved(self) -> bool:
        return self.accepted_post_id is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_pinned(self) -> bool:
        return self.pinned_at is not None


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (CheckConstraint("edit_count >= 0", name="edit_count_not_negative"),)

    id: Mapped[intpk]
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_question: Mapped[bool] = mapped_column(Boolean, default=False)
    # Snapshot of the author's role when posting: an official reply stays official.
    is_official: Mapped[bool] = mapped_column(Boolean, default=False)
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer, default=0)
    edit_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[timestamp]
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Tone when saved: a compound score from -1 to 1 and its label (positive, neutral, negative).
    sentiment: Mapped[float | None] = mapped_column(Float)
    tone: Mapped[str | None] = mapped_column(String(8))
    # Hidden by a moderator (or by flags, or held as likely spam): kept, but shown to staff only.
    # A plain id like Thread.duplicate_of_id: a foreign key would make SQLite rebuild this table.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(Integer)
    hidden_reason: Mapped[str | None] = mapped_column(String(200))

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id], lazy="raise_on_sql")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise_on_sql")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


# The hidden_reason of a post saved but kept back as likely spam until a moderator publishes it.
HELD_FOR_REVIEW = "held for review"


# What members and visitors may see, as SQL conditions (staff see everything).
def visible_thread():
    return and_(Thread.deleted_at.is_(None), Thread.hidden_at.is_(None))


def visible_post():
    return and_(Post.deleted_at.is_(None), Post.hidden_at.is_(None))


class PostComment(Base):
    """A short remark under a post (imported from sites that have them)."""

    __tablename__ = "post_comments"

    id: Mapped[intpk]
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[timestamp]

    author: Mapped[User] = relationship(lazy="raise_on_sql")


class ImportRecord(Base):
    """What a row of an imported dump became here: re-running an import skips what it finds."""

    __tablename__ = "import_records"
    __table_args__ = (UniqueConstraint("source", "kind", "external_id"),)

    id: Mapped[intpk]
    source: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(40))
    local_id: Mapped[int] = mapped_column(Integer)


class PostRevision(Base):
    """One saved version of a post; revision 1 is the original text."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[intpk]
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[str | None] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[timestamp]

    editor: Mapped[User] = relationship(lazy="raise_on_sql")


class Vote(Base):
    """A member's vote on a post. A withdrawn vote keeps its row (value 0) so the daily
    vote allowance cannot be reset by withdrawing; a voided vote no longer counts."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("user_id", "post_id"),
        CheckConstraint("value IN (-1, 0, 1)", name="value_is_up_down_or_withdrawn"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[timestamp] = mapped_column(index=True)
    # When the value last changed: the change window runs from here.
    voted_at: Mapped[timestamp]
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    void_reason: Mapped[str | None] = mapped_column(String(40))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReputationEvent(Base):
    """One append-only line of the reputation ledger.

    Rows sharing an `award_key` alternate award, reversal, award...; (award_key, sequence) is
    unique, so the same award can never be written twice, even by two racing workers."""

    __tablename__ = "reputation_events"
    __table_args__ = (UniqueConstraint("award_key", "sequence"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    award_key: Mapped[str] = mapped_column(String(80))
    sequence: Mapped[int] = mapped_column(Integer)
    # Counts toward the daily cap on points from votes.
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[timestamp] = mapped_column(index=True)

    thread: Mapped[Thread | None] = relationship(lazy="raise_on_sql")


class BadgeAward(Base):
    """A badge held by a member: once per badge, or once per post for badges earned per post."""

    __tablename__ = "badge_awards"
    __table_args__ = (UniqueConstraint("user_id", "badge", "item_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    badge: Mapped[str] = mapped_column(String(40), index=True)
    # The post or thread a per-item badge was earned on; 0 for once-only badges.
    item_id: Mapped[int] = mapped_column(Integer, default=0)
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    awarded_at: Mapped[timestamp] = mapped_column(index=True)


class Follow(Base):
    __tablename__ = "follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[timestamp]


class SearchOutbox(Base):
    """Threads whose search document must be rebuilt, written in the same transaction as the change."""

    __tablename__ = "search_outbox"
    # Drainers delete the rows they applied by id: an id must never be handed out twice, which
    # SQLite does without AUTOINCREMENT once the table is empty (PostgreSQL's sequences never do).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[intpk]
    thread_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[timestamp]
    # Failed attempts to apply the row to the index, and why the last one failed: staff are
    # shown how far behind the index is and why (the indexer retries on its own).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(300))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SearchQuery(Base):
    """One search as typed, kept without who asked it, for content-gap analytics."""

    __tablename__ = "search_queries"

    id: Mapped[intpk]
    query: Mapped[str] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(16), default="search")
    results: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[timestamp] = mapped_column(index=True)


class SearchClick(Base):
    """A search result that was opened, and at which position."""

    __tablename__ = "search_clicks"

    id: Mapped[intpk]
    query_id: Mapped[int] = mapped_column(ForeignKey("search_queries.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[timestamp]


class DeflectionView(Base):
    """A visitor who searched opened a solved thread; it counts as a question avoided unless the
    same visitor asks a question within the next 30 minutes."""

    __tablename__ = "deflection_views"
    __table_args__ = (UniqueConstraint("visitor_key", "thread_id"),)

    id: Mapped[intpk]
    visitor_key: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    answer_author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[timestamp] = mapped_column(index=True)
    asked_after_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInThrottle(Base):
    """Failed sign-ins for one typed login from one address: slows, then locks, that pair only.

    Keyed by what was typed, not by account, so the answer is the same whether or not the
    account exists."""

    __tablename__ = "sign_in_throttles"
    __table_args__ = (UniqueConstraint("login_key", "address"),)

    id: Mapped[intpk]
    login_key: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[timestamp] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookEndpoint(Base):
    """An address outside the site that receives signed JSON events, registered by an admin."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[intpk]
    url: Mapped[str] = mapped_column(String(500))
    # Signs every request to this endpoint; shown to the admin once, when the endpoint is made.
    secret: Mapped[str] = mapped_column(String(64))
    # The subscribed event names, comma-separated.
    events: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[timestamp]

    @property
    def event_names(self) -> list[str]:
        return [name for name in self.events.split(",") if name]


class WebhookDelivery(Base):
    """One event for one endpoint, written in the event's transaction and sent after its commit.

    `payload` is the exact body sent on every attempt; `delivery_id` goes with it so a
    receiver can drop a delivery it has already handled."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status_is_known"),
    )

    id: Mapped[intpk]
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a pending delivery is due; a sender that claims it moves this forward by a lease.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_response_excerpt: Mapped[str] = mapped_column(String(500), default="")
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[timestamp]
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="raise_on_sql")


class AuditEntry(Base):
    """One staff or moderator action: who did what to which target, with the state before and after."""

    __tablename__ = "audit_entries"

    id: Mapped[intpk]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[str] = mapped_column(Text, default="")  # JSON
    after: Mapped[str] = mapped_column(Text, default="")  # JSON
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[timestamp] = mapped_column(index=True)

    actor: Mapped[User | None] = relationship(lazy="raise_on_sql")

    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_id"),)


class Notification(Base):
    """Something a member should know about: a reply, an accept, a mention, a badge, a flag decision."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient_unread", "recipient_id", "read_at"),)

    id: Mapped[intpk]
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[timestamp] = mapped_column(index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise_on_sql")
    thread: Mapped[Thread | None] = relationship(lazy="raise_on_sql")


# --- Care: teams, assignment, staff notes, canned responses, listening -----------------------


class Team(Base):
    """A group of staff; the categories it covers route their threads to it."""

    __tablename__ = "teams"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(60), unique=True)
    created_at: Mapped[timestamp]


class TeamCategory(Base):
    """Which team answers a category (at most one team per category)."""

    __tablename__ = "team_categories"

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class CareState(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    WAITING = "waiting"  # on the customer
    RESOLVED = "resolved"


class ThreadCare(Base):
    """Staff-side state of a thread; no row means new and unassigned. Changes go to the audit log."""

    __tablename__ = "thread_care"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(12), default=CareState.NEW.value, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The external ticket's reference, shown to staff on the thread.
    ticket_ref: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[timestamp]


class StaffNote(Base):
    """A private note on a thread: never shown to members, indexed, or sent in a public webhook."""

    __tablename__ = "staff_notes"

    id: Mapped[intpk]
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[timestamp]

    author: Mapped[User | None] = relationship(lazy="raise_on_sql")


class CannedResponse(Base):
    """A reply staff insert into the answer box and then edit."""

    __tablename__ = "canned_responses"

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(String(100), unique=True)
    body_md: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]


class Watchlist(Base):
    """Keywords staff listen for (brand, products, competitors, "refund"); matches feed the listening page."""

    __tablename__ = "watchlists"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(60), unique=True)
    keywords: Mapped[str] = mapped_column(Text)  # one per line
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]


class WatchMatch(Base):
    __tablename__ = "watch_matches"
    __table_args__ = (UniqueConstraint("watchlist_id", "post_id"),)

    id: Mapped[intpk]
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    keyword: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[timestamp] = mapped_column(index=True)


# --- Mail: account tokens, email preferences, the outgoing queue --------------------------------


class AccountToken(Base):
    """A single-use link sent by email (password reset, address check); only its SHA-256 is kept."""

    __tablename__ = "account_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the link was sent to: a link for an old address proves nothing about a new one.
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[timestamp]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PendingSignup(Base):
    """A sign-up waiting for its emailed link. The account is made only when the link is
    followed, so the form answers alike whether or not the address has an account, and the
    username stays free meanwhile. Only the SHA-256 of the link's token is kept."""

    __tablename__ = "pending_signups"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Where to go after joining: a path on this site, checked again when it is used.
    next_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[timestamp]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class EmailOptOut(Base):
    """A kind of notification this member does not want by email (in-app is always on)."""

    __tablename__ = "email_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)


class MailMessage(Base):
    """An email queued in the transaction of what caused it, sent after the commit.

    A notification's email is written from the notification when it is sent; account emails
    carry their text, which is blanked once sent (it holds a one-time link)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[intpk]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[timestamp]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
# --- Moderation: flags ------------------------------------------------------------------------


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    OFF_TOPIC = "off_topic"
    NEEDS_STAFF = "needs_staff"


class FlagStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class PostFlag(Base):
    """A member's report that a post needs a moderator; decided flags stay as the record."""

    __tablename__ = "post_flags"
    __table_args__ = (
        # One open flag per member per post; once decided, the member may flag it again.
        Index(
            "uq_post_flags_open",
            "post_id",
            "flagger_id",
            unique=True,
            sqlite_where=sql_text("status = 'open'"),
            postgresql_where=sql_text("status = 'open'"),
        ),
        CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name="status_is_known"),
    )

    id: Mapped[intpk]
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    flagger_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default=FlagStatus.OPEN.value, index=True)
    created_at: Mapped[timestamp]
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    flagger: Mapped[User] = relationship(foreign_keys=[flagger_id], lazy="raise_on_sql")


class ApiToken(Base):
    """A personal access token for the REST API; only its SHA-256 is kept, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so a member can tell tokens apart without the secret.
    prefix: Mapped[str] = mapped_column(String(12))
    scopes: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[timestamp]
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="raise_on_sql")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class SiteSetting(Base):
    """A site-wide switch kept in the database, so every worker (and a restored copy) reads the same."""

    __tablename__ = "site_settings"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[timestamp]
