"""A deterministic synthetic community written straight into the database, for benchmarks."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from community.models import Category, Post, Role, SearchOutbox, Thread, User, Vote
from community.rules import current as current_rules

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
        # The same draws as `weights=` (random.choices accumulates them itself), without redoing it per call.
        self.cum_weights = list(accumulate(self.weights))

    def words_(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum_weights, k=count)

    def sentence(self, low: int, high: int) -> str:
        return " ".join(self.words_(self.rng.randint(low, high)))


def _vote_rows(rng: random.Random, posts: list[dict], users: int) -> list[dict]:
    """One vote row per point of each post's score (up for positive, down for negative), from
    distinct members other than the author, so the votes table agrees with the scores."""
    rows = []
    for post in posts:
        count = abs(post["score"])
        if not count:
            continue
        voters = [v for v in rng.sample(range(1, users + 1), count + 1) if v != post["author_id"]][:count]
        value = 1 if post["score"] > 0 else -1
        for voter in voters:
            when = post["created_at"] + timedelta(minutes=rng.randint(5, 60 * 24 * 30))
            rows.append(
                {"user_id": voter, "post_id": post["id"], "value": value, "created_at": when, "voted_at": when}
            )
    return rows


def _reputation(posts: list[dict], votes: list[dict], accepted: dict[int, int], askers: dict[int, int]) -> dict[int, int]:
    """Members' totals as the default rules would award them for these votes and accepts."""
    rules = current_rules()
    by_id = {p["id"]: p for p in posts}
    points: Counter[int] = Counter()
    for vote in votes:
        post = by_id[vote["post_id"]]
        if vote["value"] > 0:
            points[post["author_id"]] += rules.question_upvoted if post["is_question"] else rules.answer_upvoted
        else:
            points[post["author_id"]] += rules.downvoted
            points[vote["user_id"]] += rules.downvote_cost
    for tid, pid in accepted.items():
        answerer, asker = by_id[pid]["author_id"], askers[tid]
        if answerer != asker:
            points[answerer] += rules.answer_accepted
            points[asker] += rules.accepted_by_asker
    return {user: max(rules.floor, 1 + total) for user, total in points.items()}


def _insert(session: Session, model, rows: list[dict], chunk: int = 10_000) -> None:
    """Core executemany inserts (the ORM's bulk path costs several times more per row)."""
    for start in range(0, len(rows), chunk):
        session.execute(insert(model.__table__), rows[start : start + chunk])


def generate(session: Session, threads: int = 20_000, posts: int = 100_000, users: int = 5_000, seed: int = 7) -> dict:
    """Fill an empty database; returns counts. Every point of a post's score is a vote row;
    accepted answers are marked as accepted by the asker; members' reputation follows from both."""
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
    # A separate generator, so the text and posts stay the same as before votes were added.
    vote_rows = _vote_rows(random.Random(seed + 1), post_rows, users)
    askers = {row["id"]: row["author_id"] for row in thread_rows}
    reputation = _reputation(post_rows, vote_rows, accepted, askers)
    _insert(session, Thread, thread_rows, 5000)
    _insert(session, Post, post_rows)
    _insert(session, Vote, vote_rows, 20_000)
    created_of = {row["id"]: row["created_at"] for row in post_rows if row["id"] in set(accepted.values())}
    for tid, pid in accepted.items():
        session.execute(
            Thread.__table__.update()
            .where(Thread.__table__.c.id == tid)
            .values(accepted_post_id=pid, accepted_by_id=askers[tid], accepted_at=created_of[pid] + timedelta(hours=2))
        )
    session.execute(update(User), [{"id": user, "reputation": total} for user, total in sorted(reputation.items())])
    session.commit()
    return {
        "threads": threads, "posts": len(post_rows), "users": users, "votes": len(vote_rows),
        "accepted": len(accepted), "text": maker,
    }


def thread_with_answers(session: Session, answers: int = 20, seed: int = 7, exclude: tuple[int, ...] = (1,)) -> int:
    """A solved thread with exactly `answers` answers: the busiest thread that has at most that
    many is topped up (deterministically). Its search document is queued in the outbox; returns its id."""
    thread = session.scalar(
        select(Thread)
        .where(
            Thread.id.not_in(exclude), Thread.answer_count <= answers, Thread.accepted_post_id.is_not(None),
            Thread.deleted_at.is_(None),
        )
        .order_by(Thread.answer_count.desc(), Thread.id)
        .limit(1)
    )
    present = session.scalar(
        select(func.count()).where(Post.thread_id == thread.id, Post.is_question.is_(False), Post.deleted_at.is_(None))
    )
    if present == answers:
        return thread.id
    maker = TextMaker(seed + 2)
    rng = maker.rng
    users = session.scalar(select(func.count()).select_from(User))
    next_id = (session.scalar(select(func.max(Post.id))) or 0) + 1
    rows = []
    for n in range(answers - present):
        author = rng.randint(1, users)
        text = maker.sentence(15, 80)
        rows.append(
            {
                "id": next_id + n, "thread_id": thread.id, "author_id": author, "is_question": False,
                "is_official": author % 250 == 0, "body_md": text, "body_html": f"<p>{text}</p>",
                "score": rng.randint(-2, 15), "edit_count": 0,
                "created_at": thread.last_activity_at + timedelta(hours=n + 1),
            }
        )
    _insert(session, Post, rows)
    _insert(session, Vote, _vote_rows(rng, rows, users))
    session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(answer_count=answers, last_activity_at=rows[-1]["created_at"])
    )
    session.add(SearchOutbox(thread_id=thread.id))
    session.commit()
    return thread.id
