"""Random sequences of votes, vote changes, accepts, unaccepts, deletes and restores: the cached
totals always equal the ledger, respect the daily cap and the floor, and the ledger always
matches what the posts earn in their current state."""

from collections import defaultdict

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from community import accepting, reputation, rules, threads, voting
from community.errors import PermissionDenied, ValidationError
from community.models import Post, ReputationEvent, Role, Thread, User
from tests.factories import make_answer, make_category, make_thread, make_user

CAP = 30  # small, so random runs reach it often


def run_machine(db):
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def world(self):
            category = make_category(db)
            self.askers = [make_user(db), make_user(db)]
            self.answerers = [make_user(db), make_user(db, reputation=3)]
            self.voters = [make_user(db, reputation=200), make_user(db, reputation=130), make_user(db, role=Role.STAFF)]
            self.moderator = make_user(db, role=Role.MODERATOR)
            self.threads, self.posts = [], []
            for asker in self.askers:
                thread = make_thread(db, author=asker, category=category)
                self.threads.append(thread)
                self.posts.append(threads.question_of(db, thread))
                for answerer in self.answerers:
                    self.posts.append(make_answer(db, thread, author=answerer))
                self.posts.append(make_answer(db, thread, author=self.voters[0]))  # a voter who also answers
            self.people = self.askers + self.answerers + self.voters + [self.moderator]
            db.commit()

        def _attempt(self, action):
            try:
                action()
            except (PermissionDenied, ValidationError):
                db.rollback()
            else:
                db.commit()

        @rule(voter=st.integers(0, 2), post=st.integers(0, 7), value=st.sampled_from([-1, 0, 1]))
        def vote(self, voter, post, value):
            person, target = self.voters[voter], self.posts[post]
            self._attempt(lambda: voting.cast_vote(db, db.get(User, person.id), db.get(Post, target.id), value))

        @rule(post=st.integers(0, 7), by_staff=st.booleans())
        def accept(self, post, by_staff):
            target = db.get(Post, self.posts[post].id)
            thread = db.get(Thread, target.thread_id)
            actor = self.moderator if by_staff else db.get(User, thread.author_id)
            self._attempt(lambda: accepting.accept_answer(db, actor, target))

        @rule(thread=st.integers(0, 1))
        def unaccept(self, thread):
            target = db.get(Thread, self.threads[thread].id)
            self._attempt(lambda: accepting.unaccept_answer(db, self.moderator, target))

        @rule(post=st.integers(0, 7))
        def delete(self, post):
            self._attempt(lambda: threads.delete_post(db, self.moderator, db.get(Post, self.posts[post].id)))

        @rule(post=st.integers(0, 7))
        def restore(self, post):
            self._attempt(lambda: threads.restore_post(db, self.moderator, db.get(Post, self.posts[post].id)))

        def _ids(self):
            return [p.id for p in self.people]

        @invariant()
        def cached_totals_equal_the_ledger_and_respect_the_floor(self):
            db.expire_all()
            sums = dict(
                db.execute(
                    select(ReputationEvent.user_id, func.sum(ReputationEvent.points))
                    .where(ReputationEvent.user_id.in_(self._ids()))
                    .group_by(ReputationEvent.user_id)
                ).all()
            )
            for person in self.people:
                cached = db.get(User, person.id).reputation
                assert cached == 1 + sums.get(person.id, 0)
                assert cached >= 1

        @invariant()
        def vote_points_never_pass_the_daily_cap(self):
            per_day = defaultdict(int)
            rows = db.execute(
                select(ReputationEvent.user_id, ReputationEvent.created_at, ReputationEvent.points).where(
                    ReputationEvent.user_id.in_(self._ids()), ReputationEvent.capped.is_(True)
                )
            )
            for user_id, created_at, points in rows:
                per_day[user_id, created_at.date()] += points
            assert all(total <= CAP for total in per_day.values()), per_day

        @invariant()
        def the_ledger_matches_what_posts_earn_now(self):
            before = db.scalar(select(func.count()).select_from(ReputationEvent))
            for thread in self.threads:
                reputation.sync_thread(db, db.get(Thread, thread.id))
            assert db.scalar(select(func.count()).select_from(ReputationEvent)) == before
            db.rollback()

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


def test_random_event_sequences_keep_the_ledger_exact(db):
    rules.configure({"daily_vote_cap": CAP})
    try:
        run_machine(db)
    finally:
        rules.configure()
