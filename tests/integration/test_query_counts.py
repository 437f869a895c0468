"""No N+1 queries: the statements a page runs do not grow with the number of items it shows."""

import pytest
from sqlalchemy import event

from community import accepting, voting
from tests.factories import VOTER_REPUTATION, make_answer, make_category, make_thread, make_user


@pytest.fixture
def count_statements(app):
    engine = app.extensions["hearth.engine"]

    def run(client, url) -> int:
        statements = []

        def note(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert response.status_code == 200, url
        return len(statements)

    return run


def _busy_threads(db, category, count):
    """Threads by different askers, each answered, voted and accepted, with tags."""
    voter = make_user(db, reputation=VOTER_REPUTATION)
    made = []
    for n in range(count):
        asker = make_user(db)
        thread = make_thread(db, author=asker, category=category, title=f"Boiler question number {n} about pressure")
        answer = make_answer(db, thread, body=f"Check the boiler pressure valve, step {n}.")
        voting.cast_vote(db, voter, answer, 1)
        accepting.accept_answer(db, asker, answer)
        made.append(thread)
    db.commit()
    return made


@pytest.mark.parametrize("url", ["/", "/c/{slug}", "/search?q=boiler", "/leaderboard?period=all"])
def test_list_pages_run_the_same_statements_for_2_and_12_items(app, client, db, count_statements, url):
    small, large = make_category(db, slug="small"), make_category(db, slug="large")
    _busy_threads(db, small, 2)
    first = count_statements(client, url.format(slug="small"))
    _busy_threads(db, large, 10)  # the home page and search now show 12
    second = count_statements(client, url.format(slug="large"))
    assert first == second, f"{url}: {first} statements for few items, {second} for many"


def _thread_with_answers(db, count):
    thread = make_thread(db)
    voter = make_user(db, role="staff")
    for n in range(count):
        answer = make_answer(db, thread, author=make_user(db), body=f"Answer number {n} with details.")
        if n % 3 == 0:
            voting.cast_vote(db, voter, answer, 1)
    db.commit()
    return thread


def test_a_thread_page_runs_the_same_statements_with_5_and_100_answers(client, db, count_statements):
    few, many = _thread_with_answers(db, 5), _thread_with_answers(db, 100)
    signed_in = make_user(db, "reader_rae", reputation=VOTER_REPUTATION)
    db.commit()
    visitor_counts = [count_statements(client, f"/t/{t.id}/{t.slug}") for t in (few, many)]
    client.post("/login", data={"login": signed_in.username, "password": "correct-horse-9"})
    member_counts = [count_statements(client, f"/t/{t.id}/{t.slug}") for t in (few, many)]
    assert visitor_counts[0] == visitor_counts[1], visitor_counts
    assert member_counts[0] == member_counts[1], member_counts


@pytest.mark.parametrize("tab", ["activity", "questions", "answers", "accepted", "reputation", "following"])
def test_a_profile_runs_the_same_statements_for_few_and_many_posts(client, db, count_statements, tab):
    quiet, busy = make_user(db, "quiet_quinn"), make_user(db, "busy_bea")
    category = make_category(db)
    for author, count in ((quiet, 2), (busy, 12)):
        for n in range(count):
            asker = make_user(db)
            thread = make_thread(db, author=asker, category=category, title=f"Question {n} for {author.username} here")
            answer = make_answer(db, thread, author=author)
            accepting.accept_answer(db, asker, answer)
            make_thread(db, author=author, category=category, title=f"Own question {n} of {author.username}")
    db.commit()
    counts = [count_statements(client, f"/u/{u.username}?tab={tab}") for u in (quiet, busy)]
    assert counts[0] == counts[1], counts
