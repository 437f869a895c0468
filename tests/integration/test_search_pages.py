"""Searching through the site: the results page, following a result, filters, suggestions,
paging, the similar-questions endpoint and the ask page's look-alike check (once per search
backend: see `search_backend_name` in conftest.py)."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from community import accepting, threads
from community.models import Post, Thread
from tests.factories import make_answer
from tests.integration.helpers import login, text

pytestmark = pytest.mark.usefixtures("search_backend_name")

RESULT = re.compile(r'<li class="search-result[^"]*">.*?</li>', re.S)
OPEN_LINK = re.compile(r'<a href="/search/open/(\d+)(?:\?[^"]*)?">([^<]*)</a>')


def results(page: str) -> list[dict]:
    """Each result as shown: title, the post it opens, snippet HTML and the rest of its text."""
    shown = []
    for block in RESULT.findall(page):
        post_id, title = OPEN_LINK.search(block).groups()
        snippet = re.search(r'<p class="snippet">(.*?)</p>', block, re.S)
        accepted = re.search(r'<p class="accepted-excerpt"><strong>Accepted answer:</strong> (.*?)</p>', block, re.S)
        shown.append(
            {
                "title": html.unescape(title),
                "post_id": int(post_id),
                "snippet": snippet.group(1) if snippet else "",
                "accepted": html.unescape(accepted.group(1)) if accepted else None,
                "solved": "✓ Solved" in block,
                "html": block,
            }
        )
    return shown


def titles(page: str) -> list[str]:
    return [r["title"] for r in results(page)]


def search(client, **args) -> str:
    response = client.get("/search", query_string=args)
    assert response.status_code == 200
    return text(response)


def suggestion(page: str) -> str | None:
    found = re.search(r'Did you mean <a href="([^"]+)">([^<]*)</a>\?', page)
    return html.unescape(found.group(2)) if found else None


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(html.unescape(url)).query)




# --- a result --------------------------------------------------------------------------------


def test_a_result_shows_what_helps_pick_it(client, world):
    page = search(client, q="water pressure gauge")

    [result] = results(page)
    assert result["title"] == "Boiler shows error E17 after a power cut"
    assert "<mark" in result["snippet"] and re.search(r"<mark[^>]*>water</mark>", result["snippet"])
    assert "gauge" in result["snippet"]
    assert result["solved"]
    assert result["accepted"] == "Hold the reset button for ten seconds until the display restarts."
    block = result["html"]
    assert 'href="/c/heating">Heating</a>' in block
    assert ">boiler</a>" in block and ">error</a>" in block
    assert 'href="/u/alice"' in block
    assert "2 answers" in block
    assert "1 thread found" in page


def test_a_result_opens_the_best_matching_post(client, world):
    [by_staff] = results(search(client, q="water pressure gauge"))
    [by_question] = results(search(client, q="storm radiators"))
    [by_answer] = results(search(client, q="hold button seconds"))
    assert by_staff["post_id"] == world["gauge"]
    assert by_answer["post_id"] == world["reset"]
    assert by_question["post_id"] == world["question"]

    first = client.get(f"/search/open/{world['gauge']}")
    assert first.status_code == 302 and first.headers["Location"] == f"/p/{world['gauge']}"
    second = client.get(first.headers["Location"])
    assert second.status_code == 302
    assert second.headers["Location"] == (
        f"/t/{world['boiler']}/boiler-shows-error-e17-after-a-power-cut#post-{world['gauge']}"
    )
    assert f'id="post-{world["gauge"]}"' in text(client.get(second.headers["Location"]))


def test_opening_a_missing_or_deleted_post_is_not_found(client, session, world):
    assert client.get("/search/open/999999").status_code == 404
    threads.delete_post(session, world["sam"], session.get(Post, world["gauge"]))
    session.commit()
    assert client.get(f"/search/open/{world['gauge']}").status_code == 404


def test_a_title_only_match_still_shows_a_snippet(client, world):
    [result] = results(search(client, q="wrong"))
    assert result["title"] == "Invoice shows the wrong postal address"
    assert result["snippet"] == "My invoice still has the old postal address after moving house."


# --- deleted and locked content ---------------------------------------------------------------


def test_a_deleted_answer_leaves_results_snippets_and_suggestions(client, session, world):
    bob, sam = world["bob"], world["sam"]
    invoice = session.get(Thread, world["invoice"])
    quokka = make_answer(session, invoice, author=sam, body="Your quokka reference changed when you moved.")
    accepting.accept_answer(session, bob, quokka)
    session.commit()
    assert titles(search(client, q="quokka")) == ["Invoice shows the wrong postal address"]

    threads.delete_post(session, sam, quokka)
    session.commit()

    page = search(client, q="quokka")
    assert results(page) == [] and "No threads match" in page
    assert suggestion(search(client, q="quokke")) is None
    [invoice_result] = results(search(client, q="invoice address"))
    assert "quokka" not in invoice_result["html"]
    assert not invoice_result["solved"] and invoice_result["accepted"] is None
    assert results(search(client, q="invoice", status="solved")) == []


def test_a_deleted_question_takes_its_thread_out_of_search(client, session, world):
    assert suggestion(search(client, q="storrm")) == "storm"
    question = threads.question_of(session, session.get(Thread, world["boiler"]))
    threads.delete_post(session, world["alice"], question)
    session.commit()

    for words in ("boiler", "storm", "hold reset button", "water pressure"):
        assert results(search(client, q=words)) == [], words
    assert suggestion(search(client, q="storrm")) is None
    assert suggestion(search(client, q="boilr")) is None
    assert client.get("/search/similar", query_string={"title": "Boiler shows error E17"}).get_json() == []


def test_a_locked_thread_stays_searchable(client, session, world):
    threads.set_locked(session, world["mo"], session.get(Thread, world["boiler"]), True)
    session.commit()
    assert titles(search(client, q="boiler e17")) == ["Boiler shows error E17 after a power cut"]


# --- filters, sorting and notices ------------------------------------------------------------


def test_filters_and_sort_come_from_the_address_and_show_in_the_form(client, world):
    page = search(
        client, q="boiler", category=world["heating"], tag="Boiler", status="solved",
        since="2020-01-01", until="2099-12-31", staff="1", sort="newest",
    )
    assert titles(page) == ["Boiler shows error E17 after a power cut"]
    assert '<details class="filters" open>' in page
    assert f'<option value="{world["heating"]}" selected>Heating</option>' in page
    assert 'name="tag" value="boiler"' in page
    assert '<option value="solved" selected>Solved</option>' in page
    assert 'name="since" value="2020-01-01"' in page and 'name="until" value="2099-12-31"' in page
    assert 'name="staff" value="1" checked' in page
    assert '<option value="newest" selected>Newest</option>' in page
    assert 'name="q" value="boiler"' in page


@pytest.mark.parametrize(
    "args",
    [
        {"category": "billing"},
        {"tag": "invoice"},
        {"status": "unsolved"},
        {"status": "unanswered"},
        {"until": "2000-01-01"},
        {"since": "2099-01-01"},
    ],
)
def test_each_filter_narrows_the_results(client, world, args):
    if args.get("category") == "billing":
        args = {"category": world["billing"]}
    assert results(search(client, q="boiler", **args)) == []
    assert titles(search(client, q="boiler")) == ["Boiler shows error E17 after a power cut"]


def test_filters_without_words_list_threads(client, world):
    assert titles(search(client, category=world["billing"])) == ["Invoice shows the wrong postal address"]
    assert titles(search(client, status="unanswered")) == ["Invoice shows the wrong postal address"]
    assert titles(search(client, staff="1")) == ["Boiler shows error E17 after a power cut"]


def test_an_unknown_sort_or_status_is_ignored(client, world):
    page = search(client, q="shows", sort="thread_id", status="deleted")
    assert sorted(titles(page)) == ["Boiler shows error E17 after a power cut", "Invoice shows the wrong postal address"]
    assert '<option value="relevance" selected>Relevance</option>' in page


def test_a_bad_date_gives_a_notice_not_an_error(client, world):
    page = search(client, q="boiler", since="2024-13-45", until="yesterday")
    assert '<p class="notice">“2024-13-45” is not a date (use YYYY-MM-DD); it was left out.</p>' in page
    assert "“yesterday” is not a date" in page
    assert titles(page) == ["Boiler shows error E17 after a power cut"]
    assert 'name="since" value=""' in page


def test_a_bad_date_is_escaped_in_the_notice(client, world):
    page = search(client, q="boiler", since="<b>x</b>")
    assert "“&lt;b&gt;x&lt;/b&gt;” is not a date" in page


# --- no results, did you mean ----------------------------------------------------------------


def test_no_results_suggests_looser_searches_and_asking(client, world):
    page = search(client, q="purple elephant")
    assert results(page) == []
    assert "No threads match “purple elephant”" in page
    assert 'href="/search?q=purple">purple</a>' in page and 'href="/search?q=elephant">elephant</a>' in page
    assert 'href="/ask?title=purple+elephant"' in page
    assert "Search again without filters" not in page


def test_no_results_with_filters_offers_to_drop_them(client, world):
    page = search(client, q="invoice", category=world["heating"])
    assert results(page) == []
    assert '<a href="/search?q=invoice">Search again without filters</a>' in page


def test_did_you_mean_links_to_the_corrected_search_keeping_filters(client, world):
    page = search(client, q="boilr", status="solved", page="3")
    found = re.search(r'Did you mean <a href="([^"]+)">([^<]*)</a>\?', page)
    assert found and found.group(2) == "boiler"
    assert query_of(found.group(1)) == {"q": ["boiler"], "status": ["solved"]}
    assert titles(text(client.get(html.unescape(found.group(1))))) == ["Boiler shows error E17 after a power cut"]


def test_no_did_you_mean_for_words_that_are_found(client, world):
    assert suggestion(search(client, q="boilers")) is None
    assert suggestion(search(client, q="boiler")) is None


# --- paging ----------------------------------------------------------------------------------


def test_results_come_in_pages(client, session, world):
    for n in range(12):
        threads.ask(
            session, world["bob"], title=f"Convector question number {n:02d}", body="The convector is cold.",
            category_id=world["heating"],
        )
    session.commit()

    first = search(client, q="convector", sort="newest")
    second = search(client, q="convector", sort="newest", page="2")
    # Page 1 may give a lower bound ("11+"); the last page knows the exact count.
    assert re.search(r'role="status">(12|1[012]\+) threads found', first)
    assert "12 threads found" in second
    assert titles(first) == [f"Convector question number {n:02d}" for n in range(11, 1, -1)]
    assert titles(second) == ["Convector question number 01", "Convector question number 00"]
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1)
    assert query_of(next_link) == {"q": ["convector"], "sort": ["newest"], "page": ["2"]}
    prev_link = re.search(r'<a rel="prev" href="([^"]+)"', second).group(1)
    assert query_of(prev_link) == {"q": ["convector"], "sort": ["newest"], "page": ["1"]}
    assert 'rel="next"' not in second
    assert results(search(client, q="convector", page="3")) == []


# --- similar questions -----------------------------------------------------------------------


@pytest.fixture
def lookalikes(session, world):
    """Seven threads about boiler pressure; the two made last are solved."""
    heating, bob, sam = world["heating"], world["bob"], world["sam"]
    made = []
    for n in range(7):
        made.append(
            threads.ask(
                session, bob, title=f"Boiler pressure drops overnight case {n}",
                body="The boiler pressure falls to zero by morning.", category_id=heating,
            )
        )
    for thread in made[-2:]:
        answer = make_answer(session, thread, author=sam, body=f"Replace the pressure relief valve ({thread.id}).")
        accepting.accept_answer(session, bob, answer)
    session.commit()
    return made


def test_similar_returns_solved_look_alikes_first_with_their_accepted_answer(client, lookalikes):
    response = client.get("/search/similar", query_string={"title": "boiler pressure drops overnight"})
    assert response.status_code == 200 and response.is_json
    items = response.get_json()
    assert len(items) == 5
    assert [i["solved"] for i in items] == [True, True, False, False, False]
    solved_ids = {t.id for t in lookalikes[-2:]}
    assert {i["id"] for i in items[:2]} == solved_ids
    for item in items:
        assert set(item) == {"id", "title", "url", "solved", "answers", "accepted_excerpt"}
        assert item["title"].startswith("Boiler pressure drops overnight case")
        assert item["url"].startswith(f"/t/{item['id']}/")
    for item in items[:2]:
        assert item["accepted_excerpt"] == f"Replace the pressure relief valve ({item['id']})."
        assert item["answers"] == 1
    assert all(i["accepted_excerpt"] is None for i in items[2:])


@pytest.mark.parametrize("title", ["", "boiler", "  boiler     ", "x" * 7])
def test_similar_ignores_short_titles(client, lookalikes, title):
    assert client.get("/search/similar", query_string={"title": title}).get_json() == []


def test_similar_finds_nothing_for_an_unrelated_title(client, lookalikes):
    assert client.get("/search/similar", query_string={"title": "How do I export my contacts"}).get_json() == []


# --- the ask page ----------------------------------------------------------------------------


def _ask_form(world, **extra) -> dict:
    return {
        "title": "Boiler pressure drops overnight again",
        "category": str(world["heating"]),
        "tags": "boiler",
        "body": "Pressure is at zero every morning, I refill it every day.",
        **extra,
    }


def _thread_count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Thread))


def test_check_for_similar_questions_keeps_the_text_and_saves_nothing(app, session, world, lookalikes):
    client = app.test_client()
    login(client, "alice")
    before = _thread_count(session)

    response = client.post("/ask", data=_ask_form(world, action="check"))

    page = text(response)
    assert response.status_code == 200
    assert _thread_count(session) == before
    panel = re.search(r'<section id="similar-panel".*?</section>', page, re.S).group(0)
    assert " hidden" not in panel.split(">", 1)[0]
    assert "Boiler pressure drops overnight case" in panel and "✓ Solved" in panel
    assert "Replace the pressure relief valve" in panel
    assert 'value="Boiler pressure drops overnight again"' in page
    assert "Pressure is at zero every morning, I refill it every day." in page


def test_the_ask_page_prefills_the_title_and_its_look_alikes(app, world, lookalikes):
    client = app.test_client()
    login(client, "alice")
    page = text(client.get("/ask", query_string={"title": "boiler pressure drops overnight"}))
    panel = re.search(r'<section id="similar-panel".*?</section>', page, re.S).group(0)
    assert "Boiler pressure drops overnight case" in panel
    assert "Before you post" not in panel


def test_posting_with_a_solved_look_alike_asks_to_review_once(app, session, world, lookalikes):
    client = app.test_client()
    login(client, "alice")
    before = _thread_count(session)

    first = client.post("/ask", data=_ask_form(world))

    assert first.status_code == 200
    assert _thread_count(session) == before
    page = text(first)
    assert "Before you post: is it one of these?" in page
    assert '<input type="hidden" name="reviewed_title" value="Boiler pressure drops overnight again">' in page
    assert "None of these: post my question" in page

    second = client.post("/ask", data=_ask_form(world, reviewed_title="Boiler pressure drops overnight again"))

    assert second.status_code == 302
    assert _thread_count(session) == before + 1
    posted = session.scalar(select(Thread).where(Thread.title == "Boiler pressure drops overnight again"))
    assert second.headers["Location"] == f"/t/{posted.id}/{posted.slug}"


def test_a_review_of_another_title_does_not_count(app, session, world, lookalikes):
    client = app.test_client()
    login(client, "alice")
    before = _thread_count(session)
    response = client.post("/ask", data=_ask_form(world, reviewed_title="Some other title entirely"))
    assert response.status_code == 200 and _thread_count(session) == before


def test_posting_without_a_solved_look_alike_needs_no_review(app, session, world):
    client = app.test_client()
    login(client, "alice")
    response = client.post(
        "/ask",
        data=_ask_form(world, title="Thermostat schedule ignored at weekends", body="It skips Saturday entirely."),
    )
    assert response.status_code == 302


# --- escaping --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "query"),
    [
        ("Gizmo restarts randomly at night", "gizmo restarts"),  # the words are in the post: highlighted
        ("Widget restarts randomly at night", "widget"),  # only the title matches: plain excerpt
    ],
)
def test_html_in_a_post_is_escaped_in_snippets(client, session, world, title, query):
    threads.ask(
        session, world["bob"], title=title, category_id=world["heating"],
        body="Steps: <script>alert('pwned')</script> then <b>it</b> restarts & the gizmo blinks.",
    )
    session.commit()

    [result] = results(search(client, q=query))

    assert "<script>" not in result["html"] and "<b>" not in result["html"]
    assert "&lt;script&gt;alert(" in result["snippet"]
    assert "&amp;" in result["snippet"]
