"""Template globals and filters."""

from datetime import UTC, datetime

from flask import Flask, request, url_for
from markupsafe import Markup

from community import flags, permissions, publishing, rules


def timeago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = int((datetime.now(UTC) - value).total_seconds())
    for unit, size in (("year", 31536000), ("month", 2592000), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


def timetag(value: datetime | None) -> Markup:
    if value is None:
        return Markup("")
    iso = value.isoformat(timespec="seconds")
    full = value.strftime("%d %b %Y at %H:%M UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(iso, full, timeago(value))


def url_with(**changes) -> str:
    """The current page's address with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items()})
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def thousands(value: int) -> str:
    return f"{value:,}"


def privilege_threshold(name: str) -> int:
    return rules.threshold(rules.Privilege(name))


def init_app(app: Flask) -> None:
    app.jinja_env.filters["timeago"] = timeago
    app.jinja_env.filters["timetag"] = timetag
    app.jinja_env.filters["excerpt"] = publishing.excerpt
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["perm"] = permissions
    app.jinja_env.filters["thousands"] = thousands
    app.jinja_env.globals["rank_of"] = rules.rank_for
    app.jinja_env.globals["privilege_threshold"] = privilege_threshold
    app.jinja_env.globals["flag_reasons"] = [(reason.value, label) for reason, label in flags.REASON_LABELS.items()]
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
