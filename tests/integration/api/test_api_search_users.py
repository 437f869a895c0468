"""Search, similar questions and member profiles through the API: the web's services on a real
index (once per search backend: see `search_backend_name` in conftest.py) and a real ledger."""

import shutil
from datetime import datetime

import pytest
from sqlalchemy import select

from community import accepting, badges, moderation, rules, suspensions, threads
from community.models import BadgeAward, Role, SearchQuery, Thread, User
from search.analysis import MAX_QUERY_CHARS
from tests.factories import add_votes, make_answer, make_thread, make_user
from tests.integration.api.contract import conforms, problem, token

searching = pytest.mark.usefixtures("search_backend_name")




def search(app, client, headers=None, **args) -> dict:
    response = client.get("/api/v1/search", query_string=args, headers=headers or {})
    assert response.status_code == 200, response.data
    return conforms(app, response, "GET", "/api/v1/search")


def titles(body: dict) -> list[str]:
    return [item["thread"]["title"] for item in body["items"]]


# --- search ------------------------------------------------------------------------------------


@searching
def test_search_finds_a_thread_by_its_words_with_its_best_post_and_snippet(app, client, world):
    body = search(app, client, q="water pressure gauge")
    assert body["total"] == 1 and body["total_exact"] and not body["partial"]
    [result] = body["items"]
    assert result["position"] == 1
    assert result["thread"]["id"] == world["boiler"] and result["thread"]["solved"]
    assert result["thread"]["category"]["slug"] == "heating" and sorted(result["thread"]["tags"]) == ["boiler", "error"]
    # The staff answer holds every word, so it is the post a reader is sent to.
    assert result["best_post_id"] == world["gauge"] and result["best_post_url"].endswith(f"/p/{world['gauge']}")
    assert "<mark" in result["snippet_html"] and ">water</mark>" in result["snippet_html"]
    assert result["accepted_excerpt"] == "Hold the reset button for ten seconds until the display restarts."


@searching
def test_snippets_are_escaped_html(app, client, session):
    make_thread(session, title="Thermostat shows <b> tags in its menu", body="The menu prints <script>x</script> & more.")
    session.commit()
    [result] = search(app, client, q="menu script")["items"]
    assert "<script" not in result["snippet_html"] and "&lt;<mark>script</mark>&gt;" in result["snippet_html"]
    assert "&amp; more" in result["snippet_html"]


@searching
def test_search_filters_sorts_and_pages_like_the_web(app, client, session, world):
    assert titles(search(app, client, q="shows", category="billing")) == ["Invoice shows the wrong postal address"]
    assert titles(search(app, client, q="shows", status="solved")) == ["Boiler shows error E17 after a power cut"]
    assert titles(search(app, client, q="shows", status="unanswered")) == ["Invoice shows the wrong postal address"]
    assert titles(search(app, client, q="shows", tag="invoice")) == ["Invoice shows the wrong postal address"]
    assert titles(search(app, client, q="shows", staff="true")) == ["Boiler shows error E17 after a power cut"]
    assert search(app, client, q="shows", until="2000-01-01")["items"] == []

    first = search(app, client, q="shows", sort="newest", per_page=1)
    # Whoosh cannot tell from a full page whether more match: its total is then a lower bound.
    assert first["total"] >= 2 and first["next"] and first["prev"] is None
    assert titles(first) == ["Invoice shows the wrong postal address"]
    second = client.get(first["next"]).get_json()
    assert titles(second) == ["Boiler shows error E17 after a power cut"] and second["items"][0]["position"] == 2
    assert second["prev"]
    whole = search(app, client, q="shows", sort="newest")
    assert whole["total"] == 2 and whole["total_exact"] and whole["pages"] == 1 and whole["next"] is None

    problem(app, client.get("/api/v1/search?q=shows&category=nope"), "GET", "/api/v1/search", 404)
    body = problem(app, client.get("/api/v1/search?q=shows&status=closed"), "GET", "/api/v1/search", 422)
    assert body["errors"][0]["field"] == "status"
    for bad in ("yesterday", "2025-02-30", "1700000000"):
        problem(app, client.get(f"/api/v1/search?q=shows&since={bad}"), "GET", "/api/v1/search", 422)
    problem(app, client.get("/api/v1/search?q=shows&page=101"), "GET", "/api/v1/search", 422)


@searching
def test_a_misspelling_gets_a_suggestion_and_partial_matches_say_so(app, client, world):
    assert search(app, client, q="storrm")["suggestion"] == "storm"
    partial = search(app, client, q="invoice zebrafish")
    assert partial["partial"] and titles(partial) == ["Invoice shows the wrong postal address"]


@searching
def test_hidden_and_deleted_threads_are_never_found(app, client, session, world):
    member = token(session, make_user(session), "read")
    staff = token(session, world["mo"], "read", "staff")
    boiler = session.get(Thread, world["boiler"])
    moderation.hide_post(session, world["mo"], threads.question_of(session, boiler), reason="Spam link in the body")
    session.commit()
    for headers in (None, member, staff):
        assert search(app, client, headers, q="boiler e17")["items"] == []

    invoice = session.get(Thread, world["invoice"])
    threads.delete_post(session, world["bob"], threads.question_of(session, invoice))
    session.commit()
    assert search(app, client, q="invoice")["items"] == []


@searching
def test_a_thread_hidden_before_the_index_caught_up_is_still_left_out(app, client, session, world):
    """The index may trail the database: the results are filtered against the database."""
    boiler = session.get(Thread, world["boiler"])
    boiler.hidden_at = boiler.created_at  # no outbox row: the index still holds the thread
    session.commit()
    body = search(app, client, q="boiler e17")
    assert body["items"] == []


ODD_QUERIES = [
    '"unbalanced quote', "AND OR", "OR", "NOT boiler", "*", "boil*", "title:boiler", "thread_id:1",
    "((((", "boiler^3", "e17~2", '""', "-", "\\", "%00", "日本語 ボイラー", "🔥🔥", "a" * MAX_QUERY_CHARS,
    " ".join(["boiler"] * 60)[:MAX_QUERY_CHARS], "  ",
]


@searching
def test_odd_search_syntax_is_read_as_words_never_an_error(app, client, world):
    for typed in ODD_QUERIES:
        response = client.get("/api/v1/search", query_string={"q": typed})
        assert response.status_code == 200, (typed, response.data)
        conforms(app, response, "GET", "/api/v1/search")
    # Syntax-looking text is plain words: "title:boiler" is the words title and boiler, not a field query.
    assert titles(search(app, client, q="title:boiler")) == ["Boiler shows error E17 after a power cut"]


@searching
def test_a_query_past_the_length_limit_or_with_control_characters_is_refused_or_read(app, client, world):
    body = problem(app, client.get("/api/v1/search", query_string={"q": "a" * (MAX_QUERY_CHARS + 1)}), "GET", "/api/v1/search", 422)
    assert body["errors"][0]["field"] == "q"
    # NUL and other control characters are dropped before the index sees them (PostgreSQL cannot hold NUL).
    found = client.get("/api/v1/search", query_string={"q": "boiler\x00e17\x07"})
    assert found.status_code == 200 and titles(found.get_json()) == ["Boiler shows error E17 after a power cut"]


@searching
def test_member_and_visitor_searches_are_logged_for_analytics_staff_ones_are_not(app, client, session, world):
    member = token(session, make_user(session), "read")
    search(app, client, member, q="Boiler   E17")
    search(app, client, q="no such words anywhere")
    search(app, client, token(session, world["sam"], "read"), q="staff looking at boilers")
    search(app, client, member, q="boiler", page=2)  # further pages are the same search
    search(app, client, member, category="heating")  # no words: nothing to learn from
    logged = session.execute(select(SearchQuery.query, SearchQuery.source, SearchQuery.results).order_by(SearchQuery.id)).all()
    assert logged == [("boiler e17", "api", 1), ("no such words anywhere", "api", 0)]


def test_an_unreadable_index_is_503_not_a_server_error(app, client, world):
    """On the default Whoosh backend, whose index is a folder that can disappear."""
    assert search(app, client, q="boiler")["total"] == 1
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    response = client.get("/api/v1/search?q=boiler")
    problem(app, response, "GET", "/api/v1/search", 503)
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/api/v1/similar?title=Boiler shows error E17").get_json() == {"items": []}


# --- similar questions -------------------------------------------------------------------------


@searching
def test_similar_finds_a_near_title_solved_first(app, client, world):
    response = client.get("/api/v1/similar", query_string={"title": "Boiler shows error E17 after the storm"})
    body = conforms(app, response, "GET", "/api/v1/similar")
    assert [item["thread"]["id"] for item in body["items"]][:1] == [world["boiler"]]
    assert body["items"][0]["accepted_excerpt"].startswith("Hold the reset button")
    assert body["items"][0]["thread"]["url"].endswith("/boiler-shows-error-e17-after-a-power-cut")


@searching
def test_similar_ignores_short_titles_and_hidden_threads(app, client, session, world):
    assert client.get("/api/v1/similar?title=Boiler").get_json() == {"items": []}
    boiler = session.get(Thread, world["boiler"])
    moderation.hide_post(session, world["mo"], threads.question_of(session, boiler), reason="Spam link in the body")
    session.commit()
    body = client.get("/api/v1/similar", query_string={"title": "Boiler shows error E17 after the storm"}).get_json()
    assert world["boiler"] not in [item["thread"]["id"] for item in body["items"]]
    problem(app, client.get("/api/v1/similar"), "GET", "/api/v1/similar", 422)
    too_long = {"title": "b" * (MAX_QUERY_CHARS + 1)}
    problem(app, client.get("/api/v1/similar", query_string=too_long), "GET", "/api/v1/similar", 422)


# --- profiles ----------------------------------------------------------------------------------


def test_a_profile_shows_the_ledger_s_reputation_rank_badges_and_stats(app, client, db):
    helper = make_user(db, "helper", reputation=40)
    staff = make_user(db, "stella", role=Role.STAFF)
    asker = make_user(db, "asker")
    thread = make_thread(db, author=asker, title="Radiator valve is stuck open all winter")
    answer = make_answer(db, thread, author=helper, body="Tap the pin with a spanner until it moves.")
    add_votes(db, answer, 1)
    accepting.accept_answer(db, asker, answer)
    make_thread(db, author=helper, title="How do I bleed a radiator without a key?")
    badges.award_champion(db, staff, helper, "Answers every radiator question kindly")
    db.commit()
    db.refresh(helper)

    body = conforms(app, client.get("/api/v1/users/HELPER"), "GET", "/api/v1/users/{username}")
    # 40 from set-up, +10 for the upvote, +15 for the accept, all through the ledger.
    assert helper.reputation == 65 and body["reputation"] == 65
    assert body["username"] == "helper" and not body["is_staff"] and body["url"].endswith("/u/helper")
    here, following = rules.rank_for(65), rules.next_rank(65)
    assert body["rank"]["name"] == here.name and body["rank"]["progress"] == rules.rank_progress(65)
    assert body["rank"]["next"] == ({"name": following.name, "minimum": following.minimum} if following else None)
    held = {b["key"]: b for b in body["badges"]}
    expected = {h.badge.key: h for h in badges.badges_of(db, helper)}
    assert set(held) == set(expected) and "community-champion" in held
    champion = held["community-champion"]
    assert champion["tier"] == "gold" and champion["count"] == 1 and champion["reason"] == "Answers every radiator question kindly"
    assert champion["url"].endswith("/badges/community-champion")
    awarded = db.scalar(select(BadgeAward.awarded_at).where(BadgeAward.user_id == helper.id, BadgeAward.badge == "community-champion"))
    assert datetime.fromisoformat(champion["awarded_at"]) == awarded
    assert body["badges"][0]["tier"] == "gold"  # gold first, as on the page
    assert body["stats"] == {
        "questions": 1, "answers": 1, "accepted_answers": 1, "people_helped": 1, "people_reached": 0, "following": 1,
    }
    assert body["suspension"] is None
    assert "email" not in body and "helper@example.com" not in str(body)


def test_a_profile_at_the_top_rank_has_no_next_rank(app, client, db):
    top = rules.current().ranks[-1]
    make_user(db, "veteran", reputation=top.minimum + 5)
    db.commit()
    body = client.get("/api/v1/users/veteran").get_json()
    assert body["rank"] == {"name": top.name, "minimum": top.minimum, "next": None, "progress": 100}


def test_unknown_or_malformed_usernames(app, client):
    problem(app, client.get("/api/v1/users/nobody-here"), "GET", "/api/v1/users/{username}", 404)
    problem(app, client.get("/api/v1/users/bad%00name"), "GET", "/api/v1/users/{username}", 422)
    problem(app, client.get("/api/v1/users/" + "x" * 61), "GET", "/api/v1/users/{username}", 422)


def test_an_imported_placeholder_account_shows_like_any_profile(app, client, db):
    imported = make_user(db, "so_user_17")
    imported.placeholder_source = "stackexchange: cooking"
    db.commit()
    body = conforms(app, client.get("/api/v1/users/so_user_17"), "GET", "/api/v1/users/{username}")
    assert body["username"] == "so_user_17" and body["reputation"] == 1 and body["badges"] == []


def test_a_suspension_shows_to_the_member_and_to_moderators_only(app, client, db):
    member = make_user(db, "grumpy")
    moderator = make_user(db, "mona", role=Role.MODERATOR)
    own_token = token(db, member, "read")  # made before: a suspended member cannot make one
    suspensions.suspend(db, moderator, member, days=3, reason="Insulting other members")
    db.commit()
    rule = "/api/v1/users/{username}"
    assert conforms(app, client.get("/api/v1/users/grumpy"), "GET", rule)["suspension"] is None
    other = token(db, make_user(db), "read")
    assert client.get("/api/v1/users/grumpy", headers=other).get_json()["suspension"] is None
    # A moderator sees it with a staff token, as in the profile's staff tools; a read token reads as anyone.
    assert client.get("/api/v1/users/grumpy", headers=token(db, moderator, "read")).get_json()["suspension"] is None
    seen = conforms(app, client.get("/api/v1/users/grumpy", headers=token(db, moderator, "staff")), "GET", rule)["suspension"]
    assert seen["reason"] == "Insulting other members" and seen["until"] is not None
    own = conforms(app, client.get("/api/v1/me", headers=own_token), "GET", "/api/v1/me")
    assert own["suspension"]["reason"] == "Insulting other members"
    db.refresh(member)
    assert own["suspension"]["until"][:10] == member.suspended_until.date().isoformat()


def test_me_is_the_token_owner_with_the_token_s_scopes(app, client, db):
    problem(app, client.get("/api/v1/me"), "GET", "/api/v1/me", 401)
    member = make_user(db, "maya", reputation=12)
    db.commit()
    body = conforms(app, client.get("/api/v1/me", headers=token(db, member, "write")), "GET", "/api/v1/me")
    assert body["username"] == "maya" and body["reputation"] == 12 and body["scopes"] == ["read", "write"]
    assert conforms(app, client.get("/api/v1/me", headers=token(db, member)), "GET", "/api/v1/me")["scopes"] == ["read"]

    staff = make_user(db, "stan", role=Role.STAFF)
    headers = token(db, staff, "staff")
    body = client.get("/api/v1/me", headers=headers).get_json()
    assert body["is_staff"] and body["scopes"] == ["read", "staff"]
    # Staff rights follow the role today: a demoted owner's token no longer counts as staff.
    db.get(User, staff.id).role = Role.MEMBER.value
    db.commit()
    assert client.get("/api/v1/me", headers=headers).get_json()["scopes"] == ["read"]
