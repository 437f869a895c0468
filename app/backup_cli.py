"""`flask backup` and `flask restore`: a copy of the database (and the secret key) and putting it back."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app import backup, restore


@click.command("backup", help="Back up the database while the site runs (SQLite online backup, or pg_dump).")
@with_appcontext
@click.argument("destination", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(destination):
    url = current_app.config["DATABASE_URL"]
    destination = destination or backup.default_destination(Path(current_app.instance_path), url)
    try:
        written = backup.backup(url, destination, secret_key=current_app.config["SECRET_KEY"])
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    size = written.database.stat().st_size
    click.echo(f"Backed up the database to {written.database} ({size / 1_048_576:.1f} MB).")
    click.echo(
        f"Saved the secret key beside it in {written.key_file}: keep the two together (both are readable by "
        "their owner only). Sessions and the unsubscribe links in mail already sent need that key; "
        "`flask restore` puts it back."
    )


@click.command("restore", help="Replace the database with a backup made by `flask backup` (stop the site first).")
@with_appcontext
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore_command(source, yes):
    app = current_app._get_current_object()
    try:
        checked = restore.check(app, source)
        click.echo(f"{source} passed its integrity check (schema {checked.revision}).")
        if not yes:
            click.confirm(f"Replace everything in {checked.target} with this backup?", abort=True)
        done = restore.restore(app, checked)
    except restore.RestoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {done.threads} threads into {checked.target}; it passed its integrity check.")
    if done.upgraded:
        click.echo("Brought the schema up to date (the backup came from an earlier version).")
    click.echo(f"Rebuilt the search index: {done.indexed} threads.")
    if done.webhooks_paused:
        click.echo(
            "Webhook deliveries are paused: check the endpoints under Admin > Webhooks (this copy sends to the "
            "same addresses as the original), then press Resume deliveries."
        )
    click.echo(KEY_NOTES[done.key].format(key_file=done.key_file))


KEY_NOTES = {
    "restored": "Put back the secret key from {key_file}: sessions and mailed links keep working.",
    "same": "The site already uses the secret key from {key_file}.",
    "differs": (
        "Warning: SECRET_KEY in the environment is not the key saved in {key_file}. Set SECRET_KEY to "
        "that file's contents and restart, or every session ends and mailed unsubscribe links stop working."
    ),
    "absent": (
        "Warning: no key file ({key_file}) beside the backup. Unless SECRET_KEY is the key the backed-up "
        "site used, every session ends and mailed unsubscribe links stop working."
    ),
}
