"""Search speed on a synthetic community: indexing rate, query latency, commit-to-searchable."""

import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from community import threads
from community.db import make_engine, make_session_factory
from community.models import Thread, User
from migrations import upgrade_database
from search import indexer
from search.backend import SearchRequest
from search.service import run_search, similar_threads
from search.whoosh_backend import WhooshBackend
from tests.bench.synthetic import generate


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _queries(text, rng: random.Random, count: int) -> list[SearchRequest]:
    """Mixed queries: 1-4 words of varied frequency, some phrases, filters and other sort orders."""
    mid = text.words[20:2000]
    out = []
    for n in range(count):
        words = rng.sample(mid, rng.choice((1, 2, 2, 3, 3, 4)))
        query = " ".join(words)
        if n % 10 == 0 and len(words) > 1:
            query = f'"{words[0]} {words[1]}"'
        out.append(
            SearchRequest(
                text=query,
                category_id=rng.randint(1, 8) if n % 5 == 0 else None,
                status=("solved", "unsolved", "unanswered")[n % 3] if n % 7 == 0 else None,
                sort="newest" if n % 9 == 0 else "votes" if n % 11 == 0 else "relevance",
                page=2 if n % 13 == 0 else 1,
            )
        )
    return out


def run(threads_count: int = 20_000, posts_count: int = 100_000, queries: int = 500, workdir: Path | None = None) -> dict:
    """Figures for search; the database and index are left in `workdir` (a new temporary
    folder when not given) for the HTTP load run to serve."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="hearth-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    with factory() as session:
        data = generate(session, threads=threads_count, posts=posts_count)
    print(
        f"generated {data['threads']} threads, {data['posts']} posts, {data['users']} members, "
        f"{data['votes']} votes, {data['accepted']} accepted answers in {time.perf_counter() - started:.1f} s"
    )

    backend = WhooshBackend(workdir / "index")
    started = time.perf_counter()
    indexer.reindex(factory, backend)
    reindex_seconds = time.perf_counter() - started
    print(f"reindexed in {reindex_seconds:.1f} s")

    rng = random.Random(11)
    requests = _queries(data["text"], rng, queries)
    latencies = []
    with factory() as session:
        for request in requests[:20]:
            run_search(session, backend, request)  # warm the searcher and caches
        for request in requests:
            t0 = time.perf_counter()
            run_search(session, backend, request)
            latencies.append((time.perf_counter() - t0) * 1000)
            session.expunge_all()
        titles = list(session.scalars(select(Thread.title).order_by(Thread.id).limit(200)))
        similar_ms = []
        for title in titles:
            words = title.split()
            typed = " ".join(rng.sample(words, max(2, len(words) - 2)))
            t0 = time.perf_counter()
            similar_threads(session, backend, typed)
            similar_ms.append((time.perf_counter() - t0) * 1000)
            session.expunge_all()

    background = indexer.BackgroundIndexer(factory, backend, interval=1.0)
    visible_ms = []
    with factory() as session:
        author = session.scalar(select(User).limit(1))
        target = session.get(Thread, 1)
        for n in range(20):
            token = f"zqx{n}marker"
            threads.answer(session, author, target, body=f"Fresh answer mentioning {token} once.")
            session.commit()
            t0 = time.perf_counter()
            background.kick()  # what the app's after-commit hook does
            while not backend.search(SearchRequest(text=token)).thread_ids:
                time.sleep(0.005)
            visible_ms.append((time.perf_counter() - t0) * 1000)
    backend.close()
    engine.dispose()
    return {
        "search_p50_ms": round(percentile(latencies, 50), 1),
        "search_p95_ms": round(percentile(latencies, 95), 1),
        "search_p99_ms": round(percentile(latencies, 99), 1),
        "similar_p95_ms": round(percentile(similar_ms, 95), 1),
        "reindex_posts_per_s": round(data["posts"] / reindex_seconds),
        "reindex_threads_per_s": round(data["threads"] / reindex_seconds),
        "commit_to_searchable_ms": round(statistics.median(visible_ms), 1),
        "commit_to_searchable_p95_ms": round(percentile(visible_ms, 95), 1),
    }


if __name__ == "__main__":
    print(run())
