"""`flask care remind`: the reminders a cron job sends."""

import click
from flask import current_app

from app.db import get_session
from community import reminders
from community.db import utcnow


@click.group("care", help="Customer care: reminders.")
def care_cli():
    pass


@care_cli.command("remind", help="Send due reminders (each once per thread); run it from cron every few minutes.")
def care_remind():
    db = get_session()
    now = utcnow()
    askers = reminders.remind_askers(db, now, current_app.config["CARE_ACCEPT_REMINDER_DAYS"])
    unanswered = reminders.remind_unanswered(db, now, current_app.config["CARE_FIRST_RESPONSE_MINUTES"])
    db.commit()
    click.echo(f"Reminded {askers} askers to accept an answer; {unanswered} unanswered threads past the target.")
