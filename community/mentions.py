"""@username mentions in posts: found outside code and links, resolved to existing members only."""

import re

from markdown_it.token import Token
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community.models import Post, Thread, User
from community.notifications import notify

# More names than this in one post are left as plain text: a post cannot page the whole community.
MAX_MENTIONS = 10
# The same characters a username may hold (see accounts.USERNAME_PATTERN); not after a letter,
# digit or dot, so an email address such as ann@example.com is no mention.
MENTION = re.compile(r"(?<![A-Za-z0-9_.@/-])@([A-Za-z0-9][A-Za-z0-9_.-]{2,29})")


def _name_of(match: re.Match) -> str:
    # A sentence may end right after a name ("thanks @ann."): the trailing dot is not part of it.
    return match.group(1).rstrip(".-")


def _outside_links(children: list[Token]):
    """The text tokens of an inline run that are not already inside a link."""
    depth = 0
    for child in children:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
        elif child.type == "text" and depth == 0:
            yield child


def names_in(tokens: list[Token]) -> list[str]:
    """Mentioned names in parsed Markdown, first seen first, without repeats (case ignored)."""
    seen: dict[str, str] = {}
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        for child in _outside_links(token.children):
            for match in MENTION.finditer(child.content):
                name = _name_of(match)
                if len(name) >= 3:
                    seen.setdefault(name.lower(), name)
    return list(seen.values())


def resolve(session: Session, names: list[str]) -> dict[str, str]:
    """Lower-cased name -> the member's username, for the first MAX_MENTIONS names that exist."""
    wanted = [name.lower() for name in names][:MAX_MENTIONS]
    if not wanted:
        return {}
    found = session.scalars(select(User.username).where(func.lower(User.username).in_(wanted)))
    return {username.lower(): username for username in found}


def link_mentions(state) -> None:
    """A markdown-it core rule: turn resolved @names (state.env["mentions"]) into profile links."""
    known: dict[str, str] = state.env.get("mentions") or {}
    if not known:
        return
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        replaced: list[Token] = []
        depth = 0
        for child in token.children:
            depth += child.type == "link_open"
            depth -= child.type == "link_close"
            if child.type != "text" or depth:
                replaced.append(child)
                continue
            replaced.extend(_split(child.content, known))
        token.children = replaced


def _split(content: str, known: dict[str, str]) -> list[Token]:
    out, start = [], 0
    for match in MENTION.finditer(content):
        username = known.get(_name_of(match).lower())
        if username is None:
            continue
        end = match.start() + 1 + len(_name_of(match))
        if match.start() > start:
            out.append(_text(content[start:match.start()]))
        # Profile pages live at /u/<username>; usernames hold only URL-safe characters.
        out.append(Token("link_open", "a", 1, attrs={"href": f"/u/{username}"}))
        out.append(_text(content[match.start():end]))
        out.append(Token("link_close", "a", -1))
        start = end
    if start < len(content):
        out.append(_text(content[start:]))
    return out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def notify_mentioned(
    session: Session, post: Post, thread: Thread, mentioned: dict[str, str], already: set[str] = frozenset()
) -> set[int]:
    """Tell each newly mentioned member (not the author); returns the ids told."""
    usernames = [u for key, u in mentioned.items() if key not in already]
    if not usernames:
        return set()
    told = set()
    for user_id in session.scalars(select(User.id).where(User.username.in_(usernames)).order_by(User.id)):
        if notify(session, user_id, "mention", actor_id=post.author_id, thread_id=thread.id, post_id=post.id,
                  text=thread.title):
            told.add(user_id)
    return told
