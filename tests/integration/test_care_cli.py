"""`flask care remind`, run the way cron runs it."""

from datetime import timedelta

from sqlalchemy import select, update

from app.care_cli import care_cli
from community.db import utcnow
from community.models import Notification, Post
from tests.factories import make_answer, make_thread, make_user, set_thread_times
from tests.integration.helpers import fresh


def test_remind_sends_and_commits_each_reminder_once(app, db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread)
    long_ago = utcnow() - timedelta(days=4)
    set_thread_times(db, thread, created_at=long_ago)
    db.execute(update(Post).where(Post.id == answer.id).values(created_at=long_ago))
    db.commit()
    runner = app.test_cli_runner()

    with app.app_context():
        first = runner.invoke(care_cli, ["remind"])
        second = runner.invoke(care_cli, ["remind"])

    assert first.exit_code == 0, first.output
    assert "Reminded 1 askers" in first.output and "Reminded 0 askers" in second.output
    reminded = fresh(db).scalars(select(Notification.recipient_id).where(Notification.kind == "accept_reminder"))
    assert list(reminded) == [asker.id]
