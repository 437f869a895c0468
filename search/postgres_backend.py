"""The PostgreSQL backend: one row per thread in the application's own database, so every app
server searches (and indexes into) the same place. Words are analysed in Python as for Whoosh
(search.postgres_text); PostgreSQL matches them through a GIN index, filters, ranks with
ts_rank_cd and pages. The tables come from migration 0005 (PostgreSQL only)."""

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from itertools import combinations

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from whoosh.index import LockError

from search import highlighting
from search import postgres_text as pgtext
from search.analysis import clean_query, plain_analyzer
from search.backend import BackendResult, SearchRequest, batched
from search.documents import ThreadDocument
from search.postgres_writer import TableWriter, row_of, upsert_sql

# What ts_rank_cd gives each weight label, in its {D, C, B, A} order: Whoosh's weights for
# answers, accepted answers and tags, the question and the title, scaled to its 0..1 range.
RANK_WEIGHTS = "{0.115, 0.46, 0.92, 1.0}"
# ts_rank_cd normalisation: divide by 1 + log(length), so long threads do not win by size alone.
RANK_NORMALISATION = 1
# The same thresholds as the Whoosh backend's (see whoosh_backend.py for why).
RELAXED_POOL = 100
SIMILAR_SCORE_FLOOR = 0.45
SIMILAR_MAX_WORDS = 6
SIMILAR_COMMON_SHARE = 0.03
SIMILAR_POOL = 30
# First key of the advisory lock that makes a writer exclusive (the second is the table's hash).
LOCK_NAMESPACE = 48_271
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")
_ORDER = {
    "relevance": "rank DESC, created DESC, thread_id DESC",
    "newest": "created DESC, thread_id DESC",
    "votes": "votes DESC, created DESC, thread_id DESC",
}


class PostgresBackend:
    def __init__(self, engine: Engine, prefix: str = "search", writer_timeout: float = 30.0):
        if engine.dialect.name != "postgresql":
            raise ValueError(f"The PostgreSQL search backend needs a PostgreSQL database, not {engine.dialect.name}.")
        if not _NAME.fullmatch(prefix):
            raise ValueError(f"Not a usable table prefix: {prefix!r}")
        self.engine = engine
        # Tests give each backend its own copy of the tables; the site uses search_documents/search_words.
        self.documents, self.words = f"{prefix}_documents", f"{prefix}_words"
        self.writer_timeout = writer_timeout
        self._plain = plain_analyzer()
        self._trigrams: bool | None = None

    def close(self) -> None:
        """Nothing to release: connections go back to the application's pool after each call."""

    # -- reading ----------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> BackendResult:
        typed = pgtext.text_query(request.text)
        where, params = _filters(request)
        with self.engine.connect() as conn:
            suggestion = self._suggest(conn, request.text) if typed.clauses else None
            found = BackendResult(thread_ids=[], total=0, terms=typed.terms, suggestion=suggestion)
            if not typed.clauses:
                if where:  # filters alone list threads, newest first unless sorted by votes
                    sort = "votes" if request.sort == "votes" else "newest"
                    found.thread_ids, found.total = self._page(conn, None, where, params, request, sort)
                return found
            sort = request.sort if request.sort in _ORDER else "relevance"
            # Threads with every word first; when none has them all, threads with most of them.
            found.thread_ids, found.total = self._page(conn, pgtext.all_of(typed.clauses), where, params, request, sort)
            if found.total or len(typed.clauses) == 1:
                return found
            if typed.has_phrase:
                relaxed = pgtext.any_of(typed.clauses)
            else:
                relaxed = self._relaxed_query(conn, typed.clauses, where, params)
            pool = max(request.page * request.per_page, RELAXED_POOL)
            found.thread_ids, found.total = self._page(conn, relaxed, where, params, request, sort, pool)
            found.partial = bool(found.thread_ids)
            found.total_exact = found.total < pool
            return found

    def _page(self, conn, tsquery, where, params, request, sort, pool=None) -> tuple[list[int], int]:
        """One page of matching threads in `sort` order and how many match (of the best `pool`)."""
        conditions = list(where)
        rank = "0"
        if tsquery is not None:
            conditions.append("vector @@ CAST(:tsquery AS tsquery)")
            rank = f"ts_rank_cd('{RANK_WEIGHTS}', vector, CAST(:tsquery AS tsquery), {RANK_NORMALISATION})"
        best = f"ORDER BY {_ORDER['relevance']} LIMIT :pool" if pool else ""
        # The hits are materialised once, to count them and to cut the page from them.
        sql = (
            f"WITH hits AS (SELECT thread_id, created, votes, {rank} AS rank FROM {self.documents} "
            f"WHERE {' AND '.join(conditions)} {best}) "
            f"SELECT (SELECT count(*) FROM hits), "
            f"ARRAY(SELECT thread_id FROM hits ORDER BY {_ORDER[sort]} LIMIT :limit OFFSET :offset)"
        )
        total, ids = conn.execute(
            text(sql),
            {
                **params,
                "tsquery": tsquery,
                "pool": pool,
                "limit": request.per_page,
                "offset": (request.page - 1) * request.per_page,
            },
        ).one()
        return list(ids), total

    def _relaxed_query(self, conn, clauses: list[str], where, params) -> str:
        """When no thread has every word: threads with all words but one, else those with the
        rarest word (a word no thread has is not the rarest, just absent)."""
        if len(clauses) > 2:
            all_but_one = pgtext.any_of([pgtext.all_of(list(s)) for s in combinations(clauses, len(clauses) - 1)])
            if self._exists(conn, all_but_one, where, params):
                return all_but_one
        counts = self._frequencies(conn, clauses)
        return min(clauses, key=lambda c: counts[c] or float("inf"))

    def _exists(self, conn, tsquery: str, where=(), params=None) -> bool:
        conditions = ["vector @@ CAST(:tsquery AS tsquery)", *where]
        sql = f"SELECT EXISTS (SELECT 1 FROM {self.documents} WHERE {' AND '.join(conditions)})"
        return bool(conn.execute(text(sql), {**(params or {}), "tsquery": tsquery}).scalar())

    def _frequencies(self, conn, tsqueries: list[str], cap: int | None = None) -> dict[str, int]:
        """How many threads match each tsquery (counting stops at `cap`), in one statement."""
        sql = (
            f"SELECT q.i, (SELECT count(*) FROM (SELECT 1 FROM {self.documents} "
            f"WHERE vector @@ CAST(q.tsquery AS tsquery) LIMIT :cap) AS hit) "
            "FROM unnest(CAST(:tsqueries AS text[])) WITH ORDINALITY AS q(tsquery, i)"
        )
        rows = conn.execute(text(sql), {"tsqueries": tsqueries, "cap": cap}).all()
        return {tsqueries[i - 1]: count for i, count in rows}

    def similar(self, title: str, limit: int = 5) -> BackendResult:
        """Threads whose titles share most of the distinctive words of this one."""
        typed = pgtext.stems(clean_query(title))
        if not typed:
            return BackendResult(thread_ids=[], total=0)
        # A look-alike shares at least two of the typed words (or the only one typed).
        needed = min(len(typed), max(2, round(min(len(typed), SIMILAR_MAX_WORDS) * 0.4)))
        with self.engine.connect() as conn:
            # The rarest words say most about the problem; words in most titles say nothing.
            common = int(max(50, self._thread_count(conn) * SIMILAR_COMMON_SHARE))
            counts = self._frequencies(conn, [pgtext.in_title([s]) for s in typed], cap=common + 1)
            frequency = {s: counts[pgtext.in_title([s])] for s in typed}
            stems = sorted((s for s in typed if 0 < frequency[s] <= common), key=frequency.get)[:SIMILAR_MAX_WORDS]
            if not stems or len(stems) < needed:
                return BackendResult(thread_ids=[], total=0, terms=stems)
            rows = conn.execute(
                text(
                    f"SELECT thread_id, title, ts_rank('{{0, 0, 0, 1}}', vector, CAST(:q AS tsquery)) AS score "
                    f"FROM {self.documents} WHERE vector @@ CAST(:q AS tsquery) "
                    "ORDER BY score DESC, created DESC, thread_id DESC LIMIT :pool"
                ),
                {"q": pgtext.in_title(stems), "pool": SIMILAR_POOL},
            ).all()
        wanted = set(stems)
        hits = [row for row in rows if len(wanted.intersection(pgtext.stems(row.title))) >= needed][:limit]
        if not hits:
            return BackendResult(thread_ids=[], total=0, terms=stems)
        floor = hits[0].score * SIMILAR_SCORE_FLOOR
        ids = [row.thread_id for row in hits if row.score >= floor]
        return BackendResult(thread_ids=ids, total=len(ids), terms=stems)

    def _thread_count(self, conn) -> int:
        """The planner's estimate (exact enough for a share, and free); counted while never analysed."""
        estimate = conn.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:table)"), {"table": self.documents}
        ).scalar()
        if estimate is not None and estimate >= 0:
            return int(estimate)
        return conn.execute(text(f"SELECT count(*) FROM {self.documents}")).scalar()

    # -- did you mean ---------------------------------------------------------------------------
    def _suggest(self, conn, typed: str) -> str | None:
        """Replace words no thread has by close words that live threads have (pg_trgm finds
        candidates; without that extension there is no suggestion)."""
        typed_words = dict.fromkeys(t.text for t in self._plain(clean_query(typed)))
        # Each word with the tsquery of its forms; one with no form (a stop word) is never corrected.
        words = {w: " | ".join(map(pgtext.quote, pgtext.stems(w))) for w in typed_words}
        words = {w: forms for w, forms in words.items() if forms}
        if not words or not self._has_trigrams(conn):
            return None
        # A word (or another form of it) found anywhere in a thread needs no correction.
        found = self._frequencies(conn, list(dict.fromkeys(words.values())), cap=1)
        replacements = {}
        for word, forms in words.items():
            if found[forms]:
                continue
            candidate = self._closest_word(conn, word)
            if candidate:
                replacements[word] = candidate
        if not replacements:
            return None
        out = clean_query(typed)
        for word, candidate in replacements.items():
            out = re.sub(rf"(?i)\b{re.escape(word)}\b", candidate, out)
        corrected = pgtext.text_query(out)
        if not corrected.clauses or not self._exists(conn, pgtext.any_of(corrected.clauses)):
            return None
        return out

    def _closest_word(self, conn, word: str) -> str | None:
        """The indexed word nearest to `word` within 1 edit (2 for longer words), the commonest on a tie."""
        maxdist = 1 if len(word) <= 5 else 2
        rows = conn.execute(
            text(
                f"SELECT word, documents FROM {self.words} WHERE word % :word "
                "ORDER BY similarity(word, :word) DESC, word LIMIT 20"
            ),
            {"word": word},
        ).all()
        near = [(_edits(word, row.word), -row.documents, row.word) for row in rows]
        near = [n for n in near if n[0] <= maxdist]
        return min(near)[2] if near else None

    def _has_trigrams(self, conn) -> bool:
        if self._trigrams is None:
            self._trigrams = bool(
                conn.execute(text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")).scalar()
            )
        return self._trigrams

    # -- highlighting (from the post's text alone, the same for every backend) ------------------
    def snippet(self, text: str, terms: list[str], max_chars: int = 240) -> str:
        return highlighting.snippet(text, terms, max_chars)

    def matching_terms(self, text: str, terms: list[str]) -> set[str]:
        return highlighting.matching_terms(text, terms)

    # -- writing ----------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[Connection]:
        """A transaction holding this index's advisory lock, waiting up to `writer_timeout` for it.

        Raises whoosh's LockError when another writer keeps it longer, as the Whoosh backend
        does, so the indexer and the CLI handle one error whichever backend is configured."""
        with self.engine.begin() as conn:
            conn.execute(
                text("SELECT set_config('lock_timeout', :timeout, true)"),
                {"timeout": f"{int(self.writer_timeout * 1000)}ms"},
            )
            try:
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:table))"),
                    {"namespace": LOCK_NAMESPACE, "table": self.documents},
                )
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                    raise LockError("The search index is busy; try again.") from exc
                raise
            # The timeout was for the lock; the writes themselves may take their time.
            conn.execute(text("SELECT set_config('lock_timeout', '0', true)"))
            yield conn

    @contextmanager
    def writer(self) -> Iterator[TableWriter]:
        """Exclusive; committed when the block ends without error, rolled back otherwise."""
        with self._locked() as conn:
            yield TableWriter(conn, self.documents, self.words)

    def rebuild(self, documents: Iterable[ThreadDocument], progress: Callable[[int], None] | None = None) -> int:
        """Replace every row in one transaction: readers see the old index until it commits."""
        count = 0
        with self._locked() as conn:
            conn.execute(text(f"DELETE FROM {self.documents}"))
            conn.execute(text(f"DELETE FROM {self.words}"))
            insert = text(upsert_sql(self.documents))
            for chunk in batched(documents, 500):
                conn.execute(insert, [row_of(doc) for doc in chunk])
                count += len(chunk)
                if progress:
                    progress(len(chunk))
            conn.execute(
                text(
                    f"INSERT INTO {self.words} (word, documents) SELECT word, count(*) "
                    f"FROM {self.documents}, unnest(spell_words) AS word GROUP BY word"
                )
            )
            # Fresh statistics, so the planner (and the look-alike thresholds) know the new size.
            conn.execute(text(f"ANALYZE {self.documents}"))
        return count

    def version(self) -> None:
        return None  # every app server shares the database: results are not kept per process

    def indexed_versions(self) -> dict[int, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT thread_id, version FROM {self.documents}"))
            return {thread_id: version for thread_id, version in rows}

    def optimize(self) -> int:
        """PostgreSQL keeps its GIN index compact itself (autovacuum): nothing to merge."""
        return 0


def _filters(request: SearchRequest) -> tuple[list[str], dict]:
    """SQL conditions for the request's filters; every value is a bound parameter."""
    where, params = [], {}
    if request.category_id is not None:
        # Outside the column's range nothing matches (and the comparison must not fail).
        where.append("category_id = :category_id" if abs(request.category_id) < 2**31 else "FALSE")
        params["category_id"] = request.category_id
    if request.tag:
        # PostgreSQL text cannot hold NUL, so no stored tag has one (and it must not reach the driver).
        where.append(":tag = ANY(tags)" if "\x00" not in request.tag else "FALSE")
        params["tag"] = request.tag.lower().replace("\x00", "")
    if request.status == "solved":
        where.append("solved")
    elif request.status == "unsolved":
        where.append("NOT solved")
    elif request.status == "unanswered":
        where.append("NOT answered")
    if request.staff_answered:
        where.append("staff_answered")
    if request.since:
        where.append("created >= :since")
        params["since"] = datetime.combine(request.since, time.min, tzinfo=UTC)
    if request.until:
        where.append("created <= :until")
        params["until"] = datetime.combine(request.until, time.max, tzinfo=UTC)
    return where, params


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (words here are short)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
