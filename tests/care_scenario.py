"""A small community with known timestamps, for checking care metrics by hand.

Times are counted from `base`, a midnight (UTC); the period is the day before `base` to five
days after it, both included (7 days). Minutes to a first response, per question:

| thread | category | team      | first response    | first staff    | accepted (by)        |
| T1     | Heating  | Heat      | 30 (customer)     | 90 (stafffirst)| 120 (customer)       |
| T2     | Heating  | Heat      | 10 (stafffirst)   | 10             | 60 (stafffirst)      |
| T3     | Billing  | none      | 1500 (customer; asker's own answer at 5 ignored) | – | –       |
| T4     | Billing  | none      | –                 | –              | –                    |
| T5     | Wifi     | Heat (routed) | 200 (staffsecond; a deleted customer answer at 5 ignored) | 200 | 300 (staffsecond) |
| T6     | Heating  | deleted thread: left out everywhere                                            |
| T7     | Heating  | asked before the period, first answered at base + 12 h (backlog only)          |
| T8     | Wifi     | Net       | 45 (customer)     | 600 (staffsecond) | –                 |
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update

from community import accepting, threads
from community.models import Post, Role, Team, TeamCategory, TeamMember, Thread, ThreadCare
from tests.factories import make_category, make_thread, make_user


@dataclass
class Scenario:
    base: datetime
    first: date  # first day of the period
    last: date  # last day of the period, included
    users: dict
    threads: dict

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time.min, UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, UTC)


def _at(db, thread, created: datetime) -> None:
    db.execute(update(Thread).where(Thread.id == thread.id).values(created_at=created, last_activity_at=created))
    db.execute(update(Post).where(Post.thread_id == thread.id, Post.is_question.is_(True)).values(created_at=created))


def _answer(db, thread, author, created: datetime, body: str = "Here is what fixed it for me.") -> Post:
    post = threads.answer(db, author, thread, body=f"{body} ({author.username}, {created.isoformat()})")
    db.execute(update(Post).where(Post.id == post.id).values(created_at=created))
    return post


def _accept(db, actor, post: Post, thread, accepted: datetime) -> None:
    accepting.accept_answer(db, actor, post)
    db.execute(update(Thread).where(Thread.id == thread.id).values(accepted_at=accepted))


def build(db, base_day: date) -> Scenario:
    """Build the scenario of the module docstring around `base_day` and commit it."""
    base = datetime.combine(base_day, time.min, UTC)
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731
    asker = make_user(db, "asker")
    customer, other = make_user(db, "customer"), make_user(db, "othercustomer")
    first_staff = make_user(db, "stafffirst", role=Role.STAFF)
    second_staff = make_user(db, "staffsecond", role=Role.STAFF)
    heating, billing, wifi = make_category(db, "Heating"), make_category(db, "Billing"), make_category(db, "Wifi")
    heat, net = Team(name="Heat"), Team(name="Net")
    db.add_all([heat, net])
    db.flush()
    db.add_all([
        TeamCategory(category_id=heating.id, team_id=heat.id),
        TeamCategory(category_id=wifi.id, team_id=net.id),
        TeamMember(team_id=heat.id, user_id=first_staff.id),
        TeamMember(team_id=net.id, user_id=first_staff.id),
        TeamMember(team_id=net.id, user_id=second_staff.id),
    ])

    def ask(category, title, created):
        thread = make_thread(db, author=asker, category=category, title=title)
        _at(db, thread, created)
        return thread

    t1 = ask(heating, "The heating will not switch on at night", base)
    solution = _answer(db, t1, customer, base + minutes(30))
    _answer(db, t1, first_staff, base + minutes(90), "Staff here: check the schedule.")
    _accept(db, asker, solution, t1, base + minutes(120))

    t2 = ask(heating, "The boiler makes a knocking noise", base + minutes(60))
    official = _answer(db, t2, first_staff, base + minutes(70), "Staff here: bleed the radiators.")
    _answer(db, t2, other, base + minutes(100))
    _accept(db, asker, official, t2, base + minutes(120))

    day2 = base + timedelta(days=1)
    t3 = ask(billing, "I was charged twice this month", day2)
    _answer(db, t3, asker, day2 + minutes(5), "Adding details: it was on the 3rd.")
    _answer(db, t3, customer, day2 + minutes(1500))
    t4 = ask(billing, "Where do I find my invoices", day2 + timedelta(hours=12))

    day3 = base + timedelta(days=2)
    t5 = ask(wifi, "The thermostat drops off the wifi", day3)
    db.add(ThreadCare(thread_id=t5.id, team_id=heat.id))
    gone = _answer(db, t5, other, day3 + minutes(5), "A guess I took back.")
    threads.delete_post(db, other, gone)
    routed = _answer(db, t5, second_staff, day3 + minutes(200), "Staff here: update the firmware.")
    _accept(db, asker, routed, t5, day3 + minutes(300))

    day4 = base + timedelta(days=3)
    t6 = ask(heating, "A question that was deleted later", day4)
    _answer(db, t6, first_staff, day4 + minutes(1), "Staff here: answered before it was deleted.")
    db.execute(update(Thread).where(Thread.id == t6.id).values(deleted_at=day4 + minutes(2)))

    t7 = ask(heating, "An old question from before the period", base - timedelta(days=2))
    _answer(db, t7, other, base + timedelta(hours=12))

    day5 = base + timedelta(days=4)
    t8 = ask(wifi, "Pairing the app with the router fails", day5)
    _answer(db, t8, other, day5 + minutes(45))
    _answer(db, t8, second_staff, day5 + minutes(600), "Staff here: reset the pairing.")
    db.commit()
    return Scenario(
        base=base,
        first=base_day - timedelta(days=1),
        last=base_day + timedelta(days=5),
        users={u.username: u for u in (asker, customer, other, first_staff, second_staff)},
        threads={"T1": t1, "T2": t2, "T3": t3, "T4": t4, "T5": t5, "T6": t6, "T7": t7, "T8": t8},
    )
