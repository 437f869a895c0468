"""Excerpts for descriptions and feeds, and JSON that is safe inside a <script> element."""

import json

import pytest

from community.markdown import render_markdown
from community.publishing import embed_json, excerpt, plain_text, truncate


def test_markdown_formatting_is_stripped_from_the_excerpt():
    body = (
        "# The display\n\nIt stays **blank** after _install_, see [the manual](https://example.com/m).\n\n"
        "- first step\n- second step\n\n```\nreboot --now\n```\n\n> quoted `code` here"
    )

    assert excerpt(render_markdown(body), 500) == (
        "The display It stays blank after install, see the manual. first step second step "
        "reboot --now quoted code here"
    )


def test_entities_are_decoded_and_no_tag_survives():
    # js-default Markdown escapes raw HTML, so the stored HTML holds &lt; and &amp; to decode again.
    body = "Tom & Jerry <b>bold</b> <script>alert(1)</script>"

    result = excerpt(render_markdown(body))

    assert result == "Tom & Jerry <b>bold</b> <script>alert(1)</script>"
    assert plain_text("<p>a &amp; b &lt; c&nbsp;d</p>") == "a & b < c d"


def test_blocks_do_not_glue_words_together_and_whitespace_collapses():
    assert plain_text("<h2>Title</h2><p>one\n\n  two</p><ul><li>three</li><li>four</li></ul>") == (
        "Title one two three four"
    )
    assert plain_text("line one<br>line two") == "line one line two"


def test_control_characters_are_dropped_and_vertical_whitespace_is_a_space():
    assert plain_text("<p>a\x02b\x0bc\x00d</p>") == "ab cd"


def test_inline_tags_do_not_split_words():
    assert plain_text("<p>re<strong>boot</strong>ing</p>") == "rebooting"


@pytest.mark.parametrize("text", ["", "Short text.", "x" * 155])
def test_text_within_the_limit_is_unchanged(text):
    assert excerpt(f"<p>{text}</p>") == text


def test_long_text_is_cut_at_a_word_boundary_with_an_ellipsis():
    words = " ".join(f"word{n:02d}" for n in range(40))  # 7 characters per word, plus spaces

    result = truncate(words, 30)

    assert result == "word00 word01 word02 word03…"
    assert len(result) <= 30
    assert words.startswith(result[:-1])


def test_a_cut_that_falls_on_a_space_keeps_the_whole_last_word():
    # Character 28 (index 27) is the space after word03, so word03 is complete and stays.
    text = "word00 word01 word02 word03 word04 word05"

    assert truncate(text, 28) == "word00 word01 word02 word03…"


def test_trailing_punctuation_is_dropped_before_the_ellipsis():
    assert truncate("First sentence, then more words follow here", 17) == "First sentence…"


def test_one_very_long_word_is_cut_hard():
    assert truncate("a" * 50, 10) == "a" * 9 + "…"


def test_the_default_description_length_is_155_characters():
    long_body = render_markdown("the thermostat shows error code seven " * 20)

    result = excerpt(long_body)

    kept = result.removesuffix("…")
    full = plain_text(long_body)
    assert len(result) <= 155 and result.endswith("…")
    assert len(kept) > 140  # not cut far shorter than needed
    assert full.startswith(kept) and full[len(kept)] == " "  # whole words only


def test_embedded_json_cannot_close_the_script_element():
    data = {"name": "</script><script>alert(1)</script> & <!-- x -->", "line": "a\u2028b"}

    embedded = embed_json(data)

    assert "<" not in embedded and ">" not in embedded and "&" not in embedded
    assert "\u2028" not in embedded
    assert "\\u003c/script\\u003e" in embedded
    assert json.loads(embedded) == data
