"""Reminders: an asker who never accepted, and threads unanswered past the first-response target."""

from datetime import timedelta

from sqlalchemy import select, update

from community import accepting, reminders
from community.db import utcnow
from community.models import Notification, Post, Role, Team, TeamCategory, TeamMember, ThreadCare
from tests.factories import make_answer, make_category, make_thread, make_user, set_thread_times


def _told(db, kind: str) -> list[tuple[int, int]]:
    """(recipient, thread) of every reminder of this kind."""
    rows = db.execute(
        select(Notification.recipient_id, Notification.thread_id).where(Notification.kind == kind).order_by(Notification.id)
    )
    return [tuple(row) for row in rows]


def _age(db, thread, answer=None, *, days=0, minutes=0):
    when = utcnow() - timedelta(days=days, minutes=minutes)
    set_thread_times(db, thread, created_at=when)
    if answer is not None:
        db.execute(update(Post).where(Post.id == answer.id).values(created_at=when))
    db.flush()


def test_an_asker_is_reminded_once_after_the_days_have_passed(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread)
    _age(db, thread, answer, days=2)
    assert reminders.remind_askers(db, utcnow(), 3) == 0

    _age(db, thread, answer, days=4)
    assert reminders.remind_askers(db, utcnow(), 3) == 1
    assert reminders.remind_askers(db, utcnow(), 3) == 0
    assert _told(db, "accept_reminder") == [(asker.id, thread.id)]


def test_no_accept_reminder_for_solved_unanswered_or_self_answered_threads(db):
    asker = make_user(db)
    solved = make_thread(db, author=asker)
    accepted = make_answer(db, solved)
    accepting.accept_answer(db, asker, accepted)
    _age(db, solved, accepted, days=5)
    unanswered = make_thread(db, author=asker)
    _age(db, unanswered, days=5)
    own = make_thread(db, author=asker)
    _age(db, own, make_answer(db, own, author=asker), days=5)

    assert reminders.remind_askers(db, utcnow(), 3) == 0


def _team_for(db, category, *members):
    team = Team(name=f"Team {category.id}")
    db.add(team)
    db.flush()
    db.add(TeamCategory(category_id=category.id, team_id=team.id))
    db.add_all(TeamMember(team_id=team.id, user_id=m.id) for m in members)
    db.flush()
    return team


def test_an_unanswered_thread_reminds_its_assignee_once(db):
    agent, other = make_user(db, role=Role.STAFF), make_user(db, role=Role.STAFF)
    category = make_category(db)
    _team_for(db, category, other)
    thread = make_thread(db, category=category)
    db.add(ThreadCare(thread_id=thread.id, assignee_id=agent.id, state="assigned"))
    _age(db, thread, minutes=30)
    assert reminders.remind_unanswered(db, utcnow(), 60) == 0

    _age(db, thread, minutes=61)
    assert reminders.remind_unanswered(db, utcnow(), 60) == 1
    assert reminders.remind_unanswered(db, utcnow(), 60) == 0
    assert _told(db, "unanswered") == [(agent.id, thread.id)]


def test_without_an_assignee_the_team_of_the_category_is_reminded(db):
    first, second = make_user(db, role=Role.STAFF), make_user(db, role=Role.STAFF)
    category = make_category(db)
    _team_for(db, category, first, second)
    thread = make_thread(db, category=category)
    _age(db, thread, minutes=90)

    assert reminders.remind_unanswered(db, utcnow(), 60) == 1
    assert sorted(_told(db, "unanswered")) == sorted([(first.id, thread.id), (second.id, thread.id)])


def test_the_threads_own_team_comes_before_its_categorys(db):
    category_agent, care_agent = make_user(db, role=Role.STAFF), make_user(db, role=Role.STAFF)
    category = make_category(db)
    _team_for(db, category, category_agent)
    own_team = _team_for(db, make_category(db), care_agent)
    thread = make_thread(db, category=category)
    db.add(ThreadCare(thread_id=thread.id, team_id=own_team.id))
    _age(db, thread, minutes=90)

    reminders.remind_unanswered(db, utcnow(), 60)
    assert _told(db, "unanswered") == [(care_agent.id, thread.id)]


def test_answered_resolved_or_unowned_threads_remind_nobody_until_someone_owns_them(db):
    agent = make_user(db, role=Role.STAFF)
    answered = make_thread(db)
    make_answer(db, answered)
    _age(db, answered, minutes=90)
    resolved = make_thread(db)
    db.add(ThreadCare(thread_id=resolved.id, assignee_id=agent.id, state="resolved"))
    _age(db, resolved, minutes=90)
    category = make_category(db)
    unowned = make_thread(db, category=category)
    _age(db, unowned, minutes=90)

    assert reminders.remind_unanswered(db, utcnow(), 60) == 0
    _team_for(db, category, agent)
    assert reminders.remind_unanswered(db, utcnow(), 60) == 1
    assert _told(db, "unanswered") == [(agent.id, unowned.id)]

