"""Markdown to sanitized HTML, rendered once when a post is saved."""

import nh3
from markdown_it import MarkdownIt

from community.mentions import link_mentions, names_in

# js-default has no raw HTML; nh3 still cleans the output in case a rule ever lets markup through.
_md = MarkdownIt("js-default", {"linkify": False, "typographer": False})
_md.core.ruler.push("mentions", link_mentions)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}


def sanitize_html(html: str) -> str:
    """HTML that cannot run a script, keeping only what posts may show; links get nofollow ugc noopener.
    Imported HTML bodies go through this too."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )


def render_markdown(text: str, mentions: dict[str, str] | None = None) -> str:
    """Render user Markdown to safe HTML; `mentions` (lower-cased name -> username) become profile links."""
    return sanitize_html(_md.render(text, {"mentions": mentions or {}}))


def mentioned_names(text: str) -> list[str]:
    """The @names a post mentions outside code and links, first seen first."""
    return names_in(_md.parse(text))
