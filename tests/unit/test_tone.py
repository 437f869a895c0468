"""Tone: scoring plain text, scoring posts when they are saved, the thread tone rule, backfill."""

import pytest
from sqlalchemy import update

from community import threads, tone
from community.markdown import render_markdown
from community.models import Post, Role
from tests.factories import make_answer, make_category, make_thread, make_user


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Thank you so much, this fixed it and the support team was wonderful!", "positive"),
        ("This is terrible. The app crashes every day and I am angry.", "negative"),
        ("The router is in the hallway next to the front door.", "neutral"),
        ("", "neutral"),
    ],
)
def test_known_sentences_get_their_label(sentence, expected):
    compound, label = tone.score_text(sentence)
    assert label == expected
    assert -1 <= compound <= 1


def test_labels_use_the_vader_cut_offs():
    assert tone.label(0.05) == "positive"
    assert tone.label(0.0499) == "neutral"
    assert tone.label(-0.0499) == "neutral"
    assert tone.label(-0.05) == "negative"


def test_code_and_quotes_are_left_out_and_markdown_syntax_is_not_read():
    body = (
        "The sensor sits on the shelf.\n\n"
        "```\nfatal error: terrible awful failure, hate it\n```\n\n"
        "> I hate this, worst product ever\n\n"
        "Run `kill -9 horrible` first.\n\n"
        "**Great** _news_, [thanks](https://example.com)!"
    )
    text = tone.plain_text(render_markdown(body))
    assert "terrible" not in text and "hate" not in text and "horrible" not in text
    assert "**" not in text and "](" not in text and "https" not in text
    assert text.splitlines() == ["The sensor sits on the shelf.", "Run first.", "Great news, thanks!"]


def test_quoted_anger_does_not_make_a_calm_post_negative():
    html = render_markdown("> This is the worst, I hate it, awful!\n\nThe setting is under Devices > Schedule.")
    assert tone.score_text(tone.plain_text(html))[1] == "neutral"
    assert tone.score_text("This is the worst, I hate it, awful!")[1] == "negative"


def test_questions_and_answers_are_scored_when_posted_and_rescored_when_edited(db):
    asker = make_user(db)
    thread = make_thread(db, author=asker, title="Great app, love the new thermostat schedule",
                         body="Everything works well, thank you for the update.")
    question = threads.question_of(db, thread)
    assert question.tone == "positive" and question.sentiment > 0.05
    helper = make_user(db)
    answer = make_answer(db, thread, author=helper, body="This is awful, it broke my heating and I am furious.")
    assert answer.tone == "negative" and answer.sentiment < -0.05

    threads.edit_post(db, helper, answer, body="Restart the hub, then check the schedule page.")
    assert answer.tone == "neutral"
    db.commit()
    db.expire_all()
    assert db.get(Post, answer.id).tone == "neutral"  # saved with the edit, not just on the object


def test_a_question_title_counts_toward_its_tone(db):
    thread = make_thread(db, title="Terrible experience, I want a refund now",
                         body="I bought the model X hub last week.")
    assert threads.question_of(db, thread).tone == "negative"


def test_thread_tone_is_the_questions_unless_the_asker_later_posts_something_negative(db):
    asker, helper = make_user(db), make_user(db)
    thread = make_thread(db, author=asker, title="Where do I find the schedule settings page",
                         body="I need to change the times of the heating program.")
    assert tone.thread_tones(db, [thread.id]) == {thread.id: "neutral"}

    make_answer(db, thread, author=helper, body="This product is awful and I hate it, terrible.")
    assert tone.thread_tones(db, [thread.id])[thread.id] == "neutral"  # someone else's anger does not count

    make_answer(db, thread, author=asker, body="Thanks, that helped a lot, great support!")
    assert tone.thread_tones(db, [thread.id])[thread.id] == "neutral"

    upset = make_answer(db, thread, author=asker, body="Still broken. This is terrible and I am angry.")
    assert tone.thread_tones(db, [thread.id])[thread.id] == "negative"

    threads.delete_post(db, asker, upset)
    assert tone.thread_tones(db, [thread.id])[thread.id] == "neutral"


def test_only_staff_get_a_thread_tone(db):
    thread = make_thread(db, body="This is awful, terrible, I hate it.")
    staff = make_user(db, role=Role.STAFF)
    assert tone.tone_for_staff(db, thread, staff) == "negative"
    assert tone.tone_for_staff(db, thread, make_user(db)) is None
    assert tone.tone_for_staff(db, thread, None) is None


def test_backfill_scores_unscored_posts_in_batches(db):
    category = make_category(db)
    thread = make_thread(db, category=category, title="Love this, wonderful great hub",
                         body="Thank you for the excellent support.")
    for _ in range(4):
        make_answer(db, thread, body="Awful, terrible, it broke again and I hate it.")
    db.execute(update(Post).values(sentiment=None, tone=None))
    assert tone.score_unscored(db, batch_size=3) == 3
    assert tone.score_unscored(db, batch_size=3) == 2
    assert tone.score_unscored(db, batch_size=3) == 0
    db.expire_all()
    question = threads.question_of(db, thread)
    assert question.tone == "positive"
    assert {p.tone for p in db.query(Post).where(Post.is_question.is_(False))} == {"negative"}
