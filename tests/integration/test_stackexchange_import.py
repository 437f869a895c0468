"""`flask import stackexchange DIR`: the real sample dump, re-runs, broken and hostile files,
category rules, attribution, comments and duplicate links."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import reputation_cli, search_cli
from app.import_cli import import_cli
from community.models import Category, ImportRecord, Post, PostComment, Thread, User
from tests.conftest import require
from tests.integration.helpers import fresh, signed_in_as, text

DUMP = Path(__file__).resolve().parents[3] / "shared" / "data" / "stackexchange-history"


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(group, args):
        with app.app_context():
            return runner.invoke(group, args)

    return invoke


def _count(db, model, *where) -> int:
    return fresh(db).scalar(select(func.count()).select_from(model).where(*where))


def _write_dump(directory: Path, posts: str, **others: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Posts.xml").write_text(posts, encoding="utf-8")
    for name, content in others.items():
        (directory / f"{name}.xml").write_text(content, encoding="utf-8")
    return directory


POSTS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE posts SYSTEM 'posts.dtd'>
<posts>
  <row Id="1" PostTypeId="1" AcceptedAnswerId="3" CreationDate="2015-03-01T10:00:00.000" Score="7" ViewCount="420"
       Body="&lt;p&gt;My router drops Wi-Fi every evening.&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;"
       OwnerUserId="10" OwnerDisplayName="Ana" Title="Router drops Wi-Fi every evening" Tags="&lt;networking&gt;&lt;router&gt;" />
  <row Id="2" PostTypeId="1" CreationDate="2015-03-02T10:00:00.000" Score="1" ViewCount="12"
       Body="&lt;p&gt;Same thing as the other question, every night.&lt;/p&gt;"
       OwnerDisplayName="Ghost" Title="Wi-Fi drops at night" Tags="&lt;router&gt;" />
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2015-03-01T12:00:00.000" Score="12"
       Body="&lt;p&gt;Turn off the &lt;a href=&quot;javascript:alert(1)&quot;&gt;band steering&lt;/a&gt; option.&lt;/p&gt;"
       OwnerUserId="11" OwnerDisplayName="Ben" />
  <row Id="4" PostTypeId="2" ParentId="1" CreationDate="2015-03-01T13:00:00.000" Score="2"
       Body="&lt;p&gt;Move the router away from the &lt;a href=&quot;/questions/9/microwaves&quot;&gt;microwave&lt;/a&gt;.&lt;/p&gt;" OwnerUserId="10" />
  <row Id="5" PostTypeId="2" ParentId="99" CreationDate="2015-03-01T13:00:00.000" Score="2"
       Body="&lt;p&gt;An answer whose question is not in the dump.&lt;/p&gt;" OwnerUserId="10" />
</posts>
"""

COMMENTS = """<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="100" PostId="3" Score="4" Text="This fixed it for me, thanks!" CreationDate="2015-03-01T14:00:00.000" UserId="10" />
  <row Id="101" PostId="98" Score="0" Text="On a post that is not here." CreationDate="2015-03-01T14:00:00.000" UserId="10" />
</comments>
"""

LINKS = """<?xml version="1.0" encoding="utf-8"?>
<postlinks>
  <row Id="7" CreationDate="2015-03-03T10:00:00.000" PostId="2" RelatedPostId="1" LinkTypeId="3" />
</postlinks>
"""


@pytest.fixture
def small_dump(tmp_path):
    return _write_dump(tmp_path / "router-site", POSTS, Comments=COMMENTS, PostLinks=LINKS)


def test_a_small_dump_keeps_authors_dates_scores_and_accepts(run, db, small_dump):
    result = run(import_cli, ["stackexchange", str(small_dump), "--site", "router.example.com"])
    assert result.exit_code == 0, result.output
    assert "2 questions" in result.output and "2 answers" in result.output
    assert "skipped 1 answers whose question is not in the dump" in result.output
    assert "Users.xml is absent" in result.output

    thread = fresh(db).scalar(select(Thread).where(Thread.title == "Router drops Wi-Fi every evening"))
    assert (thread.score, thread.view_count, thread.answer_count) == (7, 420, 2)
    assert thread.created_at.year == 2015 and thread.created_at.tzinfo is not None
    assert thread.source_site == "router.example.com" and thread.source_id == "1"
    assert [t.name for t in thread.tags] == ["networking", "router"]
    accepted = db.get(Post, thread.accepted_post_id)
    assert accepted.score == 12 and "band steering" in accepted.body_html
    assert thread.accepted_by_asker
    ana = db.scalar(select(User).where(User.display_name == "Ana"))
    ben = db.get(User, accepted.author_id)
    assert ben.display_name == "Ben" and ben.placeholder_source == "router.example.com"
    assert ana.id == thread.author_id and ben.reputation == 16  # 1 + an accepted answer's 15
    ghost = db.scalar(select(User).where(User.display_name == "Former member"))
    assert ghost is not None  # the question with no owner id


def test_imported_html_is_sanitized(run, db, small_dump):
    run(import_cli, ["stackexchange", str(small_dump)])
    bodies = " ".join(fresh(db).scalars(select(Post.body_html)))
    assert "<script" not in bodies and "javascript:" not in bodies
    assert "My router drops Wi-Fi every evening." in bodies


def test_links_within_the_source_site_point_back_to_it(run, db, small_dump):
    run(import_cli, ["stackexchange", str(small_dump), "--site", "router.example.com"])
    bodies = " ".join(fresh(db).scalars(select(Post.body_html)))
    assert 'href="https://router.example.com/questions/9/microwaves"' in bodies


def test_the_thread_page_credits_source_and_author_and_shows_comments_and_duplicates(run, client, db, small_dump):
    run(import_cli, ["stackexchange", str(small_dump), "--site", "router.example.com"])
    original = fresh(db).scalar(select(Thread).where(Thread.source_id == "1"))
    page = text(client.get(f"/t/{original.id}/{original.slug}"))
    assert "Imported from router.example.com" in page
    assert "Ana" in page and "Ben" in page
    assert "This fixed it for me, thanks!" in page
    duplicate = db.scalar(select(Thread).where(Thread.source_id == "2"))
    assert duplicate.duplicate_of_id == original.id
    page = text(client.get(f"/t/{duplicate.id}/{duplicate.slug}"))
    assert "duplicate" in page.lower() and f"/t/{original.id}/{original.slug}" in page


def test_running_the_same_import_again_adds_nothing(run, db, small_dump):
    run(import_cli, ["stackexchange", str(small_dump)])
    counts = [_count(db, model) for model in (Thread, Post, User, PostComment, ImportRecord, Category)]
    again = run(import_cli, ["stackexchange", str(small_dump)])
    assert again.exit_code == 0, again.output
    assert "nothing new" in again.output
    assert [_count(db, model) for model in (Thread, Post, User, PostComment, ImportRecord, Category)] == counts


@pytest.mark.parametrize(
    "rule, categories",
    [("first-tag", {"networking", "router"}), ("all:home-network", {"home-network"})],
)
def test_the_category_rule_decides_where_threads_go(run, db, small_dump, rule, categories):
    result = run(import_cli, ["stackexchange", str(small_dump), "--categories", rule])
    assert result.exit_code == 0, result.output
    used = set(fresh(db).scalars(select(Category.slug).join(Thread, Thread.category_id == Category.id)))
    assert used == categories


def test_an_unknown_category_rule_is_refused(run, db, small_dump):
    result = run(import_cli, ["stackexchange", str(small_dump), "--categories", "by-magic"])
    assert result.exit_code != 0 and "first-tag" in result.output
    assert _count(db, Thread) == 0


def test_a_malformed_file_names_file_and_line_and_imports_nothing(run, db, tmp_path, small_dump):
    broken = small_dump / "Comments.xml"
    broken.write_text(COMMENTS.replace("</comments>", "<row Id='102' Text='unclosed'\n</comments>"))
    result = run(import_cli, ["stackexchange", str(small_dump)])
    assert result.exit_code != 0
    assert "Nothing was imported" in result.output and "Comments.xml line 6" in result.output
    assert _count(db, Thread) == _count(db, Post) == _count(db, User) == 0


def test_a_bad_date_stops_the_import_with_nothing_half_written(run, db, tmp_path):
    dump = _write_dump(tmp_path / "dates", POSTS.replace('CreationDate="2015-03-01T13:00:00.000" Score="2"\n       Body="&lt;p&gt;Move', 'CreationDate="yesterday" Score="2"\n       Body="&lt;p&gt;Move'))
    result = run(import_cli, ["stackexchange", str(dump)])
    assert result.exit_code != 0 and "Posts.xml row Id=4" in result.output and "yesterday" in result.output
    assert _count(db, Thread) == _count(db, Post) == 0


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE posts [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE posts [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
)
def test_entities_are_refused_and_nothing_is_read_from_outside(run, db, tmp_path, doctype):
    posts = POSTS.replace("<!DOCTYPE posts SYSTEM 'posts.dtd'>", doctype).replace("My router drops", "&secret; &b; My router drops")
    dump = _write_dump(tmp_path / "hostile", posts)
    result = run(import_cli, ["stackexchange", str(dump)])
    assert result.exit_code != 0 and "Nothing was imported" in result.output
    assert "root:" not in result.output
    assert _count(db, Thread) == 0


def test_a_folder_without_posts_is_not_a_dump(run, db, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run(import_cli, ["stackexchange", str(tmp_path / "empty")])
    assert result.exit_code != 0 and "has no Posts.xml" in result.output


def _dump_counts() -> dict[str, int]:
    """Counts read straight from the files, to check the import against."""
    questions, answers, accepted = set(), {}, set()
    for _, row in ET.iterparse(DUMP / "Posts.xml"):
        if row.tag != "row":
            continue
        if row.get("PostTypeId") == "1":
            questions.add(row.get("Id"))
            if row.get("AcceptedAnswerId"):
                accepted.add(row.get("AcceptedAnswerId"))
        elif row.get("PostTypeId") == "2":
            answers[row.get("Id")] = row.get("ParentId")
        row.clear()
    kept_answers = {a for a, parent in answers.items() if parent in questions}
    users = sum(1 for _, row in ET.iterparse(DUMP / "Users.xml") if row.tag == "row")
    return {
        "questions": len(questions),
        "answers": len(kept_answers),
        "accepted": len(accepted & kept_answers),
        "users": users,
    }


def test_the_real_history_dump_imports_with_matching_counts(run, db):
    require((DUMP / "Posts.xml").exists(), f"the Stack Exchange sample is not at {DUMP}")
    expected = _dump_counts()
    result = run(import_cli, ["stackexchange", str(DUMP), "--site", "history.stackexchange.com"])
    assert result.exit_code == 0, result.output
    assert _count(db, Thread) == expected["questions"]
    assert _count(db, Post, Post.is_question.is_(False)) == expected["answers"]
    assert _count(db, Thread, Thread.accepted_post_id.is_not(None)) == expected["accepted"]
    assert _count(db, User, User.placeholder_source == "history.stackexchange.com") >= expected["users"]
    assert _count(db, PostComment) > 0

    # Search and reputation agree with what was imported.
    reconcile = run(search_cli, ["reconcile"])
    assert reconcile.output.startswith("Fixed 0 threads"), reconcile.output
    recompute = run(reputation_cli, ["recompute"])
    assert recompute.output.strip() == "Every total matches the ledger.", recompute.output

    again = run(import_cli, ["stackexchange", str(DUMP), "--site", "history.stackexchange.com"])
    assert "nothing new" in again.output
    assert _count(db, Thread) == expected["questions"]


def test_placeholder_authors_cannot_be_signed_into(run, client, db, small_dump):
    run(import_cli, ["stackexchange", str(small_dump)])
    ben = fresh(db).scalar(select(User).where(User.display_name == "Ben"))
    for password in ("!imported", "imported", ben.username):
        response = client.post("/login", data={"login": ben.username, "password": password})
        assert response.status_code != 302 and signed_in_as(client) is None
    assert ben.email.endswith(".invalid")
