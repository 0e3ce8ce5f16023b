"""RSS and Atom feeds in (a saved ``.rss``, ``.atom`` or ``.xml`` file), one record per entry
out, through feedparser: id (the entry's guid or id, else its link), title, text (the full
content when the feed carries it, else the summary, as plain text), date (published, else
updated, as the feed wrote it: RFC 2822 or ISO, read by archive.dates), source (the feed's
title) and url (the entry's link). Nothing is fetched.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from archive.formats import ReadOptions, Record
from archive.formats.html import fragment_text
from archive.records import web_address


def records(path: Path, data: bytes, options: ReadOptions) -> Iterator[Record]:
    """The entries of one feed, or a ValueError when the file is no feed."""
    import feedparser

    # A stream, never a string: feedparser would take a string that looks like an address or
    # a file name for one and open it.
    parsed = feedparser.parse(io.BytesIO(data))
    if not parsed.entries:
        reason = "not an RSS or Atom feed" if not parsed.get("version") else "a feed with no entries"
        if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
            reason += f" ({_short(parsed.bozo_exception)})"
        yield None, ValueError(reason)
        return
    source = parsed.feed.get("title") or None
    for number, entry in enumerate(parsed.entries, start=1):
        link = web_address(entry.get("link"))
        contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
        body = max(contents, key=len) if contents else entry.get("summary", "")
        text = fragment_text(body)
        title = fragment_text(entry.get("title", "")) or None
        if not text and title:
            text = title  # a headline-only feed: the headline is all there is to search
        yield None, {
            "id": entry.get("id") or link or f"{path.stem}#{number}",
            "text": text, "title": title,
            "date": entry.get("published") or entry.get("updated") or None,
            # the link as written: the intake stage keeps it only if it is http(s), and says so
            "source": source, "url": entry.get("link"),
        }


def _short(error: object) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:120]
