"""`flask import stackexchange DIR`: bring a Stack Exchange community's dump into Hearth."""

from pathlib import Path

import click
from flask import current_app

from app.db import get_session
from community import stackexchange
from community.errors import ValidationError
from search import indexer


@click.group("import", help="Import content from another community.")
def import_cli():
    pass


class _Progress:
    """One progress bar per file, driven by how far into the file the parser is."""

    def __init__(self) -> None:
        self._bar = None

    def __call__(self, name: str, size: int):
        if self._bar is not None:
            self._bar.render_finish()
        self._bar = click.progressbar(length=size, label=f"{name:<14}", show_percent=True, width=30)
        self._bar.__enter__()
        done = [0]

        def advance(position: int) -> None:
            self._bar.update(position - done[0])
            done[0] = position

        return advance

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.render_finish()


@import_cli.command("stackexchange", help="Import a Stack Exchange data dump folder (Posts.xml and friends).")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--site", help="The source site's name, shown on every imported thread (default: the folder's name).")
@click.option(
    "--categories",
    "rule",
    default="first-tag",
    show_default=True,
    help="`first-tag`: each thread goes to a category named after its first tag; "
    "`all:SLUG`: every thread goes to that category (made when missing).",
)
def import_stackexchange(directory: Path, site: str | None, rule: str):
    if rule == "first-tag":
        category_rule = stackexchange.CategoryRule(first_tag=True)
    elif rule.startswith("all:") and rule[4:].strip():
        category_rule = stackexchange.CategoryRule(slug=rule[4:].strip())
    else:
        raise click.BadParameter("use `first-tag` or `all:SLUG`", param_hint="--categories")
    progress = _Progress()
    try:
        summary = stackexchange.import_dump(
            get_session(), directory, site=site or directory.name, rule=category_rule, progress=progress
        )
    except (stackexchange.DumpError, ValidationError) as error:
        progress.finish()
        raise click.ClickException(f"Nothing was imported. {error}") from None
    progress.finish()
    factory, backend = current_app.extensions["hearth.sessionmaker"], current_app.extensions["hearth.search"]
    indexed = indexer.drain(factory, backend)
    click.echo(f"Imported from {summary.site}:")
    for kind, count in summary.counts.items():
        click.echo(f"  {count:>8,} {kind}")
    if not summary.counts:
        click.echo("  nothing new (everything in this dump was imported before)")
    for reason, count in summary.skipped.items():
        click.echo(f"  skipped {count:,} {reason}")
    for notice in summary.notices:
        click.echo(f"  note: {notice}")
    click.echo(f"  search: {indexed:,} index updates applied")
