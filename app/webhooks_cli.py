"""`flask webhooks send` and `flask webhooks worker`: send the deliveries that are due."""

import logging
import time

import click
from flask import current_app

from app import serving, webhook_sender

log = logging.getLogger(__name__)


@click.group("webhooks", help="Outgoing webhooks.")
def webhooks_cli():
    pass


def _parts():
    return current_app.extensions["hearth.sessionmaker"], current_app.config["WEBHOOK_TIMEOUT_SECONDS"]


def _report(attempt: webhook_sender.Attempt) -> None:
    job, outcome = attempt.job, attempt.outcome
    result = f"{outcome.status_code} in {outcome.duration_ms} ms" if outcome.status_code else outcome.error
    click.echo(f"  {job.event} {job.delivery_id} -> {job.url}: {result} ({attempt.status})")


@webhooks_cli.command("send", help="Send every delivery that is due, then exit.")
@click.option("--once", is_flag=True, help="Make one pass of at most --limit deliveries.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000), help="Deliveries per pass.")
def webhooks_send(once: bool, limit: int):
    factory, timeout = _parts()
    if once:
        attempts = webhook_sender.deliver_due(factory, limit=limit, timeout=timeout)
    else:
        attempts = webhook_sender.deliver_all_due(factory, limit=limit, timeout=timeout)
    for attempt in attempts:
        _report(attempt)
    delivered = sum(1 for a in attempts if a.outcome.ok)
    made = f"{len(attempts)} delivery attempt{'' if len(attempts) == 1 else 's'}"
    click.echo(f"Made {made}: {delivered} delivered, {len(attempts) - delivered} failed.")


@webhooks_cli.command("worker", help="Send deliveries as they come due, continuously (with WEBHOOK_SENDER=worker).")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between checks when nothing is due.")
def webhooks_worker(interval: float):
    factory, timeout = _parts()
    serving.hold(current_app.instance_path)  # `flask restore` waits for this process to stop
    click.echo("Webhook worker started; press Ctrl+C to stop.")
    while True:
        try:
            attempts = webhook_sender.deliver_all_due(factory, timeout=timeout)
        except Exception:  # the database may be restarting: the deliveries wait, so does the worker
            log.exception("sending webhooks failed; will retry")
            attempts = []
        for attempt in attempts:
            _report(attempt)
        time.sleep(interval)
