"""Markdown rendering: the formatting people use survives, nothing that can run a script does."""

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from community import markdown
from community.markdown import ALLOWED_TAGS, render_markdown

REL = "nofollow ugc noopener"
FORBIDDEN_TAGS = ("script", "iframe", "object", "embed", "style", "svg", "form", "meta")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "poster", "xlink:href"}


class _Markup(HTMLParser):
    """Collects the real tags and attributes of rendered HTML (escaped text is not markup)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def markup_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.tags


def _scheme_text(value: str) -> str:
    """A URL as a browser reads its scheme: no whitespace or control characters, lower case."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value).lower()


def assert_safe(html: str) -> None:
    lowered = html.lower()
    for tag in FORBIDDEN_TAGS:
        assert f"<{tag}" not in lowered, f"<{tag} in {html!r}"
    for tag, attrs in markup_of(html):
        assert tag in ALLOWED_TAGS, f"tag <{tag}> let through in {html!r}"
        for name, value in attrs.items():
            assert not re.match(r"on\w+", name), f"event handler {name}= in {html!r}"
            assert name != "style", f"style attribute in {html!r}"
            scheme = _scheme_text(value or "")
            assert "javascript:" not in scheme and "vbscript:" not in scheme, f"{name}={value!r} in {html!r}"
            if name in URL_ATTRIBUTES:
                assert not scheme.startswith("data:"), f"{name}={value!r} in {html!r}"
    # Every "<" that is not markup is escaped, so a scheme or handler inside a tag is a real attribute.
    assert not re.search(r"<[a-z][^<>]*\bjavascript:", lowered), html
    assert not re.search(r"<[a-z][^<>\"']*\son\w+\s*=", lowered), html


# --- formatting people use ----------------------------------------------------------------------


def test_headings_render_as_heading_tags():
    html = render_markdown("# Setup guide\n\n## Step one\n\n###### Small print")
    assert "<h1>Setup guide</h1>" in html
    assert "<h2>Step one</h2>" in html
    assert "<h6>Small print</h6>" in html


def test_bullet_and_numbered_lists():
    html = render_markdown("- filter\n- fan\n\n1. unplug\n2. wait\n")
    assert "<ul>\n<li>filter</li>\n<li>fan</li>\n</ul>" in html
    assert "<ol>\n<li>unplug</li>\n<li>wait</li>\n</ol>" in html


def test_numbered_list_keeps_its_start():
    assert '<ol start="3">' in render_markdown("3. three\n4. four")


def test_links_get_nofollow_ugc_noopener():
    html = render_markdown('See [the manual](https://example.com/manual "Manual").')
    tags = markup_of(html)
    assert tags == [
        ("p", {}),
        ("a", {"href": "https://example.com/manual", "title": "Manual", "rel": REL}),
    ]


def test_autolink_and_mailto_links_get_rel_too():
    html = render_markdown("<https://example.com/x> or [mail us](mailto:help@example.com)")
    links = [attrs for tag, attrs in markup_of(html) if tag == "a"]
    assert links == [
        {"href": "https://example.com/x", "rel": REL},
        {"href": "mailto:help@example.com", "rel": REL},
    ]


def test_bare_urls_are_not_turned_into_links():
    html = render_markdown("Go to https://example.com now")
    assert "<a" not in html
    assert "https://example.com" in html


def test_image_by_https_url_is_kept():
    html = render_markdown('![Wiring diagram](https://cdn.example.com/wiring.png "Diagram")')
    assert ("img", {"src": "https://cdn.example.com/wiring.png", "alt": "Wiring diagram", "title": "Diagram"}) in markup_of(html)


def test_fenced_code_is_kept_and_escaped():
    html = render_markdown('```python\nif x < 3:\n    print("<b>hot</b>")\n```')
    assert html.startswith("<pre><code>")
    assert 'if x &lt; 3:\n    print("&lt;b&gt;hot&lt;/b&gt;")' in html
    assert "<b>" not in html
    # The language class is not an allowed attribute.
    assert "class=" not in html


def test_inline_code_emphasis_and_quote():
    html = render_markdown("> Use `reset --hard` **carefully**, *really*")
    assert "<blockquote>" in html
    assert "<code>reset --hard</code>" in html
    assert "<strong>carefully</strong>" in html
    assert "<em>really</em>" in html


def test_tables_keep_structure_but_lose_inline_styles():
    html = render_markdown("| a | b |\n|:-|-:|\n| 1 | 2 |")
    tags = [tag for tag, _ in markup_of(html)]
    assert tags[:2] == ["table", "thead"] and "tbody" in tags and tags.count("td") == 2
    assert "style=" not in html


def test_plain_text_is_escaped():
    html = render_markdown("Temperature < 5 & humidity > 90")
    assert html == "<p>Temperature &lt; 5 &amp; humidity &gt; 90</p>\n"


# --- hostile input ------------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<img src="https://example.com/a.png" onerror="alert(document.cookie)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="javascript&#58;alert(1)">click</a>',
    '<a href="data:text/html,<script>alert(1)</script>">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="https://example.com" onclick="alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](javascript&#x3A;alert(1))",
    "[click](%6Aavascript:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![img](https://example.com/a.png" onerror="alert(1))',
    '[x](https://example.com "\\" onmouseover=\\"alert(1)")',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<base href="javascript:/">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<!--<img src=x onerror=alert(1)>-->",
    "`<script>alert(1)</script>`",
]


def test_there_are_enough_payloads():
    assert len(XSS_PAYLOADS) >= 25
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_cannot_run_script(payload):
    assert_safe(render_markdown(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_inside_surrounding_markdown_cannot_run_script(payload):
    assert_safe(render_markdown(f"# Help\n\nMy thermostat says:\n\n{payload}\n\n- and then {payload}\n"))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitizer_alone_stops_payload_when_raw_html_gets_through(payload, monkeypatch):
    """Defence in depth: even with a parser that passes raw HTML on, nh3 removes the danger."""
    monkeypatch.setattr(markdown, "_md", MarkdownIt("commonmark", {"html": True}))
    assert_safe(render_markdown(payload))


def test_raw_html_is_shown_as_text_not_markup():
    html = render_markdown("<script>alert(1)</script>")
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_javascript_link_is_not_a_link():
    html = render_markdown("[click](javascript:alert(1))")
    assert [tag for tag, _ in markup_of(html)] == ["p"]


def test_image_with_data_uri_loses_its_src():
    html = render_markdown("![x](data:image/png;base64,iVBORw0KGgo=)")
    assert markup_of(html) == [("p", {}), ("img", {"alt": "x"})]


def test_sanitizer_keeps_safe_link_and_drops_handler_when_raw_html_gets_through(monkeypatch):
    monkeypatch.setattr(markdown, "_md", MarkdownIt("commonmark", {"html": True}))
    html = render_markdown('<a href="https://example.com" onclick="alert(1)" target="_blank">ok</a>')
    assert ("a", {"href": "https://example.com", "rel": REL}) in markup_of(html)


def test_sanitizer_drops_script_content_not_just_tags(monkeypatch):
    monkeypatch.setattr(markdown, "_md", MarkdownIt("commonmark", {"html": True}))
    html = render_markdown("<script>steal()</script><style>p{}</style>after")
    assert "steal()" not in html and "p{}" not in html
    assert "after" in html


@pytest.mark.parametrize(
    "html",
    [
        '<p><a href="javascript:alert(1)">x</a></p>',
        '<p><img src="x" onerror="alert(1)"></p>',
        "<script>alert(1)</script>",
        '<p><a href="data:text/html,x">x</a></p>',
        '<p style="color:red">x</p>',
        '<p><a href="https://example.com" onclick="alert(1)">x</a></p>',
        '<iframe src="https://example.com"></iframe>',
        '<p><a href="jav&#x09;ascript:alert(1)">x</a></p>',
    ],
)
def test_assert_safe_catches_unsafe_markup(html):
    """The checker itself must fail on unsafe HTML, or the payload tests prove nothing."""
    with pytest.raises(AssertionError):
        assert_safe(html)
