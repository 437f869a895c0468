"""Member profiles: what the profile page shows, and who a token belongs to."""

from flask import g, url_for
from flask_openapi3 import Tag

from app.api import auth, bp, problems, represent
from app.api.users_schemas import Me, Profile, UserPath
from app.db import get_session
from community import accounts, api_tokens, badges, impact, permissions, reading, rules
from community.models import User

TAG = Tag(name="Members", description="Public profiles: reputation, rank, badges and contributions.")


def _rank(reputation: int) -> dict:
    here, following = rules.rank_for(reputation), rules.next_rank(reputation)
    return {
        "name": here.name,
        "minimum": here.minimum,
        "next": {"name": following.name, "minimum": following.minimum} if following else None,
        "progress": rules.rank_progress(reputation),
    }


def _badges(db, user: User) -> list[dict]:
    return [
        {
            "key": held.badge.key,
            "name": held.badge.name,
            "tier": held.badge.tier.value,
            "description": held.badge.description,
            "count": held.count,
            "awarded_at": held.first_awarded_at,
            "reason": held.reason or None,
            "url": url_for("users.badge_detail", key=held.badge.key, _external=True),
        }
        for held in badges.badges_of(db, user)
    ]


def _sees_suspension(viewer: User | None, member: User) -> bool:
    """The member sees their own (every page tells them); moderators see it in the profile's staff tools."""
    if viewer is None:
        return False
    if viewer.id == member.id:
        return True
    return api_tokens.grants(g.api_token, viewer, "staff") and permissions.can_suspend(viewer, member)


def profile(db, user: User, viewer: User | None) -> dict:
    counts = reading.member_stats(db, user)
    helped = impact.impact_of(db, user.id)
    suspension = None
    if user.is_suspended and _sees_suspension(viewer, user):
        suspension = {"since": user.suspended_at, "until": user.suspended_until, "reason": user.suspension_reason or ""}
    return {
        **represent.user_ref(user),
        "bio": user.bio,
        "location": user.location,
        "website": user.website,
        "joined": user.created_at,
        "reputation": user.reputation,
        "rank": _rank(user.reputation),
        "badges": _badges(db, user),
        "stats": {
            "questions": counts["questions"],
            "answers": counts["answers"],
            "accepted_answers": helped.accepted,
            "people_helped": helped.people_helped,
            "people_reached": helped.people_reached,
            "following": counts["following"],
        },
        "suspension": suspension,
    }


@bp.get(
    "/users/<username>",
    tags=[TAG],
    security=auth.OPTIONAL,
    responses={200: Profile, **problems.responses(404)},
    summary="Get a member's profile",
)
def get_user(path: UserPath):
    """The profile page's figures: reputation and rank, badges, and what the member asked, answered and solved.

    The username is matched ignoring case. Accounts imported for another site's authors show
    like any other; the email address is never shown."""
    db = get_session()
    user = accounts.get_by_username(db, path.username)
    return represent.respond(Profile, profile(db, user, auth.actor()))


@bp.get(
    "/me",
    tags=[TAG],
    security=auth.needs("read"),
    responses={200: Me},
    summary="Get the token owner's profile",
)
def get_me():
    """Who the token belongs to, with their profile and the token's scopes; 401 without a token."""
    user = auth.require("read")
    db = get_session()
    # As checked on each call: a staff scope stops counting once its owner is no longer staff.
    scopes = [scope for scope in api_tokens.SCOPES if api_tokens.grants(g.api_token, user, scope)]
    return represent.respond(Me, {**profile(db, user, user), "scopes": scopes})
