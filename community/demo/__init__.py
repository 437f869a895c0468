"""Demo content: a fictional brand's community, loaded into an empty database on first run."""

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from community import accepting, accounts, badges, canned, categories, listening, reputation, teams, threads, voting
from community.db import utcnow
from community.models import Post, PostRevision, ReputationEvent, Role, Tag, Thread, User
from community.text import parse_tags

CONTENT = Path(__file__).with_name("content.json")
ADMIN_USERNAME = "demo-admin"
# Members arrive with the reputation they earned on the brand's previous forum, enough to vote.
CARRIED_OVER_REPUTATION = 150


@dataclass
class DemoResult:
    threads: int
    posts: int
    users: int
    admin_username: str
    admin_password: str


def _set_time(session: Session, post: Post, when) -> None:
    session.execute(update(Post).where(Post.id == post.id).values(created_at=when))
    session.execute(update(PostRevision).where(PostRevision.post_id == post.id).values(created_at=when))


def _set_up_care(session: Session, admin: User, people: dict[str, User], slugs: dict, care: dict) -> None:
    """The brand's support set-up: teams for its categories, canned replies, and watchlists
    (made before the threads, so the listening feed has matches to show)."""
    for item in care.get("teams", []):
        team = teams.create_team(session, admin, item["name"])
        for username in item["members"]:
            teams.set_member(session, admin, team, people[username].id, True)
        for slug in item["categories"]:
            teams.set_category(session, admin, team, slugs[slug].id, True)
    for item in care.get("canned", []):
        canned.create_canned(session, admin, title=item["title"], body=item["body"])
    for item in care.get("watchlists", []):
        listening.create_watchlist(
            session, admin, name=item["name"], keywords="\n".join(item["keywords"]),
            assignee_id=people[item["assignee"]].id,
        )


def load_demo(session: Session, content_path: Path = CONTENT) -> DemoResult | None:
    """Load the demo into an empty database; return None and change nothing when it has content."""
    if session.scalar(select(func.count()).select_from(User)) or session.scalar(
        select(func.count()).select_from(Thread)
    ):
        return None
    content = json.loads(content_path.read_text(encoding="utf-8"))
    admin_password = secrets.token_urlsafe(12)
    admin = accounts.register(
        session, ADMIN_USERNAME, "admin@demo.example.com", admin_password, Role.ADMIN, allow_reserved=True,
        verified=True,
    )
    people: dict[str, User] = {}
    for person in content["users"]:
        user = accounts.register(
            session, person["username"], f"{person['username'].lower()}@demo.example.com",
            secrets.token_urlsafe(16), Role(person["role"]), verified=True,
        )
        user.display_name, user.bio = person.get("display_name", ""), person.get("bio", "")
        if not user.is_staff:
            carried = reputation.grant(
                session, user, person.get("reputation", CARRIED_OVER_REPUTATION) - 1,
                "Reputation carried over from the previous forum",
            )
            carried.created_at = utcnow() - timedelta(days=max(t["days_ago"] for t in content["threads"]) + 1)
        people[user.username] = user
    # The brand sets up its tags before the community opens.
    for name in sorted({tag for item in content["threads"] for tag in parse_tags(item["tags"])}):
        session.add(Tag(name=name))
    votes_cast = {user.id: 0 for user in people.values()}
    slugs = {}
    for position, cat in enumerate(content["categories"]):
        slugs[cat["slug"]] = categories.create_category(
            session, None, name=cat["name"], slug=cat["slug"], description=cat["description"], position=position
        )
    _set_up_care(session, admin, people, slugs, content.get("care", {}))
    staff = [u for u in people.values() if u.is_staff]
    now, post_count = utcnow(), 0
    for item in sorted(content["threads"], key=lambda t: -t["days_ago"]):
        asked_at = now - timedelta(days=item["days_ago"])
        asker = people[item["author"]]
        thread = threads.ask(
            session, asker, title=item["title"], body=item["body"],
            category_id=slugs[item["category"]].id, tags=item["tags"],
        )
        question = threads.question_of(session, thread)
        _set_time(session, question, asked_at)
        posts = []
        for answer in item["answers"]:
            post = threads.answer(session, people[answer["author"]], thread, body=answer["body"])
            _set_time(session, post, asked_at + timedelta(hours=answer["hours_after"]))
            posts.append((post, answer["votes"]))
        post_count += 1 + len(posts)
        for post, votes in [(question, item.get("votes", 0))] + posts:
            # Spread votes over the members so nobody exceeds the daily vote allowance.
            others = [u for u in people.values() if u.id != post.author_id]
            for voter in sorted(others, key=lambda u: votes_cast[u.id])[:votes]:
                voting.cast_vote(session, voter, post, 1)
                votes_cast[voter.id] += 1
        if item.get("accepted") is not None:
            accepted_post = posts[item["accepted"]][0]
            actor = asker if item.get("accepted_by") == "asker" else staff[0]
            accepted_thread = accepting.accept_answer(session, actor, accepted_post)
            accepted_thread.accepted_at = asked_at + timedelta(hours=item["answers"][item["accepted"]]["hours_after"] + 1)
        last = max([asked_at] + [asked_at + timedelta(hours=a["hours_after"]) for a in item["answers"]])
        # Reputation was earned when the thread was active, not when the demo was loaded.
        session.execute(
            update(ReputationEvent).where(ReputationEvent.thread_id == thread.id).values(created_at=last)
        )
        session.execute(
            update(Thread).where(Thread.id == thread.id).values(created_at=asked_at, last_activity_at=last)
        )
    session.flush()
    badges.backfill(session)  # profiles filled in above earn theirs too
    return DemoResult(
        threads=len(content["threads"]), posts=post_count, users=len(people) + 1,
        admin_username=ADMIN_USERNAME, admin_password=admin_password,
    )
