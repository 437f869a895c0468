"""The API tokens settings page: create (the secret shown once), list, revoke, and who may do what."""

import hashlib
import html
import re

import pytest
from sqlalchemy import func, select

import config
from app import create_app
from community import api_tokens, suspensions
from community.models import ApiToken, Role, User
from tests.factories import PASSWORD, make_user
from tests.integration.helpers import csrf_token, field_errors, fresh, login, text

URL = "/settings/tokens"
SECRET = re.compile(r'<code class="secret" id="new-token">([^<]+)</code>')
CSRF_MESSAGE = "The form expired or came from another site."


def _tokens(db, user_id: int) -> list[ApiToken]:
    fresh(db)
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def _secret_of(response) -> str:
    found = SECRET.search(text(response))
    assert found, "no secret shown"
    return html.unescape(found.group(1))


def _scope_boxes(page: str) -> dict[str, str]:
    """Each scope checkbox's value -> its whole <input> tag."""
    return {m.group(1): m.group(0) for m in re.finditer(r'<input[^>]*name="scopes"[^>]*value="([^"]+)"[^>]*>', page)}


@pytest.fixture
def alice(db):
    user = make_user(db, "alice")
    db.commit()
    return user.id


def test_the_page_needs_a_signed_in_member(client, db, alice):
    for response in (client.get(URL), client.post(URL, data={"name": "Helpdesk sync"})):
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _tokens(db, alice) == []


def test_the_page_explains_tokens_and_offers_the_form(client, alice):
    login(client, "alice")
    response = client.get(URL)
    page = text(response)

    assert response.status_code == 200
    assert "/api/v1" in page and "Authorization: Bearer &lt;token&gt;" in page
    assert "acts as you" in page and "shown once" in page
    assert re.search(r'<input[^>]*id="name"[^>]*maxlength="60"', page)
    assert "You have no tokens." in page
    assert 'class="secret"' not in page


def test_creating_shows_the_secret_once_and_keeps_it_out_of_the_session(app, client, db, alice):
    login(client, "alice")
    response = client.post(URL, data={"name": "Helpdesk sync", "scopes": ["write"]})

    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert "Copy it now: it will not be shown again." in page
    secret = _secret_of(response)
    [token] = _tokens(db, alice)
    assert token.name == "Helpdesk sync" and token.scopes == "read write"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert api_tokens.authenticate(db, secret).id == token.id
    db.commit()  # as the API does after noting the use

    # Nothing but this one page carries it: not a header, not the session, not the next page.
    assert all(secret not in value for _, value in response.headers.items())
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert secret not in cookie.value
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert secret not in repr(session) and "_flashes" not in session
    again = text(client.get(URL))
    assert secret not in again and 'class="secret"' not in again
    assert token.prefix.startswith("hth_") and secret.startswith(token.prefix)
    assert f"<code>{token.prefix}…</code>" in again and "Helpdesk sync" in again


def test_the_list_shows_each_active_token_with_its_scopes_and_use(client, db, alice):
    user = db.get(User, alice)
    used, used_secret = api_tokens.create(db, user, name="Nightly export", scopes=[])
    fresh_one, _ = api_tokens.create(db, user, name="CRM <sync>", scopes=["write"])
    revoked, _ = api_tokens.create(db, user, name="Retired script", scopes=[])
    api_tokens.revoke(db, user, revoked.id)
    db.commit()
    api_tokens.authenticate(db, used_secret)
    db.commit()  # as the API does after noting the use
    login(client, "alice")

    page = text(client.get(URL))
    rows = re.findall(r"<tr[^>]*>\s*<td class=\"token-name\">(.*?)</tr>", page, re.S)
    assert len(rows) == 2 and "Retired script" not in page
    crm, export = rows  # newest first
    assert crm.startswith("CRM &lt;sync&gt;</td>")
    assert re.findall(r'<span class="tag">(\w+)</span>', crm) == ["read", "write"]
    assert f"<code>{fresh_one.prefix}…</code>" in crm and "never" in crm
    assert re.findall(r'<span class="tag">(\w+)</span>', export) == ["read"]
    assert "never" not in export and "just now" in export
    assert f'action="/settings/tokens/{fresh_one.id}/revoke"' in crm


def test_a_refused_form_comes_back_with_the_name_and_saves_nothing(client, db, alice):
    login(client, "alice")

    response = client.post(URL, data={"name": "Helpdesk sync", "scopes": ["write", "staff"]})
    page = text(response)
    assert response.status_code == 400
    assert 'value="Helpdesk sync"' in page
    assert field_errors(page, "scopes") == ["Only staff can create a token with the staff scope."]
    assert 'class="secret"' not in page

    response = client.post(URL, data={"name": "   ", "scopes": ["write"]})
    assert response.status_code == 400
    assert field_errors(text(response), "name") == ["Give the token a name, such as the tool that will use it."]

    long_name = "A very long name " * 4
    response = client.post(URL, data={"name": long_name})
    assert response.status_code == 400
    assert f'value="{long_name}"' in text(response)
    assert field_errors(text(response), "name") == ["Keep the name to 60 characters."]
    assert _tokens(db, alice) == []


def test_read_is_always_ticked_and_only_staff_are_offered_the_staff_scope(app, db, alice):
    make_user(db, "sam", role=Role.STAFF)
    db.commit()
    member, staff = app.test_client(), app.test_client()
    login(member, "alice")
    login(staff, "sam")

    boxes = _scope_boxes(text(member.get(URL)))
    assert list(boxes) == ["read", "write"]
    assert "checked" in boxes["read"] and "disabled" in boxes["read"]
    assert "checked" not in boxes["write"] and "disabled" not in boxes["write"]
    staff_page = text(staff.get(URL))
    assert list(_scope_boxes(staff_page)) == ["read", "write", "staff"]
    assert "the care queue, assignment and metrics" in staff_page

    assert staff.post(URL, data={"name": "Care console", "scopes": ["staff"]}).status_code == 201
    staffer = fresh(db).scalar(select(ApiToken).where(ApiToken.name == "Care console"))
    assert staffer.scopes == "read staff"


def test_revoking_a_token_flashes_and_takes_it_off_the_list(client, db, alice):
    login(client, "alice")
    _secret_of(client.post(URL, data={"name": "Old script"}))
    [token] = _tokens(db, alice)

    response = client.post(f"{URL}/{token.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"] == URL
    page = text(client.get(URL))
    assert f"Token “Old script” ({token.prefix}…) revoked" in html.unescape(page)
    assert "You have no tokens." in page
    assert _tokens(db, alice)[0].revoked_at is not None
    assert client.post(f"{URL}/{token.id}/revoke").status_code == 404  # once only


def test_another_members_token_is_not_found_and_stays_live(app, client, db, alice):
    bob = make_user(db, "bob", role=Role.ADMIN)
    token, secret = api_tokens.create(db, bob, name="Bob's CRM", scopes=["write"])
    db.commit()
    login(client, "alice")

    response = client.post(f"{URL}/{token.id}/revoke")
    assert response.status_code == 404
    assert "Bob's CRM" not in text(client.get(URL))
    assert fresh(db).get(ApiToken, token.id).revoked_at is None
    assert api_tokens.authenticate(db, secret) is not None


def test_a_suspended_member_may_list_and_revoke_but_not_create(client, db):
    mod, member = make_user(db, "mod", role=Role.MODERATOR), make_user(db, "benched")
    token, _ = api_tokens.create(db, member, name="Old export script", scopes=[])
    suspensions.suspend(db, mod, member, days=7, reason="Advertising in every thread.")
    db.commit()
    login(client, "benched")

    page = text(client.get(URL))
    assert "Old export script" in page
    assert "you cannot create tokens" in page and 'name="name"' not in page

    response = client.post(URL, data={"name": "Spam bot", "scopes": ["write"]})
    # The refusal itself gives the reason (the banner on every page says it anyway).
    assert response.status_code == 403
    assert '<p class="lead">Your account is suspended until' in text(response)
    assert len(_tokens(db, member.id)) == 1

    assert client.post(f"{URL}/{token.id}/revoke").status_code == 302
    assert _tokens(db, member.id)[0].revoked_at is not None


@pytest.mark.parametrize("page", ["/settings/email", "/settings/profile", "/settings/password"])
def test_the_other_settings_pages_link_here(client, alice, page):
    login(client, "alice")
    assert f'href="{URL}"' in text(client.get(page))


# --- CSRF: the testing app turns it off, so these build an app with it on -------------------


class CsrfConfig(config.TestingConfig):
    WTF_CSRF_ENABLED = True


@pytest.fixture
def csrf_app(engine, database_url, tmp_path):
    app = create_app(CsrfConfig(database_url, search_index_dir=str(tmp_path / "index")))
    yield app
    app.extensions["hearth.search"].close()
    app.extensions["hearth.engine"].dispose()


def _signed_in(app, username: str):
    client = app.test_client()
    token = csrf_token(text(client.get("/login")))
    assert client.post("/login", data={"login": username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def test_creating_and_revoking_need_the_form_token(csrf_app, db, alice):
    user = db.get(User, alice)
    token, _ = api_tokens.create(db, user, name="Kept", scopes=[])
    db.commit()
    client = _signed_in(csrf_app, "alice")

    for data in ({"name": "Forged"}, {"name": "Forged", "csrf_token": "forged"}):
        response = client.post(URL, data=data)
        assert response.status_code == 400 and CSRF_MESSAGE in text(response)
        response = client.post(f"{URL}/{token.id}/revoke", data={k: v for k, v in data.items() if k != "name"})
        assert response.status_code == 400 and CSRF_MESSAGE in text(response)
    assert [(t.name, t.revoked_at) for t in _tokens(db, alice)] == [("Kept", None)]

    # The page's own forms carry a token that works.
    page = text(client.get(URL))
    assert client.post(URL, data={"name": "Real", "csrf_token": csrf_token(page)}).status_code == 201
    assert client.post(f"{URL}/{token.id}/revoke", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert fresh(db).scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))) == 1
