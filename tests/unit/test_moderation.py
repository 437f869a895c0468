"""Hiding posts and the flags that lead to it: counts, visibility, search, notifications, audit."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from community import (
    accepting,
    audit,
    flags,
    merging,
    moderation,
    notifications,
    permissions,
    reading,
    threads,
    webhooks,
)
from community.db import utcnow
from community.errors import PermissionDenied, ValidationError
from community.models import Follow, FlagStatus, Notification, Post, PostFlag, Role, SearchOutbox, Thread, User
from community.rules import configure, current
from search.documents import build_documents
from tests.factories import VOTER_REPUTATION, make_answer, make_category, make_thread, make_user, set_thread_times

TRUSTED = 300  # above trusted_flagger_reputation (250)


@pytest.fixture
def mod(db):
    return make_user(db, "mod", role=Role.MODERATOR)


@pytest.fixture
def admin(db):
    return make_user(db, "boss", role=Role.ADMIN)


@pytest.fixture(autouse=True)
def _default_rules():
    configure()
    yield
    configure()


def _outbox(db, thread_id: int) -> int:
    return len(list(db.scalars(select(SearchOutbox).where(SearchOutbox.thread_id == thread_id))))


def test_a_hidden_answer_leaves_lists_counts_and_search_but_staff_still_see_it(db, mod):
    thread = make_thread(db)
    spam = make_answer(db, thread, body="Buy cheap watches at the shop down the road.")
    kept = make_answer(db, thread, body="Check the fuse box first, then the timer.")
    member = make_user(db)
    revision, queued = thread.revision, _outbox(db, thread.id)

    moderation.hide_post(db, mod, spam, reason="Advertising")
    db.refresh(thread)
    assert thread.answer_count == 1 and thread.revision == revision + 1 and _outbox(db, thread.id) == queued + 1
    assert not permissions.can_see_post(member, spam) and not permissions.can_see_post(None, spam)
    assert permissions.can_see_post(mod, spam)
    assert [p.id for p in reading.thread_page(db, thread, member).answers.items] == [kept.id]
    assert {p.id for p in reading.thread_page(db, thread, mod).answers.items} == {spam.id, kept.id}
    documents, _ = build_documents(db, [thread.id])
    assert "watches" not in documents[0].answers and "fuse box" in documents[0].answers
    assert webhooks.post_data(db, spam, thread) == {"id": spam.id, "thread_id": thread.id, "hidden": True}

    moderation.unhide_post(db, mod, spam)
    db.refresh(thread)
    assert thread.answer_count == 2 and permissions.can_see_post(member, spam)
    actions = [e.action for e in audit.entries(db, make_user(db, role="admin"), audit.AuditFilter(action="post.")).items]
    assert actions == ["post.unhide", "post.hide"]


def test_a_hidden_question_hides_the_thread_from_everyone_but_staff(db, mod):
    thread = make_thread(db)
    moderation.hide_post(db, mod, threads.question_of(db, thread), reason="Offensive title")
    assert thread.is_hidden
    assert not permissions.can_see_thread(make_user(db), thread)
    assert not permissions.can_see_thread(db.get(User, thread.author_id), thread)  # not even its asker
    assert permissions.can_see_thread(mod, thread)
    assert thread.id not in [t.id for t in reading.list_threads(db, None).items]
    assert thread.id in [t.id for t in reading.list_threads(db, mod).items]
    _, removed = build_documents(db, [thread.id])
    assert removed == [thread.id]


def test_hiding_the_accepted_answer_drops_the_accept_and_its_points(db, mod):
    asker = make_user(db)
    thread = make_thread(db, author=asker)
    helper = make_user(db)
    answer = make_answer(db, thread, author=helper)
    accepting.accept_answer(db, asker, answer)
    db.refresh(helper)
    earned = helper.reputation
    assert earned > 1
    moderation.hide_post(db, mod, answer, reason="Dangerous advice")
    db.refresh(helper)
    db.refresh(thread)
    assert thread.accepted_post_id is None and helper.reputation == 1
    with pytest.raises(ValidationError, match="hidden"):
        accepting.accept_answer(db, asker, answer)


def test_only_moderators_hide_and_a_reason_is_required(db, mod):
    answer = make_answer(db, make_thread(db))
    for actor in (make_user(db), make_user(db, role="staff")):
        with pytest.raises(PermissionDenied):
            moderation.hide_post(db, actor, answer, reason="spam")
    with pytest.raises(ValidationError):
        moderation.hide_post(db, mod, answer, reason="  ")
    assert not answer.is_hidden
    with pytest.raises(ValidationError):
        moderation.unhide_post(db, mod, answer)


# --- Flags ----------------------------------------------------------------------------------


def test_a_member_flags_once_and_never_their_own_post(db):
    answer = make_answer(db, make_thread(db))
    flagger = make_user(db, reputation=VOTER_REPUTATION)
    flag = flags.flag_post(db, flagger, answer, reason="spam", note="Same link in five threads")
    assert flag.status == FlagStatus.OPEN.value
    with pytest.raises(ValidationError, match="already flagged"):
        flags.flag_post(db, flagger, answer, reason="offensive")
    with pytest.raises(PermissionDenied, match="own post"):
        flags.flag_post(db, db.get(User, answer.author_id), answer, reason="spam")
    with pytest.raises(ValidationError):
        flags.flag_post(db, make_user(db, reputation=VOTER_REPUTATION), answer, reason="boring")
    with pytest.raises(ValidationError):
        flags.flag_post(db, make_user(db, reputation=VOTER_REPUTATION), answer, reason="spam", note="x" * 501)
    with pytest.raises(PermissionDenied, match="reputation"):
        flags.flag_post(db, make_user(db), answer, reason="spam")  # a brand-new account
    assert len(list(db.scalars(select(PostFlag)))) == 1
    assert not answer.is_hidden


def test_three_trusted_flags_hide_a_post_but_untrusted_ones_do_not(db):
    answer = make_answer(db, make_thread(db))
    for _ in range(3):
        flags.flag_post(db, make_user(db, reputation=VOTER_REPUTATION), answer, reason="spam")
    assert not answer.is_hidden  # 200 reputation is not trusted
    for _ in range(2):
        flags.flag_post(db, make_user(db, reputation=TRUSTED), answer, reason="offensive")
    assert not answer.is_hidden
    flags.flag_post(db, make_user(db, reputation=TRUSTED), answer, reason="offensive")
    assert answer.is_hidden and answer.hidden_reason == moderation.HIDDEN_BY_FLAGS


def test_the_threshold_is_configurable_and_a_staff_spam_flag_hides_at_once(db):
    configure({"flags_to_hide": 1})
    assert current().flags_to_hide == 1
    first = make_answer(db, make_thread(db))
    flags.flag_post(db, make_user(db, reputation=TRUSTED), first, reason="off_topic")
    assert first.is_hidden
    configure()
    second = make_answer(db, make_thread(db))
    staffer = make_user(db, role="staff")
    flags.flag_post(db, staffer, second, reason="needs_staff")
    assert not second.is_hidden
    third = make_answer(db, make_thread(db))
    flags.flag_post(db, staffer, third, reason="spam")
    assert third.is_hidden


def test_upholding_hides_notifies_and_audits(db, mod, admin):
    answer = make_answer(db, make_thread(db))
    flaggers = [make_user(db, reputation=VOTER_REPUTATION) for _ in range(2)]
    for flagger in flaggers:
        flags.flag_post(db, flagger, answer, reason="offensive")
    queue = flags.review_queue(db, mod)
    assert [item.post.id for item in queue] == [answer.id]
    assert queue[0].reasons == [("Rude or offensive", 2)]

    assert flags.uphold(db, mod, answer, note="Personal attack") == 2
    assert answer.is_hidden and answer.hidden_reason == "flagged as rude or offensive"
    assert flags.review_queue(db, mod) == []
    told = list(db.scalars(select(Notification).where(Notification.kind == "flag_resolved")))
    assert sorted(n.recipient_id for n in told) == sorted(f.id for f in flaggers)
    assert all(n.post_id == answer.id and n.thread_id == answer.thread_id for n in told)
    entry = audit.entries(db, admin, audit.AuditFilter(action="flag.")).items[0]
    assert (entry.action, entry.actor_id, entry.target_id, entry.note) == ("flag.uphold", mod.id, answer.id, "Personal attack")
    with pytest.raises(ValidationError):
        flags.uphold(db, mod, answer)  # nothing open any more


def test_dismissing_shows_a_post_hidden_by_flags_again(db, mod):
    configure({"flags_to_hide": 1})
    answer = make_answer(db, make_thread(db))
    flagger = make_user(db, reputation=TRUSTED)
    flags.flag_post(db, flagger, answer, reason="spam")
    thread = db.get(Thread, answer.thread_id)
    db.refresh(thread)
    assert answer.is_hidden and thread.answer_count == 0

    flags.dismiss(db, mod, answer)
    db.refresh(thread)
    assert not answer.is_hidden and thread.answer_count == 1
    assert notifications.unread_count(db, flagger) == 1
    # Decided flags no longer block a new one from the same member.
    flags.flag_post(db, flagger, answer, reason="off_topic")


def test_only_moderators_see_and_decide_the_queue(db):
    answer = make_answer(db, make_thread(db))
    flags.flag_post(db, make_user(db, reputation=VOTER_REPUTATION), answer, reason="spam")
    staffer = make_user(db, role="staff")
    with pytest.raises(PermissionDenied):
        flags.review_queue(db, staffer)
    with pytest.raises(PermissionDenied):
        flags.uphold(db, staffer, answer)
    with pytest.raises(PermissionDenied):
        flags.dismiss(db, make_user(db), answer)


# --- The spam hold --------------------------------------------------------------------------

LINKS = " ".join(f"https://deals{n}.example" for n in range(4))


def test_a_new_accounts_repeated_answer_is_saved_but_held(db, mod):
    thread = make_thread(db)
    newbie = make_user(db)
    first = threads.answer(db, newbie, thread, body="Great deals on boilers at my shop, come and see.")
    again = threads.answer(db, newbie, make_thread(db), body="Great deals on boilers at my shop, come and see.")
    assert not first.is_hidden
    assert again.is_hidden and again.hidden_reason == "held for review" and again.body_md.startswith("Great deals")
    held_thread = db.get(Thread, again.thread_id)
    db.refresh(held_thread)
    assert held_thread.answer_count == 0  # not counted until published
    assert permissions.can_see_post(newbie, again)  # the author sees it waits
    assert not permissions.can_see_post(make_user(db), again)
    assert [item.post.id for item in flags.review_queue(db, mod)] == [again.id]

    moderation.unhide_post(db, mod, again)
    db.refresh(held_thread)
    assert not again.is_hidden and held_thread.answer_count == 1
    assert flags.review_queue(db, mod) == []
    assert audit.entries(db, make_user(db, role="admin"), audit.AuditFilter(action="post.")).items[0].action == "post.publish"


def test_many_links_from_a_new_account_are_held_instead_of_refused(db):
    newbie = make_user(db)
    post = threads.answer(db, newbie, make_thread(db), body=f"Look here: {LINKS}")
    assert post.is_hidden and post.hidden_reason == "held for review"
    established = make_user(db, reputation=current().new_account_reputation)
    assert not threads.answer(db, established, make_thread(db), body=f"Sources: {LINKS}").is_hidden
    assert not threads.answer(db, make_user(db, role="staff"), make_thread(db), body=f"See {LINKS}").is_hidden


def test_a_held_question_hides_its_thread_except_from_its_author(db, mod):
    newbie = make_user(db)
    category = make_thread(db).category_id
    title = "Where can I buy cheap boiler parts online"
    threads.ask(db, newbie, title=title, body="Looking for cheap parts, any shop.", category_id=category)
    held = threads.ask(db, newbie, title=title, body="Looking for cheap parts, any shop.", category_id=category)
    assert held.is_hidden and held.hidden_reason == "held for review"
    assert permissions.can_see_thread(newbie, held) and not permissions.can_see_thread(None, held)
    # The same details under another title are a new question, not a repeat.
    other = threads.ask(db, newbie, title="Which filling loop fits the E119 boiler", body="Looking for cheap parts, any shop.", category_id=category)
    assert not other.is_hidden
    moderation.unhide_post(db, mod, threads.question_of(db, held))
    assert not held.is_hidden and permissions.can_see_thread(None, held)


# --- Pinning --------------------------------------------------------------------------------


def test_pinned_threads_lead_their_category_and_pinning_is_audited(db, mod, admin):
    category = make_category(db)
    old, middle, new = (make_thread(db, category=category) for _ in range(3))
    for age, thread in ((3, old), (2, middle), (1, new)):
        set_thread_times(db, thread, last_activity_at=utcnow() - timedelta(days=age))
    moderation.set_pinned(db, mod, old, True)
    moderation.set_pinned(db, mod, old, True)  # pinning twice changes nothing

    assert [t.id for t in reading.pinned_threads(db, None, category=category)] == [old.id]
    assert [t.id for t in reading.list_threads(db, None, category=category).items] == [new.id, middle.id]
    assert old.id in [t.id for t in reading.list_threads(db, None).items]  # the home list is not split
    with pytest.raises(PermissionDenied):
        moderation.set_pinned(db, make_user(db, role="staff"), new, True)

    moderation.set_pinned(db, mod, old, False)
    assert reading.pinned_threads(db, None, category=category) == []
    actions = [e.action for e in audit.entries(db, admin, audit.AuditFilter(action="thread.")).items]
    assert actions == ["thread.unpin", "thread.pin"]


# --- Duplicates -----------------------------------------------------------------------------


def test_closing_as_a_duplicate_locks_and_leaves_the_index_and_reopening_undoes_it(db, mod, admin):
    original = make_thread(db, title="The boiler pressure keeps dropping overnight")
    copy = make_thread(db, title="Boiler pressure dropping overnight again")
    moderation.close_as_duplicate(db, mod, copy, str(original.id))
    assert copy.duplicate_of_id == original.id and copy.is_locked
    documents, removed = build_documents(db, [original.id, copy.id])
    assert [d.thread_id for d in documents] == [original.id] and removed == [copy.id]

    for bad in ("abc", "999999", str(original.id)):  # not a number, no such thread, itself
        with pytest.raises(ValidationError):
            moderation.close_as_duplicate(db, mod, original, bad)
    third = make_thread(db)
    with pytest.raises(ValidationError, match="itself closed"):
        moderation.close_as_duplicate(db, mod, third, str(copy.id))
    with pytest.raises(PermissionDenied):
        moderation.close_as_duplicate(db, make_user(db, role="staff"), third, str(original.id))

    moderation.reopen(db, mod, copy)
    assert copy.duplicate_of_id is None and not copy.is_locked
    documents, _ = build_documents(db, [copy.id])
    assert [d.thread_id for d in documents] == [copy.id]
    actions = [e.action for e in audit.entries(db, admin, audit.AuditFilter(action="thread.")).items]
    assert actions == ["thread.reopen", "thread.duplicate"]


# --- Merging --------------------------------------------------------------------------------


def test_merging_moves_posts_keeps_the_targets_accept_and_drops_the_sources(db, mod, admin):
    target_asker, source_asker = make_user(db), make_user(db)
    target = make_thread(db, author=target_asker, title="The boiler pressure keeps dropping overnight")
    kept = make_answer(db, target)
    accepting.accept_answer(db, target_asker, kept)
    source = make_thread(db, author=source_asker, title="Pressure falls to zero by the morning")
    helper = make_user(db)
    source_answer = make_answer(db, source, author=helper)
    accepting.accept_answer(db, source_asker, source_answer)
    db.refresh(helper)
    assert helper.reputation > 1
    source_question = threads.question_of(db, source)

    merging.merge_threads(db, mod, source, str(target.id))
    db.refresh(target), db.refresh(source), db.refresh(helper)
    assert target.accepted_post_id == kept.id and source.accepted_post_id is None
    assert helper.reputation == 1  # the source's accept was reversed
    moved = list(db.scalars(select(Post).where(Post.thread_id == target.id, Post.is_question.is_(False)).order_by(Post.created_at)))
    assert [p.id for p in moved] == [kept.id, source_question.id, source_answer.id]
    assert target.answer_count == 3 and source.is_deleted and source.duplicate_of_id == target.id
    assert merging.merged_into(db, source.id).id == target.id
    assert db.get(Follow, (source_asker.id, target.id)) is not None
    documents, removed = build_documents(db, [target.id, source.id])
    assert removed == [source.id] and "Pressure" not in documents[0].title
    assert audit.entries(db, admin, audit.AuditFilter(action="thread.merge")).items[0].target_id == source.id

    with pytest.raises(ValidationError):
        merging.merge_threads(db, mod, target, str(target.id))
    with pytest.raises(PermissionDenied):
        merging.merge_threads(db, make_user(db, role="staff"), make_thread(db), str(target.id))
