"""Search analytics and measured deflection, end to end, and the staff pages that show them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, update

from app.searching import visitor
from community import accepting, threads
from community.db import utcnow
from community.models import DeflectionView, Role, SearchClick, SearchQuery
from search.indexer import drain
from tests.factories import count_rows, make_answer, make_category, make_thread, make_user
from tests.integration.helpers import fresh, login, text

RESULT_LINK = re.compile(r'<h2 class="thread-title">.*?<a href="([^"]+)">', re.S)


def index(app) -> None:
    drain(app.extensions["hearth.sessionmaker"], app.extensions["hearth.search"])


@pytest.fixture
def content(app, db):
    """A solved and an unsolved thread about the boiler, indexed for search."""
    category = make_category(db, "Heating")
    answerer = make_user(db, "helpful_hannah")
    asker = make_user(db, "asker")
    solved = make_thread(db, author=asker, category=category, title="Boiler pressure keeps dropping overnight")
    accepting.accept_answer(db, asker, make_answer(db, solved, author=answerer, body="Bleed the radiators first."))
    unsolved = make_thread(db, category=category, title="Boiler makes a clicking noise at night")
    make_user(db, "member")
    make_user(db, "staffer", role=Role.STAFF)
    db.commit()
    index(app)
    return {"solved": solved, "unsolved": unsolved, "category": category}


def solved_url(content) -> str:
    thread = content["solved"]
    return f"/t/{thread.id}/{thread.slug}"


def age_views(db, minutes: int = 31) -> None:
    """Move every recorded opening back in time, as if the visitor had left a while ago."""
    db.execute(update(DeflectionView).values(opened_at=utcnow() - timedelta(minutes=minutes)))
    db.commit()


def avoided_total(client) -> int:
    page = text(client.get("/staff/deflection"))
    return int(re.search(r"<dt>Questions avoided</dt><dd>(\d+)</dd>", page).group(1))


@pytest.fixture
def staff_client(app, content):
    staff = app.test_client()
    login(staff, "staffer")
    return staff


def test_a_search_is_logged_without_anything_about_who_asked(app, client, db, content, engine):
    login(client, "member")
    page = text(client.get("/search?q=Boiler++PRESSURE"))
    assert "Boiler pressure keeps dropping overnight" in page
    found = int(re.search(r"(\d+) threads? found", page).group(1))
    row = fresh(db).scalars(select(SearchQuery)).one()
    assert (row.query, row.source, row.results) == ("boiler pressure", "search", found)
    columns = {c["name"] for c in inspect(engine).get_columns("search_queries")}
    assert columns == {"id", "query", "source", "results", "created_at"}
    assert {c["name"] for c in inspect(engine).get_columns("search_clicks")} == {
        "id", "query_id", "thread_id", "position", "created_at"
    }


def test_only_the_first_page_of_a_search_with_text_is_logged(client, db, content):
    client.get("/search?q=boiler&page=2")
    client.get("/search?q=+++")
    client.get("/search?category=1")
    assert count_rows(fresh(db), SearchQuery) == 0
    client.get("/search?q=nothing+matches+this")
    assert fresh(db).scalars(select(SearchQuery.results)).one() == 0


def test_staff_searches_are_not_logged(staff_client, db, content):
    staff_client.get("/search?q=boiler")
    assert count_rows(fresh(db), SearchQuery) == 0


def test_clicking_a_result_records_the_click_and_still_redirects(client, db, content):
    page = text(client.get("/search?q=boiler+pressure"))
    link = RESULT_LINK.search(page).group(1).replace("&amp;", "&")
    query_id = fresh(db).scalars(select(SearchQuery.id)).one()
    assert f"q={query_id}" in link and "pos=1" in link
    response = client.get(link)
    assert response.status_code == 302 and "/p/" in response.headers["Location"]
    click = fresh(db).scalars(select(SearchClick)).one()
    assert (click.query_id, click.thread_id, click.position) == (query_id, content["solved"].id, 1)


@pytest.mark.parametrize(
    "args",
    ["", "?q=abc&pos=1", "?q={q}&pos=x", "?q={q}", "?pos=1", "?q=999999&pos=1", "?q={q}&pos=0", "?q=-1&pos=1",
     "?q={q}&pos=99999999999", "?q=1e3&pos=1"],
)
def test_bad_analytics_params_still_redirect_and_record_nothing(client, db, content, args):
    client.get("/search?q=boiler")
    query_id = fresh(db).scalars(select(SearchQuery.id)).one()
    post_id = threads.question_of(db, content["solved"]).id
    response = client.get(f"/search/open/{post_id}" + args.format(q=query_id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/p/{post_id}")
    assert count_rows(fresh(db), SearchClick) == 0


def test_a_visitor_who_searched_then_read_a_solved_thread_counts_after_thirty_minutes(
    client, staff_client, db, content
):
    client.get("/search?q=boiler")
    assert client.get(solved_url(content)).status_code == 200
    client.get(solved_url(content))  # reading it twice is still one view
    view = fresh(db).scalars(select(DeflectionView)).one()
    assert view.answer_author_id is not None and view.asked_after_at is None
    assert avoided_total(staff_client) == 0  # still within the 30 minutes
    age_views(db)
    page = text(staff_client.get("/staff/deflection"))
    assert avoided_total(staff_client) == 1
    assert "Boiler pressure keeps dropping overnight" in page
    assert "Heating" in page and "helpful_hannah" in page


def test_no_view_is_recorded_without_a_recent_search_or_for_an_unsolved_thread(client, db, content):
    client.get(solved_url(content))  # no search yet
    client.get("/search?q=boiler")
    unsolved = content["unsolved"]
    client.get(f"/t/{unsolved.id}/{unsolved.slug}")
    assert count_rows(fresh(db), DeflectionView) == 0
    with client.session_transaction() as session:  # the search was 31 minutes ago
        session[visitor.SEARCHED_AT] -= 31 * 60
    client.get(solved_url(content))
    assert count_rows(fresh(db), DeflectionView) == 0


def test_asking_within_thirty_minutes_cancels_the_view(client, staff_client, db, content):
    client.get("/search?q=boiler")
    client.get(solved_url(content))
    login(client, "member")  # signing in keeps the visitor key, so the question is linked
    title = "Boiler pressure drops although I bled the radiators"
    response = client.post(
        "/ask",
        data={
            "title": title,
            "body": "I tried the accepted answer and it did not help.",
            "category": str(content["category"].id),
            "tags": "",
            "reviewed_title": title,
        },
    )
    assert response.status_code == 302, text(response)
    assert fresh(db).scalars(select(DeflectionView)).one().asked_after_at is not None
    age_views(db)
    assert avoided_total(staff_client) == 0
    assert "Asked anyway</dt><dd>1</dd>" in text(staff_client.get("/staff/deflection"))


def test_the_similar_questions_endpoint_counts_as_a_search(client, db, content):
    client.get("/search/similar?title=how+to+fix+boiler+pressure")
    with client.session_transaction() as session:
        assert visitor.KEY in session and visitor.SEARCHED_AT in session
    client.get(solved_url(content))
    assert count_rows(fresh(db), DeflectionView) == 1


def test_similar_questions_with_no_match_do_not_count(client, content):
    client.get("/search/similar?title=zzzzzzzz+qqqqqqq")
    with client.session_transaction() as session:
        assert visitor.SEARCHED_AT not in session


@pytest.mark.parametrize("path", ["/staff/search", "/staff/deflection"])
def test_members_are_refused_and_visitors_sent_to_sign_in(client, content, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, "member")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/staff/search", "/staff/deflection"])
def test_staff_see_the_pages_and_a_staff_link(staff_client, path):
    page = text(staff_client.get(path))
    assert 'href="/staff/care">Staff</a>' in page
    assert "Last 7 days" in page and 'aria-current="page" class="active">Last 30 days' in page


def test_members_see_no_staff_link(client, content):
    login(client, "member")
    assert "/staff/" not in text(client.get("/"))


def test_the_search_page_lists_top_and_zero_result_queries_and_opened_results(client, staff_client, db, content):
    for q in ["boiler", "Boiler", "error e42"]:
        client.get(f"/search?q={q}")
    link = RESULT_LINK.search(text(client.get("/search?q=boiler+pressure"))).group(1).replace("&amp;", "&")
    client.get(link)
    page = text(staff_client.get("/staff/search?days=7"))
    top = re.search(r'id="top-heading".*?</table>', page, re.S).group(0)
    assert re.search(r">boiler</a></td>\s*<td class=\"num\">2</td>", top)
    zero = re.search(r'id="zero-heading".*?</table>', page, re.S).group(0)
    assert "error e42" in zero and "boiler" not in zero
    assert 'href="/ask?title=error+e42"' in zero and 'href="/search?q=error+e42"' in zero
    opened = re.search(r'id="opened-heading".*?</table>', page, re.S).group(0)
    assert "boiler pressure" in opened and "Boiler pressure keeps dropping overnight" in opened


@pytest.mark.parametrize(
    "query, shown",
    [
        ("?days=90", 'class="active">Last 90 days</a>'),
        ("?from=2026-01-10&to=2026-01-01", "01 Jan 2026 – 10 Jan 2026"),
        ("?from=nonsense", "is not a date"),
        ("?from=0001-01-01&to=9999-12-31", "at most 366 days"),
    ],
)
def test_the_period_can_be_chosen_in_the_url(staff_client, query, shown):
    for path in ("/staff/search", "/staff/deflection"):
        response = staff_client.get(path + query)
        assert response.status_code == 200
        assert shown in text(response)


def test_the_ask_page_showing_similar_questions_counts_as_a_search(client, db, content):
    login(client, "member")
    with client.session_transaction() as session:
        assert visitor.SEARCHED_AT not in session
    page = text(client.get("/ask?title=Boiler+pressure+keeps+dropping"))
    assert 'id="similar-list"' in page and "Boiler pressure keeps dropping overnight" in page
    client.get(solved_url(content))
    assert count_rows(fresh(db), DeflectionView) == 1
