"""Snippets: the windows of a post that hold the query's words, escaped, with each word marked."""

import re

from search.highlighting import MAX_HITS, snippet


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_every_form_of_a_query_word_is_marked_and_nothing_else():
    html = snippet("Pressures drop when the pressure valve is pressed.", ["pressur"])
    assert marked(html) == ["Pressures", "pressure"]


def test_the_text_around_the_words_is_escaped():
    html = snippet('<script>alert(1)</script> the water & "pressure"', ["water"])
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert marked(html) == ["water"]


def test_no_matching_word_gives_no_snippet():
    assert snippet("Nothing relevant here at all.", ["water"]) == ""


def test_the_window_with_most_distinct_words_wins_over_repeats():
    text = "water " * 20 + "filler " * 60 + "cold water and low pressure together " + "filler " * 60
    html = snippet(text, ["water", "pressur", "cold"], top=1)
    assert set(marked(html)) >= {"cold", "water", "pressure"}


def test_two_far_apart_matches_give_two_windows_in_reading_order_and_bounded_length():
    text = "a " * 300 + "the water is cold " + "b " * 150 + "low pressure here " + "c " * 300
    html = snippet(text, ["water", "pressur"], max_chars=240, surround=80)
    first, second = html.split(" … ")
    assert marked(first) == ["water"] and marked(second) == ["pressure"]
    assert all(len(re.sub("<[^>]+>", "", part)) <= 240 for part in (first, second))
    assert not first.startswith("a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a")


def test_a_window_never_cuts_a_word_in_half():
    text = "alpha beta gamma delta epsilon " * 10 + "water " + "zeta eta theta iota kappa " * 10
    plain = re.sub("<[^>]+>", "", snippet(text, ["water"], max_chars=60, surround=20))
    words = set(text.split())
    assert all(word in words for word in plain.split())


def test_a_huge_post_is_scanned_only_up_to_the_hit_limit():
    text = "water " * (MAX_HITS * 5)
    assert len(marked(snippet(text, ["water"]))) <= MAX_HITS
