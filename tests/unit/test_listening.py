"""Watchlists: whole-word matching, recording matches and notifying, managing lists, the feed."""

import pytest
from sqlalchemy import func, select

from community import listening, threads
from community.errors import PermissionDenied, ValidationError
from community.models import AuditEntry, Notification, Role, WatchMatch
from tests.factories import count_rows, make_answer, make_thread, make_user


def found(keywords: list[str], text: str) -> str | None:
    return listening.first_match(listening.compile_keywords(keywords), text)


def test_keywords_match_whole_words_ignoring_case():
    assert found(["cancel"], "Cancel my plan please") == "cancel"
    assert found(["cancel"], "I want to CANCEL.") == "cancel"
    assert found(["cancel"], "How does cancellation work?") is None
    assert found(["cancel"], "It was uncancel-able") is None
    assert found(["cancel", "cancellation"], "How does cancellation work?") == "cancellation"
    assert found(["refund"], "refunds") is None


def test_phrases_match_across_spacing_and_line_breaks_and_the_longest_wins():
    assert found(["money back"], "I want my Money\n  back now") == "money back"
    assert found(["money back"], "money backing") is None
    assert found(["cancel", "cancel my plan"], "please cancel my plan today") == "cancel my plan"


def test_keywords_with_symbols_are_literal():
    assert found(["C++"], "my c++ build fails") == "C++"
    assert found(["a.b"], "axb") is None
    assert found(["Acme (Pro)"], "I use acme (pro) daily") == "Acme (Pro)"


def test_many_keywords_compile_to_one_pattern_that_still_finds_the_right_one():
    keywords = [f"product{n}" for n in range(2000)] + ["refund"]
    compiled = listening.compile_keywords(keywords)
    assert listening.first_match(compiled, "I asked for a refund on product1999x") == "refund"
    assert listening.first_match(compiled, "product150 stopped working") == "product150"


def test_parse_keywords_tidies_and_drops_duplicates():
    assert listening.parse_keywords("  Refund \n\nrefund\ncancel   my  plan\n") == ["Refund", "cancel my plan"]


@pytest.fixture
def staff(db):
    return make_user(db, "carla", role=Role.STAFF)


def test_a_new_post_records_one_match_per_watchlist_and_notifies_the_assignee(db, staff):
    listening.create_watchlist(db, staff, name="Churn", keywords="cancel\nrefund", assignee_id=staff.id)
    listening.create_watchlist(db, staff, name="Competitors", keywords="Rival Heat")
    thread = make_thread(db, title="Thinking about switching to rival heat",
                         body="I want to cancel, and a refund too.")
    question = threads.question_of(db, thread)
    matches = {m.keyword for m in db.scalars(select(WatchMatch).where(WatchMatch.post_id == question.id))}
    assert matches == {"cancel", "Rival Heat"}
    note = db.scalars(select(Notification).where(Notification.recipient_id == staff.id)).one()
    assert (note.kind, note.thread_id, note.post_id) == ("watchlist", thread.id, question.id)
    assert "cancel" in note.text and "Churn" in note.text

    make_answer(db, thread, body="Nothing here about leaving the service.")
    assert count_rows(db, WatchMatch) == 2


def watchlist_notices(db) -> int:
    """Watchlist notifications only: the same posts also notify followers and mentions."""
    return db.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "watchlist"))


def test_an_edit_adds_new_matches_but_never_repeats_one(db, staff):
    listening.create_watchlist(db, staff, name="Churn", keywords="cancel", assignee_id=staff.id)
    thread, helper = make_thread(db), make_user(db)
    answer = make_answer(db, thread, author=helper, body="Have you tried restarting it?")
    assert count_rows(db, WatchMatch) == 0
    threads.edit_post(db, helper, answer, body="Have you tried restarting it? Or cancel and retry.")
    threads.edit_post(db, helper, answer, body="Cancel it, then retry after restarting it.")
    assert count_rows(db, WatchMatch) == 1
    assert watchlist_notices(db) == 1


def test_the_assignee_is_not_told_about_their_own_post(db, staff):
    listening.create_watchlist(db, staff, name="Churn", keywords="cancel", assignee_id=staff.id)
    make_thread(db, author=staff, title="How to cancel a subscription", body="Go to Billing and choose Cancel.")
    assert count_rows(db, WatchMatch) == 1
    assert watchlist_notices(db) == 0


def test_changed_keywords_apply_to_the_next_post(db, staff):
    watchlist = listening.create_watchlist(db, staff, name="Churn", keywords="cancel")
    make_thread(db, body="I need a refund for this.")
    listening.update_watchlist(db, staff, watchlist, name="Churn", keywords="cancel\nrefund")
    make_thread(db, body="I need a refund for this one too.")
    assert [m.keyword for m in db.scalars(select(WatchMatch))] == ["refund"]


def test_only_staff_manage_watchlists_and_bad_input_changes_nothing(db, staff):
    member = make_user(db)
    with pytest.raises(PermissionDenied):
        listening.create_watchlist(db, member, name="Mine", keywords="cancel")
    with pytest.raises(ValidationError) as no_words:
        listening.create_watchlist(db, staff, name="Empty", keywords=" \n \n")
    assert "keywords" in no_words.value.errors
    with pytest.raises(ValidationError) as bad_assignee:
        listening.create_watchlist(db, staff, name="Churn", keywords="cancel", assignee_id=member.id)
    assert "assignee" in bad_assignee.value.errors
    listening.create_watchlist(db, staff, name="Churn", keywords="cancel")
    with pytest.raises(ValidationError) as taken:
        listening.create_watchlist(db, staff, name="Churn", keywords="refund")
    assert "name" in taken.value.errors
    assert len(listening.list_watchlists(db, staff)) == 1


def test_watchlist_changes_are_audited_and_delete_removes_matches(db, staff):
    watchlist = listening.create_watchlist(db, staff, name="Churn", keywords="cancel")
    listening.update_watchlist(db, staff, watchlist, name="Leaving", keywords="cancel\nrefund")
    make_thread(db, body="Please cancel my account.")
    listening.delete_watchlist(db, staff, watchlist)
    actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["watchlist.create", "watchlist.update", "watchlist.delete"]
    assert count_rows(db, WatchMatch) == 0


def test_feed_is_newest_first_filters_by_list_and_tone_and_hides_deleted_posts(db, staff):
    churn = listening.create_watchlist(db, staff, name="Churn", keywords="cancel")
    brand = listening.create_watchlist(db, staff, name="Brand", keywords="Hearthly")
    thread = make_thread(db, title="Question about the Hearthly hub setup", body="Where is the pairing button?")
    author = make_user(db)
    angry = make_answer(db, thread, author=author, body="Hearthly is terrible, I hate it, I will cancel.")
    happy = make_answer(db, thread, author=author, body="I love Hearthly, it is great!")
    gone = make_answer(db, thread, author=author, body="Cancel and start over, it is awful.")
    threads.delete_post(db, author, gone)

    page = listening.feed(db, staff)
    assert [(i.post.id, i.watchlist_name) for i in page.items] == [
        (happy.id, "Brand"), (angry.id, "Brand"), (angry.id, "Churn"), (threads.question_of(db, thread).id, "Brand")
    ]
    assert gone.id not in {i.post.id for i in page.items}
    assert {i.post.id for i in listening.feed(db, staff, watchlist_id=churn.id).items} == {angry.id}
    assert {i.post.id for i in listening.feed(db, staff, watchlist_id=brand.id, tone="positive").items} == {happy.id}
    assert listening.feed(db, staff, per_page=2).total == 4
    with pytest.raises(PermissionDenied):
        listening.feed(db, make_user(db))


def test_a_watchlists_pattern_is_compiled_once_until_its_keywords_change():
    listening.forget_patterns()
    first = listening._pattern_for(1, "cancel")
    assert listening._pattern_for(1, "cancel") is first
    changed = listening._pattern_for(1, "cancel\nrefund")
    assert changed is not first and listening.first_match(changed, "a refund") == "refund"
