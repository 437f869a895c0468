"""The shapes of member profiles."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.api.schemas import UserRef
from community.api_tokens import SCOPES


class UserPath(BaseModel):
    # Control characters never appear in a username (and PostgreSQL text cannot hold NUL).
    username: str = Field(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f\x7f]+$")


class RankStep(BaseModel):
    name: str
    minimum: int = Field(description="The reputation that reaches it.")


class Rank(RankStep):
    next: RankStep | None = Field(description="The rank after this one, or null at the top.")
    progress: int = Field(ge=0, le=100, description="Percent of the way from this rank to the next (100 at the top).")


class HeldBadge(BaseModel):
    key: str
    name: str
    tier: Literal["gold", "silver", "bronze"]
    description: str
    count: int = Field(description="How many times it was earned: badges for a post can be earned on many posts.")
    awarded_at: datetime = Field(description="When it was first earned.")
    reason: str | None = Field(description="Why staff awarded it, for badges staff award; null otherwise.")
    url: str = Field(description="The badge's web page.")


class ProfileStats(BaseModel):
    questions: int = Field(description="Visible questions asked.")
    answers: int = Field(description="Visible answers written.")
    accepted_answers: int = Field(description="Answers accepted on other members' questions (the profile's figure).")
    people_helped: int = Field(description="Different members whose question one of these answers solved.")
    people_reached: int = Field(description="Views of the solved threads since their answer was accepted.")
    following: int = Field(description="Visible threads the member follows.")


class Suspension(BaseModel):
    since: datetime
    until: datetime | None = Field(description="When it ends by itself; null until a moderator lifts it.")
    reason: str


class Profile(UserRef):
    bio: str
    location: str
    website: str
    joined: datetime
    reputation: int
    rank: Rank
    badges: list[HeldBadge] = Field(description="Gold first, then silver, then bronze.")
    stats: ProfileStats
    suspension: Suspension | None = Field(
        description="A current suspension, shown only to the member and to moderators who may lift it "
        "(with a token holding the staff scope); null otherwise."
    )


class Me(Profile):
    scopes: list[Literal[SCOPES]] = Field(description="What the token used for this call may do.")
