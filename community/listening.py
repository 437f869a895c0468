"""Listening: watchlists of keywords staff care about, matched against every saved post."""

import re
import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from community import audit, notifications, permissions
from community.db import get_by_id
from community.errors import NotFound, PermissionDenied, ValidationError
from community.models import Post, Thread, User, Watchlist, WatchMatch
from community.pagination import Page, paginate
from community.text import strip_controls
from community.tone import TONES, plain_text, post_text, score_post

MAX_NAME = 60
MAX_KEYWORD = 100
MAX_KEYWORDS = 500


def can_manage_watchlists(user: User | None) -> bool:
    return permissions.is_staff(user)


def _require_staff(user: User | None) -> None:
    if not can_manage_watchlists(user):
        raise PermissionDenied("Only staff can use listening.")


def _normal(keyword: str) -> str:
    return " ".join(keyword.split()).casefold()


def parse_keywords(raw: str) -> list[str]:
    """One keyword or phrase per line, spaces tidied, duplicates (ignoring case) dropped, order kept."""
    seen, keywords = set(), []
    for line in strip_controls(raw or "").splitlines():
        keyword = " ".join(line.split())
        if keyword and _normal(keyword) not in seen:
            seen.add(_normal(keyword))
            keywords.append(keyword)
    return keywords


# --- Matching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    pattern: re.Pattern
    by_normal: dict[str, str]  # a matched text, normalised -> the keyword as the list spells it


_SPACE = object()  # a run of spaces or line breaks between the words of a phrase


def _units(keyword: str) -> list:
    units: list = []
    for i, word in enumerate(keyword.lower().split()):
        if i:
            units.append(_SPACE)
        units.extend(word)
    return units


def _trie_regex(node: dict) -> str:
    """A pattern for every keyword under this trie node, sharing prefixes so a search stays quick
    with hundreds of keywords (a flat alternation retries every keyword at every position)."""
    ends_here = None in node
    branches = [
        (r"\s+" if unit is _SPACE else re.escape(unit)) + _trie_regex(child)
        for unit, child in node.items()
        if unit is not None
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    # Greedy: the longer keyword is tried first, the shorter one when the longer does not match.
    return f"(?:{body})?" if ends_here else body


def compile_keywords(keywords: list[str]) -> _Compiled:
    """One pattern for a whole list: case-insensitive, whole words only (not inside a longer word)."""
    trie: dict = {}
    for keyword in keywords:
        node = trie
        for unit in _units(keyword):
            node = node.setdefault(unit, {})
        node[None] = {}
    pattern = re.compile(rf"(?<!\w)(?:{_trie_regex(trie)})(?!\w)", re.IGNORECASE)
    return _Compiled(pattern, {_normal(k): k for k in keywords})


# Compiled patterns per watchlist, kept while the list's keywords stay the same. Keyed by the
# keyword text itself, so an edit made in another worker is noticed at the next post.
_compiled: dict[int, tuple[str, _Compiled]] = {}
_compiled_lock = threading.Lock()


def _pattern_for(watchlist_id: int, keywords_text: str) -> _Compiled | None:
    with _compiled_lock:
        cached = _compiled.get(watchlist_id)
        if cached is not None and cached[0] == keywords_text:
            return cached[1]
    keywords = parse_keywords(keywords_text)
    compiled = compile_keywords(keywords) if keywords else None
    with _compiled_lock:
        _compiled[watchlist_id] = (keywords_text, compiled)
    return compiled


def forget_patterns() -> None:
    """Drop every compiled pattern (they are rebuilt on the next post)."""
    with _compiled_lock:
        _compiled.clear()


def first_match(compiled: _Compiled, text: str) -> str | None:
    """The keyword (as listed) found first in the text, or None."""
    found = compiled.pattern.search(text)
    if found is None:
        return None
    return compiled.by_normal.get(_normal(found.group(0)), found.group(0))


def match_post(session: Session, post: Post, text: str) -> list[WatchMatch]:
    """Record a match for every watchlist the post's text hits (once per list and post) and tell its assignee."""
    rows = session.execute(
        select(Watchlist.id, Watchlist.name, Watchlist.keywords, Watchlist.assignee_id).order_by(Watchlist.id)
    ).all()
    if not rows:
        return []
    already = set(session.scalars(select(WatchMatch.watchlist_id).where(WatchMatch.post_id == post.id)))
    matches = []
    for watchlist_id, name, keywords_text, assignee_id in rows:
        if watchlist_id in already:
            continue
        compiled = _pattern_for(watchlist_id, keywords_text)
        keyword = first_match(compiled, text) if compiled else None
        if keyword is None:
            continue
        match = WatchMatch(watchlist_id=watchlist_id, post_id=post.id, keyword=keyword[:MAX_KEYWORD])
        session.add(match)
        matches.append(match)
        if assignee_id is not None:
            notifications.notify(
                session,
                assignee_id,
                "watchlist",
                actor_id=post.author_id,
                thread_id=post.thread_id,
                post_id=post.id,
                text=f"“{keyword}” ({name})",
            )
    session.flush()
    return matches


def post_saved(session: Session, post: Post, title: str | None = None) -> None:
    """Score a new or edited post's tone and match it against the watchlists, in the caller's transaction."""
    text = post_text(post, title)
    score_post(post, text)
    session.flush()
    match_post(session, post, text)


# --- Managing watchlists ------------------------------------------------------------------------


def list_watchlists(session: Session, viewer: User | None) -> list[Watchlist]:
    _require_staff(viewer)
    return list(session.scalars(select(Watchlist).order_by(Watchlist.name)))


def get_watchlist(session: Session, viewer: User | None, watchlist_id) -> Watchlist:
    _require_staff(viewer)
    found = get_by_id(session, Watchlist, watchlist_id)
    if found is None:
        raise NotFound("No such watchlist.")
    return found


def _validated(session: Session, name: str, keywords_raw: str, assignee_id, current_id: int | None):
    errors: dict[str, str] = {}
    name = " ".join(strip_controls(name or "").split())
    keywords = parse_keywords(keywords_raw)
    if not name:
        errors["name"] = "Give the watchlist a name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Keep the name to {MAX_NAME} characters (it has {len(name)})."
    elif session.scalar(select(Watchlist.id).where(Watchlist.name == name, Watchlist.id != (current_id or 0))):
        errors["name"] = f"There is already a watchlist called “{name}”."
    if not keywords:
        errors["keywords"] = "Add at least one keyword or phrase, one per line."
    elif len(keywords) > MAX_KEYWORDS:
        errors["keywords"] = f"A watchlist holds at most {MAX_KEYWORDS} keywords (this one has {len(keywords)})."
    elif too_long := [k for k in keywords if len(k) > MAX_KEYWORD]:
        errors["keywords"] = f"Keep each keyword to {MAX_KEYWORD} characters: “{too_long[0][:40]}…” is longer."
    elif no_word := [k for k in keywords if not re.search(r"\w", k)]:
        errors["keywords"] = f"“{no_word[0]}” has no letters or digits to match."
    assignee = None
    if assignee_id not in (None, "", 0, "0"):
        assignee = get_by_id(session, User, assignee_id)
        if assignee is None or not assignee.is_staff:
            errors["assignee"] = "Choose a staff member, or nobody."
    if errors:
        raise ValidationError(errors)
    return name, "\n".join(keywords), (assignee.id if assignee else None)


def _state(watchlist: Watchlist) -> dict:
    return {"name": watchlist.name, "keywords": watchlist.keywords, "assignee_id": watchlist.assignee_id}


def create_watchlist(session: Session, actor: User | None, *, name: str, keywords: str, assignee_id=None) -> Watchlist:
    """A new watchlist; posts saved from now on are matched against it."""
    _require_staff(actor)
    name, keywords, assignee_id = _validated(session, name, keywords, assignee_id, None)
    watchlist = Watchlist(name=name, keywords=keywords, assignee_id=assignee_id, created_by_id=actor.id)
    try:
        with session.begin_nested():
            session.add(watchlist)
    except IntegrityError:  # another member of staff took the name a moment earlier
        raise ValidationError({"name": f"There is already a watchlist called “{name}”."}) from None
    audit.record(session, actor, "watchlist.create", "watchlist", watchlist.id, after=_state(watchlist))
    return watchlist


def update_watchlist(
    session: Session, actor: User | None, watchlist: Watchlist, *, name: str, keywords: str, assignee_id=None
) -> None:
    """Change a watchlist; matches already recorded stay."""
    _require_staff(actor)
    name, keywords, assignee_id = _validated(session, name, keywords, assignee_id, watchlist.id)
    before = _state(watchlist)
    watchlist.name, watchlist.keywords, watchlist.assignee_id = name, keywords, assignee_id
    if _state(watchlist) == before:
        raise ValidationError("Nothing changed.")
    session.flush()
    audit.record(session, actor, "watchlist.update", "watchlist", watchlist.id, before=before, after=_state(watchlist))


def delete_watchlist(session: Session, actor: User | None, watchlist: Watchlist) -> None:
    """Remove a watchlist and its matches."""
    _require_staff(actor)
    audit.record(session, actor, "watchlist.delete", "watchlist", watchlist.id, before=_state(watchlist))
    session.delete(watchlist)
    session.flush()
    with _compiled_lock:
        _compiled.pop(watchlist.id, None)


# --- The listening feed ---------------------------------------------------------------------------


@dataclass
class FeedItem:
    match: WatchMatch
    watchlist_name: str
    post: Post
    thread_title: str
    author_name: str

    @property
    def excerpt(self) -> str:
        """The post's words (no code or quotes), cut at a word near 280 characters."""
        text = " ".join(plain_text(self.post.body_html).split())
        return text if len(text) <= 280 else text[:280].rsplit(" ", 1)[0] + "…"


def feed(
    session: Session, viewer: User | None, *, watchlist_id: int | None = None, tone: str | None = None,
    page: int = 1, per_page: int = 25,
) -> Page:
    """Matches newest first, with their post, thread title and author; deleted posts and threads left out."""
    _require_staff(viewer)
    if tone is not None and tone not in TONES:
        raise ValidationError({"tone": "Choose negative, neutral or positive."})
    author = aliased(User)
    query = (
        select(WatchMatch.id)
        .join(Post, Post.id == WatchMatch.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.deleted_at.is_(None), Thread.deleted_at.is_(None))
        .order_by(WatchMatch.created_at.desc(), WatchMatch.id.desc())
    )
    if watchlist_id is not None:
        query = query.where(WatchMatch.watchlist_id == watchlist_id)
    if tone is not None:
        query = query.where(Post.tone == tone)
    found = paginate(session, query, page, per_page)
    if not found.items:
        return found
    rows = session.execute(
        select(WatchMatch, Watchlist.name, Post, Thread.title, author.username, author.display_name)
        .join(Watchlist, Watchlist.id == WatchMatch.watchlist_id)
        .join(Post, Post.id == WatchMatch.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(author, author.id == Post.author_id)
        .where(WatchMatch.id.in_(found.items))
    ).all()
    by_id = {
        row[0].id: FeedItem(row[0], row[1], row[2], row[3], row[5] or row[4]) for row in rows
    }
    found.items = [by_id[i] for i in found.items if i in by_id]
    return found
