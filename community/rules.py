"""The numbers behind reputation, ranks, privileges and anti-gaming, all replaceable by configuration.

The web app calls `configure()` once at start-up with what the brand set; services read
`current()`. Defaults are documented in the README.
"""

from dataclasses import dataclass, field, fields, replace
from enum import StrEnum


class Privilege(StrEnum):
    VOTE_UP = "vote_up"
    FLAG = "flag"
    POST_LINKS = "post_links"
    VOTE_DOWN = "vote_down"
    CREATE_TAGS = "create_tags"
    EDIT_OTHERS = "edit_others"


PRIVILEGE_LABELS = {
    Privilege.VOTE_UP: "Vote answers and questions up",
    Privilege.FLAG: "Flag posts for moderators",
    Privilege.POST_LINKS: "Post any number of links",
    Privilege.VOTE_DOWN: "Vote answers down",
    Privilege.CREATE_TAGS: "Create new tags",
    Privilege.EDIT_OTHERS: "Edit other members' posts",
}


@dataclass(frozen=True)
class Rank:
    name: str
    minimum: int


@dataclass(frozen=True)
class ReputationRules:
    answer_upvoted: int = 10
    question_upvoted: int = 5
    answer_accepted: int = 15
    accepted_by_asker: int = 2
    downvoted: int = -2
    downvote_cost: int = -1
    daily_vote_cap: int = 200
    floor: int = 1
    ranks: tuple[Rank, ...] = (
        Rank("Newcomer", 1),
        Rank("Member", 50),
        Rank("Helper", 250),
        Rank("Expert", 1_000),
        Rank("Advocate", 3_000),
        Rank("Champion", 10_000),
    )
    privileges: dict[str, int] = field(
        default_factory=lambda: {
            Privilege.VOTE_UP: 15,
            Privilege.FLAG: 15,
            Privilege.POST_LINKS: 50,
            Privilege.VOTE_DOWN: 125,
            Privilege.CREATE_TAGS: 300,
            Privilege.EDIT_OTHERS: 2_000,
        }
    )
    links_before_privilege: int = 2
    votes_per_day: int = 40
    vote_change_minutes: int = 5
    collusion_accepts: int = 5
    collusion_days: int = 30
    serial_votes_per_day: int = 10
    # Flags: members with at least this reputation (and staff) are trusted; this many trusted
    # open flags on one post hide it until a moderator reviews it. A staff flag for spam hides
    # at once when staff_spam_flags_to_hide is 1.
    trusted_flagger_reputation: int = 250
    flags_to_hide: int = 3
    staff_spam_flags_to_hide: int = 1
    # The spam hold: posts by accounts below new_account_reputation are held for review when they
    # hold more than spam_hold_links links or repeat one of the author's posts from the last day.
    new_account_reputation: int = 50
    spam_hold_links: int = 3
    spam_hold_repeat_hours: int = 24


_current = ReputationRules()


def current() -> ReputationRules:
    return _current


def configure(overrides: dict | None = None, rank_names: list[str] | None = None) -> ReputationRules:
    """Replace the defaults: `overrides` maps field names to numbers (privileges to a dict of
    thresholds); `rank_names` renames the ranks in order, keeping their thresholds."""
    global _current
    rules = ReputationRules()
    overrides = dict(overrides or {})
    known = {f.name for f in fields(ReputationRules)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"Unknown reputation settings: {', '.join(sorted(unknown))}")
    if "privileges" in overrides:
        bad = set(overrides["privileges"]) - {p.value for p in Privilege}
        if bad:
            raise ValueError(f"Unknown privileges: {', '.join(sorted(bad))}")
        overrides["privileges"] = {**rules.privileges, **overrides["privileges"]}
    if "ranks" in overrides:
        overrides["ranks"] = tuple(Rank(name, int(minimum)) for name, minimum in overrides["ranks"])
    rules = replace(rules, **overrides)
    if rank_names:
        if len(rank_names) != len(rules.ranks):
            raise ValueError(f"Give exactly {len(rules.ranks)} rank names.")
        rules = replace(rules, ranks=tuple(Rank(n, r.minimum) for n, r in zip(rank_names, rules.ranks, strict=True)))
    _current = rules
    return rules


def rank_for(reputation: int) -> Rank:
    ranks = current().ranks
    reached = ranks[0]
    for rank in ranks:
        if reputation >= rank.minimum:
            reached = rank
    return reached


def next_rank(reputation: int) -> Rank | None:
    for rank in current().ranks:
        if reputation < rank.minimum:
            return rank
    return None


def rank_progress(reputation: int) -> int:
    """Percent of the way from the current rank to the next (100 at the top rank)."""
    here, following = rank_for(reputation), next_rank(reputation)
    if following is None:
        return 100
    span = following.minimum - here.minimum
    return max(0, min(100, (reputation - here.minimum) * 100 // span))


def threshold(privilege: Privilege) -> int:
    return current().privileges[privilege]
