"""Personal access tokens: created with a secret shown once, scoped, limited, revoked, authenticated."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community import accounts, api_tokens, suspensions
from community.db import utcnow
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import ApiToken, Role
from tests.factories import count_rows, make_user


def create_refused(db, user, *, name="Helpdesk sync", scopes=()) -> dict:
    """Create with one bad input; return the errors after checking that no token was written."""
    before = count_rows(db, ApiToken)
    with pytest.raises(ValidationError) as info:
        api_tokens.create(db, user, name=name, scopes=scopes)
    assert count_rows(db, ApiToken) == before
    return info.value.errors


# --- create ----------------------------------------------------------------------------------------


def test_the_secret_is_returned_once_and_only_its_sha256_is_stored(db):
    user = make_user(db, "alice")
    token, secret = api_tokens.create(db, user, name="Helpdesk sync", scopes=["write"])
    db.commit()

    assert secret.startswith(api_tokens.PREFIX) and len(secret) > 40
    row = db.execute(select(ApiToken.__table__).where(ApiToken.id == token.id)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Only the first characters survive, to tell tokens apart; the rest is nowhere in the row.
    assert row.prefix == secret[:8] and row.prefix.startswith("hth_")
    assert all(secret not in str(value) for value in row)
    assert all(secret[8:20] not in str(value) for value in row)


def test_every_token_gets_its_own_secret(db):
    user = make_user(db)
    _, first = api_tokens.create(db, user, name="One", scopes=[])
    _, second = api_tokens.create(db, user, name="Two", scopes=[])
    assert first != second


def test_read_is_always_included_and_scopes_are_kept_in_order(db):
    member, staffer = make_user(db), make_user(db, role=Role.STAFF)

    assert api_tokens.create(db, member, name="Reader", scopes=[])[0].scopes == "read"
    assert api_tokens.create(db, member, name="Writer", scopes=["write"])[0].scopes == "read write"
    assert api_tokens.create(db, staffer, name="Care", scopes=["staff", "write"])[0].scopes == "read write staff"


def test_the_staff_scope_is_offered_and_granted_to_staff_only(db):
    member, staffer = make_user(db), make_user(db, role=Role.STAFF)

    assert api_tokens.scopes_offered(member) == ("read", "write")
    assert api_tokens.scopes_offered(staffer) == ("read", "write", "staff")
    assert create_refused(db, member, scopes=["staff"]) == {
        "scopes": "Only staff can create a token with the staff scope."
    }
    token, _ = api_tokens.create(db, staffer, name="Care console", scopes=["staff"])
    assert token.scope_set == {"read", "staff"}


def test_an_unknown_scope_is_refused(db):
    errors = create_refused(db, make_user(db, role=Role.ADMIN), scopes=["write", "admin"])
    assert errors == {"scopes": "Unknown scope: admin."}


@pytest.mark.parametrize("name", ["", "   ", "\x00\x07", "x" * (api_tokens.NAME_MAX + 1)])
def test_an_empty_or_long_name_is_refused(db, name):
    assert set(create_refused(db, make_user(db), name=name)) == {"name"}


def test_the_name_is_tidied_and_may_be_exactly_the_longest_allowed(db):
    user = make_user(db)
    assert api_tokens.create(db, user, name="  Helpdesk \t sync\n ", scopes=[])[0].name == "Helpdesk sync"
    longest = "n" * api_tokens.NAME_MAX
    assert api_tokens.create(db, user, name=longest, scopes=[])[0].name == longest


def test_a_member_may_hold_at_most_max_active_tokens_and_revoking_frees_a_place(db):
    user, other = make_user(db), make_user(db)
    made = [api_tokens.create(db, user, name=f"Script {n}", scopes=[])[0] for n in range(api_tokens.MAX_ACTIVE)]

    errors = create_refused(db, user, name="One too many")
    assert "revoke one" in errors["name"]
    api_tokens.create(db, other, name="Someone else's", scopes=[])  # the limit is per member

    api_tokens.revoke(db, user, made[0].id)
    assert api_tokens.create(db, user, name="In its place", scopes=[])[0].name == "In its place"


def test_a_suspended_member_may_not_create_a_token(db):
    mod, member = make_user(db, role=Role.MODERATOR), make_user(db)
    suspensions.suspend(db, mod, member, days=3, reason="Advertising in every thread.")
    before = count_rows(db, ApiToken)
    with pytest.raises(PermissionDenied):
        api_tokens.create(db, member, name="Spam bot", scopes=["write"])
    assert count_rows(db, ApiToken) == before


# --- listing and revoking --------------------------------------------------------------------------


def test_active_tokens_are_the_owners_unrevoked_ones_newest_first(db):
    alice, bob = make_user(db), make_user(db)
    first, _ = api_tokens.create(db, alice, name="First", scopes=[])
    second, _ = api_tokens.create(db, alice, name="Second", scopes=[])
    gone, _ = api_tokens.create(db, alice, name="Gone", scopes=[])
    api_tokens.create(db, bob, name="Bob's", scopes=[])
    api_tokens.revoke(db, alice, gone.id)

    assert [t.name for t in api_tokens.active_tokens(db, alice)] == ["Second", "First"]


def test_revoking_ones_own_token_stamps_it_and_keeps_the_row(db):
    user = make_user(db)
    token, _ = api_tokens.create(db, user, name="Old script", scopes=[])

    assert api_tokens.revoke(db, user, token.id) is token
    db.commit()
    assert db.get(ApiToken, token.id).revoked_at is not None
    with pytest.raises(NotFound):
        api_tokens.revoke(db, user, token.id)  # once only


def test_another_members_token_cannot_be_revoked(db):
    owner, intruder = make_user(db), make_user(db, role=Role.ADMIN)
    token, _ = api_tokens.create(db, owner, name="Mine", scopes=[])
    db.commit()

    for token_id in (token.id, token.id + 1000):
        with pytest.raises(NotFound):
            api_tokens.revoke(db, intruder, token_id)
    db.rollback()
    assert db.get(ApiToken, token.id).revoked_at is None


# --- authenticate and grants -----------------------------------------------------------------------


def test_a_valid_secret_authenticates_its_token(db):
    user = make_user(db)
    token, secret = api_tokens.create(db, user, name="CRM", scopes=["write"])
    db.commit()

    assert api_tokens.authenticate(db, secret) is token


def test_a_revoked_token_a_wrong_secret_and_garbage_do_not_authenticate(db):
    user = make_user(db)
    token, secret = api_tokens.create(db, user, name="CRM", scopes=[])
    kept, kept_secret = api_tokens.create(db, user, name="Kept", scopes=[])
    api_tokens.revoke(db, user, token.id)
    db.commit()

    assert api_tokens.authenticate(db, secret) is None
    assert api_tokens.authenticate(db, kept_secret[:-1] + ("A" if kept_secret[-1] != "A" else "B")) is None
    assert api_tokens.authenticate(db, kept_secret.removeprefix(api_tokens.PREFIX)) is None
    assert api_tokens.authenticate(db, "") is None
    assert api_tokens.authenticate(db, "Bearer " + kept_secret) is None
    assert api_tokens.authenticate(db, api_tokens.PREFIX + "x" * 200) is None
    assert api_tokens.authenticate(db, kept_secret) is kept  # the control


def test_authenticating_records_when_the_token_was_last_used(db):
    user = make_user(db)
    token, secret = api_tokens.create(db, user, name="CRM", scopes=[])
    db.commit()
    assert token.last_used_at is None

    before = utcnow()
    api_tokens.authenticate(db, secret)
    db.expire_all()
    first = db.get(ApiToken, token.id).last_used_at
    assert first is not None and before <= first <= utcnow()

    # Within a minute a second call writes nothing; after it, the time moves on.
    api_tokens.authenticate(db, secret)
    db.expire_all()
    assert db.get(ApiToken, token.id).last_used_at == first
    earlier = first - api_tokens.LAST_USED_RESOLUTION - timedelta(seconds=1)
    db.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=earlier))
    db.commit()
    api_tokens.authenticate(db, secret)
    db.expire_all()
    assert db.get(ApiToken, token.id).last_used_at > earlier + api_tokens.LAST_USED_RESOLUTION


def test_grants_follows_the_scopes_and_the_owners_role_today(db):
    staffer = make_user(db, role=Role.STAFF)
    token, _ = api_tokens.create(db, staffer, name="Care console", scopes=["staff"])
    reader, _ = api_tokens.create(db, staffer, name="Reader", scopes=[])

    assert api_tokens.grants(token, staffer, "read") and api_tokens.grants(token, staffer, "staff")
    assert not api_tokens.grants(token, staffer, "write")
    assert not api_tokens.grants(reader, staffer, "staff")
    assert not api_tokens.grants(token, staffer, "admin")

    accounts.set_role(db, staffer, Role.MEMBER)
    assert not api_tokens.grants(token, staffer, "staff")
    assert api_tokens.grants(token, staffer, "read")
