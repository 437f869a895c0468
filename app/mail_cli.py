"""`flask mail send`: send the queued email that is due (for a cron job, or with MAIL_SENDER=worker)."""

import click
from flask import current_app

from app.mail_sender import send_all_due
from community import mail
from community.db import utcnow


@click.group("mail", help="Outgoing email.")
def mail_cli():
    pass


@mail_cli.command("send", help="Send every queued email that is due now; failures wait for their retry.")
def mail_send():
    app = current_app._get_current_object()
    counts = send_all_due(app, app.extensions["hearth.sessionmaker"])
    with app.extensions["hearth.sessionmaker"]() as session:
        waiting = mail.pending_count(session)
        due = mail.pending_count(session, utcnow())
        problems = mail.problem_counts(session)
    click.echo(f"Sent {counts['sent']}, {counts['failed']} failed attempts; {waiting} waiting ({due} due now).")
    if problems["failing"] or problems["failed"]:
        click.echo(
            f"{problems['failing']} failing and retried, {problems['failed']} gave up in the past "
            f"{mail.FAILED_SHOWN_FOR.days} days: see Admin → Mail (/admin/mail) for their errors."
        )
