"""Every change to a thread writes an outbox row in its own transaction, and is searchable once
that transaction commits; nothing is lost between the commit and the indexing. Once per search
backend (conftest.py)."""

import pytest
from sqlalchemy import func, select, text

from app import create_app
from community import accepting, threads
from community.models import Role, SearchOutbox, User
from config import TestingConfig
from search import indexer
from search.backend import SearchRequest
from tests.factories import TAGGER_REPUTATION, make_answer, make_category, make_thread, make_user
from tests.integration.helpers import login

pytestmark = pytest.mark.usefixtures("search_backend_name")


@pytest.fixture
def session(app):
    """A session from the app's own factory: its commits are indexed by the sync indexer."""
    with app.extensions["hearth.sessionmaker"]() as session:
        yield session


@pytest.fixture
def people(session):
    found = {
        "asker": make_user(session, "asker", reputation=TAGGER_REPUTATION),  # the asker creates new tags
        "helper": make_user(session, "helper"),
        "staff": make_user(session, "staffer", role=Role.STAFF),
        "mod": make_user(session, "moderator1", role=Role.MODERATOR),
        "heating": make_category(session, "Heating", "heating"),
        "billing": make_category(session, "Billing", "billing"),
    }
    session.commit()
    return found


def found(app, words: str = "", **filters) -> list[int]:
    return app.extensions["hearth.search"].search(SearchRequest(text=words, **filters)).thread_ids


def committed_outbox(engine) -> list[int]:
    """Outbox rows as another connection sees them: only what has been committed."""
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT thread_id FROM search_outbox ORDER BY id")).scalars())


def own_outbox(session) -> list[int]:
    """Outbox rows as the writing session sees them, its own uncommitted ones included."""
    return list(session.scalars(select(SearchOutbox.thread_id).order_by(SearchOutbox.id)))


def commit_and_check(app, engine, session, thread_id: int) -> None:
    """The change queued exactly one row for this thread, invisible to others until the commit,
    and applied and deleted right after it."""
    assert own_outbox(session) == [thread_id]
    assert committed_outbox(engine) == []
    session.commit()
    assert committed_outbox(engine) == []


@pytest.fixture
def asked(app, engine, session, people):
    thread = make_thread(
        session, author=people["asker"], category=people["heating"],
        title="Boiler pressure drops overnight", body="The gauge reads zero every morning.",
    )
    session.commit()
    return thread


# --- each change ---------------------------------------------------------------------------


def test_asking_queues_and_indexes_the_thread(app, engine, session, people):
    thread = threads.ask(
        session, people["asker"], title="Boiler pressure drops overnight",
        body="The gauge reads zero every morning.", category_id=people["heating"].id, tags="boiler",
    )
    assert found(app, "gauge") == []
    commit_and_check(app, engine, session, thread.id)
    assert found(app, "gauge") == [thread.id]
    assert found(app, "", tag="boiler") == [thread.id]
    assert found(app, "", status="unanswered") == [thread.id]


def test_answering_queues_and_indexes_the_answer(app, engine, session, people, asked):
    threads.answer(session, people["helper"], asked, body="Look for a leak at the expansion vessel.")
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "expansion vessel") == [asked.id]
    assert found(app, "", status="unanswered") == []


def test_a_staff_answer_marks_the_thread_staff_answered(app, engine, session, people, asked):
    assert found(app, "", staff_answered=True) == []
    threads.answer(session, people["staff"], asked, body="Our engineers recommend a new valve.")
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "", staff_answered=True) == [asked.id]


def test_editing_a_question_finds_new_words_and_forgets_old_ones(app, engine, session, people, asked):
    question = threads.question_of(session, asked)
    assert found(app, "gauge") == [asked.id]
    threads.edit_post(
        session, people["asker"], question, body="The manometer shows nothing at all.",
        title=asked.title, tags="",
    )
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "manometer") == [asked.id]
    assert found(app, "gauge") == []


def test_editing_an_answer_finds_new_words_and_forgets_old_ones(app, engine, session, people, asked):
    answer = make_answer(session, asked, author=people["helper"], body="Check the filling loop tap.")
    session.commit()
    assert found(app, "filling loop") == [asked.id]
    threads.edit_post(session, people["helper"], answer, body="Replace the pressure relief valve.")
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "relief valve") == [asked.id]
    assert found(app, "filling") == []


def test_retitling_a_thread(app, engine, session, people, asked):
    question = threads.question_of(session, asked)
    threads.edit_post(
        session, people["asker"], question, body=question.body_md, title="Heating loses water pressure", tags="",
    )
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "loses water") == [asked.id]
    assert found(app, "overnight") == []


def test_moving_a_thread_to_another_category(app, engine, session, people, asked):
    heating, billing = people["heating"].id, people["billing"].id
    assert found(app, "boiler", category_id=heating) == [asked.id]
    question = threads.question_of(session, asked)
    threads.edit_post(
        session, people["mod"], question, body=question.body_md, title=asked.title, tags="",
        category_id=billing,
    )
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "boiler", category_id=heating) == []
    assert found(app, "boiler", category_id=billing) == [asked.id]


def test_retagging_a_thread(app, engine, session, people, asked):
    question = threads.question_of(session, asked)
    threads.edit_post(session, people["asker"], question, body=question.body_md, title=asked.title, tags="pressure")
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "", tag="pressure") == [asked.id]


def test_deleting_and_restoring_an_answer(app, engine, session, people, asked):
    answer = make_answer(session, asked, author=people["helper"], body="Bleed the radiators first.")
    session.commit()
    threads.delete_post(session, people["helper"], answer)
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "bleed radiators") == []
    assert found(app, "boiler") == [asked.id]

    threads.restore_post(session, people["staff"], answer)
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "bleed radiators") == [asked.id]


def test_deleting_and_restoring_a_question(app, engine, session, people, asked):
    question = threads.question_of(session, asked)
    threads.delete_post(session, people["asker"], question)
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "boiler") == []
    assert asked.id not in app.extensions["hearth.search"].indexed_versions()

    threads.restore_post(session, people["staff"], question)
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "boiler") == [asked.id]


def test_accepting_and_unaccepting_change_the_solved_filter(app, engine, session, people, asked):
    answer = make_answer(session, asked, author=people["helper"], body="Replace the expansion vessel.")
    session.commit()
    assert found(app, "boiler", status="unsolved") == [asked.id]

    accepting.accept_answer(session, people["asker"], answer)
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "boiler", status="solved") == [asked.id]
    assert found(app, "boiler", status="unsolved") == []

    accepting.unaccept_answer(session, people["asker"], asked)
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "boiler", status="solved") == []
    assert found(app, "boiler", status="unsolved") == [asked.id]


def test_deleting_the_accepted_answer_unsolves_the_thread(app, engine, session, people, asked):
    answer = make_answer(session, asked, author=people["helper"], body="Replace the expansion vessel.")
    accepting.accept_answer(session, people["asker"], answer)
    session.commit()
    threads.delete_post(session, people["mod"], answer)
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "boiler", status="solved") == []
    assert found(app, "expansion") == []


def test_a_locked_thread_stays_searchable(app, engine, session, people, asked):
    threads.set_locked(session, people["mod"], asked, True)
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "boiler pressure") == [asked.id]
    # Staff may still answer a locked thread, and that answer is found too.
    threads.answer(session, people["staff"], asked, body="We are replacing the unit next week.")
    commit_and_check(app, engine, session, asked.id)
    assert found(app, "replacing unit") == [asked.id]


# --- transactions ------------------------------------------------------------------------------


def test_a_rolled_back_change_leaves_no_outbox_row_and_no_index_change(app, engine, session, people, asked):
    versions = app.extensions["hearth.search"].indexed_versions()
    question = threads.question_of(session, asked)
    threads.edit_post(session, people["asker"], question, body="Totally new wording here.", title=asked.title, tags="")
    threads.answer(session, people["helper"], asked, body="An answer that never was.")
    threads.ask(session, people["asker"], title="A question that never was", body="Never committed.",
                category_id=people["heating"].id)
    assert len(own_outbox(session)) == 3
    session.rollback()

    assert own_outbox(session) == [] and committed_outbox(engine) == []
    assert app.extensions["hearth.search"].indexed_versions() == versions
    assert found(app, "wording") == [] and found(app, "never") == []
    assert found(app, "gauge") == [asked.id]
    # A later commit in the same session does not resurrect the rolled-back rows.
    threads.answer(session, people["helper"], asked, body="A real answer about the gauge.")
    session.commit()
    assert found(app, "never") == []


def test_a_failed_change_rolled_back_by_the_site_is_not_indexed(app, session, people, asked):
    client = app.test_client()
    login(client, "helper")
    response = client.post(f"/t/{asked.id}/answer", data={"body": "short"})
    assert response.status_code == 400
    assert found(app, "short") == []
    session.rollback()
    assert session.scalar(select(func.count()).select_from(SearchOutbox)) == 0


def test_outbox_rows_are_deleted_once_applied(app, engine, session, people, asked):
    for n in range(3):
        make_answer(session, asked, author=people["helper"], body=f"Answer number {n} with details.")
    assert own_outbox(session) == [asked.id] * 3
    session.commit()
    assert committed_outbox(engine) == []
    assert found(app, "details") == [asked.id]


def test_a_change_through_the_site_is_searchable_after_the_request(app, engine, people, asked):
    client = app.test_client()
    login(client, "helper")
    response = client.post(f"/t/{asked.id}/answer", data={"body": "Top up through the filling loop."})
    assert response.status_code == 302
    assert committed_outbox(engine) == []
    assert found(app, "filling loop") == [asked.id]


# --- a crash between commit and indexing -----------------------------------------------------


class WorkerConfig(TestingConfig):
    """Indexing left to a separate worker process that is not running."""

    __test__ = False
    SEARCH_INDEXER = "worker"


@pytest.fixture
def worker_app(search_backend_name, engine, database_url, tmp_path):
    index_dir = str(tmp_path / "worker-index")
    app = create_app(WorkerConfig(database_url, search_index_dir=index_dir, search_backend=search_backend_name))
    yield app
    app.extensions["hearth.search"].close()
    app.extensions["hearth.engine"].dispose()


def test_nothing_is_lost_when_indexing_does_not_follow_the_commit(worker_app, engine):
    factory, backend = worker_app.extensions["hearth.sessionmaker"], worker_app.extensions["hearth.search"]
    with factory() as session:
        thread = make_thread(session, title="Boiler pressure drops overnight", body="The gauge reads zero.")
        answer = make_answer(session, thread, body="Replace the expansion vessel.")
        session.commit()
        thread_id = thread.id
        threads.edit_post(session, _author(session, answer), answer, body="Replace the pressure relief valve.")
        session.commit()

    assert committed_outbox(engine) == [thread_id, thread_id, thread_id]
    assert backend.search(SearchRequest(text="boiler")).thread_ids == []

    assert indexer.drain(factory, backend) == 1

    assert committed_outbox(engine) == []
    assert backend.search(SearchRequest(text="boiler")).thread_ids == [thread_id]
    assert backend.search(SearchRequest(text="relief valve")).thread_ids == [thread_id]
    assert backend.search(SearchRequest(text="expansion")).thread_ids == []
    assert indexer.drain(factory, backend) == 0


def _author(session, post):
    return session.get(User, post.author_id)


def test_a_crash_while_indexing_keeps_the_rows_for_the_next_drain(worker_app, engine, monkeypatch):
    factory, backend = worker_app.extensions["hearth.sessionmaker"], worker_app.extensions["hearth.search"]
    with factory() as session:
        thread = make_thread(session, title="Boiler pressure drops overnight", body="The gauge reads zero.")
        session.commit()
        thread_id = thread.id

    def crash(*_args, **_kwargs):
        raise RuntimeError("the index disk is full")

    monkeypatch.setattr(indexer, "build_documents", crash)
    with pytest.raises(RuntimeError):
        indexer.drain(factory, backend)
    monkeypatch.undo()

    assert committed_outbox(engine) == [thread_id]
    assert backend.search(SearchRequest(text="boiler")).thread_ids == []
    assert indexer.drain(factory, backend) == 1
    assert backend.search(SearchRequest(text="boiler")).thread_ids == [thread_id]
    assert committed_outbox(engine) == []
