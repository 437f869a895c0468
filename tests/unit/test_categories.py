"""Categories: admins create, rename and delete them; slugs are unique and URL-safe."""

import pytest

from community import categories, threads
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import Category, Role
from tests.factories import count_rows, make_category, make_thread, make_user


@pytest.fixture
def admin(db):
    return make_user(db, role=Role.ADMIN)


def test_admin_creates_a_category_with_cleaned_fields(db, admin):
    category = categories.create_category(
        db, admin, name="  Heating  ", slug="  Heating-Systems ", description="  Boilers and thermostats.  ", position=3
    )
    db.commit()
    db.expire_all()
    stored = categories.get_by_slug(db, "heating-systems")
    assert stored.id == category.id
    assert (stored.name, stored.description, stored.position) == ("Heating", "Boilers and thermostats.", 3)
    assert categories.get_category(db, category.id).slug == "heating-systems"


@pytest.mark.parametrize(
    "slug",
    ["", "   ", "-leading-dash", "has space", "under_score", "dots.in.it", "ünïcode", "slash/in", "a" * 81],
)
def test_create_refuses_bad_slug(db, admin, slug):
    with pytest.raises(ValidationError) as info:
        categories.create_category(db, admin, name="Heating", slug=slug)
    assert set(info.value.errors) == {"slug"}
    assert count_rows(db, Category) == 0


@pytest.mark.parametrize("slug", ["a", "9", "heating-2", "a" * 80])
def test_create_accepts_slugs_at_the_edges(db, admin, slug):
    assert categories.create_category(db, admin, name="Heating", slug=slug).slug == slug


def test_create_refuses_duplicate_slug_ignoring_case(db, admin):
    make_category(db, slug="heating")
    with pytest.raises(ValidationError) as info:
        categories.create_category(db, admin, name="Heating again", slug="HEATING")
    assert set(info.value.errors) == {"slug"}
    assert count_rows(db, Category) == 1


@pytest.mark.parametrize(
    "fields, key",
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 81}, "name"),
        ({"description": "d" * 2001}, "description"),
    ],
)
def test_create_refuses_bad_name_or_description(db, admin, fields, key):
    with pytest.raises(ValidationError) as info:
        categories.create_category(db, admin, **({"name": "Heating", "slug": "heating"} | fields))
    assert set(info.value.errors) == {key}
    assert count_rows(db, Category) == 0


def test_create_reports_every_bad_field(db, admin):
    with pytest.raises(ValidationError) as info:
        categories.create_category(db, admin, name="", slug="Bad Slug!", description="d" * 2001)
    assert set(info.value.errors) == {"name", "slug", "description"}


@pytest.mark.parametrize("role", [Role.MEMBER, Role.STAFF, Role.MODERATOR])
def test_non_admins_cannot_manage_categories(db, role):
    actor = make_user(db, role=role)
    category = make_category(db, name="Heating", slug="heating")
    db.commit()
    with pytest.raises(PermissionDenied):
        categories.create_category(db, actor, name="Lighting", slug="lighting")
    with pytest.raises(PermissionDenied):
        categories.update_category(db, actor, category, name="Renamed", slug="renamed", description="", position=1)
    with pytest.raises(PermissionDenied):
        categories.delete_category(db, actor, category)
    db.expire_all()
    assert [(c.name, c.slug) for c in categories.list_categories(db)] == [("Heating", "heating")]


def test_update_category(db, admin):
    category = make_category(db, name="Heating", slug="heating")
    categories.update_category(db, admin, category, name=" Heat ", slug="Heat", description=" Warm ", position=2)
    db.commit()
    db.expire_all()
    stored = db.get(Category, category.id)
    assert (stored.name, stored.slug, stored.description, stored.position) == ("Heat", "heat", "Warm", 2)
    with pytest.raises(NotFound):
        categories.get_by_slug(db, "heating")


def test_update_may_keep_its_own_slug(db, admin):
    category = make_category(db, name="Heating", slug="heating")
    categories.update_category(db, admin, category, name="Heating & cooling", slug="heating", description="", position=0)
    assert category.name == "Heating & cooling"


def test_update_refuses_another_categorys_slug_and_changes_nothing(db, admin):
    make_category(db, name="Lighting", slug="lighting")
    category = make_category(db, name="Heating", slug="heating")
    db.commit()
    with pytest.raises(ValidationError) as info:
        categories.update_category(db, admin, category, name="Renamed", slug="lighting", description="", position=5)
    assert set(info.value.errors) == {"slug"}
    db.expire_all()
    assert (category.name, category.slug, category.position) == ("Heating", "heating", 0)


def test_update_refuses_bad_slug(db, admin):
    category = make_category(db, name="Heating", slug="heating")
    with pytest.raises(ValidationError) as info:
        categories.update_category(db, admin, category, name="Heating", slug="not ok", description="", position=0)
    assert set(info.value.errors) == {"slug"}
    assert category.slug == "heating"


def test_delete_empty_category(db, admin):
    category = make_category(db)
    keep = make_category(db)
    categories.delete_category(db, admin, category)
    db.commit()
    assert [c.id for c in categories.list_categories(db)] == [keep.id]
    with pytest.raises(NotFound):
        categories.get_category(db, category.id)


def test_delete_refused_while_category_holds_threads(db, admin):
    category = make_category(db)
    make_thread(db, category=category)
    db.commit()
    with pytest.raises(ValidationError):
        categories.delete_category(db, admin, category)
    db.commit()
    assert categories.get_category(db, category.id).id == category.id


def test_delete_refused_even_when_its_only_thread_is_deleted(db, admin):
    category = make_category(db)
    asker = make_user(db)
    thread = make_thread(db, author=asker, category=category)
    threads.delete_post(db, asker, threads.question_of(db, thread))
    db.commit()
    with pytest.raises(ValidationError):
        categories.delete_category(db, admin, category)
    assert count_rows(db, Category) == 1


def test_list_order_and_thread_counts(db, admin):
    b = categories.create_category(db, admin, name="Beta", slug="beta", position=1)
    a = categories.create_category(db, admin, name="Alpha", slug="alpha", position=1)
    first = categories.create_category(db, admin, name="Zulu", slug="zulu", position=0)
    asker = make_user(db)
    make_thread(db, category=a)
    make_thread(db, category=a)
    gone = make_thread(db, author=asker, category=b)
    threads.delete_post(db, asker, threads.question_of(db, gone))
    db.commit()
    assert [c.slug for c in categories.list_categories(db)] == ["zulu", "alpha", "beta"]
    counts = categories.thread_counts(db)
    assert counts == {a.id: 2}
    assert first.id not in counts
