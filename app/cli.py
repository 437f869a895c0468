"""Command-line tools: database, accounts, demo content, search, reputation, badges and tone."""

import logging
import secrets
import time

import click
from flask import Flask, current_app
from whoosh.index import LockError

from app import serving
from app.backup_cli import backup_command, restore_command
from app.care_cli import care_cli
from app.import_cli import import_cli
from app.mail_cli import mail_cli
from app.webhooks_cli import webhooks_cli
from app.db import get_session
from community import accounts, badges, demo, reputation, tone, vote_audit
from community.background import FailureLog
from community.errors import ValidationError
from community.models import Role
from migrations import upgrade_database
from search import indexer
from search.documents import all_public_thread_ids


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(reputation_cli)
    app.cli.add_command(badges_cli)
    app.cli.add_command(tone_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(import_cli)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(care_cli)
    app.cli.add_command(mail_cli)


@click.group("db", help="Database schema.")
def db_cli():
    pass


@db_cli.command("upgrade", help="Apply every migration up to the newest.")
def db_upgrade():
    upgrade_database(current_app.config["DATABASE_URL"])
    click.echo("Database schema is up to date.")


@click.group("users", help="Manage accounts.")
def users_cli():
    pass


@users_cli.command("create", help="Create an account from the command line.")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.MEMBER.value, show_default=True)
@click.option("--password", help="Leave out to be asked, or to generate one with --generate-password.")
@click.option("--generate-password", is_flag=True, help="Generate a strong password and print it once.")
def users_create(username, email, role, password, generate_password):
    if generate_password:
        password = secrets.token_urlsafe(12)
    elif not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = get_session()
    try:
        user = accounts.register(db, username, email, password, Role(role), allow_reserved=True, verified=True)
    except ValidationError as exc:
        db.rollback()
        raise click.ClickException(str(exc)) from None
    db.commit()
    click.echo(f"Created {user.role} {user.username} <{user.email}>.")
    if generate_password:
        click.echo(f"Password: {password}")


@click.group("demo", help="Demo content.")
def demo_cli():
    pass


@demo_cli.command("load", help="Fill an empty database with a demo community (does nothing otherwise).")
def demo_load():
    db = get_session()
    result = demo.load_demo(db)
    if result is None:
        click.echo("The database already has content; demo content was not loaded.")
        return
    db.commit()
    indexer.drain(*_search_parts())
    click.echo(f"Loaded the demo community: {result.threads} threads, {result.posts} posts, {result.users} members.")
    click.echo("")
    click.echo(f"  Demo admin:  {result.admin_username}")
    click.echo(f"  Password:    {result.admin_password}")
    click.echo("  (shown once; change it under Settings after signing in)")
    click.echo("")


@click.group("search", help="The search index.")
def search_cli():
    pass


def _search_parts():
    return current_app.extensions["hearth.sessionmaker"], current_app.extensions["hearth.search"]


@search_cli.command("reindex", help="Rebuild the whole index from the database.")
def search_reindex():
    factory, backend = _search_parts()
    with factory() as session:
        total = len(all_public_thread_ids(session))
    started = time.monotonic()
    with click.progressbar(length=total, label="Indexing threads") as bar:
        count = indexer.reindex(factory, backend, progress=bar.update)
    seconds = time.monotonic() - started
    click.echo(f"Indexed {count} threads in {seconds:.1f} s.")


@search_cli.command("reconcile", help="Find and fix differences between the database and the index.")
def search_reconcile():
    factory, backend = _search_parts()
    indexer.drain(factory, backend)
    report = indexer.reconcile(factory, backend)
    click.echo(
        f"Fixed {report['fixed']} threads: {report['missing']} missing, "
        f"{report['stale']} out of date, {report['removed']} that should not be searchable."
    )


@search_cli.command("optimize", help="Merge the index into one segment for faster searches (run nightly).")
def search_optimize():
    factory, backend = _search_parts()
    started = time.perf_counter()
    parts = backend.optimize()
    if parts:
        click.echo(f"Merged {parts} segments into one in {time.perf_counter() - started:.1f} s.")
    else:
        click.echo("Nothing to merge for this search backend.")


@search_cli.command("worker", help="Apply database changes to the index continuously (one per machine).")
@click.option("--interval", default=0.5, show_default=True, help="Seconds between checks of the outbox.")
@click.option("--once", is_flag=True, help="Drain the outbox once and exit.")
def search_worker(interval: float, once: bool):
    factory, backend = _search_parts()
    failures = FailureLog(logging.getLogger("search.worker"), "search indexing")
    if not once:
        serving.hold(current_app.instance_path)  # `flask restore` waits for this process to stop
        if indexer.repair_drift(factory, backend):
            click.echo("The index did not match the database; it has been reconciled.")
    click.echo("Search worker started; press Ctrl+C to stop.")
    while True:
        try:
            applied = indexer.drain(factory, backend)
            failures.succeeded()
        except LockError:
            applied = 0  # another indexer holds the writer; it drains the same outbox
        except Exception as exc:  # the index or the database is away: the rows wait, retry
            if once:
                raise
            failures.failed(exc)
            applied = 0
        if applied:
            click.echo(f"Indexed {applied} threads.")
        if once:
            return
        time.sleep(interval)


@click.group("reputation", help="The reputation ledger.")
def reputation_cli():
    pass


@reputation_cli.command("recompute", help="Rebuild every member's total from the ledger and report what it fixed.")
def reputation_recompute():
    db = get_session()
    fixed = reputation.recompute(db)
    db.commit()
    for diff in fixed:
        click.echo(f"  {diff.username}: cached {diff.cached}, ledger {diff.ledger} ({diff.ledger - diff.cached:+d})")
    click.echo(f"Fixed {len(fixed)} totals." if fixed else "Every total matches the ledger.")


@reputation_cli.command("sync", help="Award what existing votes and accepts earn (after an upgrade or an import).")
def reputation_sync():
    from sqlalchemy import select

    from community.models import Thread

    db = get_session()
    thread_ids = list(db.scalars(select(Thread.id).order_by(Thread.id)))
    with click.progressbar(thread_ids, label="Checking threads") as bar:
        for thread_id in bar:
            reputation.sync_thread(db, db.get(Thread, thread_id))
            db.commit()
    click.echo(f"Checked {len(thread_ids)} threads; the ledger is up to date.")


@reputation_cli.command("audit", help="Reverse serial voting of the last 24 hours (run daily).")
def reputation_audit():
    db = get_session()
    cases = vote_audit.audit(db)
    db.commit()
    for case in cases:
        click.echo(
            f"  {case.voter.username} cast {case.votes} votes on {case.author.username}'s posts: "
            f"reversed {case.reversed}"
        )
    click.echo(f"Reversed serial voting in {len(cases)} cases." if cases else "No serial voting found.")


@click.group("badges", help="Badges.")
def badges_cli():
    pass


@badges_cli.command("backfill", help="Award every badge members have earned, including for rules added since.")
def badges_backfill():
    db = get_session()
    added = badges.backfill(db)
    db.commit()
    total = sum(added.values())
    for key, count in added.items():
        if count:
            click.echo(f"  {badges.BY_KEY[key].name}: {count}")
    click.echo(f"Awarded {total} badges." if total else "Every earned badge was already awarded.")


@click.group("tone", help="Tone (sentiment) of posts.")
def tone_cli():
    pass


@tone_cli.command("backfill", help="Score the tone of every post that has none yet (posts from before scoring existed).")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000), help="Posts scored and committed at a time.")
def tone_backfill(batch_size: int):
    db = get_session()
    total = 0
    while scored := tone.score_unscored(db, batch_size):
        db.commit()  # each batch is kept even if a later one fails
        total += scored
        click.echo(f"  scored {total} posts…")
    click.echo(f"Scored {total} posts." if total else "Every post already has a tone.")
