"""`make bench`: search speed on a synthetic community, relevance on real text, and the HTTP
load on the synthetic community's pages under gunicorn against a bare-Flask ceiling (wrk).

The last line printed is one JSON object with every figure. BENCH_THREADS (20,000) sets the
community's size, BENCH_LOAD_SECONDS (10) the length of each load run, and BENCH_KEEP=1 keeps
the generated database and index (their folder is printed) instead of deleting them."""

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from community.db import make_engine, make_session_factory
from migrations import upgrade_database
from search import indexer
from search.whoosh_backend import WhooshBackend
from tests.bench import load as load_bench
from tests.bench import relevance, search_bench
from tests.bench.stackexchange import load

DUMP = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "stackexchange-history"


def relevance_figures() -> dict:
    if not (DUMP / "Posts.xml").exists():
        print(f"relevance: {DUMP} not found, skipped")
        return {}
    workdir = Path(tempfile.mkdtemp(prefix="hearth-relevance-"))
    url = f"sqlite:///{workdir / 'relevance.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        thread_of = load(session, DUMP)
    backend = WhooshBackend(workdir / "index")
    indexer.reindex(factory, backend)
    figures = {}
    for words in (2, 4):
        ours = relevance.evaluate(backend, DUMP, thread_of, words)
        plain = relevance.evaluate_plain_whoosh(factory, DUMP, thread_of, words)
        print(f"relevance, {words}-word queries ({ours['queries']}): ours {ours}, plain Whoosh {plain}")
        figures |= {
            f"mrr10_{words}w": ours["mrr10"],
            f"recall5_{words}w": ours["recall5"],
            f"plain_whoosh_mrr10_{words}w": plain["mrr10"],
            f"plain_whoosh_recall5_{words}w": plain["recall5"],
        }
    backend.close()
    engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
    return figures


def main() -> None:
    started = time.time()
    size = int(os.environ.get("BENCH_THREADS", 20_000))
    figures = relevance_figures()
    workdir = Path(tempfile.mkdtemp(prefix="hearth-bench-"))
    try:
        figures |= search_bench.run(threads_count=size, posts_count=size * 5, workdir=workdir)
        figures |= load_bench.run(workdir)
    finally:
        if os.environ.get("BENCH_KEEP") == "1":
            print(f"bench: the generated database and index are kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"bench finished in {time.time() - started:.0f} s", file=sys.stderr)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
