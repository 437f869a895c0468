"""Teams of staff and the categories they cover; admins manage them."""

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from community import audit, permissions
from community.db import get_by_id
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import Category, Team, TeamCategory, TeamMember, User
from community.text import strip_controls

MAX_NAME = 60


def can_manage_teams(user: User | None) -> bool:
    return permissions.is_admin(user)


def _require_admin(actor: User | None) -> None:
    if not can_manage_teams(actor):
        raise PermissionDenied("Only admins manage teams.")


def _clean_name(session: Session, name: str, current: Team | None) -> str:
    name = " ".join(strip_controls(name or "").split())
    if not name:
        raise ValidationError({"name": "Give the team a name."})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"Keep the name to {MAX_NAME} characters."})
    taken = session.scalar(select(Team.id).where(Team.name == name))
    if taken is not None and (current is None or taken != current.id):
        raise ValidationError({"name": f"There is already a team called “{name}”."})
    return name


def get_team(session: Session, actor: User | None, team_id) -> Team:
    _require_admin(actor)
    team = get_by_id(session, Team, team_id)
    if team is None:
        raise NotFound("No such team.")
    return team


def create_team(session: Session, actor: User, name: str) -> Team:
    """Add a team."""
    _require_admin(actor)
    team = Team(name=_clean_name(session, name, None))
    session.add(team)
    session.flush()
    audit.record(session, actor, "team.create", "team", team.id, after={"name": team.name})
    return team


def rename_team(session: Session, actor: User, team: Team, name: str) -> None:
    """Give a team a new name."""
    _require_admin(actor)
    name = _clean_name(session, name, team)
    before = {"name": team.name}
    team.name = name
    session.flush()
    audit.record(session, actor, "team.rename", "team", team.id, before=before, after={"name": name})


def delete_team(session: Session, actor: User, team: Team) -> None:
    """Delete a team; its threads and categories are left without a team."""
    _require_admin(actor)
    audit.record(session, actor, "team.delete", "team", team.id, before={"name": team.name})
    session.delete(team)
    session.flush()


def set_member(session: Session, actor: User, team: Team, user_id, member: bool) -> None:
    """Add a staff member to the team (member=True) or take them off it."""
    _require_admin(actor)
    user = get_by_id(session, User, user_id)
    if user is None or (member and not user.is_staff):
        raise ValidationError({"user_id": "Choose a staff member: only staff join teams."})
    existing = session.get(TeamMember, (team.id, user.id))
    if member == (existing is not None):
        raise ValidationError({"user_id": f"{user.username} is {'already' if member else 'not'} on this team."})
    if member:
        session.add(TeamMember(team_id=team.id, user_id=user.id))
    else:
        session.delete(existing)
    session.flush()
    audit.record(session, actor, "team.member_add" if member else "team.member_remove", "team", team.id, after={"user_id": user.id})


def set_category(session: Session, actor: User, team: Team, category_id, mapped: bool) -> None:
    """Map a category to the team (taking it from any other team), or unmap it."""
    _require_admin(actor)
    category = get_by_id(session, Category, category_id)
    if category is None:
        raise ValidationError({"category_id": "Choose a category from the list."})
    existing = session.get(TeamCategory, category.id)
    before = {"team_id": existing.team_id if existing else None}
    if mapped:
        if existing is not None and existing.team_id == team.id:
            raise ValidationError({"category_id": f"{category.name} already belongs to this team."})
        # A category belongs to at most one team: mapping it here moves it.
        session.execute(delete(TeamCategory).where(TeamCategory.category_id == category.id))
        session.add(TeamCategory(category_id=category.id, team_id=team.id))
    else:
        if existing is None or existing.team_id != team.id:
            raise ValidationError({"category_id": f"{category.name} does not belong to this team."})
        session.delete(existing)
    session.flush()
    audit.record(
        session, actor, "team.category", "category", category.id,
        before=before, after={"team_id": team.id if mapped else None},
    )


@dataclass
class TeamView:
    team: Team
    members: list[User]
    categories: list[Category]


def overview(session: Session, actor: User) -> list[TeamView]:
    """Every team with its members and categories (three statements)."""
    _require_admin(actor)
    teams = list(session.scalars(select(Team).order_by(Team.name)))
    views = {team.id: TeamView(team, [], []) for team in teams}
    for team_id, user in session.execute(
        select(TeamMember.team_id, User).join(User, User.id == TeamMember.user_id).order_by(User.username)
    ):
        views[team_id].members.append(user)
    for team_id, category in session.execute(
        select(TeamCategory.team_id, Category).join(Category, Category.id == TeamCategory.category_id).order_by(Category.name)
    ):
        views[team_id].categories.append(category)
    return [views[team.id] for team in teams]
