"""Small text helpers shared by services: slugs and tag lists."""

import re
import unicodedata

MAX_TAGS = 5
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9+#.\-]{0,29}$")


def slugify(text: str, max_length: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "thread"


def parse_tags(raw: str | list[str]) -> list[str]:
    """Split a comma- or space-separated tag list into unique lower-case names, in order."""
    parts = raw if isinstance(raw, list) else re.split(r"[,\s]+", strip_controls(raw))
    tags: list[str] = []
    for part in parts:
        name = part.strip().lower().lstrip("#")
        if name and name not in tags:
            tags.append(name)
    return tags


def tag_errors(tags: list[str]) -> str | None:
    if len(tags) > MAX_TAGS:
        return f"Use at most {MAX_TAGS} tags (you gave {len(tags)})."
    bad = [t for t in tags if not TAG_PATTERN.match(t)]
    if bad:
        return (
            f"Tag {bad[0]!r} is not valid: use 1-30 letters, digits or + # . - "
            "and start with a letter or digit."
        )
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(text: str) -> str:
    """Drop control characters (NUL above all: PostgreSQL cannot store it); keep tabs and newlines."""
    return _CONTROL.sub("", text or "")
