"""What crawlers and feed readers get: robots.txt, the sitemap, Atom feeds, JSON-LD and meta tags."""

import html
import json
import re
import urllib.robotparser
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

import pytest

from community import accepting, accounts, threads
from community.db import utcnow
from community.models import Role
from tests.factories import add_votes, make_answer, make_category, make_thread, make_user, set_thread_times
from tests.integration.helpers import login, text

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "http://localhost"
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def _url(thread) -> str:
    return f"{BASE}/t/{thread.id}/{thread.slug}"


def _sitemap(client, path="/sitemap.xml") -> list[tuple[str, str | None]]:
    """(loc, lastmod) of every <url> in a sitemap file, in document order."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    return [(u.findtext(f"{SITEMAP}loc"), u.findtext(f"{SITEMAP}lastmod")) for u in root]


def _locs(client, path="/sitemap.xml") -> list[str]:
    return [loc for loc, _ in _sitemap(client, path)]


def _feed(client, path: str) -> tuple[ET.Element, list[dict]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    entries = [
        {
            "id": e.findtext(f"{ATOM}id"),
            "title": e.findtext(f"{ATOM}title"),
            "link": e.find(f"{ATOM}link[@rel='alternate']").get("href"),
            "updated": e.findtext(f"{ATOM}updated"),
            "published": e.findtext(f"{ATOM}published"),
            "author": e.findtext(f"{ATOM}author/{ATOM}name"),
            "summary": e.findtext(f"{ATOM}summary"),
            "category": e.find(f"{ATOM}category").get("term"),
        }
        for e in root.findall(f"{ATOM}entry")
    ]
    return root, entries


def _json_ld(page: str) -> dict:
    blocks = JSON_LD.findall(page)
    assert len(blocks) == 1, blocks
    return json.loads(blocks[0])


def _author(db, post):
    return accounts.get_user(db, post.author_id)


def _meta(page: str, attribute: str, name: str) -> str:
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    assert found, f"no meta {name}"
    return html.unescape(found.group(1))


# --- robots.txt -----------------------------------------------------------------------------


def test_robots_txt_keeps_crawlers_out_of_private_pages_and_points_to_the_sitemap(client):
    response = client.get("/robots.txt")

    body = text(response)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    for path in ("/admin/", "/settings/", "/login", "/register", "/ask", "/search"):
        assert f"Disallow: {path}\n" in body
    assert "Sitemap: http://localhost/sitemap.xml\n" in body
    rules = urllib.robotparser.RobotFileParser()
    rules.parse(body.splitlines())
    for public in ("/", "/c/thermostats", "/t/1/some-question", "/u/alice", "/feeds/latest.atom"):
        assert rules.can_fetch("Googlebot", BASE + public), public
    for private in ("/admin/categories", "/settings/profile", "/login?next=/", "/register", "/ask", "/search?q=wifi"):
        assert not rules.can_fetch("Googlebot", BASE + private), private
    assert rules.site_maps() == [f"{BASE}/sitemap.xml"]


# --- Sitemap --------------------------------------------------------------------------------


def test_the_sitemap_lists_the_home_page_categories_and_threads_newest_activity_first(client, db):
    thermostats = make_category(db, "Thermostats", "thermostats")
    billing = make_category(db, "Billing", "billing")
    older = make_thread(db, category=thermostats, title="The display stays blank after install")
    newer = make_thread(db, category=billing, title="I was charged twice this month")
    now = utcnow()
    set_thread_times(db, older, last_activity_at=now - timedelta(days=2))
    set_thread_times(db, newer, last_activity_at=now - timedelta(hours=1))
    db.commit()

    entries = dict(_sitemap(client))

    assert list(entries) == [
        f"{BASE}/",
        f"{BASE}/c/billing",  # categories in their listed order (position, then name)
        f"{BASE}/c/thermostats",
        _url(newer),
        _url(older),
    ]
    # lastmod is a W3C datetime in UTC; the home page and a category carry their newest activity.
    assert entries[_url(older)] == (now - timedelta(days=2)).isoformat(timespec="seconds")
    assert entries[f"{BASE}/c/thermostats"] == entries[_url(older)]
    assert entries[f"{BASE}/"] == entries[_url(newer)]
    assert datetime.fromisoformat(entries[_url(newer)]).utcoffset() == timedelta(0)


def test_an_empty_category_is_listed_without_a_date(client, db):
    make_category(db, "Billing", "billing")
    db.commit()

    assert _sitemap(client) == [(f"{BASE}/", None), (f"{BASE}/c/billing", None)]


def test_a_new_thread_appears_a_deleted_one_disappears_and_a_restored_one_comes_back(client, db):
    asker, staff = make_user(db), make_user(db, role=Role.STAFF)
    db.commit()
    assert not any("/t/" in loc for loc in _locs(client))

    thread = make_thread(db, author=asker, title="The heating clicks every minute")
    db.commit()
    assert _url(thread) in _locs(client)

    question = threads.question_of(db, thread)
    threads.delete_post(db, asker, question)
    db.commit()
    assert _url(thread) not in _locs(client)

    threads.restore_post(db, staff, question)
    db.commit()
    assert _url(thread) in _locs(client)


def test_lastmod_is_the_later_of_the_last_activity_and_an_edit(client, db):
    thread = make_thread(db, title="The heating clicks every minute")
    answer = make_answer(db, thread)
    long_ago = utcnow() - timedelta(days=30)
    set_thread_times(db, thread, last_activity_at=long_ago)
    db.commit()
    assert dict(_sitemap(client))[_url(thread)] == long_ago.isoformat(timespec="seconds")

    # Editing an answer is not activity, but it changes the page a crawler would index.
    threads.edit_post(db, _author(db, answer), answer, body="A clearer answer now.")
    db.commit()

    assert dict(_sitemap(client))[_url(thread)] == answer.edited_at.isoformat(timespec="seconds")


def test_the_sitemap_parses_whatever_the_titles_hold(client, db):
    category = make_category(db, "Tools & <Parts>", "tools")
    thread = make_thread(db, category=category, title='Tom & Jerry <b>fight</b> "quotes" & more')
    db.commit()

    response = client.get("/sitemap.xml")

    assert _url(thread) in [loc.text for loc in ET.fromstring(response.data).iter(f"{SITEMAP}loc")]
    assert b"<b>" not in response.data


@pytest.mark.parametrize(("thread_count", "split"), [(1, False), (2, True)])
def test_the_sitemap_becomes_an_index_only_beyond_the_per_file_limit(app, client, db, thread_count, split):
    app.config["SITEMAP_MAX_URLS"] = 3  # home + one category + one thread fit exactly
    category = make_category(db, "Thermostats", "thermostats")
    for _ in range(thread_count):
        make_thread(db, category=category)
    db.commit()

    root = ET.fromstring(client.get("/sitemap.xml").data)

    assert root.tag == (f"{SITEMAP}sitemapindex" if split else f"{SITEMAP}urlset")


def test_a_large_sitemap_is_split_into_files_behind_an_index(app, client, db):
    app.config["SITEMAP_MAX_URLS"] = 3
    category = make_category(db, "Thermostats", "thermostats")
    now = utcnow()
    made = []
    for n in range(5):
        thread = make_thread(db, category=category)
        set_thread_times(db, thread, last_activity_at=now - timedelta(hours=n))
        made.append(thread)
    db.commit()

    response = client.get("/sitemap.xml")

    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SITEMAP}sitemapindex"
    files = [s.findtext(f"{SITEMAP}loc") for s in root.findall(f"{SITEMAP}sitemap")]
    assert files == [f"{BASE}/sitemap-1.xml", f"{BASE}/sitemap-2.xml", f"{BASE}/sitemap-3.xml"]
    pages = [_locs(client, loc.removeprefix(BASE)) for loc in files]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == [f"{BASE}/", f"{BASE}/c/thermostats"] + [_url(t) for t in made]
    for beyond in ("/sitemap-4.xml", "/sitemap-0.xml"):
        assert client.get(beyond).status_code == 404


# --- Atom feeds -----------------------------------------------------------------------------


@pytest.fixture
def feed_scene(db):
    """Two categories; threads created at known times; some answered, one deleted."""
    thermostats = make_category(db, "Thermostats", "thermostats")
    billing = make_category(db, "Billing", "billing")
    asker = make_user(db, "asker")
    asker.display_name = "Ada Asker"
    now = utcnow()
    made = {}
    for name, category, hours_ago in [
        ("blank", thermostats, 5),
        ("clicks", thermostats, 4),
        ("charged", billing, 3),
        ("wifi", thermostats, 2),
        ("gone", thermostats, 1),
    ]:
        thread = make_thread(
            db, author=asker, category=category, title=f"Question about the {name} problem here",
            body=f"The **{name}** problem: details & more.",
        )
        set_thread_times(db, thread, created_at=now - timedelta(hours=hours_ago))
        made[name] = thread
    make_answer(db, made["clicks"])
    deleted_answer = make_answer(db, made["wifi"])  # answered, then the only answer was deleted
    threads.delete_post(db, _author(db, deleted_answer), deleted_answer)
    threads.delete_post(db, asker, threads.question_of(db, made["gone"]))
    db.commit()
    return made


def _titles(entries) -> list[str]:
    return [e["title"] for e in entries]


def test_the_latest_feed_lists_public_questions_newest_first(client, feed_scene):
    root, entries = _feed(client, "/feeds/latest.atom")

    assert _titles(entries) == [feed_scene[n].title for n in ("wifi", "charged", "clicks", "blank")]
    assert root.findtext(f"{ATOM}id") == f"{BASE}/feeds/latest.atom"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}/feeds/latest.atom"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == f"{BASE}/?sort=newest"
    assert root.findtext(f"{ATOM}title") == "Latest questions · Hearth"
    assert root.findtext(f"{ATOM}updated") == max(e["updated"] for e in entries)


def test_the_unanswered_feed_lists_only_threads_without_a_visible_answer(client, feed_scene):
    _, entries = _feed(client, "/feeds/unanswered.atom")

    assert _titles(entries) == [feed_scene[n].title for n in ("wifi", "charged", "blank")]


def test_a_feed_entry_has_everything_a_reader_needs(client, db, feed_scene):
    thread = feed_scene["blank"]

    entry = next(e for e in _feed(client, "/feeds/latest.atom")[1] if e["title"] == thread.title)

    assert entry["id"] == f"tag:localhost,{thread.created_at.date().isoformat()}:thread-{thread.id}"
    assert entry["link"] == _url(thread)
    assert entry["published"] == entry["updated"] == thread.created_at.isoformat(timespec="seconds")
    assert entry["author"] == "Ada Asker"
    assert entry["summary"] == "The blank problem: details & more."
    assert entry["category"] == "thermostats"


def test_an_edited_question_keeps_its_entry_id_but_updates_link_and_date(client, db, feed_scene):
    thread = feed_scene["blank"]
    before = next(e for e in _feed(client, "/feeds/latest.atom")[1] if e["link"] == _url(thread))
    question = threads.question_of(db, thread)
    threads.edit_post(db, _author(db, question), question, body="Now with more detail.", title="A new title here")
    db.commit()

    after = next(e for e in _feed(client, "/feeds/latest.atom")[1] if e["id"] == before["id"])

    assert after["title"] == "A new title here"
    assert after["link"] == f"{BASE}/t/{thread.id}/a-new-title-here"
    assert after["updated"] > before["updated"]
    assert after["published"] == before["published"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/c/thermostats/feeds/latest.atom", ["wifi", "clicks", "blank"]),
        ("/c/thermostats/feeds/unanswered.atom", ["wifi", "blank"]),
        ("/c/billing/feeds/latest.atom", ["charged"]),
        ("/c/billing/feeds/unanswered.atom", ["charged"]),
    ],
)
def test_a_category_feed_holds_only_that_category(client, feed_scene, path, expected):
    root, entries = _feed(client, path)

    assert _titles(entries) == [feed_scene[n].title for n in expected]
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == BASE + path


def test_a_category_feed_names_the_category_and_links_to_its_page(client, feed_scene):
    root, _ = _feed(client, "/c/billing/feeds/unanswered.atom")

    assert root.findtext(f"{ATOM}title") == "Unanswered questions in Billing · Hearth"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == (
        f"{BASE}/c/billing?filter=unanswered&sort=newest"
    )


@pytest.mark.parametrize(
    "path",
    ["/c/no-such/feeds/latest.atom", "/c/no-such/feeds/unanswered.atom", "/feeds/popular.atom", "/c/billing/feeds/x.atom"],
)
def test_unknown_feeds_are_not_found(client, db, path):
    make_category(db, "Billing", "billing")
    db.commit()

    assert client.get(path).status_code == 404


def test_a_feed_holds_the_30_newest_questions(client, db):
    category, asker = make_category(db), make_user(db)
    now = utcnow()
    made = []
    for n in range(31):
        thread = make_thread(db, author=asker, category=category, title=f"Numbered question {n:02d} here")
        set_thread_times(db, thread, created_at=now - timedelta(minutes=n))
        made.append(thread)
    db.commit()

    _, entries = _feed(client, "/feeds/latest.atom")

    assert _titles(entries) == [t.title for t in made[:30]]


def test_an_empty_feed_is_still_a_valid_feed(client, db):
    make_category(db, "Billing", "billing")
    db.commit()

    root, entries = _feed(client, "/c/billing/feeds/latest.atom")

    assert entries == []
    assert datetime.fromisoformat(root.findtext(f"{ATOM}updated"))


def test_feed_titles_and_summaries_are_escaped_and_long_summaries_shortened(client, db):
    body = "Why does <b>this</b> & `that` fail? " + "More words follow here. " * 30
    thread = make_thread(db, title='Tom & Jerry </title><b>fight</b> "quotes"', body=body)
    db.commit()

    response = client.get("/feeds/latest.atom")
    _, [entry] = _feed(client, "/feeds/latest.atom")

    assert entry["title"] == thread.title
    assert b"Tom &amp; Jerry &lt;/title&gt;&lt;b&gt;fight&lt;/b&gt;" in response.data
    assert entry["summary"].startswith("Why does <b>this</b> & that fail? More words")
    assert len(entry["summary"]) <= 300 and entry["summary"].endswith("…")


def test_the_home_and_category_pages_advertise_their_feeds(client, db):
    make_category(db, "Thermostats", "thermostats")
    db.commit()

    home = text(client.get("/"))
    category = text(client.get("/c/thermostats"))

    head = home.split("</head>")[0]
    assert 'type="application/atom+xml" title="Latest questions · Hearth" href="/feeds/latest.atom"' in head
    assert 'href="/feeds/unanswered.atom"' in head
    head, body = category.split("</head>")
    assert 'rel="alternate" type="application/atom+xml"' in head
    for kind in ("latest", "unanswered"):
        href = f"/c/thermostats/feeds/{kind}.atom"
        assert f'href="{href}"' in head
        assert f'<a href="{href}" type="application/atom+xml">Feed: ' in body
        assert client.get(href).status_code == 200


# --- Thread page: JSON-LD and meta tags -----------------------------------------------------


@pytest.fixture
def qa_scene(db):
    """A solved thread: an accepted answer, a voted-up answer, and an answer its author deleted."""
    asker = make_user(db, "asker")
    asker.display_name = "Ada Asker"
    make_user(db, "maya", role=Role.STAFF)
    thread = make_thread(
        db, author=asker, title="The thermostat loses wifi every night",
        body="It drops **every night** at 2am & comes back.",
    )
    accepted = make_answer(db, thread, body="Move the router closer to the thermostat.")
    suggested = make_answer(db, thread, body="Update the firmware to version 2.1.")
    deleted = make_answer(db, thread, body="This answer was a mistake.")
    add_votes(db, suggested, 2)
    threads.delete_post(db, _author(db, deleted), deleted)
    accepting.accept_answer(db, asker, accepted)
    db.commit()
    return {"thread": thread, "accepted": accepted, "suggested": suggested, "deleted": deleted}


def test_the_thread_page_describes_its_question_and_answers_as_a_qapage(client, db, qa_scene):
    thread, accepted, suggested = qa_scene["thread"], qa_scene["accepted"], qa_scene["suggested"]

    data = _json_ld(text(client.get(f"/t/{thread.id}/{thread.slug}")))

    assert data["@context"] == "https://schema.org" and data["@type"] == "QAPage"
    question = data["mainEntity"]
    assert question["@type"] == "Question"
    assert question["name"] == thread.title
    assert question["text"] == "It drops every night at 2am & comes back."
    assert question["answerCount"] == 2
    assert question["author"] == {"@type": "Person", "name": "Ada Asker", "url": f"{BASE}/u/asker"}
    assert datetime.fromisoformat(question["dateCreated"]) == thread.created_at.replace(microsecond=0)
    answer = question["acceptedAnswer"]
    assert answer["url"] == f"{_url(thread)}#post-{accepted.id}"
    assert answer["text"] == "Move the router closer to the thermostat."
    assert answer["upvoteCount"] == 0
    answerer = _author(db, accepted)
    assert answer["author"] == {"@type": "Person", "name": answerer.name, "url": f"{BASE}/u/{answerer.username}"}
    assert [a["url"] for a in question["suggestedAnswer"]] == [f"{_url(thread)}#post-{suggested.id}"]
    assert question["suggestedAnswer"][0]["upvoteCount"] == 2


def test_deleted_answers_stay_out_of_the_json_ld_even_for_staff(app, qa_scene):
    thread, deleted = qa_scene["thread"], qa_scene["deleted"]
    staff = app.test_client()
    login(staff, "maya")

    page = text(staff.get(f"/t/{thread.id}/{thread.slug}"))

    assert f'id="post-{deleted.id}"' in page  # staff see it on the page...
    data = json.dumps(_json_ld(page))
    assert f"#post-{deleted.id}" not in data  # ...but it is not described to search engines
    assert "This answer was a mistake." not in data


def test_a_deleted_thread_shown_to_staff_has_no_json_ld(app, db, qa_scene):
    thread = qa_scene["thread"]
    threads.delete_post(db, _author(db, threads.question_of(db, thread)), threads.question_of(db, thread))
    db.commit()
    staff = app.test_client()
    login(staff, "maya")

    response = staff.get(f"/t/{thread.id}/{thread.slug}")

    assert response.status_code == 200
    assert JSON_LD.findall(text(response)) == []


def test_an_unsolved_thread_has_only_suggested_answers(client, db):
    thread = make_thread(db, title="The boiler pressure keeps dropping")
    answer = make_answer(db, thread, body="Check the expansion vessel.")
    db.commit()

    question = _json_ld(text(client.get(f"/t/{thread.id}/{thread.slug}")))["mainEntity"]

    assert "acceptedAnswer" not in question
    assert [a["url"] for a in question["suggestedAnswer"]] == [f"{_url(thread)}#post-{answer.id}"]


def test_answers_on_a_later_page_link_to_that_page(app, client, db, qa_scene):
    app.config["ANSWERS_PER_PAGE"] = 1
    thread, suggested = qa_scene["thread"], qa_scene["suggested"]
    make_answer(db, thread, body="Another answer with fewer votes.")
    db.commit()

    question = _json_ld(text(client.get(f"/t/{thread.id}/{thread.slug}?page=1")))["mainEntity"]
    second = _json_ld(text(client.get(f"/t/{thread.id}/{thread.slug}?page=2")))["mainEntity"]

    assert [a["url"] for a in question["suggestedAnswer"]] == [f"{_url(thread)}#post-{suggested.id}"]
    assert "acceptedAnswer" not in second  # it is shown on page 1 only
    assert second["suggestedAnswer"][0]["url"].startswith(f"{_url(thread)}?page=2#post-")


def test_a_title_cannot_break_out_of_the_json_ld_script(client, db):
    title = "Help </script><script>alert(1)</script> please"
    thread = make_thread(db, title=title, body="Body with </script><!-- too & more.")
    db.commit()

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    assert page.count("<script") == 1  # only the JSON-LD element itself
    assert "alert(1)</script>" not in page
    question = _json_ld(page)["mainEntity"]
    assert question["name"] == title
    assert question["text"] == "Body with </script><!-- too & more."


def test_the_meta_description_is_a_plain_text_excerpt_of_the_question(client, db):
    body = "# Setup\n\nThe **display** stays _blank_ after `install` & reboot.\n\n- step <one>\n- step two"
    thread = make_thread(db, title="The display stays blank after install", body=body)
    db.commit()

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    expected = "Setup The display stays blank after install & reboot. step <one> step two"
    assert _meta(page, "name", "description") == expected
    assert _meta(page, "property", "og:description") == expected
    assert 'content="Setup The display stays blank after install &amp; reboot. step &lt;one&gt; step two"' in page


def test_a_long_question_gets_a_description_cut_at_a_word(client, db):
    thread = make_thread(db, title="The display stays blank after install", body="word " * 100)
    db.commit()

    description = _meta(text(client.get(f"/t/{thread.id}/{thread.slug}")), "name", "description")

    assert len(description) <= 155
    assert re.fullmatch(r"(word )+word…", description)


def test_the_thread_page_has_open_graph_tags(client, db, qa_scene):
    thread = qa_scene["thread"]

    page = text(client.get(f"/t/{thread.id}/{thread.slug}"))

    assert _meta(page, "property", "og:type") == "website"
    assert _meta(page, "property", "og:title") == f"[Solved] {thread.title}"
    assert _meta(page, "property", "og:url") == _url(thread)
    assert _meta(page, "property", "og:site_name") == "Hearth"


def test_control_characters_in_member_text_do_not_break_the_xml(client, db):
    # XML 1.0 cannot hold \x01 even as an entity, so it is dropped rather than making the feed unreadable.
    thread = make_thread(db, title="Odd \x01 character in this title", body="Body with \x02 inside it.")
    db.commit()

    _, [entry] = _feed(client, "/feeds/latest.atom")

    assert entry["title"] == "Odd character in this title"
    assert entry["summary"] == "Body with inside it."
    assert _url(thread) in _locs(client)
