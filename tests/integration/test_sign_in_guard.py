"""Failed sign-ins slow down, then lock, a login-and-address pair, without revealing which names exist."""

from datetime import timedelta

from sqlalchemy import select, update

from community import sign_in_guard
from community.db import utcnow
from community.models import SignInThrottle
from tests.factories import PASSWORD, make_user

FREE, LOCK = sign_in_guard.RULES.free_failures, sign_in_guard.RULES.lock_after


def sign_in(client, login, password, address="10.0.0.1"):
    return client.post("/login", data={"login": login, "password": password}, environ_base={"REMOTE_ADDR": address})


def unblock(db):
    """Let the wait pass without sleeping."""
    db.execute(update(SignInThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    db.commit()


def test_failures_slow_down_then_lock_the_pair(client, db):
    make_user(db, "guarded_gus")
    db.commit()
    for _ in range(FREE):
        assert sign_in(client, "guarded_gus", "wrong-password").status_code == 400
    slowed = sign_in(client, "guarded_gus", "wrong-password")
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "1"
    # While it must wait, even the right password is refused.
    assert sign_in(client, "guarded_gus", PASSWORD).status_code == 429
    waits = []
    for _ in range(LOCK - FREE - 1):
        unblock(db)
        waits.append(int(sign_in(client, "guarded_gus", "wrong-password").headers["Retry-After"]))
    assert waits[:-1] == sorted(waits[:-1]) and waits[0] == 2  # each failure waits longer
    assert waits[-1] >= sign_in_guard.RULES.lock_minutes * 60 - 1  # then a lock of minutes
    assert "Try again in 15 minutes" in sign_in(client, "guarded_gus", PASSWORD).get_data(as_text=True)


def test_another_address_can_still_sign_in(client, db):
    make_user(db, "owner_olga")
    db.commit()
    for _ in range(FREE + 1):
        sign_in(client, "owner_olga", "wrong-password", address="10.6.6.6")
    assert sign_in(client, "owner_olga", PASSWORD, address="10.6.6.6").status_code == 429
    assert sign_in(client, "owner_olga", PASSWORD, address="10.0.0.2").status_code == 302


def test_a_missing_account_gets_exactly_the_same_answers(client, db):
    make_user(db, "real_rita")
    db.commit()
    seen = {}
    for login in ("real_rita", "nobody_nina"):
        answers = [sign_in(client, login, "wrong-password", address=f"10.1.1.{len(seen)}") for _ in range(FREE + 1)]
        seen[login] = [(r.status_code, r.headers.get("Retry-After"), r.get_data(as_text=True).replace(login, "NAME")) for r in answers]
    assert seen["real_rita"] == seen["nobody_nina"]


def test_a_success_forgets_the_failures(client, db):
    make_user(db, "careful_cal")
    db.commit()
    for _ in range(FREE):
        sign_in(client, "careful_cal", "wrong-password")
    assert sign_in(client, "careful_cal", PASSWORD).status_code == 302
    assert db.scalars(select(SignInThrottle)).all() == []


def test_the_login_is_compared_without_case_or_spaces(client, db):
    make_user(db, "spacey_sam")
    db.commit()
    for login in ("spacey_sam", "SPACEY_SAM", " Spacey_Sam ", "spacey_SAM"):
        sign_in(client, login, "wrong-password")
    assert [(r.login_key, r.failures) for r in db.scalars(select(SignInThrottle))] == [("spacey_sam", 4)]


def test_old_streaks_are_forgotten(db):
    sign_in_guard.record_failure(db, "old_oscar", "10.0.0.9")
    db.execute(update(SignInThrottle).values(last_failed_at=utcnow() - timedelta(hours=3)))
    assert sign_in_guard.forget_old(db) == 1
    for _ in range(FREE):
        assert sign_in_guard.record_failure(db, "old_oscar", "10.0.0.9") == 0
