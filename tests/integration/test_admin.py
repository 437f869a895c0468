"""Admins manage categories; nobody else can reach the admin pages."""

import html

import pytest
from sqlalchemy import func, select

from community.models import Category, Role
from tests.factories import make_category, make_thread, make_user
from tests.integration.helpers import field_errors, fresh, login, text


def _categories(db) -> list[tuple[str, str]]:
    fresh(db)
    return [(c.slug, c.name) for c in db.scalars(select(Category).order_by(Category.slug))]


@pytest.fixture
def admin(app, db):
    make_user(db, "boss", role=Role.ADMIN)
    db.commit()
    client = app.test_client()
    login(client, "boss")
    return client


def test_the_category_list_shows_every_category_with_its_thread_count(admin, db):
    busy = make_category(db, "Thermostats", "thermostats")
    make_category(db, "Billing", "billing")
    make_thread(db, category=busy)
    make_thread(db, category=busy)
    db.commit()

    response = admin.get("/admin/categories")

    page = text(response)
    assert response.status_code == 200
    assert "<code>thermostats</code>" in page and "<code>billing</code>" in page
    row = page.split("<code>thermostats</code>")[1].split("</tr>")[0]
    assert "<td>2</td>" in row
    assert "Delete" not in row  # a category that holds threads offers no delete button
    assert "Delete" in page.split("<code>billing</code>")[1].split("</tr>")[0]


def test_the_admin_link_shows_only_for_admins(admin, app, db):
    make_user(db, "member")
    db.commit()
    member = app.test_client()
    login(member, "member")

    assert 'href="/admin/categories">Admin</a>' in text(admin.get("/"))
    assert "/admin/categories" not in text(member.get("/"))


def test_an_admin_creates_a_category(admin, db):
    assert admin.get("/admin/categories/new").status_code == 200

    response = admin.post(
        "/admin/categories/new",
        data={
            "name": "Smart speakers",
            "slug": "Smart-Speakers",
            "description": "Voice control.",
            "position": "3",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/categories"
    assert _categories(db) == [("smart-speakers", "Smart speakers")]
    assert db.scalar(select(Category.position)) == 3
    assert "Smart speakers" in text(admin.get("/admin/categories"))
    assert admin.get("/c/smart-speakers").status_code == 200


def test_an_admin_edits_a_category(admin, db):
    category = make_category(db, "Thermostats", "thermostats")
    db.commit()

    form = text(admin.get(f"/admin/categories/{category.id}/edit"))
    response = admin.post(
        f"/admin/categories/{category.id}/edit",
        data={
            "name": "Thermostats & sensors",
            "slug": "thermostats-sensors",
            "description": "",
            "position": "1",
        },
    )

    assert 'value="Thermostats"' in form and 'value="thermostats"' in form
    assert response.status_code == 302
    assert _categories(db) == [("thermostats-sensors", "Thermostats & sensors")]
    assert admin.get("/c/thermostats").status_code == 404
    assert admin.get("/c/thermostats-sensors").status_code == 200


def test_editing_an_unknown_category_is_not_found(admin):
    assert admin.get("/admin/categories/999999/edit").status_code == 404


def test_an_admin_deletes_an_empty_category(admin, db):
    category = make_category(db, "Old stuff", "old-stuff")
    db.commit()

    response = admin.post(f"/admin/categories/{category.id}/delete")

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/categories"
    assert _categories(db) == []
    assert "Category deleted." in text(admin.get("/admin/categories"))


def test_a_category_that_holds_threads_is_not_deleted(admin, db):
    category = make_category(db, "Thermostats", "thermostats")
    make_thread(db, category=category)
    db.commit()

    response = admin.post(f"/admin/categories/{category.id}/delete")

    assert response.status_code == 302
    assert _categories(db) == [("thermostats", "Thermostats")]
    assert "This category still holds threads" in text(admin.get("/admin/categories"))


@pytest.mark.parametrize("slug", ["thermostats", "Thermostats", " thermostats "])
def test_a_duplicate_slug_is_refused_with_an_error(admin, db, slug):
    make_category(db, "Thermostats", "thermostats")
    db.commit()

    response = admin.post(
        "/admin/categories/new",
        data={"name": "Second thermostats", "slug": slug, "description": "", "position": "0"},
    )

    page = text(response)
    assert response.status_code == 400
    assert "Another category already uses that slug." in field_errors(page, "slug")
    assert 'value="Second thermostats"' in page  # the typed name is kept
    assert _categories(db) == [("thermostats", "Thermostats")]


def test_renaming_a_slug_onto_another_category_is_refused(admin, db):
    make_category(db, "Thermostats", "thermostats")
    billing = make_category(db, "Billing", "billing")
    db.commit()

    response = admin.post(
        f"/admin/categories/{billing.id}/edit",
        data={"name": "Billing", "slug": "thermostats", "description": "", "position": "0"},
    )

    assert response.status_code == 400
    assert "Another category already uses that slug." in field_errors(text(response), "slug")
    assert _categories(db) == [("billing", "Billing"), ("thermostats", "Thermostats")]


def test_a_bad_slug_is_refused(admin, db):
    response = admin.post(
        "/admin/categories/new",
        data={"name": "Bad", "slug": "no spaces/allowed", "description": "", "position": "0"},
    )

    assert response.status_code == 400
    assert any("lower-case letters" in e for e in field_errors(html.unescape(text(response)), "slug"))
    assert _categories(db) == []


@pytest.mark.parametrize("role", [Role.MEMBER, Role.STAFF, Role.MODERATOR])
def test_members_staff_and_moderators_are_forbidden(app, db, role):
    make_user(db, "someone", role=role)
    category = make_category(db, "Thermostats", "thermostats")
    db.commit()
    client = app.test_client()
    login(client, "someone")

    assert client.get("/admin/categories").status_code == 403
    assert client.get("/admin/categories/new").status_code == 403
    assert client.get(f"/admin/categories/{category.id}/edit").status_code == 403
    created = client.post(
        "/admin/categories/new", data={"name": "Sneaky", "slug": "sneaky", "description": "", "position": "0"}
    )
    edited = client.post(
        f"/admin/categories/{category.id}/edit",
        data={"name": "Renamed", "slug": "renamed", "description": "", "position": "0"},
    )
    deleted = client.post(f"/admin/categories/{category.id}/delete")
    assert created.status_code == edited.status_code == deleted.status_code == 403
    assert _categories(db) == [("thermostats", "Thermostats")]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/categories"),
        ("get", "/admin/categories/new"),
        ("post", "/admin/categories/new"),
        ("post", "/admin/categories/1/delete"),
    ],
)
def test_visitors_are_sent_to_login(client, db, method, path):
    response = getattr(client, method)(
        path, data={"name": "Sneaky", "slug": "sneaky"} if method == "post" else None
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Fadmin%2Fcategories")
    assert db.scalar(select(func.count()).select_from(Category)) == 0
