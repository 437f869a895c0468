"""The command-line tools: `flask users create`, `flask demo load` and `flask db upgrade`."""

import json
import re

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from app import create_app
from app.cli import db_cli, demo_cli, users_cli
from community.db import Base, make_engine
from community.demo import ADMIN_USERNAME, CONTENT
from community.models import Category, Post, Role, Thread, User
from config import TestingConfig
from migrations import alembic_config
from tests.factories import make_user
from tests.integration.helpers import fresh, login, signed_in_as


@pytest.fixture
def run(app):
    """Run a CLI command the way `flask` does: inside an app context."""
    runner = app.test_cli_runner()

    def invoke(group, args, **kwargs):
        with app.app_context():
            return runner.invoke(group, args, **kwargs)

    return invoke


def _user(db, username):
    fresh(db)
    return db.scalar(select(User).where(User.username == username))


# --- users create ---------------------------------------------------------------------------


def test_users_create_makes_an_account_that_can_sign_in(run, app, db):
    result = run(
        users_cli,
        ["create", "chief", "--email", "Chief@Example.com", "--role", "admin", "--password", "chief-pass-1"],
    )

    assert result.exit_code == 0, result.output
    assert "Created admin chief <chief@example.com>." in result.output
    user = _user(db, "chief")
    assert user.role == Role.ADMIN.value and user.email == "chief@example.com"
    client = app.test_client()
    login(client, "chief", "chief-pass-1")
    assert client.get("/admin/categories").status_code == 200


def test_users_create_may_use_a_reserved_name_and_defaults_to_member(run, db):
    result = run(
        users_cli, ["create", "support", "--email", "support@example.com", "--password", "support-pass-1"]
    )

    assert result.exit_code == 0, result.output
    assert _user(db, "support").role == Role.MEMBER.value


def test_users_create_refuses_a_duplicate(run, db):
    make_user(db, "chief")
    db.commit()

    result = run(users_cli, ["create", "Chief", "--email", "other@example.com", "--password", "chief-pass-1"])

    assert result.exit_code == 1
    assert "Error: That username is taken." in result.output
    fresh(db)
    assert db.scalar(select(func.count()).select_from(User)) == 1


def test_users_create_refuses_a_duplicate_email(run, db):
    make_user(db, "chief")
    db.commit()

    result = run(
        users_cli, ["create", "deputy", "--email", "chief@example.com", "--password", "chief-pass-1"]
    )

    assert result.exit_code == 1
    assert "An account with that email already exists." in result.output
    assert _user(db, "deputy") is None


def test_users_create_refuses_an_unknown_role(run, db):
    result = run(
        users_cli, ["create", "chief", "--email", "c@example.com", "--role", "king", "--password", "x" * 10]
    )

    assert result.exit_code == 2
    assert _user(db, "chief") is None


def test_users_create_can_generate_a_password(run, app, db):
    result = run(users_cli, ["create", "chief", "--email", "chief@example.com", "--generate-password"])

    assert result.exit_code == 0, result.output
    password = re.search(r"^Password: (\S+)$", result.output, re.M).group(1)
    assert len(password) >= 12
    login(app.test_client(), "chief", password)


def test_users_create_asks_for_the_password_twice(run, app, db):
    result = run(
        users_cli, ["create", "chief", "--email", "chief@example.com"], input="typed-pass-1\ntyped-pass-1\n"
    )

    assert result.exit_code == 0, result.output
    assert "typed-pass-1" not in result.output
    login(app.test_client(), "chief", "typed-pass-1")


# --- demo load ------------------------------------------------------------------------------


def _counts(db) -> dict[str, int]:
    fresh(db)
    return {
        model.__name__: db.scalar(select(func.count()).select_from(model))
        for model in (User, Category, Thread, Post)
    }


def test_demo_load_fills_an_empty_database_and_prints_the_admin_password(run, app, db):
    content = json.loads(CONTENT.read_text(encoding="utf-8"))

    result = run(demo_cli, ["load"])

    assert result.exit_code == 0, result.output
    counts = _counts(db)
    assert counts["User"] == len(content["users"]) + 1
    assert counts["Category"] == len(content["categories"])
    assert counts["Thread"] == len(content["threads"])
    assert counts["Post"] == len(content["threads"]) + sum(len(t["answers"]) for t in content["threads"])
    assert f"{len(content['threads'])} threads" in result.output
    assert f"Demo admin:  {ADMIN_USERNAME}" in result.output
    password = re.search(r"Password:\s+(\S+)", result.output).group(1)

    # The printed password really signs the demo admin in, and the content is readable.
    client = app.test_client()
    login(client, ADMIN_USERNAME, password)
    assert signed_in_as(client) == ADMIN_USERNAME
    assert client.get("/admin/categories").status_code == 200
    fresh(db)
    solved = sum(1 for t in content["threads"] if t.get("accepted") is not None)
    assert (
        db.scalar(select(func.count()).select_from(Thread).where(Thread.accepted_post_id.is_not(None)))
        == solved
    )
    for thread in db.scalars(select(Thread)):
        assert client.get(f"/t/{thread.id}/{thread.slug}").status_code == 200


def test_the_demo_sets_up_the_care_console_too(run, app, db):
    from community.models import CannedResponse, TeamCategory, TeamMember, WatchMatch

    care = json.loads(CONTENT.read_text(encoding="utf-8"))["care"]
    result = run(demo_cli, ["load"])
    assert result.exit_code == 0, result.output
    fresh(db)
    assert db.scalar(select(func.count()).select_from(TeamMember)) == sum(len(t["members"]) for t in care["teams"])
    assert db.scalar(select(func.count()).select_from(TeamCategory)) == sum(len(t["categories"]) for t in care["teams"])
    assert db.scalar(select(func.count()).select_from(CannedResponse)) == len(care["canned"])
    # The watchlists came first, so the demo's own posts fill the listening feed.
    assert db.scalar(select(func.count()).select_from(WatchMatch)) > 0
    password = re.search(r"Password:\s+(\S+)", result.output).group(1)
    client = app.test_client()
    login(client, ADMIN_USERNAME, password)
    queue = client.get("/staff/care").get_data(as_text=True)
    assert all(team["name"] in queue for team in care["teams"])


def test_a_second_demo_load_does_nothing(run, db):
    assert run(demo_cli, ["load"]).exit_code == 0
    before = _counts(db)

    result = run(demo_cli, ["load"])

    assert result.exit_code == 0
    assert "already has content; demo content was not loaded" in result.output
    assert "Password" not in result.output
    assert _counts(db) == before


def test_demo_load_leaves_a_database_with_members_alone(run, db):
    make_user(db, "existing")
    db.commit()

    result = run(demo_cli, ["load"])

    assert "already has content" in result.output
    assert _counts(db)["User"] == 1
    assert _user(db, ADMIN_USERNAME) is None


# --- db upgrade -----------------------------------------------------------------------------


def _head(database_url) -> str:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def test_db_upgrade_on_the_current_database_succeeds(run, engine, database_url):
    result = run(db_cli, ["upgrade"])

    assert result.exit_code == 0, result.output
    assert "Database schema is up to date." in result.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == _head(
            database_url
        )


def test_db_upgrade_builds_a_new_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    app = create_app(TestingConfig(url))
    try:
        runner = app.test_cli_runner()
        with app.app_context():
            result = runner.invoke(db_cli, ["upgrade"])
    finally:
        app.extensions["hearth.engine"].dispose()

    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == _head(url)
    finally:
        engine.dispose()


# --- search optimize --------------------------------------------------------------------------


def test_search_optimize_merges_the_index_and_keeps_every_thread(run, app, db):
    from app.cli import search_cli
    from search import indexer
    from search.backend import SearchRequest
    from tests.factories import make_thread

    backend = app.extensions["hearth.search"]
    for n in range(3):
        make_thread(db, title=f"Radiator knocking noise number {n}")
        db.commit()
        indexer.drain(app.extensions["hearth.sessionmaker"], backend)
    result = run(search_cli, ["optimize"])
    assert result.exit_code == 0, result.output
    if app.config["SEARCH_BACKEND"] == "whoosh":
        assert re.search(r"Merged \d+ segments into one", result.output)
        assert len(backend._index()._segments()) == 1
    else:
        assert "Nothing to merge" in result.output
    assert backend.search(SearchRequest(text="radiator knocking")).total == 3
