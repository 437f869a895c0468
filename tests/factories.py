"""Test data built through the real services, so every row obeys the same rules as production."""

import itertools

from sqlalchemy import func, select

from community import accounts, categories, threads
from community.models import Role

_counter = itertools.count(1)
PASSWORD = "correct-horse-9"


def make_user(
    db,
    username: str | None = None,
    role: Role | str = Role.MEMBER,
    password: str = PASSWORD,
    reputation: int = 1,
    verified: bool = True,
):
    """A new account (its address checked unless `verified` is False); `reputation` above 1 is
    granted through the ledger like any adjustment."""
    n = next(_counter)
    username = username or f"user{n}"
    user = accounts.register(
        db, username, f"{username.lower()}@example.com", password, Role(role), allow_reserved=True, verified=verified
    )
    if reputation > 1:
        give_reputation(db, user, reputation)
    return user


def give_reputation(db, user, total: int):
    """Bring a member's reputation to `total` with a ledger adjustment."""
    from community import reputation as ledger

    db.refresh(user)
    ledger.grant(db, user, total - user.reputation, "test set-up")
    db.refresh(user)
    return user


VOTER_REPUTATION = 200  # enough to vote both ways
TAGGER_REPUTATION = 300  # enough to create tags


def make_category(db, name: str | None = None, slug: str | None = None):
    n = next(_counter)
    name = name or f"Category {n}"
    return categories.create_category(db, None, name=name, slug=slug or f"category-{n}", description=f"About {name}")


def make_thread(db, author=None, category=None, title: str | None = None, body: str = "Details of the question here.", tags=""):
    # Creating a new tag is a privilege: a default asker who tags holds it.
    author = author or make_user(db, reputation=TAGGER_REPUTATION if tags else 1)
    category = category or make_category(db)
    title = title or f"Question number {next(_counter)} about the thermostat"
    return threads.ask(db, author, title=title, body=body, category_id=category.id, tags=tags)


def make_answer(db, thread, author=None, body: str | None = None):
    # Numbered, so one new member's answers never look like a repeated post to the spam hold.
    body = body or f"Try turning it off and on again (tip {next(_counter)})."
    return threads.answer(db, author or make_user(db), thread, body=body)


def add_votes(db, post, count: int, value: int = 1):
    """Have `count` new members vote on `post`; returns the voters."""
    from community import voting

    voters = [make_user(db, reputation=VOTER_REPUTATION) for _ in range(count)]
    for voter in voters:
        voting.cast_vote(db, voter, post, value)
    return voters


def set_thread_times(db, thread, *, created_at=None, last_activity_at=None):
    """Move a thread in time, so list ordering does not depend on how fast a test runs."""
    from sqlalchemy import update

    from community.models import Thread

    values = {}
    if created_at is not None:
        values["created_at"] = created_at
    if last_activity_at is not None:
        values["last_activity_at"] = last_activity_at
    db.execute(update(Thread).where(Thread.id == thread.id).values(**values))
    db.flush()


def count_rows(db, model) -> int:
    """How many rows a table holds, read from the database (autoflushes pending objects first)."""
    return db.scalar(select(func.count()).select_from(model))
