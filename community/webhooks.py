"""Outgoing webhooks: the endpoints admins register and the events queued for them.

`emit` adds one delivery per subscribed endpoint in the caller's transaction, so an event
exists exactly when the change that caused it was committed; the web side
(app/webhook_sender.py) sends deliveries after the commit and records each attempt. Payloads
are built by the functions below from public fields only: never the text of a post, and
nothing of a deleted or hidden post or thread beyond its id.
"""

import json
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community import audit, permissions, site_settings
from community.db import get_by_id, utcnow
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import BadgeAward, Category, Post, Thread, User, WebhookDelivery, WebhookEndpoint
from community.pagination import Page, paginate
from community.text import strip_controls

if TYPE_CHECKING:
    from community.badges import Badge  # badges emits through this module

# What an endpoint can subscribe to, with what each means (shown beside the checkboxes).
EVENTS: dict[str, str] = {
    "thread.created": "A question is asked.",
    "post.created": "An answer is posted.",
    "answer.accepted": "An answer is accepted (again when the accepted answer changes).",
    "thread.solved": "A thread without an accepted answer gets one.",
    "badge.awarded": "A member earns a badge.",
    "thread.escalated": "A thread is escalated to staff.",
    "user.suspended": "A member is suspended.",
}

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
MAX_URL = 500
MAX_DESCRIPTION = 200


def retry_delay(attempt: int) -> timedelta:
    """The wait after failed attempt number `attempt` (1 for the first): 30 s, doubling, at most 6 h."""
    return min(FIRST_RETRY * 2 ** (attempt - 1), LONGEST_RETRY)


def _require_admin(actor: User | None) -> None:
    if not permissions.can_manage_webhooks(actor):
        raise PermissionDenied("Only admins manage webhooks.")


# --- Endpoints -------------------------------------------------------------------------------


def _url_error(url: str) -> str | None:
    if not url:
        return "Give the address that should receive the events."
    if len(url) > MAX_URL:
        return f"Keep the address to {MAX_URL} characters (it has {len(url)})."
    example = "Use an http:// or https:// address, such as https://example.com/hooks/hearth."
    if any(ch.isspace() for ch in url):
        return "An address cannot contain spaces."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return example
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return example
    if parts.username or parts.password:
        return "Leave user names and passwords out of the address: receivers check the signature instead."
    return None


def _event_error(events: list[str]) -> str | None:
    if not events:
        return "Choose at least one event."
    unknown = [name for name in events if name not in EVENTS]
    if unknown:
        return f"Choose events from the list ({unknown[0]!r} is not one)."
    return None


def create_endpoint(
    session: Session, actor: User, *, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    """Register an endpoint with a new signing secret; it receives the chosen events from now on."""
    _require_admin(actor)
    url = strip_controls(url).strip()
    events = list(dict.fromkeys(name.strip() for name in events if name and name.strip()))
    description = " ".join(strip_controls(description).split())
    errors: dict[str, str] = {}
    if error := _url_error(url):
        errors["url"] = error
    if error := _event_error(events):
        errors["events"] = error
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Keep the description to {MAX_DESCRIPTION} characters."
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint(
        url=url,
        secret=secrets.token_hex(32),
        events=",".join(name for name in EVENTS if name in events),
        active=True,
        description=description,
    )
    session.add(endpoint)
    session.flush()
    # Never the secret: the audit log is for reading.
    audit.record(session, actor, "webhook.create", "webhook", endpoint.id, after=_state(endpoint))
    return endpoint


def _state(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "events": endpoint.events, "active": endpoint.active}


def get_endpoint(session: Session, actor: User, endpoint_id) -> WebhookEndpoint:
    _require_admin(actor)
    endpoint = get_by_id(session, WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def list_endpoints(session: Session, actor: User) -> list[WebhookEndpoint]:
    _require_admin(actor)
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def delivery_counts(session: Session, actor: User) -> dict[int, dict[str, int]]:
    """Per endpoint, how many deliveries are pending, succeeded and failed."""
    _require_admin(actor)
    rows = session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count()).group_by(
            WebhookDelivery.endpoint_id, WebhookDelivery.status
        )
    )
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, count in rows:
        counts.setdefault(endpoint_id, {})[status] = count
    return counts


def set_active(session: Session, actor: User, endpoint: WebhookEndpoint, active: bool) -> None:
    """An inactive endpoint gets no new deliveries, and its pending ones wait until it is active again."""
    _require_admin(actor)
    before = _state(endpoint)
    endpoint.active = active
    session.flush()
    audit.record(session, actor, "webhook.activate" if active else "webhook.deactivate", "webhook", endpoint.id,
                 before=before, after=_state(endpoint))


def delete_endpoint(session: Session, actor: User, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log."""
    _require_admin(actor)
    audit.record(session, actor, "webhook.delete", "webhook", endpoint.id, before=_state(endpoint))
    session.delete(endpoint)
    session.flush()


# --- Deliveries ------------------------------------------------------------------------------


def emit(session: Session, event: str, data: dict | Callable[[], dict]) -> list[WebhookDelivery]:
    """Queue `event` for every active endpoint subscribed to it, in the caller's transaction.
    `data` may be a function: the payload is then built only when someone subscribed."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)).order_by(WebhookEndpoint.id)
    ).all()
    now = utcnow()
    queued = []
    for endpoint in endpoints:
        if event not in endpoint.event_names:
            continue
        if callable(data):
            data = data()
        delivery_id = str(uuid.uuid4())
        body = {"id": delivery_id, "event": event, "created_at": _iso(now), "data": data}
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event=event,
            delivery_id=delivery_id,
            payload=json.dumps(body, sort_keys=True),
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        queued.append(delivery)
    if queued:
        session.flush()
    return queued


def deliveries(session: Session, actor: User, endpoint: WebhookEndpoint, page: int = 1, per_page: int = 50) -> Page:
    """The endpoint's delivery log, newest first."""
    _require_admin(actor)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )
    return paginate(session, query, page, per_page)


def get_delivery(session: Session, actor: User, endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    _require_admin(actor)
    delivery = get_by_id(session, WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound("No such delivery.")
    return delivery


def redeliver(session: Session, actor: User, delivery: WebhookDelivery) -> None:
    """Send the same delivery (same id and body) again now, with a fresh set of attempts."""
    _require_admin(actor)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if not endpoint.active:
        raise ValidationError("This endpoint is inactive: activate it before redelivering.")
    delivery.status = PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    session.flush()
    audit.record(session, actor, "webhook.redeliver", "webhook", endpoint.id, after={"delivery": delivery.delivery_id})


# --- Pausing every delivery ------------------------------------------------------------------

# While set, nothing is sent; its value says why (shown to admins). A restored copy starts paused:
# a production backup restored on a staging machine must not post to production receivers.
PAUSED_SETTING = "webhooks.paused"
MAX_PAUSE_REASON = 300


def paused_reason(session: Session) -> str | None:
    """Why deliveries are paused, or None while they are sent."""
    return site_settings.get(session, PAUSED_SETTING)


def pause_deliveries(session: Session, reason: str) -> None:
    """Hold every delivery until an admin resumes them; events are still queued meanwhile.
    The site does this itself (after a restore), so the audit entry has no actor."""
    reason = " ".join(strip_controls(reason).split())[:MAX_PAUSE_REASON] or "Paused."
    site_settings.put(session, PAUSED_SETTING, reason)
    audit.record(session, None, "webhook.pause", "webhook", 0, after={"paused": reason})


def resume_deliveries(session: Session, actor: User) -> int:
    """Send again: the deliveries that waited go out now. Returns how many are waiting."""
    _require_admin(actor)
    reason = paused_reason(session)
    if reason is None:
        raise ValidationError("Deliveries are not paused.")
    site_settings.remove(session, PAUSED_SETTING)
    audit.record(session, actor, "webhook.resume", "webhook", 0, before={"paused": reason})
    return waiting_count(session)


def waiting_count(session: Session) -> int:
    """Pending deliveries to active endpoints: what resuming would send."""
    return session.scalar(
        select(func.count())
        .select_from(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == PENDING, WebhookEndpoint.active.is_(True))
    ) or 0


# --- Payloads: public fields only ------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def thread_data(session: Session, thread: Thread) -> dict:
    """What anyone may see of a thread; only its id once it is deleted."""
    if thread.is_deleted:
        return {"id": thread.id, "deleted": True}
    if thread.is_hidden:
        return {"id": thread.id, "hidden": True}
    category = session.get(Category, thread.category_id)
    return {
        "id": thread.id,
        "title": thread.title,
        "path": f"/t/{thread.id}/{thread.slug}",
        "category": {"slug": category.slug, "name": category.name},
        "tags": [tag.name for tag in thread.tags],
        "created_at": _iso(thread.created_at),
    }


def post_data(session: Session, post: Post, thread: Thread) -> dict:
    """A post's public facts, never its text; only ids once it (or its thread) is deleted."""
    if post.is_deleted or thread.is_deleted:
        return {"id": post.id, "thread_id": post.thread_id, "deleted": True}
    if post.is_hidden or thread.is_hidden:  # kept for staff, so nothing public about it goes out
        return {"id": post.id, "thread_id": post.thread_id, "hidden": True}
    author = session.get(User, post.author_id)
    return {
        "id": post.id,
        "thread_id": post.thread_id,
        "path": f"/p/{post.id}",
        "author": {"username": author.username},
        "created_at": _iso(post.created_at),
        "is_question": post.is_question,
    }


def thread_created(session: Session, thread: Thread) -> dict:
    return {"thread": thread_data(session, thread)}


def post_created(session: Session, post: Post, thread: Thread) -> dict:
    return {"post": post_data(session, post, thread), "thread": thread_data(session, thread)}


def answer_accepted(session: Session, post: Post, thread: Thread) -> dict:
    return {
        "post": post_data(session, post, thread),
        "thread": thread_data(session, thread),
        "accepted_by_asker": thread.accepted_by_asker,
    }


def thread_solved(session: Session, thread: Thread) -> dict:
    return {"thread": thread_data(session, thread), "accepted_post_id": thread.accepted_post_id}


def badge_awarded(session: Session, award: BadgeAward, badge: "Badge") -> dict:
    user = session.get(User, award.user_id)
    return {
        "user": {"username": user.username},
        "badge": {"key": badge.key, "name": badge.name, "tier": str(badge.tier)},
        "awarded_at": _iso(award.awarded_at or utcnow()),
    }
