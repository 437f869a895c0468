"""Sitemap and Atom documents, built with ElementTree so every title and address is escaped."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"

# XML 1.0 cannot carry most control characters even escaped, and member text may contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def w3c_datetime(value: datetime) -> str:
    """W3C datetime / RFC 3339 in UTC, as both sitemaps and Atom expect."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _root(tag: str, ns: str) -> ET.Element:
    # Plain names under an xmlns attribute: ElementTree's own default_namespace rejects unprefixed attributes.
    return ET.Element(tag, xmlns=ns)


def _serialize(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def urlset(urls: Iterable[tuple[str, datetime | None]]) -> bytes:
    """A sitemaps.org <urlset>: (absolute URL, last modified or None) pairs."""
    root = _root("urlset", SITEMAP_NS)
    for loc, lastmod in urls:
        url = _add(root, "url")
        _add(url, "loc", loc)
        if lastmod is not None:
            _add(url, "lastmod", w3c_datetime(lastmod))
    return _serialize(root)


def sitemap_index(locations: Iterable[str]) -> bytes:
    root = _root("sitemapindex", SITEMAP_NS)
    for loc in locations:
        _add(_add(root, "sitemap"), "loc", loc)
    return _serialize(root)


@dataclass(frozen=True)
class AtomEntry:
    id: str
    title: str
    url: str
    published: datetime
    updated: datetime
    author_name: str
    author_url: str
    summary: str
    category_term: str
    category_label: str


def atom_feed(
    *, feed_id: str, title: str, self_url: str, page_url: str, updated: datetime, entries: list[AtomEntry]
) -> bytes:
    """An RFC 4287 feed; every entry has its own author, so the feed needs none."""
    root = _root("feed", ATOM_NS)
    _add(root, "id", feed_id)
    _add(root, "title", title)
    _add(root, "updated", w3c_datetime(updated))
    _add(root, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(root, "link", rel="alternate", type="text/html", href=page_url)
    for item in entries:
        entry = _add(root, "entry")
        _add(entry, "id", item.id)
        _add(entry, "title", item.title, type="text")
        _add(entry, "link", rel="alternate", type="text/html", href=item.url)
        _add(entry, "published", w3c_datetime(item.published))
        _add(entry, "updated", w3c_datetime(item.updated))
        author = _add(entry, "author")
        _add(author, "name", item.author_name)
        _add(author, "uri", item.author_url)
        _add(entry, "category", term=item.category_term, label=item.category_label)
        _add(entry, "summary", item.summary, type="text")
    return _serialize(root)
