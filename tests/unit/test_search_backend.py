"""Each search backend on its own index: ranking, filters, sorting, paging, phrases, spelling,
look-alikes, rebuilds, and reconciling the index with the database. Tests run once per backend
(Whoosh always, PostgreSQL too with --db=postgres: see `search_backend_name` in conftest.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from whoosh import index as whoosh_index

from app import create_app
from community import accepting, threads
from community.db import make_engine, make_session_factory
from community.models import Role, SearchOutbox, Thread
from config import TestingConfig
from search import indexer, make_backend
from search.backend import SearchRequest
from search.documents import ThreadDocument, build_documents
from search.whoosh_backend import WhooshBackend
from tests.conftest import standalone_search_backend
from tests.factories import make_answer, make_category, make_thread, make_user

BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def doc(
    thread_id: int,
    title: str,
    question: str = "Some details about it.",
    *,
    answers: str = "",
    accepted: str = "",
    tags=(),
    category_id: int = 1,
    solved: bool = False,
    answered: bool | None = None,
    staff_answered: bool = False,
    created: datetime = BASE,
    votes: int = 0,
) -> ThreadDocument:
    return ThreadDocument(
        thread_id=thread_id,
        title=title,
        question=question,
        answers=answers,
        accepted=accepted,
        tags=list(tags),
        category_id=category_id,
        solved=solved,
        answered=bool(answers or accepted) if answered is None else answered,
        staff_answered=staff_answered,
        created=created,
        activity=created,
        votes=votes,
    )


@pytest.fixture
def backend(request, search_backend_name, tmp_path):
    database_url = request.getfixturevalue("database_url") if search_backend_name == "postgres" else None
    with standalone_search_backend(search_backend_name, tmp_path, database_url) as backend:
        yield backend


@pytest.fixture
def whoosh_backend(tmp_path):
    """For the tests about Whoosh's own index files."""
    backend = WhooshBackend(tmp_path / "index")
    yield backend
    backend.close()


def put(backend, *documents) -> None:
    with backend.writer() as writer:
        for document in documents:
            writer.update(document)


def remove(backend, *thread_ids) -> None:
    with backend.writer() as writer:
        for thread_id in thread_ids:
            writer.remove(thread_id)


def found(backend, text: str = "", **filters) -> list[int]:
    return backend.search(SearchRequest(text=text, **filters)).thread_ids


# In ranking tests the thread expected to lose is always indexed first, so a tie (which whoosh
# breaks by index order) can never make the test pass by accident.


# --- matching --------------------------------------------------------------------------------


def test_a_word_form_finds_the_other_forms(backend):
    put(backend, doc(1, "Refund for a cancelled order"), doc(2, "Router lights"))
    assert found(backend, "refunds") == [1]
    assert found(backend, "refunding") == [1]


def test_a_word_never_matches_longer_words_that_start_with_it(backend):
    put(backend, doc(1, "Login page shows a redirect loop"))
    assert found(backend, "redis") == []
    assert found(backend, "redirect") == [1]


def test_either_spelling_of_a_compound_finds_both(backend):
    put(
        backend,
        doc(1, "Wi-Fi drops at night"),
        doc(2, "WiFi drops at night"),
        doc(3, "Display shows E-17"),
        doc(4, "Display shows E17"),
    )
    assert sorted(found(backend, "wifi")) == [1, 2]
    assert sorted(found(backend, "wi-fi")) == [1, 2]
    assert sorted(found(backend, "e17")) == [3, 4]
    assert sorted(found(backend, "e-17")) == [3, 4]
    # With other words too: a thread with every word needs only one spelling of the compound.
    assert sorted(found(backend, "wi-fi drops")) == [1, 2]
    assert sorted(found(backend, "display e-17")) == [3, 4]


def test_nothing_typed_and_no_filter_finds_nothing(backend):
    put(backend, doc(1, "Boiler pressure drops"))
    assert backend.search(SearchRequest(text="")).thread_ids == []
    assert backend.search(SearchRequest(text="  the of and ")).thread_ids == []


# --- ranking ---------------------------------------------------------------------------------


def test_a_word_in_the_title_outranks_the_same_word_in_the_body(backend):
    put(
        backend,
        doc(2, "Screen stays dark after update", "The thermostat shows nothing at all."),
        doc(1, "Thermostat stays dark after update", "The screen shows nothing at all."),
    )
    assert found(backend, "thermostat") == [1, 2]


def test_an_accepted_or_staff_answer_outranks_an_ordinary_answer(backend):
    put(
        backend,
        doc(2, "Noise from the heating", "It knocks at night.", answers="Bleed the radiators with a key."),
        doc(1, "Noise from the boiler", "It knocks at night.", accepted="Bleed the radiators with a key."),
    )
    assert found(backend, "bleed radiators") == [1, 2]


def test_a_staff_answer_weighs_like_an_accepted_one_when_built_from_the_database(db, backend):
    category = make_category(db)
    staff, member = make_user(db, role=Role.STAFF), make_user(db)
    by_member = make_thread(db, category=category, title="Heating knocks at night in winter")
    make_answer(db, by_member, author=member, body="Bleed the radiators with the small key.")
    by_staff = make_thread(db, category=category, title="Heating knocks at night in spring")
    make_answer(db, by_staff, author=staff, body="Bleed the radiators with the small key.")
    db.commit()
    # Indexed in the order that favours the member's thread on a tie.
    documents, _ = build_documents(db, [by_member.id, by_staff.id])
    staff_doc = next(d for d in documents if d.thread_id == by_staff.id)
    assert staff_doc.staff_answered and "Bleed the radiators" in staff_doc.accepted and not staff_doc.answers
    put(backend, *sorted(documents, key=lambda d: d.thread_id))
    assert found(backend, "bleed radiators") == [by_staff.id, by_member.id]


def _padding(start: int, count: int = 120) -> str:
    """Distinct filler words, so posts are of a realistic length that the repeat cap cannot shorten."""
    return " ".join(f"pad{start + n}" for n in range(count))


def test_repeating_a_word_fifty_times_does_not_outrank_a_post_that_uses_it_twice(backend):
    """In long posts BM25 keeps rewarding term frequency; with the cap, 50 repeats count as 2."""
    # Many long threads mention "charger", so it is a common word and "battery" a rare one, and
    # the frequency of "battery" decides: without the cap the spam post would come first.
    put(backend, *[doc(100 + n, f"Unrelated topic {n}", _padding(1000 * n) + " charger") for n in range(12)])
    put(
        backend,
        doc(2, "Power issue", _padding(60_000) + " battery" * 50 + " charger"),
        doc(1, "Power question", _padding(50_000, 110) + " my battery charger died, so did the battery"),
    )
    assert found(backend, "battery charger")[:2] == [1, 2]


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def heaters(backend):
    """Six threads that all mention heaters, each different in one filterable way."""
    put(
        backend,
        doc(1, "Heater clicks", tags=["noise"], category_id=1, created=BASE - timedelta(days=40)),
        doc(2, "Heater smells", tags=["smell"], category_id=2, created=BASE - timedelta(days=20),
            answers="Clean the filter."),
        doc(3, "Heater trips the fuse", tags=["noise", "fuse"], category_id=1, created=BASE - timedelta(days=10),
            accepted="Replace the element.", solved=True),
        doc(4, "Heater timer resets", tags=["timer"], category_id=2, created=BASE,
            accepted="Update the firmware.", solved=True, staff_answered=True),
        doc(5, "Heater display blank", tags=["Display"], category_id=3, created=BASE + timedelta(days=1),
            accepted="Staff reply here.", staff_answered=True),
        doc(6, "Boiler pressure drops", tags=["noise"], category_id=1, created=BASE),
    )
    return backend


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"category_id": 1}, {1, 3}),
        ({"category_id": 2}, {2, 4}),
        ({"category_id": 99}, set()),
        ({"tag": "noise"}, {1, 3}),
        ({"tag": "NOISE"}, {1, 3}),
        ({"tag": "display"}, {5}),
        ({"tag": "nois"}, set()),
        ({"status": "solved"}, {3, 4}),
        ({"status": "unsolved"}, {1, 2, 5}),
        ({"status": "unanswered"}, {1}),
        ({"staff_answered": True}, {4, 5}),
        ({"since": date(2024, 2, 20)}, {3, 4, 5}),
        ({"until": date(2024, 2, 19)}, {1, 2}),
        ({"since": date(2024, 3, 1), "until": date(2024, 3, 1)}, {4}),
        ({"since": date(2024, 3, 2), "until": date(2024, 2, 1)}, set()),
        ({"category_id": 1, "status": "solved"}, {3}),
        ({"tag": "noise", "until": date(2024, 2, 1)}, {1}),
    ],
)
def test_filters_narrow_a_search(heaters, filters, expected):
    result = heaters.search(SearchRequest(text="heater", **filters))
    assert set(result.thread_ids) == expected
    assert result.total == len(expected)


def test_filters_alone_list_matching_threads_newest_first(heaters):
    assert found(heaters, "", tag="noise") == [6, 3, 1]
    assert found(heaters, "", status="solved") == [4, 3]


def test_a_filter_applies_to_the_boundaries_of_whole_days(backend):
    put(
        backend,
        doc(1, "Heater at midnight", created=datetime(2024, 5, 1, 0, 0, tzinfo=UTC)),
        doc(2, "Heater before midnight", created=datetime(2024, 5, 1, 23, 59, 59, tzinfo=UTC)),
        doc(3, "Heater next day", created=datetime(2024, 5, 2, 0, 0, 1, tzinfo=UTC)),
    )
    assert sorted(found(backend, "heater", since=date(2024, 5, 1), until=date(2024, 5, 1))) == [1, 2]


# --- sorting and paging ----------------------------------------------------------------------


def test_sort_by_newest_and_by_votes(backend):
    put(
        backend,
        doc(1, "Pump pump noise", "pump", created=BASE - timedelta(days=3), votes=2),
        doc(2, "Old question", "the pump hums", created=BASE - timedelta(days=9), votes=40),
        doc(3, "Recent question", "a pump", created=BASE, votes=-3),
    )
    assert found(backend, "pump")[0] == 1  # relevance: the title match
    assert found(backend, "pump", sort="newest") == [3, 1, 2]
    assert found(backend, "pump", sort="votes") == [2, 1, 3]


def test_pages_split_the_results_and_keep_the_total(backend):
    put(backend, *[doc(n, f"Radiator question {n}", created=BASE + timedelta(hours=n)) for n in range(1, 26)])
    pages = [backend.search(SearchRequest(text="radiator", sort="newest", page=p, per_page=10)) for p in (1, 2, 3, 4)]
    assert [p.total for p in pages] == [25, 25, 25, 25]
    assert pages[0].thread_ids == list(range(25, 15, -1))
    assert pages[1].thread_ids == list(range(15, 5, -1))
    assert pages[2].thread_ids == [5, 4, 3, 2, 1]
    assert pages[3].thread_ids == []


def test_relevance_pages_do_not_repeat_or_skip_threads(backend):
    put(backend, *[doc(n, f"Radiator {'cold ' * (n % 3 + 1)}question {n}") for n in range(1, 24)])
    seen = []
    for page in (1, 2, 3):
        seen += found(backend, "radiator cold", page=page, per_page=10)
    assert sorted(seen) == list(range(1, 24))


# --- phrases ---------------------------------------------------------------------------------


def test_a_quoted_phrase_needs_the_words_together_and_in_order(backend):
    put(
        backend,
        doc(1, "The pilot light went out"),
        doc(2, "Light near the pilot panel"),
        doc(3, "Pilot is fine but the light blinks"),
    )
    assert found(backend, '"pilot light"') == [1]
    assert sorted(found(backend, "pilot light")) == [1, 2, 3]
    assert found(backend, '"light pilot"') == []


def test_a_phrase_with_stop_words_and_word_forms_matches(backend):
    put(backend, doc(1, "Turning it off and on fixes the lights"), doc(2, "Turn the lights off"))
    assert found(backend, '"turn it off"') == [1]


def test_a_phrase_finds_either_spelling_of_a_compound(backend):
    put(
        backend,
        doc(1, "Router help", "My wi-fi router drops every hour"),
        doc(2, "Modem help", "The wifi router blinks orange"),
        doc(3, "Display help", "It shows error e-17 after the update"),
        doc(4, "Screen help", "It shows error e17 after the update"),
    )
    for phrase in ('"wi-fi router"', '"wifi router"'):
        assert sorted(found(backend, phrase)) == [1, 2], phrase
    for phrase in ('"error e-17"', '"error e17"', '"e-17 after"', '"e17 after"'):
        assert sorted(found(backend, phrase)) == [3, 4], phrase


def test_a_phrase_combines_with_other_words(backend):
    put(backend, doc(1, "Pilot light out on the boiler"), doc(2, "Pilot light out on the heater"))
    assert found(backend, '"pilot light" heater')[0] == 2


# --- did you mean ----------------------------------------------------------------------------


@pytest.fixture
def vocabulary(backend):
    put(
        backend,
        doc(1, "Thermostat display is blank", "The thermostat stopped after the storm."),
        doc(2, "Radiators stay cold", "Only the radiators upstairs.", accepted="Balance the radiators."),
    )
    return backend


def test_a_misspelled_word_gets_a_suggestion_from_the_index(vocabulary):
    result = vocabulary.search(SearchRequest(text="thermostt"))
    assert result.thread_ids == []
    assert result.suggestion == "thermostat"
    assert found(vocabulary, result.suggestion) == [1]


def test_only_the_misspelled_word_is_replaced(vocabulary):
    assert vocabulary.search(SearchRequest(text="cold radiatrs")).suggestion == "cold radiators"


@pytest.mark.parametrize("text", ["thermostat", "Thermostats", "radiator", "blank display", "boiler"])
def test_no_suggestion_when_the_word_or_another_form_of_it_is_found(vocabulary, text):
    assert vocabulary.search(SearchRequest(text=text)).suggestion is None


def test_no_suggestion_for_a_word_far_from_anything_indexed(vocabulary):
    assert vocabulary.search(SearchRequest(text="zxqv")).suggestion is None


def test_a_removed_thread_never_feeds_a_suggestion(vocabulary):
    put(vocabulary, doc(7, "Zeppelin inflation valve", "The zeppelin leaks."))
    assert vocabulary.search(SearchRequest(text="zeppelim")).suggestion == "zeppelin"  # searcher now open
    remove(vocabulary, 7)
    result = vocabulary.search(SearchRequest(text="zeppelim"))
    assert result.suggestion is None
    assert found(vocabulary, "zeppelin") == []


def test_words_left_behind_by_a_removed_thread_are_never_suggested(whoosh_backend):
    """In a large index a removal does not rewrite the segment, so the removed thread's words stay
    in the term lists (and the spelling graph) until a merge: they must still not be suggested."""
    backend = whoosh_backend
    put(backend, doc(1, "Boiler pressure drops", "The boiler gauge reads zero."), doc(7, "Zeppelin valve", "It leaks."))
    assert backend.search(SearchRequest(text="boiler zeppelim")).suggestion == "boiler zeppelin"
    ix = whoosh_index.open_dir(str(backend.index_dir))
    writer = ix.writer()
    writer.delete_by_term("thread_id", "7")
    writer.commit(merge=False)  # as when the segment is too big to merge on this commit

    assert backend.search(SearchRequest(text="boiler zeppelim")).suggestion is None
    assert found(backend, "zeppelin") == []


def test_an_edited_thread_forgets_its_old_words_and_appears_once(backend):
    put(backend, doc(1, "Boiler pressure drops", "The kettle light is on."))
    assert found(backend, "kettle") == [1]  # searcher now open
    put(backend, doc(1, "Boiler pressure drops", "The teapot light is on."))
    assert found(backend, "kettle") == []
    assert found(backend, "teapot") == [1]
    assert backend.search(SearchRequest(text="boiler")).thread_ids == [1]
    assert backend.search(SearchRequest(text="boiler")).total == 1
    assert backend.search(SearchRequest(text="kettel")).suggestion is None


# --- look-alikes -----------------------------------------------------------------------------


@pytest.fixture
def asked(backend):
    put(
        backend,
        doc(1, "Thermostat display blank after firmware update", "Screen went blank after updating."),
        doc(2, "Boiler shows error E17 after power cut", "Error E17 on the boiler."),
        doc(3, "How do I change my billing address", "Billing address is old."),
        doc(4, "Thermostat schedule ignored at weekends", "The schedule does nothing."),
    )
    return backend


def test_similar_finds_the_look_alike_first(asked):
    assert asked.similar("My thermostat display is blank since the update", 5).thread_ids[0] == 1
    assert asked.similar("boiler error e17", 5).thread_ids == [2]


def test_similar_finds_nothing_for_an_unrelated_title(asked):
    assert asked.similar("Banana smoothie recipe ideas for summer", 5).thread_ids == []


def test_similar_needs_more_than_one_shared_word(asked):
    # "thermostat" alone is shared with two threads; one common word is not a look-alike.
    assert asked.similar("Thermostat battery replacement instructions wanted", 5).thread_ids == []


def test_similar_respects_the_limit(backend):
    put(backend, *[doc(n, f"Boiler pressure drops overnight {n}") for n in range(1, 9)])
    assert len(backend.similar("boiler pressure drops overnight", 3).thread_ids) == 3


def test_similar_with_nothing_useful_typed(asked):
    assert asked.similar("", 5).thread_ids == []
    assert asked.similar("the of and", 5).thread_ids == []


# --- rebuild and versions --------------------------------------------------------------------


def test_rebuild_replaces_everything(backend):
    put(backend, doc(1, "Old thread about kettles"), doc(2, "Another old thread"))
    assert found(backend, "kettles") == [1]
    ticks = []
    count = backend.rebuild([doc(3, "New thread about teapots"), doc(4, "Second new thread")], ticks.append)
    assert count == 2 and sum(ticks) == 2
    assert found(backend, "kettles") == []
    assert found(backend, "teapots") == [3]
    assert set(backend.indexed_versions()) == {3, 4}


def test_rebuild_with_nothing_empties_the_index(backend):
    put(backend, doc(1, "Old thread about kettles"))
    assert backend.rebuild([]) == 0
    assert backend.indexed_versions() == {}


def test_indexed_versions_follow_updates_and_removals(backend):
    first, second = doc(1, "Boiler pressure"), doc(2, "Radiator noise")
    put(backend, first, second)
    assert backend.indexed_versions() == {1: first.version, 2: second.version}
    changed = doc(1, "Boiler pressure drops")
    assert changed.version != first.version
    put(backend, changed)
    remove(backend, 2)
    assert backend.indexed_versions() == {1: changed.version}


def test_the_version_covers_every_indexed_field():
    base = doc(1, "Boiler pressure", answers="x", tags=["a"])
    variants = [
        doc(2, "Boiler pressure", answers="x", tags=["a"]),  # the id is not content
        doc(1, "Boiler pressures", answers="x", tags=["a"]),
        doc(1, "Boiler pressure", "Other details.", answers="x", tags=["a"]),
        doc(1, "Boiler pressure", answers="y", tags=["a"]),
        doc(1, "Boiler pressure", answers="x", accepted="z", tags=["a"]),
        doc(1, "Boiler pressure", answers="x", tags=["b"]),
        doc(1, "Boiler pressure", answers="x", tags=["a"], category_id=2),
        doc(1, "Boiler pressure", answers="x", tags=["a"], solved=True),
        doc(1, "Boiler pressure", answers="x", tags=["a"], staff_answered=True),
        doc(1, "Boiler pressure", answers="x", tags=["a"], created=BASE + timedelta(seconds=1)),
        doc(1, "Boiler pressure", answers="x", tags=["a"], votes=1),
    ]
    assert variants[0].version == base.version
    assert len({v.version for v in variants[1:]} | {base.version}) == len(variants)


# --- reconciling with the database -----------------------------------------------------------


@pytest.fixture
def synced(db, engine, backend):
    """Three threads created through the services and indexed from the outbox."""
    asker, helper = make_user(db), make_user(db)
    category = make_category(db)
    made = [
        make_thread(db, author=asker, category=category, title=f"Boiler question {word} here")
        for word in ("alpha", "bravo", "charlie")
    ]
    answer = make_answer(db, made[1], author=helper, body="Bleed the radiators first.")
    db.commit()
    factory = make_session_factory(engine)
    assert indexer.drain(factory, backend) == 3
    assert indexer.pending(db) == 0
    return {"factory": factory, "threads": made, "asker": asker, "answer": answer}


def _db_versions(db) -> dict[int, str]:
    db.expire_all()
    ids = list(db.scalars(select(Thread.id).where(Thread.deleted_at.is_(None))))
    documents, _ = build_documents(db, ids)
    return {d.thread_id: d.version for d in documents}


def test_reconcile_finds_nothing_to_fix_when_in_step(db, backend, synced):
    assert indexer.reconcile(synced["factory"], backend) == {"missing": 0, "stale": 0, "removed": 0, "fixed": 0}
    assert backend.indexed_versions() == _db_versions(db)


def test_reconcile_fixes_missing_stale_and_extra_entries(db, backend, synced):
    first, second, third = (t.id for t in synced["threads"])
    # Behind the database's back: lose one entry, corrupt another, add two that should not exist.
    remove(backend, first)
    put(backend, doc(second, "Wrong title from long ago"), doc(9999, "A thread the database never had"))
    threads.delete_post(db, synced["asker"], threads.question_of(db, synced["threads"][2]))
    db.commit()
    db.execute(delete(SearchOutbox))  # the change's outbox row is lost
    db.commit()

    report = indexer.reconcile(synced["factory"], backend)

    assert report == {"missing": 1, "stale": 1, "removed": 2, "fixed": 4}
    assert backend.indexed_versions() == _db_versions(db)
    assert set(backend.indexed_versions()) == {first, second}
    assert found(backend, "alpha") == [first]
    assert found(backend, "wrong") == []
    assert found(backend, "charlie") == []
    assert found(backend, "bleed") == [second]
    assert indexer.reconcile(synced["factory"], backend)["fixed"] == 0


def test_reconcile_notices_a_database_change_whose_outbox_row_was_lost(db, backend, synced):
    accepting.accept_answer(db, synced["asker"], synced["answer"])
    db.commit()
    db.execute(delete(SearchOutbox))
    db.commit()
    assert found(backend, "boiler", status="solved") == []

    assert indexer.reconcile(synced["factory"], backend) == {"missing": 0, "stale": 1, "removed": 0, "fixed": 1}
    assert found(backend, "boiler", status="solved") == [synced["threads"][1].id]


# --- choosing a backend ----------------------------------------------------------------------


def test_the_postgres_backend_needs_a_postgres_database(tmp_path):
    sqlite = make_engine(f"sqlite:///{tmp_path / 'hearth.db'}")
    with pytest.raises(ValueError, match="DATABASE_URL must be a PostgreSQL database"):
        make_backend("postgres", str(tmp_path / "index"), engine=sqlite)
    with pytest.raises(ValueError, match="DATABASE_URL must be a PostgreSQL database"):
        make_backend("postgres", str(tmp_path / "index"))
    with pytest.raises(ValueError, match="use 'whoosh' or 'postgres'"):
        make_backend("elastic", str(tmp_path / "index"), engine=sqlite)
    assert isinstance(make_backend("whoosh", str(tmp_path / "index"), engine=sqlite), WhooshBackend)
    sqlite.dispose()


def test_an_app_on_sqlite_refuses_the_postgres_backend(tmp_path):
    config = TestingConfig(f"sqlite:///{tmp_path / 'hearth.db'}", str(tmp_path / "index"), search_backend="postgres")
    with pytest.raises(ValueError, match="SEARCH_BACKEND=postgres"):
        create_app(config)


# --- segments (Whoosh) ------------------------------------------------------------------------


def _segments(backend: WhooshBackend) -> list:
    return list(backend._index()._segments())


def test_a_segment_whose_documents_were_all_replaced_is_dropped_at_the_next_commit(whoosh_backend):
    put(whoosh_backend, doc(1, "Kettle whistles"))
    put(whoosh_backend, doc(1, "Kettle whistles loudly"))  # replaces the only document of segment one
    put(whoosh_backend, doc(2, "Teapot drips"))
    assert all(segment.doc_count() > 0 for segment in _segments(whoosh_backend))
    assert found(whoosh_backend, "kettle") == [1] and found(whoosh_backend, "teapot") == [2]


def test_optimize_merges_every_segment_into_one_and_keeps_every_document(whoosh_backend):
    for n in range(1, 6):
        put(whoosh_backend, doc(n, f"Boiler pressure question {n}"))
    before = len(_segments(whoosh_backend))
    assert whoosh_backend.optimize() == before > 1
    assert len(_segments(whoosh_backend)) == 1
    assert sorted(found(whoosh_backend, "boiler")) == [1, 2, 3, 4, 5]


def test_a_rebuilt_index_is_one_segment(whoosh_backend):
    whoosh_backend.rebuild([doc(n, f"Radiator question {n}") for n in range(1, 40)])
    assert len(_segments(whoosh_backend)) == 1
    assert len(found(whoosh_backend, "radiator")) == 10
