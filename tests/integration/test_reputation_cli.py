"""The reputation and badge commands: `flask reputation recompute|sync|audit` and `flask badges backfill`."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.cli import badges_cli, reputation_cli
from community import accepting, badges, voting
from community.db import utcnow
from community.models import BadgeAward, Post, ReputationEvent, Role, Thread, User, Vote
from tests.factories import (
    VOTER_REPUTATION,
    add_votes,
    count_rows,
    make_answer,
    make_thread,
    make_user,
)
from tests.integration.helpers import fresh


@pytest.fixture
def run(app):
    """Run a CLI command the way `flask` does: inside an app context."""
    runner = app.test_cli_runner()

    def invoke(group, args, **kwargs):
        with app.app_context():
            result = runner.invoke(group, args, **kwargs)
        assert result.exit_code == 0, result.output
        return result

    return invoke


def _reputations(db) -> dict[str, int]:
    fresh(db)
    return dict(db.execute(select(User.username, User.reputation)).all())


def _ledger_sum(db, user) -> int:
    fresh(db)
    return 1 + db.scalar(
        select(func.coalesce(func.sum(ReputationEvent.points), 0)).where(ReputationEvent.user_id == user.id)
    )


def _question(db, thread) -> Post:
    return db.scalar(select(Post).where(Post.thread_id == thread.id, Post.is_question.is_(True)))


# --- reputation recompute --------------------------------------------------------------------


def test_recompute_says_every_total_matches_when_the_cache_is_right(run, db):
    answer = make_answer(db, make_thread(db), author=make_user(db, "helper"))
    add_votes(db, answer, 2)
    make_user(db, "rich", reputation=700)
    db.commit()
    before = _reputations(db)

    result = run(reputation_cli, ["recompute"])

    assert result.output.strip() == "Every total matches the ledger."
    assert _reputations(db) == before


def test_recompute_reports_and_fixes_a_tampered_total(run, db):
    helper = make_user(db, "helper")
    add_votes(db, make_answer(db, make_thread(db), author=helper), 2)
    quiet = make_user(db, "quiet")
    db.commit()
    assert _ledger_sum(db, helper) == 21
    db.execute(update(User).where(User.id == helper.id).values(reputation=500))
    db.execute(update(User).where(User.id == quiet.id).values(reputation=0))
    db.commit()

    result = run(reputation_cli, ["recompute"])

    lines = result.output.splitlines()
    assert "  helper: cached 500, ledger 21 (-479)" in lines
    assert "  quiet: cached 0, ledger 1 (+1)" in lines
    assert lines[-1] == "Fixed 2 totals."
    reputations = _reputations(db)
    assert reputations["helper"] == 21 and reputations["quiet"] == 1

    again = run(reputation_cli, ["recompute"])

    assert again.output.strip() == "Every total matches the ledger."
    assert _reputations(db) == reputations


# --- reputation audit ------------------------------------------------------------------------


def _serial_votes(db, count: int, voter=None, author=None):
    """`voter` upvotes `count` different answers by `author`; returns the answers, oldest vote first."""
    author = author or make_user(db, "prolific")
    voter = voter or make_user(db, "fan", reputation=VOTER_REPUTATION)
    answers = [make_answer(db, make_thread(db), author=author) for _ in range(count)]
    for answer in answers:
        voting.cast_vote(db, voter, answer, 1)
    # Spread the votes over the last hours, the first one cast earliest.
    now = utcnow()
    for n, answer in enumerate(answers):
        db.execute(
            update(Vote)
            .where(Vote.user_id == voter.id, Vote.post_id == answer.id)
            .values(voted_at=now - timedelta(minutes=10 * (count - n)))
        )
    return voter, author, answers


def test_audit_reverses_serial_voting_beyond_ten_votes_a_day(run, db):
    voter, author, answers = _serial_votes(db, 12)
    db.commit()
    before = _reputations(db)
    assert before["prolific"] == 1 + 12 * 10

    result = run(reputation_cli, ["audit"])

    assert "  fan cast 12 votes on prolific's posts: reversed 2" in result.output.splitlines()
    assert result.output.splitlines()[-1] == "Reversed serial voting in 1 cases."
    after = _reputations(db)
    assert after["prolific"] == before["prolific"] - 20
    assert after["fan"] == before["fan"]
    # The two latest votes were reversed; the first ten still count.
    counted = dict(fresh(db).execute(select(Vote.post_id, Vote.counted).where(Vote.user_id == voter.id)).all())
    assert [counted[a.id] for a in answers] == [True] * 10 + [False] * 2
    scores = dict(db.execute(select(Post.id, Post.score).where(Post.id.in_([a.id for a in answers]))).all())
    assert [scores[a.id] for a in answers] == [1] * 10 + [0] * 2
    reversals = db.scalars(
        select(ReputationEvent.points).where(
            ReputationEvent.user_id == author.id, ReputationEvent.reason == "serial_voting"
        )
    ).all()
    assert reversals == [-10, -10]
    assert _ledger_sum(db, author) == after["prolific"]

    again = run(reputation_cli, ["audit"])

    assert again.output.strip() == "No serial voting found."
    assert _reputations(db) == after


def test_audit_leaves_ten_votes_and_votes_older_than_a_day_alone(run, db):
    voter, author, answers = _serial_votes(db, 10)
    # Two more votes on the same author, but cast more than 24 hours ago.
    old = [make_answer(db, make_thread(db), author=author) for _ in range(2)]
    for answer in old:
        voting.cast_vote(db, voter, answer, 1)
    db.execute(
        update(Vote)
        .where(Vote.post_id.in_([a.id for a in old]))
        .values(voted_at=utcnow() - timedelta(hours=25), created_at=utcnow() - timedelta(hours=25))
    )
    # Another voter's votes on the same author do not add up with the first one's.
    _serial_votes(db, 5, author=author, voter=make_user(db, "other_fan", reputation=VOTER_REPUTATION))
    db.commit()
    before = _reputations(db)

    result = run(reputation_cli, ["audit"])

    assert result.output.strip() == "No serial voting found."
    assert _reputations(db) == before
    assert fresh(db).scalar(select(func.count()).select_from(Vote).where(Vote.counted.is_(False))) == 0


def test_audit_counts_down_votes_and_reverses_their_cost_too(run, db):
    author = make_user(db, "prolific", reputation=100)  # room above the floor for the down votes
    voter = make_user(db, "critic", reputation=VOTER_REPUTATION)
    answers = [make_answer(db, make_thread(db), author=author) for _ in range(11)]
    for answer in answers:
        voting.cast_vote(db, voter, answer, -1)
    db.commit()
    before = _reputations(db)

    result = run(reputation_cli, ["audit"])

    assert "  critic cast 11 votes on prolific's posts: reversed 1" in result.output
    after = _reputations(db)
    assert after["prolific"] == before["prolific"] + 2
    assert after["critic"] == before["critic"] + 1


# --- reputation sync -------------------------------------------------------------------------


def _legacy_votes(db, post, values):
    """Votes written straight into the table, as data from before the ledger existed."""
    voters = []
    for value in values:
        voter = make_user(db, reputation=VOTER_REPUTATION)
        db.add(Vote(user_id=voter.id, post_id=post.id, value=value, created_at=utcnow(), voted_at=utcnow()))
        voters.append(voter)
    db.execute(update(Post).where(Post.id == post.id).values(score=Post.score + sum(values)))
    return voters


def test_sync_awards_what_votes_and_accepts_from_before_the_ledger_earn(run, db):
    asker = make_user(db, "asker")
    answerer = make_user(db, "answerer")
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread, author=answerer)
    _legacy_votes(db, answer, [1, 1, 1])
    critic = _legacy_votes(db, answer, [-1])[0]
    _legacy_votes(db, _question(db, thread), [1, 1])
    db.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(accepted_post_id=answer.id, accepted_by_id=asker.id, accepted_by_asker=True, accepted_at=utcnow())
    )
    make_thread(db)  # a thread without votes is checked too
    db.commit()
    assert count_rows(fresh(db), ReputationEvent) == 6  # only the set-up grants of the six voters
    before = _reputations(db)
    assert before["answerer"] == 1 and before["asker"] == 1

    result = run(reputation_cli, ["sync"])

    assert "Checked 2 threads; the ledger is up to date." in result.output
    after = _reputations(db)
    assert after["answerer"] == 1 + 3 * 10 - 2 + 15
    assert after["asker"] == 1 + 2 * 5 + 2
    assert after[critic.username] == VOTER_REPUTATION - 1
    for user in fresh(db).scalars(select(User)):
        assert _ledger_sum(db, user) == user.reputation, user.username
    rows = count_rows(db, ReputationEvent)

    again = run(reputation_cli, ["sync"])

    assert "Checked 2 threads" in again.output
    assert _reputations(db) == after
    assert count_rows(fresh(db), ReputationEvent) == rows


def test_sync_changes_nothing_when_the_ledger_is_already_complete(run, db):
    asker = make_user(db, "asker")
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread, author=make_user(db, "answerer"))
    add_votes(db, answer, 2)
    accepting.accept_answer(db, asker, answer)
    db.commit()
    before, rows = _reputations(db), count_rows(fresh(db), ReputationEvent)

    run(reputation_cli, ["sync"])

    assert _reputations(db) == before
    assert count_rows(fresh(db), ReputationEvent) == rows


def test_sync_gives_nothing_for_legacy_votes_on_deleted_posts_or_official_answers(run, db):
    thread = make_thread(db)
    staff_answer = make_answer(db, thread, author=make_user(db, "agent", role=Role.STAFF))
    deleted = make_answer(db, thread, author=make_user(db, "deleted_author"))
    db.execute(update(Post).where(Post.id == deleted.id).values(deleted_at=utcnow()))
    _legacy_votes(db, staff_answer, [1, 1])
    _legacy_votes(db, deleted, [1])
    db.commit()

    run(reputation_cli, ["sync"])

    reputations = _reputations(db)
    assert reputations["agent"] == 1
    assert reputations["deleted_author"] == 1


# --- badges backfill -------------------------------------------------------------------------


def _awards(db) -> set[tuple[int, str, int]]:
    fresh(db)
    return set(db.execute(select(BadgeAward.user_id, BadgeAward.badge, BadgeAward.item_id)).all())


def test_backfill_restores_deleted_badges_and_says_how_many(run, db):
    asker, helper = make_user(db, "asker"), make_user(db, "helper")
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread, author=helper)
    accepting.accept_answer(db, asker, answer)
    add_votes(db, answer, 10)  # a score of 10: "Nice Answer" for this answer
    staff = make_user(db, "agent", role=Role.STAFF)
    badges.award_champion(db, staff, helper, "Helps everyone with their boilers.")
    db.commit()
    earned = _awards(db)
    assert (helper.id, "nice-answer", answer.id) in earned
    assert (helper.id, "solver", 0) in earned and (asker.id, "scholar", 0) in earned
    db.execute(BadgeAward.__table__.delete().where(BadgeAward.badge != badges.CHAMPION.key))
    db.commit()
    assert _awards(db) == {(helper.id, badges.CHAMPION.key, 0)}

    result = run(badges_cli, ["backfill"])

    missing = len(earned) - 1
    assert result.output.splitlines()[-1] == f"Awarded {missing} badges."
    assert "  Curious: 1" in result.output.splitlines()
    assert "  Supporter: 10" in result.output.splitlines()
    assert "  Nice Answer: 1" in result.output.splitlines()
    per_badge = {
        m.group(1): int(m.group(2)) for m in re.finditer(r"^  (.+): (\d+)$", result.output, re.M)
    }
    assert sum(per_badge.values()) == missing
    assert "Community Champion" not in per_badge
    assert _awards(db) == earned

    again = run(badges_cli, ["backfill"])

    assert again.output.strip() == "Every earned badge was already awarded."
    assert _awards(db) == earned


def test_backfill_awards_nothing_that_was_not_earned(run, db):
    make_user(db, "quiet")
    make_thread(db, author=make_user(db, "asker"))
    db.commit()
    assert len(_awards(db)) == 1  # Curious, awarded when asking

    result = run(badges_cli, ["backfill"])

    assert result.output.strip() == "Every earned badge was already awarded."
    assert len(_awards(db)) == 1
