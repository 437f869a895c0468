"""Route security, walked from the URL map so a new route cannot slip through unchecked.

1. CSRF: every state-changing route refuses a request without a valid token and changes nothing.
2. Permission matrix: every route is classified by the lowest role that may use it; every lower
   role is refused and that role is let through.
3. Security headers on every GET page (and on error pages); HSTS and cookie flags in production.
4. Session fixation: sign-in issues a new session; an old cookie never carries the new identity.
5. `next` redirects never leave the site.
6. Numbers past the integer range, in a path, a query string or a form, are never a server error.

ROUTES and ARGUMENTS below are the classification: a route missing from ROUTES, or a URL
argument missing from ARGUMENTS, fails the tests until someone classifies it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select, update

import config
from app import create_app
from app.mail_sender import unsubscribe_token
from community import (
    accepting,
    account_email,
    api_tokens,
    badges,
    canned,
    flags,
    listening,
    mail,
    moderation,
    signups,
    suspensions,
    teams,
    threads,
    voting,
    webhooks,
)
from community.db import MAX_ID, Base
from community.models import Category, Follow, Notification, Role, Thread, User, Vote, WebhookDelivery
from tests.conftest import _empty_all_tables
from tests.factories import PASSWORD, VOTER_REPUTATION, make_answer, make_category, make_thread, make_user
from tests.integration.helpers import csrf_token, fresh, signed_in_as, text
from tests.receiver import closed_port_url

CSRF_MESSAGE = "The form expired or came from another site."
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})

# --- Roles ------------------------------------------------------------------------------------

# Lowest first. "suspended" sits between a visitor and a member: signed in, but may do no more
# than a visitor, except look after their own account (password, notifications, email
# settings, listing and revoking API tokens): routes for that need only "suspended".
ROLES = ("visitor", "suspended", "member", "staff", "moderator", "admin")
RANK = {role: rank for rank, role in enumerate(ROLES)}
ROLE_USER = {"suspended": "benched", "member": "member", "staff": "staffer", "moderator": "mod", "admin": "boss"}

HAS_SUSPENSION = any(hasattr(User, name) for name in ("suspended", "is_suspended", "suspended_until"))


def role_params(roles=ROLES):
    """The roles to test; a suspended member joins once accounts can be suspended."""
    return [role for role in roles if role != "suspended" or HAS_SUSPENSION]


# --- The scene every walk runs against ----------------------------------------------------------


def build_scene(db) -> SimpleNamespace:
    """Members of every role, a thread with answers (one deleted), a solved thread whose accept
    is held for staff review, an empty category, a vote, a webhook endpoint (at a closed port)
    with the delivery of that accept, deliveries paused, and a failing email. Only ids and names
    are returned."""
    boss = make_user(db, "boss", role=Role.ADMIN)
    hook = webhooks.create_endpoint(db, boss, url=closed_port_url(), events=["answer.accepted"])
    webhooks.pause_deliveries(db, "Restored from a backup.")  # as after a restore: Resume has work to do
    watchlist = listening.create_watchlist(db, boss, name="Churn", keywords="cancel\nrefund")
    mod = make_user(db, "mod", role=Role.MODERATOR)
    staffer = make_user(db, "staffer", role=Role.STAFF)
    # A member with enough reputation to vote, far below editing others' posts: roles, not
    # reputation privileges, are what this matrix is about.
    member = make_user(db, "member", reputation=VOTER_REPUTATION)
    asker = make_user(db, "asker", reputation=VOTER_REPUTATION)
    helper = make_user(db, "helper")
    # As able as `member` in every other way, so only the suspension can explain a refusal.
    benched = make_user(db, "benched", reputation=VOTER_REPUTATION)
    # Made before the suspension (which refuses new tokens); revoking it is still theirs to do.
    benched_token, _ = api_tokens.create(db, benched, name="Old export script", scopes=["write"])
    suspensions.suspend(db, mod, benched, days=7, reason="Posted the same advert in every category.")

    heating = make_category(db, "Heating", "heating")
    empty = make_category(db, "Empty", "empty")
    thread = make_thread(db, author=asker, category=heating, title="The heating will not switch on at night")
    answer = make_answer(db, thread, author=helper, body="Check the schedule under Settings, then restart it.")
    gone = make_answer(db, thread, author=helper, body="An answer its author deleted again later.")
    threads.delete_post(db, helper, gone)
    voting.cast_vote(db, asker, answer, 1)
    flags.flag_post(db, asker, answer, reason="off_topic", note="Not about the heating.")
    hidden = make_answer(db, thread, author=helper, body="Visit my shop for cheap boiler parts today.")
    repeat = make_thread(db, author=asker, category=heating, title="Heating does not come on at night time")
    moderation.close_as_duplicate(db, mod, repeat, thread.id)
    moderation.hide_post(db, mod, hidden, reason="Advertising")

    solved = make_thread(db, author=asker, category=heating, title="The boiler makes a knocking noise")
    solution = make_answer(db, solved, author=helper, body="Bleed the radiators and check the pressure.")
    accepting.accept_answer(db, asker, solution)
    # As if the collusion check had held it: staff must approve it before it earns points.
    db.execute(update(Thread).where(Thread.id == solved.id).values(accept_held=True))
    delivery_id = db.scalar(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == hook.id))
    # The care console: a team with a staff member and a category, and a canned response.
    team = teams.create_team(db, boss, "Heating team")
    teams.set_member(db, boss, team, staffer.id, True)
    teams.set_category(db, boss, team, heating.id, True)
    reply = canned.create_canned(db, staffer, title="Restart first", body="Please restart the boiler and tell us.")
    # The asker follows the thread, so the helper's answer told them.
    notification_id = db.scalar(select(Notification.id).where(Notification.recipient_id == asker.id))
    _, reset_token = account_email.request_password_reset(db, member.email)
    newbie = make_user(db, "newbie", verified=False)
    verify_token = account_email.issue_verification(db, newbie)
    links = []  # the token of the emailed link that finishes joining
    signups.start(db, "joiner", "joiner@example.com", "long-enough-pass-1", signups.Links(
        finish=lambda token: links.append(token) or token, reset=str, sign_in="/login", site_name="Hearth"))
    failing_mail = mail.queue(db, member.email, "password_reset", subject="Reset your password", body="A link.")
    failing_mail.attempts, failing_mail.last_error = 2, "ConnectionRefusedError: [Errno 111] Connection refused"
    db.commit()

    return SimpleNamespace(
        users={u.username: u.id for u in (boss, mod, staffer, member, asker, helper, benched)},
        category_id=heating.id,
        category_slug=heating.slug,
        empty_category_id=empty.id,
        thread_id=thread.id,
        thread_slug=thread.slug,
        answer_id=answer.id,
        deleted_answer_id=gone.id,
        hidden_answer_id=hidden.id,
        duplicate_thread_id=repeat.id,
        solved_thread_id=solved.id,
        webhook_id=hook.id,
        webhook_delivery_id=delivery_id,
        watchlist_id=watchlist.id,
        team_id=team.id,
        canned_id=reply.id,
        notification_id=notification_id,
        reset_token=reset_token,
        verify_token=verify_token,
        api_token_id=benched_token.id,
        failing_mail_id=failing_mail.id,
        signup_token=links[0],
        unsubscribe_token=unsubscribe_token(config.TestingConfig.SECRET_KEY, member.id, "reply"),
        asker="asker",
        helper="helper",
        benched="benched",
    )


# URL argument name -> its value in the scene. A rule with an argument not named here fails.
ARGUMENTS: dict[str, Callable[[SimpleNamespace], object]] = {
    "thread_id": lambda s: s.thread_id,
    "post_id": lambda s: s.answer_id,
    "username": lambda s: s.helper,
    "slug": lambda s: s.category_slug,
    "category_id": lambda s: s.category_id,
    "key": lambda s: badges.BADGES[0].key,
    "number": lambda s: 1,
    "kind": lambda s: "latest",
    "filename": lambda s: "css/hearth.css",
    "endpoint_id": lambda s: s.webhook_id,
    "delivery_id": lambda s: s.webhook_delivery_id,
    "watchlist_id": lambda s: s.watchlist_id,
    "team_id": lambda s: s.team_id,
    "canned_id": lambda s: s.canned_id,
    "token": lambda s: s.reset_token,
    "notification_id": lambda s: s.notification_id,
    "token_id": lambda s: s.api_token_id,
    "message_id": lambda s: s.failing_mail_id,
}


@dataclass(frozen=True)
class Route:
    """How a route is classified and exercised."""

    min_role: str
    methods: tuple[str, ...]
    data: Callable[[SimpleNamespace], dict] = lambda s: {}
    args: dict[str, Callable[[SimpleNamespace], object]] = field(default_factory=dict)
    refused: int = 403  # what a signed-in lower role gets (visitors are sent to sign in)
    writes: bool = True  # an allowed state-changing request writes to the database
    # Who sends the CSRF walk's requests: the admin, unless the route acts only on the sender's
    # own rows (then that row's owner, whose role is given here).
    csrf_role: str = "admin"
    note: str = ""


# Endpoint -> the lowest role that may use it. Targets are someone else's content (the asker's
# thread, the helper's answer), so an owner's own rights do not blur the role check.
ROUTES: dict[str, Route] = {
    "static": Route("visitor", ("GET",)),
    "auth.register": Route(
        "visitor",
        ("GET", "POST"),
        data=lambda s: {"username": "newcomer", "email": "newcomer@example.com", "password": "long-enough-pass-1"},
        writes=False,  # signed-in people are sent home
    ),
    "auth.check_email": Route("visitor", ("GET",)),
    "auth.finish_signup": Route(
        "visitor", ("GET", "POST"), args={"token": lambda s: s.signup_token}, writes=False,
        note="signed-in people are sent home",
    ),
    "auth.login": Route(
        "visitor", ("GET", "POST"), data=lambda s: {"login": "member", "password": PASSWORD}, writes=False
    ),
    "auth.logout": Route("visitor", ("POST",), writes=False),
    "auth.change_password": Route(
        "suspended", ("GET", "POST"), data=lambda s: {"current_password": PASSWORD, "new_password": "another-long-pass-2"}
    ),
    "auth.edit_profile": Route(
        "member", ("GET", "POST"), data=lambda s: {"display_name": "Renamed", "location": "", "website": "", "bio": ""}
    ),
    "search.results": Route("visitor", ("GET",)),
    "search.similar": Route("visitor", ("GET",)),
    "search.open_result": Route("visitor", ("GET",)),
    "threads.ask": Route(
        "member",
        ("GET", "POST"),
        data=lambda s: {
            "title": "How do I pair a new remote with the garage door opener",
            "body": "The old remote broke and the new one does nothing when I press it.",
            "category": str(s.category_id),
            "tags": "",
            "reviewed_title": "How do I pair a new remote with the garage door opener",
        },
    ),
    "threads.answer": Route("member", ("POST",), data=lambda s: {"body": "Replace the batteries in the thermostat."}),
    "threads.edit": Route(
        "staff",
        ("GET", "POST"),
        data=lambda s: {"body": "Check the schedule under Settings, then restart the boiler."},
        note="someone else's answer: members need the edit-others reputation, staff hold every privilege",
    ),
    "threads.delete": Route("moderator", ("POST",), note="someone else's answer: only its author or a moderator"),
    "threads.restore": Route(
        "staff",
        ("POST",),
        args={"post_id": lambda s: s.deleted_answer_id},
        refused=404,  # a deleted post is invisible below staff, so it is not found
    ),
    "threads.vote": Route("member", ("POST",), data=lambda s: {"value": "up"}),
    "threads.accept": Route("staff", ("POST",), note="on someone else's thread: only its asker or staff"),
    "threads.unaccept": Route("staff", ("POST",), args={"thread_id": lambda s: s.solved_thread_id}),
    "threads.follow": Route("member", ("POST",)),
    "threads.lock": Route("moderator", ("POST",), data=lambda s: {"locked": "1"}),
    "threads.pin": Route("moderator", ("POST",), data=lambda s: {"pinned": "1"}),
    "threads.close_as_duplicate": Route("moderator", ("POST",), data=lambda s: {"original": str(s.solved_thread_id)}),
    "threads.merge": Route("moderator", ("POST",), data=lambda s: {"target": str(s.solved_thread_id)}),
    "threads.reopen": Route("moderator", ("POST",), args={"thread_id": lambda s: s.duplicate_thread_id}),
    "threads.flag": Route("member", ("POST",), data=lambda s: {"reason": "spam", "note": "A link to a shop."}),
    "threads.hide": Route("moderator", ("POST",), data=lambda s: {"reason": "Rude to the asker"}),
    "threads.unhide": Route("moderator", ("POST",), args={"post_id": lambda s: s.hidden_answer_id}),
    "threads.home": Route("visitor", ("GET",)),
    "threads.category": Route("visitor", ("GET",)),
    "threads.thread": Route("visitor", ("GET",)),
    "threads.post_link": Route("visitor", ("GET",)),
    "threads.revisions": Route("visitor", ("GET",)),
    "users.profile": Route("visitor", ("GET",)),
    "users.award_champion": Route(
        "staff", ("POST",), data=lambda s: {"reason": "Answered every heating question this winter"}
    ),
    "users.revert_votes": Route("moderator", ("POST",), args={"username": lambda s: s.asker}),
    "users.suspend": Route("moderator", ("POST",), data=lambda s: {"days": "3", "reason": "Rude to other members."}),
    "users.unsuspend": Route("moderator", ("POST",), args={"username": lambda s: s.benched}),
    "users.leaderboard": Route("visitor", ("GET",)),
    "users.badge_list": Route("visitor", ("GET",)),
    "users.badge_detail": Route("visitor", ("GET",)),
    "admin.category_list": Route("admin", ("GET",)),
    "admin.category_new": Route(
        "admin",
        ("GET", "POST"),
        data=lambda s: {"name": "Forged", "slug": "forged", "description": "", "position": "0"},
    ),
    "admin.category_edit": Route(
        "admin",
        ("GET", "POST"),
        data=lambda s: {"name": "Heating and hot water", "slug": "heating", "description": "", "position": "0"},
    ),
    "admin.category_delete": Route("admin", ("POST",), args={"category_id": lambda s: s.empty_category_id}),
    "admin.webhook_list": Route(
        "admin",
        ("GET", "POST"),
        data=lambda s: {"url": "https://hooks.example.com/hearth", "events": ["thread.created"], "description": ""},
    ),
    "admin.webhook_detail": Route("admin", ("GET",)),
    "admin.audit_log": Route("admin", ("GET",)),
    "admin.webhook_set_active": Route("admin", ("POST",), data=lambda s: {"active": "0"}),
    "admin.webhook_delete": Route("admin", ("POST",)),
    "admin.webhook_redeliver": Route("admin", ("POST",)),
    "admin.mail_status": Route("admin", ("GET",)),
    "admin.mail_retry": Route("admin", ("POST",)),
    "admin.mail_retry_all": Route("admin", ("POST",)),
    "admin.webhook_resume": Route("admin", ("POST",)),
    "seo.robots": Route("visitor", ("GET",)),
    "seo.sitemap": Route("visitor", ("GET",)),
    "seo.sitemap_file": Route("visitor", ("GET",)),
    "seo.site_feed": Route("visitor", ("GET",)),
    "seo.category_feed": Route("visitor", ("GET",)),
    "staff.search_report": Route("staff", ("GET",)),
    "staff.deflection_report": Route("staff", ("GET",)),
    "staff.care_metrics_report": Route("staff", ("GET",)),
    "staff.care_metrics_csv": Route("staff", ("GET",), args={"table": lambda s: "categories"}),
    "staff.reputation_review": Route("staff", ("GET",)),
    "staff.approve_held_accept": Route("staff", ("POST",), args={"thread_id": lambda s: s.solved_thread_id}),
    "staff.tone_over_time": Route("staff", ("GET",)),
    "staff.tone_csv": Route("staff", ("GET",)),
    "staff.listening_feed": Route("staff", ("GET",)),
    "staff.watchlist_list": Route(
        "staff", ("GET", "POST"), data=lambda s: {"name": "Competitors", "keywords": "Rival Heat", "assignee": ""}
    ),
    "staff.watchlist_edit": Route(
        "staff", ("GET", "POST"), data=lambda s: {"name": "Churn", "keywords": "cancel\nrefund\nmoney back", "assignee": ""}
    ),
    "staff.watchlist_delete": Route("staff", ("POST",)),
    "care.queue": Route("staff", ("GET",)),
    "care.assign": Route("staff", ("POST",), data=lambda s: {"assignee": "me", "team": ""}),
    "care.set_state": Route("staff", ("POST",), data=lambda s: {"state": "resolved"}),
    "care.escalate": Route("staff", ("POST",), data=lambda s: {"reason": "The customer has no heating for two days"}),
    "care.set_ticket": Route("staff", ("POST",), data=lambda s: {"ticket_ref": "SUP-1234"}),
    "care.add_note": Route("staff", ("POST",), data=lambda s: {"body": "Called the customer; engineer booked."}),
    "care.canned_list": Route(
        "staff", ("GET", "POST"), data=lambda s: {"title": "Bleed radiators", "body": "Bleed each radiator in turn."}
    ),
    "care.canned_edit": Route(
        "staff", ("GET", "POST"), data=lambda s: {"title": "Restart first", "body": "Restart it, then wait a minute."}
    ),
    "care.canned_delete": Route("staff", ("POST",)),
    "admin.team_list": Route("admin", ("GET", "POST"), data=lambda s: {"name": "Billing team"}),
    "admin.team_rename": Route("admin", ("POST",), data=lambda s: {"name": "Warmth team"}),
    "admin.team_delete": Route("admin", ("POST",)),
    "admin.team_members": Route("admin", ("POST",), data=lambda s: {"op": "add", "user_id": str(s.users["mod"])}),
    "admin.team_categories": Route(
        "admin", ("POST",), data=lambda s: {"op": "add", "category_id": str(s.empty_category_id)}
    ),
    "notifications.centre": Route("suspended", ("GET",)),
    "notifications.open_one": Route(
        "suspended", ("POST",), writes=False, note="the asker's notification: anyone else is sent back to their list"
    ),
    "notifications.read_all": Route("suspended", ("POST",), writes=False, note="the admin has nothing unread in the scene"),
    "mail.forgot_password": Route("visitor", ("GET", "POST"), data=lambda s: {"email": "member@example.com"}),
    "mail.reset_password": Route(
        "visitor", ("GET", "POST"), data=lambda s: {"password": "brand-new-pass-3"}, args={"token": lambda s: s.reset_token}
    ),
    "mail.verify_email": Route("visitor", ("GET", "POST"), args={"token": lambda s: s.verify_token}),
    "mail.settings": Route("suspended", ("GET", "POST"), data=lambda s: {"kinds": ["reply", "mention"]}),
    "mail.resend_verification": Route("suspended", ("POST",), writes=False, note="the admin's address is confirmed already"),
    "mail.unsubscribe": Route("visitor", ("GET", "POST"), args={"token": lambda s: s.unsubscribe_token}),
    "staff.review_queue": Route("moderator", ("GET",)),
    "staff.uphold_flags": Route("moderator", ("POST",), data=lambda s: {"note": "Off topic indeed."}),
    "staff.dismiss_flags": Route("moderator", ("POST",)),
    "tokens.settings": Route("suspended", ("GET",)),
    "tokens.create": Route(
        "member", ("POST",), data=lambda s: {"name": "Helpdesk sync", "scopes": ["write"]},
        note="same URL as tokens.settings: a suspended member may list and revoke tokens, not create one",
    ),
    "tokens.revoke": Route(
        "suspended", ("POST",), csrf_role="suspended", note="the suspended member's own token: anyone else gets 404"
    ),
}

# Routes a state-changing request may reach without a form token, and why (each is tested on its own).
CSRF_EXEMPT = {
    "mail.unsubscribe": "RFC 8058 one-click: mail clients POST without a form; the signed token in the URL is the proof",
}

ENDPOINT_METHODS = [(endpoint, method) for endpoint, route in ROUTES.items() for method in route.methods]
POST_CASES = [(e, m) for e, m in ENDPOINT_METHODS if m in STATE_CHANGING]
CSRF_CASES = [(e, m) for e, m in POST_CASES if e not in CSRF_EXEMPT]


# --- Apps -----------------------------------------------------------------------------------


class CsrfConfig(config.TestingConfig):
    WTF_CSRF_ENABLED = True


def _close(app) -> None:
    app.extensions["hearth.search"].close()
    app.extensions["hearth.engine"].dispose()


@pytest.fixture(scope="module")
def plain_app(database_url, tmp_path_factory):
    """The testing app (CSRF off), shared by the tests of this module; each test empties the tables."""
    app = create_app(config.TestingConfig(database_url, search_index_dir=str(tmp_path_factory.mktemp("index"))))
    yield app
    _close(app)


@pytest.fixture(scope="module")
def csrf_app(database_url, tmp_path_factory):
    app = create_app(CsrfConfig(database_url, search_index_dir=str(tmp_path_factory.mktemp("csrf-index"))))
    yield app
    _close(app)


@pytest.fixture
def scene(db, engine):  # engine: so the autouse clean-up empties the tables afterwards
    return build_scene(db)


@pytest.fixture
def member(db, engine):
    """Just one plain member, for the tests that need nobody else (a scene is slow to build)."""
    user = make_user(db, "member")
    db.commit()
    return user.id


# --- Helpers --------------------------------------------------------------------------------


def route_of(rule) -> Route:
    if rule.endpoint not in ROUTES:
        pytest.fail(f"{rule.rule} ({rule.endpoint}) is not classified: give it a minimum role in ROUTES")
    return ROUTES[rule.endpoint]


# The REST API authenticates by token, never by the session cookie, so neither CSRF nor the
# cookie-role matrix applies to it; tests/integration/api/test_api_security.py walks it instead.
API_BLUEPRINT = "api"


def rules_of(app, endpoint: str | None = None):
    return [
        r
        for r in app.url_map.iter_rules()
        if (endpoint is None or r.endpoint == endpoint) and not r.endpoint.startswith(API_BLUEPRINT + ".")
    ]


def methods_of(rule) -> set[str]:
    return set(rule.methods) - IGNORED_METHODS


def build_url(rule, scene, **fixed) -> str:
    """The rule's URL with real values (or the `fixed` ones); fails for an argument nobody has said how to fill."""
    overrides = route_of(rule).args
    missing = sorted(name for name in rule.arguments if name not in overrides and name not in ARGUMENTS)
    if missing:
        pytest.fail(f"{rule.rule} ({rule.endpoint}): no value for URL argument(s) {missing}; add them to ARGUMENTS")
    values = {
        name: fixed[name] if name in fixed else (overrides.get(name) or ARGUMENTS[name])(scene) for name in rule.arguments
    }
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"{rule.rule} could not be built from {values}"
    return built[1]


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table: a refused request must leave all of it as it was."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables
        }


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303) and urlsplit(response.headers.get("Location", "")).path == "/login"


def sign_in(app, username: str | None):
    """A client signed in through the real form (None: a visitor)."""
    client = app.test_client()
    if username is None:
        return client
    data = {"login": username, "password": PASSWORD}
    if app.config["WTF_CSRF_ENABLED"]:
        data["csrf_token"] = csrf_token(text(client.get("/login")))
    response = client.post("/login", data=data)
    assert response.status_code == 302, text(response)
    return client


def client_for(app, role: str):
    if role != "visitor" and role not in ROLE_USER:
        pytest.fail(f"no member of role {role!r} in the scene: add one to build_scene and ROLE_USER")
    return sign_in(app, ROLE_USER.get(role))


def fresh_token(client) -> str:
    return csrf_token(text(client.get("/")))  # the sign-out form in the header carries one


def send(client, method: str, url: str, data: dict):
    return client.open(url, method=method, data=data)


CSP_DIRECTIVE = re.compile(r"\s*([a-z-]+)\s*(.*)")


def csp_directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        match = CSP_DIRECTIVE.match(part)
        if match and match.group(1):
            found.setdefault(match.group(1), match.group(2).split())
    return found


INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def header_problems(response) -> list[str]:
    """What is wrong with a response's security headers (and, for HTML, what a strict CSP would block)."""
    problems = []
    headers = response.headers
    policy = headers.get("Content-Security-Policy")
    if not policy:
        problems.append("no Content-Security-Policy")
    else:
        csp = csp_directives(policy)
        scripts = csp.get("script-src", csp.get("default-src"))
        if scripts is None:
            problems.append("CSP has neither script-src nor default-src")
        elif "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts or "*" in scripts:
            problems.append(f"CSP script sources allow too much: {scripts}")
        if "'unsafe-inline'" in csp.get("default-src", []):
            problems.append("CSP default-src allows 'unsafe-inline'")
        if csp.get("frame-ancestors") not in (["'none'"], ["'self'"]):
            problems.append(f"CSP frame-ancestors is {csp.get('frame-ancestors')}")
        if csp.get("object-src") != ["'none'"] and "'none'" not in csp.get("default-src", []):
            problems.append("CSP lets plugins load (object-src)")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options is {headers.get('X-Content-Type-Options')!r}")
    if not headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if response.mimetype == "text/html":
        page = text(response)
        for attrs in INLINE_SCRIPT.findall(page):
            if "src=" not in attrs and 'type="application/ld+json"' not in attrs:
                problems.append(f"an inline <script{attrs}> the CSP would block")
        if EVENT_HANDLER.search(page) or "javascript:" in page.lower():
            problems.append("an inline event handler or javascript: URL the CSP would block")
    return problems


# --- 0. Every route and URL argument is classified ------------------------------------------


def test_every_route_in_the_url_map_is_classified(plain_app):
    in_map: dict[str, set[str]] = {}
    for rule in rules_of(plain_app):
        in_map.setdefault(rule.endpoint, set()).update(methods_of(rule))
    unclassified = sorted(set(in_map) - set(ROUTES))
    stale = sorted(set(ROUTES) - set(in_map))
    wrong_methods = {
        e: (sorted(in_map[e]), sorted(ROUTES[e].methods)) for e in in_map.keys() & ROUTES.keys()
        if in_map[e] != set(ROUTES[e].methods)
    }
    assert not unclassified, f"new routes: give each a minimum role in ROUTES: {unclassified}"
    assert not stale, f"ROUTES names endpoints that no longer exist: {stale}"
    assert not wrong_methods, f"methods differ (url map, ROUTES): {wrong_methods}"
    assert all(route.min_role in RANK and route.csrf_role in ROLE_USER for route in ROUTES.values())


def test_every_url_argument_can_be_filled(plain_app):
    unfilled = {
        rule.rule: sorted(a for a in rule.arguments if a not in ARGUMENTS and a not in ROUTES[rule.endpoint].args)
        for rule in rules_of(plain_app)
        if rule.endpoint in ROUTES
    }
    assert not {r: a for r, a in unfilled.items() if a}, "add these URL arguments to ARGUMENTS"


def test_no_route_is_exempt_from_csrf_but_the_listed_ones(csrf_app):
    csrf = csrf_app.extensions["csrf"]
    listed = {
        f"{view.__module__}.{view.__name__}"
        for endpoint, view in csrf_app.view_functions.items()
        if endpoint in CSRF_EXEMPT
    }
    assert len(listed) == len(CSRF_EXEMPT)
    assert set(csrf._exempt_views) == listed and {bp.name for bp in csrf._exempt_blueprints} == {API_BLUEPRINT}


# --- 1. CSRF --------------------------------------------------------------------------------


def test_every_state_changing_route_refuses_a_request_without_a_valid_token(csrf_app, db, engine):
    """For each route: an admin (so permission is never the reason; for a route on one's own rows,
    their owner) without a token, then with a forged one, is refused with the CSRF page and nothing
    changes; the same request with a real token goes through and writes, which proves the refusal
    was the token's doing."""
    walked, failures = [], []
    for rule in rules_of(csrf_app):
        methods = methods_of(rule) & STATE_CHANGING
        if not methods or rule.endpoint == "static" or rule.endpoint in CSRF_EXEMPT:
            continue
        _empty_all_tables(engine)
        fresh(db).expunge_all()  # forget the last scene's rows: their ids come round again
        scene = build_scene(db)
        url = build_url(rule, scene)
        route = route_of(rule)
        for method in sorted(methods):
            walked.append(f"{method} {rule.rule}")
            client = client_for(csrf_app, route.csrf_role)
            data = route.data(scene)
            for label, token in (("no token", None), ("forged token", "forged")):
                before = snapshot(engine)
                response = send(client, method, url, data if token is None else {**data, "csrf_token": token})
                where = f"{method} {url} ({rule.endpoint}) with {label}"
                if response.status_code != 400 or CSRF_MESSAGE not in text(response):
                    failures.append(f"{where}: not refused for CSRF ({response.status_code})")
                if changed := changed_tables(before, snapshot(engine)):
                    failures.append(f"{where}: changed {changed}")
                if problems := header_problems(response):
                    failures.append(f"{where}: headers {problems}")
                if signed_in_as(client) != ROLE_USER[route.csrf_role]:
                    failures.append(f"{where}: the {route.csrf_role}'s session did not survive the refusal")

            before = snapshot(engine)
            response = send(client, method, url, {**data, "csrf_token": fresh_token(client)})
            where = f"{method} {url} ({rule.endpoint}) with a valid token"
            if CSRF_MESSAGE in text(response) or response.status_code >= 400 or is_login_redirect(response):
                failures.append(f"{where}: refused ({response.status_code})")
            elif route.writes and not changed_tables(before, snapshot(engine)):
                failures.append(f"{where}: went through but wrote nothing")
    assert len(walked) == len(CSRF_CASES), walked
    assert not failures, "\n".join(failures)


def test_a_valid_token_lets_representative_actions_through(csrf_app, db, scene):
    """Spot checks of what the walk's valid-token requests really did."""
    client = sign_in(csrf_app, "boss")

    response = client.post(f"/t/{scene.thread_id}/follow", data={"csrf_token": fresh_token(client)})
    assert response.status_code == 302
    response = client.post(f"/p/{scene.answer_id}/vote", data={"value": "up", "csrf_token": fresh_token(client)})
    assert response.status_code == 302
    data = {"name": "Forged", "slug": "forged", "description": "", "position": "0"}
    response = client.post("/admin/categories/new", data={**data, "csrf_token": fresh_token(client)})
    assert response.status_code == 302

    fresh(db)
    boss = scene.users["boss"]
    assert db.get(Follow, (boss, scene.thread_id)) is not None
    assert db.scalar(select(Vote.value).where(Vote.user_id == boss, Vote.post_id == scene.answer_id)) == 1
    assert db.scalar(select(Category.id).where(Category.slug == "forged")) is not None


def test_a_token_in_the_header_is_accepted_and_a_forged_one_refused(csrf_app, db, scene):
    client = sign_in(csrf_app, "boss")
    url = f"/t/{scene.thread_id}/follow"

    response = client.post(url, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400 and CSRF_MESSAGE in text(response)
    assert client.post(url, headers={"X-CSRFToken": fresh_token(client)}).status_code == 302


# --- 2. Permission matrix -------------------------------------------------------------------


def _check_access(response, route: Route, role: str, where: str) -> str | None:
    """The problem with this response for this role, or None."""
    if RANK[role] >= RANK[route.min_role]:
        if response.status_code >= 400 or is_login_redirect(response):
            return f"{where}: {role} is allowed (minimum {route.min_role}) but got {response.status_code}"
        return None
    if role == "visitor":
        if not is_login_redirect(response):
            return f"{where}: a visitor should be sent to sign in, got {response.status_code}"
        return None
    if response.status_code != route.refused:
        return f"{where}: {role} is below {route.min_role} and should get {route.refused}, got {response.status_code}"
    return None


@pytest.mark.parametrize("role", role_params())
def test_every_page_refuses_lower_roles_and_admits_its_role(plain_app, scene, role):
    client = client_for(plain_app, role)
    failures = []
    for rule in rules_of(plain_app):
        if "GET" not in rule.methods:
            continue
        url = build_url(rule, scene)
        response = client.get(url)
        response.close()
        if problem := _check_access(response, route_of(rule), role, f"GET {url}"):
            failures.append(problem)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("endpoint, method", POST_CASES, ids=[f"{m} {e}" for e, m in POST_CASES])
def test_every_action_refuses_lower_roles_and_admits_its_role(plain_app, engine, scene, endpoint, method):
    """Each lower role in turn is refused and changes nothing; then the minimum role gets through.
    (Higher roles: the admin is let through every action by the CSRF walk's valid-token requests.)"""
    route = ROUTES[endpoint]
    lower = [r for r in ROLES if RANK[r] < RANK[route.min_role] and (r != "suspended" or HAS_SUSPENSION)]
    failures = []
    for rule in rules_of(plain_app, endpoint):
        if method not in rule.methods:
            continue
        url = build_url(rule, scene)
        for role in [*lower, route.min_role]:
            before = snapshot(engine)
            response = send(client_for(plain_app, role), method, url, route.data(scene))
            if problem := _check_access(response, route, role, f"{method} {url}"):
                failures.append(problem)
            if role != route.min_role and (changed := changed_tables(before, snapshot(engine))):
                failures.append(f"{method} {url}: the refused {role} changed {changed}")
    assert not failures, "\n".join(failures)


def test_a_suspended_member_is_refused_every_action_and_role_page(plain_app, engine, scene):
    """On every route whose minimum role is above "visitor", a suspended member gets the refusal
    a signed-in lower role gets and changes nothing; where a plain member would be let through,
    the page says the account is suspended rather than just "no"."""
    assert HAS_SUSPENSION
    client = client_for(plain_app, "suspended")
    failures, walked = [], 0
    for rule in rules_of(plain_app):
        route = route_of(rule)
        if route.min_role in ("visitor", "suspended"):
            continue
        url = build_url(rule, scene)
        for method in sorted(methods_of(rule)):
            walked += 1
            before = snapshot(engine)
            response = send(client, method, url, route.data(scene) if method in STATE_CHANGING else {})
            where = f"{method} {url} ({rule.endpoint})"
            if response.status_code != route.refused:
                failures.append(f"{where}: expected {route.refused}, got {response.status_code}")
            elif route.min_role == "member" and "suspended" not in text(response):
                failures.append(f"{where}: the refusal does not say the account is suspended")
            if changed := changed_tables(before, snapshot(engine)):
                failures.append(f"{where}: changed {changed}")
    assert walked >= 20, walked
    assert not failures, "\n".join(failures)


def test_a_suspended_member_still_reads_and_sees_why(plain_app, scene):
    client = client_for(plain_app, "suspended")
    page = text(client.get(f"/t/{scene.thread_id}/{scene.thread_slug}"))
    assert "Your account is suspended until" in page
    assert "Posted the same advert in every category." in page
    assert 'action="/t/%d/answer"' % scene.thread_id not in page  # no answer box to write in vain
    assert "Your account is suspended" not in text(client_for(plain_app, "member").get("/"))


def test_owners_may_act_on_their_own_content(plain_app, db, scene):
    """The user-specific side of the matrix: the asker and the answer's author are plain members."""
    helper = sign_in(plain_app, "helper")
    assert helper.get(f"/p/{scene.answer_id}/edit").status_code == 200
    assert helper.post(f"/p/{scene.answer_id}/edit", data={"body": "Check the schedule under Settings."}).status_code == 302

    asker = sign_in(plain_app, "asker")
    assert asker.post(f"/p/{scene.answer_id}/accept").status_code == 302
    assert asker.post(f"/t/{scene.thread_id}/unaccept").status_code == 302
    assert asker.post(f"/t/{scene.thread_id}/lock", data={"locked": "1"}).status_code == 403  # still a moderator's

    assert helper.post(f"/p/{scene.answer_id}/delete").status_code == 302
    assert helper.post(f"/p/{scene.answer_id}/restore").status_code == 404  # restoring is staff's
    fresh(db)
    assert db.get(Thread, scene.thread_id).is_locked is False


# --- 3. Security headers --------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "boss"], ids=["visitor", "admin"])
def test_every_get_page_sends_the_security_headers(plain_app, scene, who):
    client = sign_in(plain_app, who)
    failures = []
    for rule in rules_of(plain_app):
        if "GET" in rule.methods:
            url = build_url(rule, scene)
            response = client.get(url)
            response.close()
            failures += [f"GET {url}: {p}" for p in header_problems(response)]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "who, method, path, status",
    [
        (None, "GET", "/no/such/page", 404),
        (None, "GET", "/logout", 405),
        ("member", "GET", "/admin/categories", 403),
        ("member", "GET", "/staff/search", 403),
        (None, "GET", "/?filter=nonsense", 400),
    ],
)
def test_error_pages_send_the_security_headers(plain_app, member, who, method, path, status):
    response = sign_in(plain_app, who).open(path, method=method)

    assert response.status_code == status
    assert header_problems(response) == []


@pytest.fixture
def production_app(monkeypatch, database_url, engine, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-for-tests")
    settings = config.ProductionConfig()
    settings.DATABASE_URL = database_url
    settings.SEARCH_INDEX_DIR = str(tmp_path / "index")
    settings.SEARCH_INDEXER = "sync"  # no background thread in a test
    settings.WEBHOOK_SENDER = "sync"
    settings.MAIL_SENDER = "worker"  # its sending thread would outlive the test and write to the shared tables
    settings.RATELIMIT_ENABLED = False  # limits are not what this checks
    app = create_app(settings)
    yield app
    _close(app)


def _cookie(response, name: str) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    return found[-1]


def test_production_sends_hsts_and_secure_cookies(production_app, db):
    make_user(db, "alice")
    db.commit()
    client = production_app.test_client()
    https = {"base_url": "https://localhost"}

    page = client.get("/login", **https)
    assert page.status_code == 200
    assert header_problems(page) == []
    hsts = page.headers.get("Strict-Transport-Security", "")
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000

    data = {"login": "alice", "password": PASSWORD, "remember": "y", "csrf_token": csrf_token(text(page))}
    # Over HTTPS Flask-WTF also wants a same-site Referer, as a browser sends.
    response = client.post("/login", data=data, headers={"Referer": "https://localhost/login"}, **https)
    assert response.status_code == 302
    assert "Strict-Transport-Security" in response.headers
    for name in (production_app.config["SESSION_COOKIE_NAME"], production_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        flags = [part.strip().lower() for part in _cookie(response, name).split(";")]
        assert "secure" in flags, f"{name} is not Secure"
        assert "httponly" in flags, f"{name} is not HttpOnly"
        assert any(f in ("samesite=lax", "samesite=strict") for f in flags), f"{name} has no SameSite"


# --- 4. Session fixation --------------------------------------------------------------------


def _session_of(app, client) -> tuple[str, dict]:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie"
    return cookie.value, app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_sign_in_issues_a_new_session(csrf_app, member):
    victim = csrf_app.test_client()
    victim.get("/search?q=heating")  # a visitor key, as an anonymous session would carry
    token = csrf_token(text(victim.get("/login")))
    planted, before = _session_of(csrf_app, victim)
    assert "_user_id" not in before and "_fresh" not in before

    response = victim.post("/login", data={"login": "member", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302

    issued, after = _session_of(csrf_app, victim)
    assert issued != planted
    assert after["_user_id"].startswith(f"{member}:")
    assert after["_fresh"] is True and after["_id"]
    assert after.get("csrf_token") != before["csrf_token"]  # the form secret is renewed too
    carried = {k for k in before if k in after and after[k] == before[k]}
    assert carried <= {"visitor_key", "searched_at"}  # only the anonymous deflection figures

    # Whoever kept the cookie from before sign-in is still a visitor.
    attacker = csrf_app.test_client()
    attacker.set_cookie(csrf_app.config["SESSION_COOKIE_NAME"], planted)
    assert signed_in_as(attacker) is None
    assert signed_in_as(victim) == "member"


def test_a_planted_session_cookie_does_not_carry_over_a_sign_in_made_with_it(csrf_app, member):
    attacker = csrf_app.test_client()
    attacker.get("/login")
    planted, _ = _session_of(csrf_app, attacker)

    victim = csrf_app.test_client()
    victim.set_cookie(csrf_app.config["SESSION_COOKIE_NAME"], planted)
    token = csrf_token(text(victim.get("/login")))
    assert victim.post("/login", data={"login": "member", "password": PASSWORD, "csrf_token": token}).status_code == 302

    assert signed_in_as(victim) == "member"
    assert signed_in_as(attacker) is None


def test_a_session_cookie_copied_before_sign_out_stops_working(csrf_app, member):
    client = sign_in(csrf_app, "member")
    copied, _ = _session_of(csrf_app, client)

    assert client.post("/logout", data={"csrf_token": fresh_token(client)}).status_code == 302
    assert signed_in_as(client) is None

    replay = csrf_app.test_client()
    replay.set_cookie(csrf_app.config["SESSION_COOKIE_NAME"], copied)
    assert signed_in_as(replay) is None


# --- 5. `next` redirects --------------------------------------------------------------------

HOSTILE_NEXT = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "http:evil.example",
    "https:/evil.example",
    "////evil.example",
    "///evil.example",
    "http://localhost@evil.example",
    "//localhost@evil.example",
    "/" + "a" * 10000,
    "https://evil.example/" + "a" * 5000,
]


def _stays_on_site(location: str) -> bool:
    """How a browser would read the Location: it drops tabs and newlines and takes \\ for /."""
    browser_view = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    resolved = urlsplit(urljoin("http://localhost/login", browser_view))
    return resolved.scheme in ("http", "https") and resolved.hostname == "localhost"


@pytest.mark.parametrize("target", HOSTILE_NEXT, ids=lambda t: repr(t[:40]))
def test_sign_in_never_redirects_off_site(plain_app, member, target):
    client = plain_app.test_client()
    response = client.post(
        "/login", query_string={"next": target}, data={"login": "member", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert _stays_on_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT, ids=lambda t: repr(t[:40]))
def test_registering_never_redirects_off_site(plain_app, engine, target):
    client = plain_app.test_client()
    data = {"username": "newcomer", "email": "newcomer@example.com", "password": "long-enough-pass-1"}
    response = client.post("/register", query_string={"next": target}, data=data)
    assert response.status_code == 302, text(response)
    assert _stays_on_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT[:6], ids=lambda t: repr(t[:40]))
def test_the_sign_in_page_links_only_on_site(plain_app, target):
    """The login page passes `next` on to its register link (and back): always as an on-site URL."""
    page = text(plain_app.test_client().get("/login", query_string={"next": target}))
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(_stays_on_site(h.replace("&amp;", "&")) for h in hrefs), hrefs


def test_an_on_site_next_is_still_followed(plain_app, member):
    """The control: the check above is not simply ignoring `next`."""
    visitor = plain_app.test_client()
    sent = visitor.get("/ask")
    assert is_login_redirect(sent)
    response = visitor.post(sent.headers["Location"], data={"login": "member", "password": PASSWORD})
    assert response.headers["Location"] == "/ask"


# --- 6. Numbers past the integer range ------------------------------------------------------

# Past PostgreSQL's INTEGER, past every database's BIGINT, and past anything by far.
PAST_RANGE = (MAX_ID + 1, 2**63, 10**20 - 1, 10**4000)
INTEGER_PART = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")


def integer_parts(rule) -> list[str]:
    return INTEGER_PART.findall(rule.rule)


def test_an_id_past_the_integer_range_is_not_found_on_every_route(plain_app, engine, scene):
    """Every GET and POST route with an integer path part answers 404 for a number past what the
    id columns hold, to the admin (who may use every route) and to a visitor, and nothing changes."""
    clients = {"visitor": sign_in(plain_app, None), "admin": sign_in(plain_app, "boss")}
    before = snapshot(engine)
    walked, failures = set(), []
    for rule in rules_of(plain_app):
        for name in integer_parts(rule):
            for method in sorted(methods_of(rule) & {"GET", "POST"}):
                walked.add(f"{method} {rule.rule}")
                data = route_of(rule).data(scene) if method == "POST" else {}
                for value in PAST_RANGE:
                    url = build_url(rule, scene, **{name: value})
                    for who, client in clients.items():
                        response = send(client, method, url, data)
                        if response.status_code != 404:
                            failures.append(f"{method} {url[:80]} ({who}): {response.status_code}")
    assert len(walked) >= 40, sorted(walked)
    assert not failures, "\n".join(failures)
    assert changed_tables(before, snapshot(engine)) == []


@pytest.mark.parametrize(
    "path", ["/t/99999999999999999999", "/t/9223372036854775808", "/p/2147483648/revisions", "/t/" + "9" * 5000]
)
def test_the_thread_and_post_pages_past_the_range_are_the_not_found_page(plain_app, path):
    response = plain_app.test_client().get(path)

    assert response.status_code == 404
    assert "Page not found" in text(response)


# Query-string names the pages read as numbers (ids, page numbers, a period's days, a search click's position).
NUMBER_ARGS = ("page", "category", "team", "assignee", "watchlist", "days", "canned", "q", "pos", "target_id")
HUGE_NUMBERS = (str(MAX_ID), str(MAX_ID + 1), str(2**63), "9" * 20, "9" * 5000)


@pytest.mark.parametrize("value", HUGE_NUMBERS, ids=lambda v: v if len(v) < 25 else f"{len(v)}-digits")
def test_huge_numbers_in_the_query_string_never_break_a_page(plain_app, scene, value):
    """Every GET page, read by the admin with every number it might read set past the range,
    answers as it does without them: no page turns into a server error."""
    client = sign_in(plain_app, "boss")
    failures = []
    for rule in rules_of(plain_app):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = build_url(rule, scene)
        expected = client.get(url).status_code
        response = client.get(url, query_string=dict.fromkeys(NUMBER_ARGS, value))
        # A page that reads `category` as a slug says it does not know that one.
        slug_not_found = response.status_code == 404 and rule.endpoint == "users.leaderboard"
        if response.status_code != expected and not slug_not_found:
            failures.append(f"GET {url}: {response.status_code}, {expected} without the numbers")
    assert not failures, "\n".join(failures)


# Form fields that name a row by its id, a number of days or a position; each route's own data
# gives the rest, so the number is the only thing wrong with the request.
FORM_NUMBERS = ("category", "original", "target", "days", "position", "user_id", "category_id", "assignee", "team")
# A flashed error, a field's error, the form's errors, or an error page.
ERROR_SHOWN = re.compile(r'class="(flash flash-error|error|form-errors|error-page)"')


def test_huge_numbers_in_a_form_are_refused_and_change_nothing(plain_app, engine, scene):
    """Each number a form carries (a hidden id, a select's value, a typed count) set past the range:
    the admin's request is answered without a server error, with a message, and writes nothing."""
    client = sign_in(plain_app, "boss")
    walked, failures = set(), []
    for rule in rules_of(plain_app):
        if "POST" not in rule.methods:
            continue
        route = route_of(rule)
        url = build_url(rule, scene)
        for name in sorted(set(route.data(scene)) & set(FORM_NUMBERS)):
            walked.add(f"{rule.endpoint} {name}")
            for value in HUGE_NUMBERS[1:]:
                where = f"POST {url} {name}={value[:20]}"
                before = snapshot(engine)
                response = send(client, "POST", url, {**route.data(scene), name: value})
                if changed := changed_tables(before, snapshot(engine)):
                    failures.append(f"{where}: changed {changed}")
                # Reading the page the refusal sends back to (which counts a view) comes after the check.
                shown = text(client.get(response.headers["Location"])) if response.status_code == 302 else text(response)
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.status_code}")
                elif not ERROR_SHOWN.search(shown):
                    failures.append(f"{where}: no message says what is wrong")
    assert len(walked) >= 10, sorted(walked)
    assert not failures, "\n".join(failures)
