"""Test data built through the real services, so every row obeys the same rules as production."""

import itertools

from community import accounts, categories, threads
from community.models import Role

_counter = itertools.count(1)
PASSWORD = "correct-horse-9"


def make_user(db, username: str | None = None, role: Role | str = Role.MEMBER, password: str = PASSWORD):
    n = next(_counter)
    username = username or f"user{n}"
    return accounts.register(
        db, username, f"{username.lower()}@example.com", password, Role(role), allow_reserved=True
    )


def make_category(db, name: str | None = None, slug: str | None = None):
    n = next(_counter)
    name = name or f"Category {n}"
    return categories.create_category(db, None, name=name, slug=slug or f"category-{n}", description=f"About {name}")


def make_thread(db, author=None, category=None, title: str | None = None, body: str = "Details of the problem here.", tags=""):
    author = author or make_user(db)
    category = category or make_category(db)
    title = title or f"Question number {next(_counter)} about the thermostat"
    return threads.ask(db, author, title=title, body=body, category_id=category.id, tags=tags)


def make_answer(db, thread, author=None, body: str = "Try turning it off and on again."):
    return threads.answer(db, author or make_user(db), thread, body=body)
