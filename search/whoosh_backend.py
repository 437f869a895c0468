"""The Whoosh backend: one document per thread on local disk, queries built without a parser."""

import fcntl
import os
import re
import shutil
import threading
import time as pytime
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, time
from itertools import combinations
from pathlib import Path

from whoosh import fields, index, query, scoring, writing
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher
from whoosh.util.filelock import try_for

from search import highlighting
from search.analysis import (
    clean_query,
    plain_analyzer,
    split_phrases,
    stemming_analyzer,
    weighted,
    weighted_analyzer,
)
from search.backend import BackendResult, SearchRequest
from search.documents import ThreadDocument

SIMILAR_FIELDS = ("title",)
# A look-alike must score at least this share of the best one to be shown.
SIMILAR_SCORE_FLOOR = 0.45
SIMILAR_MAX_WORDS = 6
SIMILAR_COMMON_SHARE = 0.03
SIMILAR_POOL = 30


# Weights of a thread's parts in the one field that is searched: title above the question,
# accepted and staff answers above other answers. Tuned on real Q&A text
# (tests/bench/relevance.py: each solved question searched with words of its own body).
# Listed from heaviest down: when repeats are capped, the heaviest occurrences are the ones kept.
WEIGHTS = {"title": 2.6, "question": 2.4, "accepted": 1.2, "tags": 1.0, "answers": 0.3}
REBUILD_PROCESSES = 2
# How often a waiting writer tries the index lock again. Whoosh's default (0.1 s) lets writers
# that try more often take the lock again and again while one waits; 10 ms costs nothing.
WRITER_POLL_SECONDS = 0.01
# How many threads a relaxed search (not every word matched) considers before paging.
RELAXED_POOL = 100


def make_schema() -> fields.Schema:
    stem = stemming_analyzer()
    return fields.Schema(
        thread_id=fields.ID(stored=True, unique=True),
        version=fields.STORED(),
        # Everything public in one weighted field; no positions there (they cost indexing time).
        text=fields.TEXT(analyzer=weighted_analyzer(), phrase=False),
        # Quoted phrases are matched in the title and question, which keep word positions.
        phrases=fields.TEXT(analyzer=stem),
        title=fields.TEXT(analyzer=stem, phrase=False, stored=True),
        spell=fields.TEXT(analyzer=plain_analyzer(), spelling=True),
        tags=fields.KEYWORD(commas=True, lowercase=True),
        category=fields.ID(),
        solved=fields.BOOLEAN(),
        answered=fields.BOOLEAN(),
        staff_answered=fields.BOOLEAN(),
        created=fields.DATETIME(sortable=True),
        votes=fields.NUMERIC(int, bits=32, signed=True, sortable=True),
    )


def _fields_of(doc: ThreadDocument) -> dict:
    return {
        "thread_id": str(doc.thread_id),
        "version": doc.version,
        "text": weighted(
            [
                (WEIGHTS["title"], doc.title),
                (WEIGHTS["question"], doc.question),
                (WEIGHTS["accepted"], doc.accepted),
                (WEIGHTS["tags"], " ".join(doc.tags)),
                (WEIGHTS["answers"], doc.answers),
            ]
        ),
        "phrases": f"{doc.title}\n{doc.question}",
        "title": doc.title,
        "spell": f"{doc.title}\n{doc.question}",
        "tags": ",".join(doc.tags),
        "category": str(doc.category_id),
        "solved": doc.solved,
        "answered": doc.answered,
        "staff_answered": doc.staff_answered,
        "created": doc.created.replace(tzinfo=None),
        "votes": doc.votes,
    }


def _merge_policy(writer, segments):
    """Whoosh's own small-segment merging, after dropping segments whose documents were all
    replaced or deleted: every query would otherwise still open and search them."""
    live = [segment for segment in segments if segment.doc_count() > 0]
    return writing.MERGE_SMALL(writer, live)


class _Writer:
    def __init__(self, writer):
        self._writer = writer

    def update(self, document: ThreadDocument) -> None:
        self._writer.update_document(**_fields_of(document))

    def remove(self, thread_id: int) -> None:
        self._writer.delete_by_term("thread_id", str(thread_id))


def _version_of(searcher: Searcher) -> str:
    """The generation and segment names of what this searcher reads: a rebuilt index starts
    its generations again, but its segments have new names."""
    reader = searcher.reader()
    segments = [r.segment() for r, _ in reader.leaf_readers()]
    return f"{reader.generation()}:" + ",".join(s.segment_id() for s in segments if s is not None)


class WhooshBackend:
    # Repeats are capped at index time, so K1 only shapes how the first two occurrences count.
    weighting = scoring.BM25F(B=0.75, K1=1.5)

    def __init__(self, index_dir: str | Path, writer_timeout: float = 30.0):
        self.index_dir = Path(index_dir)
        self.writer_timeout = writer_timeout
        self._ix: index.Index | None = None
        self._local = threading.local()
        self._stem = stemming_analyzer()
        self._plain = plain_analyzer()

    # -- the index and its searchers -------------------------------------------------------
    def _index(self) -> index.Index:
        if self._ix is None:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            # Several workers may start at once: only one creates the index.
            with open(self.index_dir / ".create.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                # Without mmap: whoosh copies every mmapped segment it opens into private
                # memory, so each worker would hold its own copy of the whole index.
                storage = FileStorage(str(self.index_dir), supports_mmap=False)
                if not _retrying(storage.index_exists):
                    storage.create_index(make_schema())
                self._ix = _retrying(storage.open_index)
        return self._ix

    def _searcher(self) -> Searcher:
        """One searcher per thread, kept open and refreshed only when the index changed."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and not searcher.up_to_date():
            # Not searcher.refresh(): it reuses readers of segments that only gained deletions,
            # so updated and removed threads would still match their old words.
            # Forget it before closing: if opening the next one fails (the index is away for a
            # moment), later searches must not find a closed searcher here and fail for good.
            self._local.searcher = None
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = _retrying(lambda: self._index().searcher(weighting=self.weighting))
            self._local.filters = {}
            self._local.version = _version_of(searcher)
        self._local.searcher = searcher
        return searcher

    def _filter_docs(self, searcher: Searcher, filter_query) -> set[int] | None:
        """The documents a filter allows, computed once per index version (filters repeat a lot)."""
        if filter_query is None:
            return None
        key = repr(filter_query)
        cache = self._local.filters
        if key not in cache:
            if len(cache) > 256:
                cache.clear()
            cache[key] = set(searcher.docs_for_query(filter_query))
        return cache[key]

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None

    # -- building queries -------------------------------------------------------------------
    def _stems(self, text: str) -> list[str]:
        return list(dict.fromkeys(t.text for t in self._stem(text)))

    def _text_query(self, text: str, minmatch: int = 0):
        """Every word is looked up in the public text fields only; nothing typed is parsed as syntax."""
        phrases, rest = split_phrases(clean_query(text))
        clauses, terms = [], []
        for phrase in phrases:
            by_position = {}
            for token in self._stem(phrase, positions=True):
                terms.append(token.text)
                by_position[token.pos] = token.text  # a compound's joined form, found with either spelling
            stems = [by_position[pos] for pos in sorted(by_position)]
            if len(stems) > 1:
                clauses.append(query.Phrase("phrases", stems))
            elif stems:
                clauses.append(query.Or([query.Term("text", stems[0])]))
        # One clause per word; a compound's two spellings share a position and so one clause,
        # which either spelling satisfies (threads with every word must not need both).
        forms_at: dict[int, list[str]] = {}
        for token in self._stem(rest, positions=True):
            forms_at.setdefault(token.pos, []).append(token.text)
        for forms in dict.fromkeys(tuple(dict.fromkeys(forms)) for forms in forms_at.values()):
            terms += forms
            clauses.append(query.Or([query.Term("text", stem) for stem in forms]))
        if not clauses:
            return None, []
        return query.Or(clauses, minmatch=min(minmatch, len(clauses))), list(dict.fromkeys(terms))

    @staticmethod
    def _filter(request: SearchRequest):
        parts = []
        if request.category_id is not None:
            parts.append(query.Term("category", str(request.category_id)))
        if request.tag:
            parts.append(query.Term("tags", request.tag.lower()))
        if request.status == "solved":
            parts.append(query.Term("solved", True))
        elif request.status == "unsolved":
            parts.append(query.Term("solved", False))
        elif request.status == "unanswered":
            parts.append(query.Term("answered", False))
        if request.staff_answered:
            parts.append(query.Term("staff_answered", True))
        if request.since or request.until:
            start = datetime.combine(request.since, time.min) if request.since else None
            end = datetime.combine(request.until, time.max) if request.until else None
            parts.append(query.DateRange("created", start, end))
        return query.And(parts) if parts else None

    # -- reading ----------------------------------------------------------------------------
    def version(self) -> str:
        self._searcher()
        return self._local.version

    def search(self, request: SearchRequest) -> BackendResult:
        searcher = self._searcher()
        text_query, terms = self._text_query(request.text)
        filter_query = self._filter(request)
        allowed = self._filter_docs(searcher, filter_query)
        if allowed is not None and not allowed:
            # Nothing passes the filter (and whoosh would take an empty set as no filter at all).
            return BackendResult(thread_ids=[], total=0, terms=terms, suggestion=self._suggest(request.text, searcher))
        if text_query is None:
            if filter_query is None:
                return BackendResult(thread_ids=[], total=0)
            text_query = query.Every()
        sort = {"newest": "created", "votes": "votes"}.get(request.sort)
        if text_query.__class__ is query.Every and sort is None:
            sort = "created"
        limit = request.page * request.per_page
        options = {"limit": limit, "filter": allowed, "sortedby": sort, "reverse": sort is not None}
        partial = False
        if isinstance(text_query, query.Or) and len(text_query.subqueries) > 1:
            # Threads with every word first; when none has them all, threads with most of them.
            results = searcher.search(query.And(text_query.subqueries), **options)
            if results.is_empty():
                partial = True
                if all(isinstance(c, query.Or) for c in text_query.subqueries):
                    return self._relaxed(searcher, text_query.subqueries, request, allowed, terms, sort)
                results = searcher.search(text_query, **options)
        else:
            results = searcher.search(text_query, **options)
        start = (request.page - 1) * request.per_page
        ids = [int(hit["thread_id"]) for hit in results[start:limit]]
        # Fewer hits than asked for means we have them all; otherwise counting every match of a
        # broad query would cost more than the search, so the total is a lower bound.
        exact = results.scored_length() < limit
        return BackendResult(
            thread_ids=ids,
            total=results.scored_length() if exact else max(results.estimated_min_length(), limit + 1),
            total_exact=exact,
            terms=terms,
            suggestion=self._suggest(request.text, searcher),
            partial=partial and bool(ids),
        )

    def _relaxed(self, searcher: Searcher, clauses, request: SearchRequest, allowed, terms, sort) -> BackendResult:
        """When no thread has every word: threads with all words but one, else those with the
        rarest word. Intersections stay fast where a broad OR would score most of the index."""
        limit = request.page * request.per_page
        pool = max(limit, RELAXED_POOL)
        best: dict[int, float] = {}
        if len(clauses) > 2:
            for subset in combinations(clauses, len(clauses) - 1):
                for score, docnum in searcher.search(query.And(list(subset)), limit=pool, filter=allowed).top_n:
                    best[docnum] = max(score, best.get(docnum, 0.0))
        if not best:
            reader = searcher.reader()
            # A word no thread has is not the rarest, just absent: it must not empty the results.
            rarest = min(clauses, key=lambda c: _frequency(reader, c) or float("inf"))
            best = {d: score for score, d in searcher.search(rarest, limit=pool, filter=allowed).top_n}
        if sort is None:
            ranked = sorted(best, key=lambda d: -best[d])
        else:
            column = searcher.reader().column_reader(sort)
            ranked = sorted(best, key=lambda d: column[d], reverse=True)
        start = (request.page - 1) * request.per_page
        ids = [int(searcher.stored_fields(d)["thread_id"]) for d in ranked[start:limit]]
        return BackendResult(
            thread_ids=ids,
            total=len(best),
            terms=terms,
            suggestion=self._suggest(request.text, searcher),
            partial=bool(ids),
            total_exact=len(best) < pool,
        )

    def similar(self, title: str, limit: int = 5) -> BackendResult:
        """Threads whose titles share most of the distinctive words of this one."""
        searcher = self._searcher()
        reader = searcher.reader()
        typed = self._stems(clean_query(title))
        # A look-alike shares at least two of the typed words (or the only one typed).
        needed = min(len(typed), max(2, round(min(len(typed), SIMILAR_MAX_WORDS) * 0.4)))
        frequency = {s: reader.doc_frequency("title", s) for s in typed}
        # The rarest words say most about the problem; words in most titles say nothing and
        # would make the lookup read long posting lists.
        common = max(50, reader.doc_count() * SIMILAR_COMMON_SHARE)
        stems = sorted((s for s in typed if 0 < frequency[s] <= common), key=frequency.get)[:SIMILAR_MAX_WORDS]
        if not stems or len(stems) < needed:
            return BackendResult(thread_ids=[], total=0, terms=stems)
        text_query = query.Or([query.Term(f, s) for s in stems for f in SIMILAR_FIELDS])
        wanted = set(stems)
        hits = []
        for hit in searcher.search(text_query, limit=SIMILAR_POOL):
            shared = wanted.intersection(t.text for t in self._stem(hit["title"]))
            if len(shared) >= needed:
                hits.append(hit)
            if len(hits) == limit:
                break
        if not hits:
            return BackendResult(thread_ids=[], total=0, terms=stems)
        floor = hits[0].score * SIMILAR_SCORE_FLOOR
        ids = [int(hit["thread_id"]) for hit in hits if hit.score >= floor]
        return BackendResult(thread_ids=ids, total=len(ids), terms=stems)

    def _suggest(self, text: str, searcher: Searcher) -> str | None:
        """Replace words the index has never seen by close words it has ("did you mean")."""
        words = [t.text for t in self._plain(clean_query(text))]
        if not words:
            return None
        reader = searcher.reader()
        corrector = searcher.corrector("spell")
        replacements = {}
        for word in dict.fromkeys(words):
            if any(reader.doc_frequency("text", stem) for stem in self._stems(word)):
                continue  # the word (or another form of it) is found: nothing to correct
            maxdist = 1 if len(word) <= 5 else 2
            for candidate in corrector.suggest(word, limit=3, maxdist=maxdist):
                # Only words still in a live document (deleted content never leaks into a suggestion).
                if searcher.search(query.Term("spell", candidate), limit=1).scored_length():
                    replacements[word] = candidate
                    break
        if not replacements:
            return None
        out = clean_query(text)
        for word, candidate in replacements.items():
            out = _replace_word(out, word, candidate)
        corrected, _ = self._text_query(out)
        if corrected is None or not searcher.search(corrected, limit=1).scored_length():
            return None
        return out

    def snippet(self, text: str, terms: list[str], max_chars: int = 240) -> str:
        """An HTML-escaped excerpt of `text` around the matching words, each wrapped in <mark>."""
        return highlighting.snippet(text, terms, max_chars)

    def matching_terms(self, text: str, terms: list[str]) -> set[str]:
        return highlighting.matching_terms(text, terms)

    # -- writing ----------------------------------------------------------------------------
    @contextmanager
    def writer(self) -> Iterator[_Writer]:
        """Exclusive, waiting up to `writer_timeout` for another process's writer (never failing at once)."""
        w = _retrying(lambda: self._index().writer(timeout=self.writer_timeout, delay=WRITER_POLL_SECONDS))
        try:
            yield _Writer(w)
        except BaseException:
            w.cancel()
            raise
        w.commit(mergetype=_merge_policy)

    def optimize(self) -> int:
        """Merge every segment into one (queries open a matcher per segment); returns how many there were."""
        w = _retrying(lambda: self._index().writer(timeout=self.writer_timeout, delay=WRITER_POLL_SECONDS))
        count = len(self._index()._segments())
        w.commit(optimize=True)
        return count

    def rebuild(self, documents: Iterable[ThreadDocument], progress: Callable[[int], None] | None = None) -> int:
        """Build a fresh index with the current schema beside the live one, then swap it in.

        The live index's writer lock is held throughout, so no other process commits to the
        index being replaced (their outbox rows wait and are applied to the new one)."""
        live_lock = self._index().lock("WRITELOCK")
        if not try_for(live_lock.acquire, timeout=self.writer_timeout, delay=WRITER_POLL_SECONDS):
            raise index.LockError("The search index is busy; try again.")
        fresh_dir = self.index_dir.with_name(self.index_dir.name + ".new")
        old_dir = self.index_dir.with_name(self.index_dir.name + ".old")
        try:
            shutil.rmtree(fresh_dir, ignore_errors=True)
            fresh_dir.mkdir(parents=True)
            # Several processes analyze documents in parallel; their parts are merged into one
            # segment at the end, which queries read faster than several.
            procs = min(REBUILD_PROCESSES, os.cpu_count() or 1)
            fresh = index.create_in(str(fresh_dir), make_schema())
            w = fresh.writer(limitmb=512, procs=procs) if procs > 1 else fresh.writer(limitmb=2048)
            count = 0
            try:
                for doc in documents:
                    w.add_document(**_fields_of(doc))
                    count += 1
                    if progress:
                        progress(1)
            except BaseException:
                w.cancel()
                raise
            w.commit()
            shutil.rmtree(old_dir, ignore_errors=True)
            os.rename(self.index_dir, old_dir)
            os.rename(fresh_dir, self.index_dir)
        finally:
            live_lock.release()
        shutil.rmtree(old_dir, ignore_errors=True)
        self.close()
        self._ix = None
        return count

    def indexed_versions(self) -> dict[int, str]:
        with self._index().searcher() as searcher:
            return {int(f["thread_id"]): f["version"] for f in searcher.reader().all_stored_fields()}


def _frequency(reader, clause) -> int:
    """How many documents hold a clause's word (for a quoted phrase, its rarest word)."""
    total = 0
    for sub in clause.subqueries:
        if isinstance(sub, query.Phrase):
            total += min((reader.doc_frequency(sub.fieldname, word) for word in sub.words), default=0)
        else:
            total += reader.doc_frequency(sub.fieldname, sub.text)
    return total


def _retrying(open_index: Callable, attempts: int = 20):
    """Open the index again when another process's commit removed the table of contents we
    were about to read (Whoosh deletes the previous generation's files as it commits)."""
    for attempt in range(attempts):
        try:
            return open_index()
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            pytime.sleep(0.01 * (attempt + 1))


def _replace_word(text: str, word: str, replacement: str) -> str:
    return re.sub(rf"(?i)\b{re.escape(word)}\b", replacement, text)
