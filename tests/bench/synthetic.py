"""A deterministic synthetic community written straight into the database, for benchmarks."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from community.models import Category, Post, Role, Thread, User

PRODUCT_WORDS = (
    "thermostat sensor wifi router firmware battery schedule heating cooling furnace boiler heat pump "
    "app account login password refund invoice subscription billing charge display screen wiring wire "
    "error code offline pairing bluetooth update install mount bracket humidity temperature fan mode "
    "eco away vacation geofence api token integration alexa voice calendar energy report history"
).split()


def _vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    words = set(PRODUCT_WORDS)
    while len(words) < size:
        length = rng.randint(2, 4)
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(length)))
    return sorted(words)


class TextMaker:
    """Zipf-like word frequencies, so some words are common and most are rare, as in real text."""

    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.words = _vocabulary(self.rng)
        self.rng.shuffle(self.words)
        self.weights = [1 / (rank + 1) ** 1.05 for rank in range(len(self.words))]

    def words_(self, count: int) -> list[str]:
        return self.rng.choices(self.words, weights=self.weights, k=count)

    def sentence(self, low: int, high: int) -> str:
        return " ".join(self.words_(self.rng.randint(low, high)))


def generate(session: Session, threads: int = 20_000, posts: int = 100_000, users: int = 5_000, seed: int = 7) -> dict:
    """Fill an empty database; returns counts. Votes and accepted answers are set as numbers."""
    maker = TextMaker(seed)
    rng = maker.rng
    now = datetime.now(UTC)
    session.execute(
        insert(User),
        [
            {
                "username": f"member{n}", "email": f"member{n}@example.com", "password_hash": "!",
                "role": Role.STAFF.value if n % 250 == 0 else Role.MEMBER.value, "display_name": "",
                "bio": "", "location": "", "website": "", "session_token": f"t{n}", "created_at": now,
            }
            for n in range(1, users + 1)
        ],
    )
    session.execute(
        insert(Category),
        [{"name": f"Topic {n}", "slug": f"topic-{n}", "description": "", "position": n, "created_at": now} for n in range(1, 9)],
    )
    answers_total = posts - threads
    per_thread = [0] * threads
    for _ in range(answers_total):
        per_thread[rng.randrange(threads)] += 1
    thread_rows, post_rows = [], []
    post_id = 0
    accepted = {}
    for tid in range(1, threads + 1):
        created = now - timedelta(minutes=rng.randint(60, 60 * 24 * 700))
        author = rng.randint(1, users)
        post_id += 1
        body = maker.sentence(20, 90)
        post_rows.append(
            {
                "id": post_id, "thread_id": tid, "author_id": author, "is_question": True, "is_official": False,
                "body_md": body, "body_html": f"<p>{body}</p>", "score": rng.randint(-1, 12), "edit_count": 0,
                "created_at": created,
            }
        )
        answer_ids = []
        for n in range(per_thread[tid - 1]):
            post_id += 1
            answer_author = rng.randint(1, users)
            text = maker.sentence(15, 80)
            post_rows.append(
                {
                    "id": post_id, "thread_id": tid, "author_id": answer_author,
                    "is_question": False, "is_official": answer_author % 250 == 0, "body_md": text,
                    "body_html": f"<p>{text}</p>", "score": rng.randint(-2, 15), "edit_count": 0,
                    "created_at": created + timedelta(hours=n + 1),
                }
            )
            answer_ids.append(post_id)
        if answer_ids and rng.random() < 0.45:
            accepted[tid] = rng.choice(answer_ids)
        thread_rows.append(
            {
                "id": tid, "category_id": rng.randint(1, 8), "author_id": author,
                "title": maker.sentence(5, 11).capitalize(), "slug": f"thread-{tid}", "created_at": created,
                "last_activity_at": created + timedelta(hours=len(answer_ids)), "answer_count": len(answer_ids),
                "score": post_rows[-1 - len(answer_ids)]["score"], "is_locked": False, "accepted_by_asker": True,
            }
        )
    for start in range(0, len(thread_rows), 5000):
        session.execute(insert(Thread), thread_rows[start : start + 5000])
    for start in range(0, len(post_rows), 10000):
        session.execute(insert(Post), post_rows[start : start + 10000])
    for tid, pid in accepted.items():
        session.execute(
            Thread.__table__.update().where(Thread.__table__.c.id == tid).values(accepted_post_id=pid)
        )
    session.commit()
    return {"threads": threads, "posts": len(post_rows), "users": users, "text": maker}
