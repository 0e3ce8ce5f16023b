"""A search as an Atom feed (RFC 4287): the newest matching articles in, Atom XML out, for a
monitoring desk's feed reader (``GET /feed.atom?q=…``, archive.server).

Each entry is one article: its title, its day (``updated``), its source (``author``), its best
passage as the summary (plain text), a link to the article's page on this server and, when it
is http(s), one to the original. Everything is written through ElementTree, so article text is
escaped as XML wherever it goes; characters XML cannot hold at all (control characters other
than tab and newlines) are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from archive.dates import iso_day

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_ENTRIES = 20  # the newest articles a feed lists
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HTTP = re.compile(r"https?://[^\s\x00-\x1f\x7f\\]+", re.IGNORECASE)


@dataclass
class FeedEntry:
    """One article of a feed: its id, title, date as written, source, link and best passage."""

    doc_id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    summary: str


def newest_articles(hits: Iterable, count: int = FEED_ENTRIES) -> list[FeedEntry]:
    """The first ``count`` distinct articles of ``hits`` ranked newest first (``sort="date"``:
    an article's passages come together, best first, so its first hit is its best passage)."""
    entries: dict[str, FeedEntry] = {}
    for hit in hits:
        if hit.doc_id not in entries:
            if len(entries) == count:
                break
            entries[hit.doc_id] = FeedEntry(hit.doc_id, hit.title or hit.doc_id, hit.date,
                                            hit.source, hit.url, hit.text)
    return list(entries.values())


def feed(entries: list[FeedEntry], title: str, base_url: str, self_url: str,
         page_url: str) -> bytes:
    """The Atom document (UTF-8) of ``entries``; ``base_url`` is this server's root
    (``http://127.0.0.1:8000``), ``self_url`` the feed's own address and ``page_url`` the
    search page it follows."""
    root = ET.Element("feed", xmlns=ATOM)
    _text(root, "title", title)
    _text(root, "id", self_url)
    dated = sorted(((_timestamp(e.date), e) for e in entries),
                   key=lambda pair: pair[0] or "", reverse=True)  # newest first, undated last
    entries, days = [e for _, e in dated], [d for d, _ in dated]
    updated = max((d for d in days if d), default=None) or _now()
    _text(root, "updated", updated)
    ET.SubElement(root, "link", rel="self", type="application/atom+xml", href=self_url)
    ET.SubElement(root, "link", rel="alternate", type="text/html", href=page_url)
    _text(ET.SubElement(root, "author"), "name", "archive")
    _text(root, "generator", "archive")
    for entry, day in zip(entries, days):
        _entry(root, entry, day or updated, base_url)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _entry(root: ET.Element, entry: FeedEntry, updated: str, base_url: str) -> None:
    item = ET.SubElement(root, "entry")
    page = f"{base_url}/articles/{quote(entry.doc_id, safe='')}"
    _text(item, "title", entry.title)
    _text(item, "id", page)
    _text(item, "updated", updated)
    ET.SubElement(item, "link", rel="alternate", type="text/html", href=page)
    if entry.url and _HTTP.fullmatch(entry.url):
        ET.SubElement(item, "link", rel="related", href=entry.url)
    if entry.source:
        _text(ET.SubElement(item, "author"), "name", entry.source)
    summary = _text(item, "summary", entry.summary)
    summary.set("type", "text")


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _NOT_XML.sub("", value)
    return element


def _timestamp(date: str | None) -> str | None:
    """An article's date as an Atom timestamp (its day at midnight UTC), or None."""
    day = iso_day(date)
    if day is None:
        return None
    year, month, dom = (day.split("-") + ["01", "01"])[:3]
    return f"{year}-{month}-{dom}T00:00:00Z"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
