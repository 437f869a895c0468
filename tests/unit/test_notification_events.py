"""Notifications emitted where things happen: answers to followed threads, accepts, mentions, badges."""

from sqlalchemy import select

from community import accepting, badges, mentions, notifications, threads
from community.models import Notification, Role
from tests.factories import make_answer, make_thread, make_user


def _received(db, user) -> list[tuple[str, int | None]]:
    """(kind, post id) of what a member was told about posts, oldest first (badges earned on the way left out)."""
    rows = db.execute(
        select(Notification.kind, Notification.post_id)
        .where(Notification.recipient_id == user.id, Notification.kind != "badge")
        .order_by(Notification.id)
    )
    return [tuple(row) for row in rows]


def _kinds(db, user) -> list[str]:
    return [kind for kind, _ in _received(db, user)]


def test_a_new_answer_tells_every_follower_but_its_author(db):
    asker, follower, helper = make_user(db), make_user(db), make_user(db)
    thread = make_thread(db, author=asker)
    threads.follow(db, follower, thread)
    threads.follow(db, helper, thread)

    answer = make_answer(db, thread, author=helper)

    assert _received(db, asker) == [("reply", answer.id)]
    assert _received(db, follower) == [("reply", answer.id)]
    assert "reply" not in _kinds(db, helper)


def test_an_unfollowed_thread_tells_nobody_of_new_answers(db):
    asker, helper = make_user(db), make_user(db)
    thread = make_thread(db, author=asker)
    threads.unfollow(db, asker, thread)
    make_answer(db, thread, author=helper)
    assert "reply" not in _kinds(db, asker)


def test_an_accepted_answer_tells_its_author_but_not_an_asker_accepting_their_own(db):
    asker, helper = make_user(db), make_user(db)
    thread = make_thread(db, author=asker)
    answer = make_answer(db, thread, author=helper)
    own = make_answer(db, thread, author=asker)

    accepting.accept_answer(db, asker, answer)
    assert ("accepted", answer.id) in _received(db, helper)

    accepting.accept_answer(db, asker, own)
    assert "accepted" not in _kinds(db, asker)


def test_a_staff_accept_tells_the_answers_author(db):
    staff, asker, helper = make_user(db, role=Role.STAFF), make_user(db), make_user(db)
    answer = make_answer(db, make_thread(db, author=asker), author=helper)
    accepting.accept_answer(db, staff, answer)
    note = db.scalar(select(Notification).where(Notification.recipient_id == helper.id, Notification.kind == "accepted"))
    assert note.actor_id == staff.id


def test_a_mention_tells_existing_members_only_outside_code_and_links_it(db):
    asker, ann, bob = make_user(db), make_user(db, "ann"), make_user(db, "bob")
    thread = make_thread(db, author=asker)
    body = "Thanks @ANN. See `@bob` and @nobody-here, mail ann@example.com\n\n    @bob in a code block"

    post = make_answer(db, thread, author=make_user(db), body=body)

    assert _received(db, ann) == [("mention", post.id)]
    assert _kinds(db, bob) == []
    assert '<a href="/u/ann" rel="nofollow ugc noopener">@ANN</a>.' in post.body_html
    assert "<code>@bob</code>" in post.body_html and "@nobody-here" in post.body_html
    assert "mailto" not in post.body_html and 'href="/u/bob"' not in post.body_html


def test_mentioning_yourself_tells_nobody(db):
    ann = make_user(db, "ann")
    make_answer(db, make_thread(db), author=ann, body="As @ann said before: restart it.")
    assert _kinds(db, ann) == []


def test_a_mentioned_follower_is_told_once(db):
    asker, helper = make_user(db, "asker"), make_user(db)
    thread = make_thread(db, author=asker)
    make_answer(db, thread, author=helper, body="@asker does this help? Restart the hub.")
    assert _kinds(db, asker) == ["mention"]


def test_a_post_mentions_at_most_the_limit(db, monkeypatch):
    monkeypatch.setattr(mentions, "MAX_MENTIONS", 2)
    named = [make_user(db, f"member{n}") for n in range(3)]
    post = make_answer(db, make_thread(db), body="Ping @member0 @member1 @member2 about the heating.")
    assert [len(_kinds(db, m)) for m in named] == [1, 1, 0]
    assert 'href="/u/member2"' not in post.body_html


def test_mentions_do_not_count_as_links_for_new_members(db):
    names = [make_user(db, f"helper{n}").username for n in range(4)]
    post = make_answer(db, make_thread(db), body="Ask " + " ".join(f"@{n}" for n in names) + " about it.")
    assert post.body_html.count('href="/u/') == 4


def test_an_edit_tells_only_the_members_it_newly_mentions(db):
    author, ann, bob = make_user(db), make_user(db, "ann"), make_user(db, "bob")
    post = make_answer(db, make_thread(db), author=author, body="Ask @ann about the boiler.")
    threads.edit_post(db, author, post, body="Ask @ann or @bob about the boiler.")
    assert _kinds(db, ann) == ["mention"]
    assert _kinds(db, bob) == ["mention"]


def test_a_question_can_mention_too(db):
    ann = make_user(db, "ann")
    thread = make_thread(db, body="Has @ann seen this problem before?")
    assert db.scalar(select(Notification.thread_id).where(Notification.recipient_id == ann.id)) == thread.id


def test_an_earned_badge_is_announced_but_a_backfill_is_not(db):
    asker = make_user(db)
    make_thread(db, author=asker)  # first question: Curious
    assert db.scalar(
        select(Notification.text).where(Notification.recipient_id == asker.id, Notification.kind == "badge")
    ) == "Curious"

    quiet = make_user(db)
    db.query(Notification).delete()
    badges.backfill(db)
    assert db.scalar(select(Notification.id).where(Notification.recipient_id == quiet.id)) is None
    assert db.scalar(select(Notification.id).where(Notification.kind == "badge")) is None


def test_a_champion_badge_is_announced_with_the_staff_member_who_gave_it(db):
    staff, member = make_user(db, role=Role.STAFF), make_user(db)
    badges.award_champion(db, staff, member, "Answered every heating question this winter")
    note = db.scalar(select(Notification).where(Notification.recipient_id == member.id))
    assert (note.kind, note.actor_id, note.text) == ("badge", staff.id, badges.CHAMPION.name)


def test_opening_a_notification_marks_only_ones_own_read(db):
    asker, other = make_user(db), make_user(db)
    thread = make_thread(db, author=asker)
    make_answer(db, thread)
    note = db.scalar(select(Notification).where(Notification.recipient_id == asker.id, Notification.kind == "reply"))

    assert notifications.open_notification(db, other, note.id) is None
    assert note.read_at is None
    assert notifications.open_notification(db, asker, note.id) is note
    assert note.read_at is not None
    assert notifications.open_notification(db, asker, 10**9) is None
