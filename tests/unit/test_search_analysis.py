"""Text analysis for search: stemming, whole words, capped repeats, compounds, query cleaning."""

import pytest

from search.analysis import (
    MAX_QUERY_CHARS,
    CapRepeats,
    clean_query,
    highlight_analyzer,
    plain_analyzer,
    split_phrases,
    stemming_analyzer,
)


def words(text: str, analyzer=None) -> list[str]:
    return [t.text for t in (analyzer or stemming_analyzer())(text)]


# --- stemming and whole words --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "indexed"),
    [
        ("refunds", "refund"),
        ("refunding", "refund"),
        ("Refunded", "REFUND"),
        ("updates", "updating"),
        ("radiators", "radiator"),
    ],
)
def test_word_forms_share_one_stem(typed, indexed):
    assert words(typed) == words(indexed)
    assert len(words(typed)) == 1


def test_a_short_word_is_never_a_prefix_of_a_longer_one():
    redis, redirect = words("redis"), words("redirect")
    assert redis and redirect
    assert not set(redis) & set(redirect)
    assert not set(words("red")) & set(words("redirect redis"))


def test_stop_words_and_case_are_dropped_before_matching():
    assert words("The Boiler IS on") == words("boiler on")


def test_the_spelling_vocabulary_is_unstemmed_letters_only():
    # Suggestions must be real words readers typed, not stems or codes.
    assert words("Refunds delayed for E17 at 3am", plain_analyzer()) == ["refunds", "delayed"]


# --- repeats ---------------------------------------------------------------------------------


def test_a_repeated_word_is_indexed_at_most_twice():
    assert words("error " * 50) == ["error", "error"]


def test_the_cap_counts_every_form_of_a_word_as_the_same_word():
    assert words("refund refunds refunding refunded") == ["refund", "refund"]


def test_the_cap_leaves_other_words_alone():
    tokens = words("reset reset reset reset boiler boiler pressure")
    assert tokens == ["reset", "reset", "boiler", "boiler", "pressur"]


def test_the_cap_limit_is_configurable():
    analyzer = highlight_analyzer() | CapRepeats(3)
    assert words("fan fan fan fan fan", analyzer) == ["fan", "fan", "fan"]
    assert CapRepeats(3) == CapRepeats(3) and CapRepeats(3) != CapRepeats(2)


def test_highlighting_sees_every_occurrence():
    # Snippets mark each occurrence, so the highlighter must not cap.
    assert words("error " * 5, highlight_analyzer()) == ["error"] * 5


# --- compounds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hyphenated", "joined"),
    [("wi-fi", "wifi"), ("Wi-Fi", "WiFi"), ("e-17", "e17"), ("E-17", "E17"), ("v3.9.1", "v391")],
)
def test_both_spellings_of_a_compound_share_a_term(hyphenated, joined):
    assert set(words(joined)) <= set(words(hyphenated))
    assert words(joined) == [joined.lower()]


def test_a_compound_keeps_its_own_spelling_too():
    assert "wi-fi" in words("wi-fi router")
    assert "e-17" in words("error e-17")


def test_symbols_that_name_things_stay_part_of_the_word():
    assert words("c++ and c# questions") == ["c++", "c#", "question"]


# --- cleaning what people type ---------------------------------------------------------------


@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f", "\u200b", "\u202e", "\ufeff", "\t", "\n"])
def test_clean_query_replaces_control_and_format_characters_with_space(control):
    assert clean_query(f"boiler{control}pressure") == "boiler pressure"


def test_clean_query_collapses_and_trims_whitespace():
    assert clean_query("  boiler \t\n  pressure   ") == "boiler pressure"


def test_clean_query_bounds_the_length():
    assert len(clean_query("x" * 10_000)) == MAX_QUERY_CHARS
    assert len(clean_query("word " * 5_000)) <= MAX_QUERY_CHARS


def test_clean_query_accepts_nothing():
    assert clean_query("") == ""
    assert clean_query(None) == ""
    assert clean_query("\x00\x1b\u200b") == ""


def test_clean_query_normalizes_lookalike_characters():
    # Full-width letters typed on some keyboards are the same word.
    assert clean_query("ｂｏｉｌｅｒ") == "boiler"


def test_clean_query_keeps_other_scripts():
    assert clean_query("مرحبا שלום 你好") == "مرحبا שלום 你好"


# --- quoted phrases ---------------------------------------------------------------------------


def test_balanced_quotes_make_phrases():
    phrases, rest = split_phrases('reset "pilot light" boiler "error e-17"')
    assert phrases == ["pilot light", "error e-17"]
    assert rest.split() == ["reset", "boiler"]
    assert '"' not in rest


def test_an_unbalanced_quote_is_just_dropped():
    phrases, rest = split_phrases('reset "pilot light')
    assert phrases == []
    assert rest.split() == ["reset", "pilot", "light"]


def test_after_balanced_phrases_a_stray_quote_is_dropped():
    phrases, rest = split_phrases('"pilot light" "boiler')
    assert phrases == ["pilot light"]
    assert rest.split() == ["boiler"]


def test_empty_quotes_are_no_phrase():
    phrases, rest = split_phrases('"" "   " boiler')
    assert phrases == [] and rest.split() == ["boiler"]


def test_text_without_quotes_is_unchanged():
    assert split_phrases("boiler pressure") == ([], "boiler pressure")
