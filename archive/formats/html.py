"""Saved web pages in, one record out: the page's main text (without menus, footers, comments),
its title, publication date and address from the page's metadata, and the site's name, found by
trafilatura, offline (nothing is fetched; links in the page are never followed).

Also ``fragment_text``: an HTML fragment (a feed's summary) to plain text with its paragraphs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive.formats import ReadOptions, Record

_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
           "section", "article", "figcaption", "pre", "ul", "ol", "table"}


def records(path: Path, data: bytes, options: ReadOptions) -> Iterator[Record]:
    """The article of one page, or a ValueError when the page holds no text to index."""
    import trafilatura

    document: Any = trafilatura.bare_extraction(data, with_metadata=True, include_comments=False,
                                           include_tables=True)
    text = getattr(document, "text", None) if document is not None else None
    if not text or not text.strip():
        yield None, ValueError("no article text found in the page")
        return
    yield None, {"text": text, "title": document.title, "date": document.date,
                 "source": document.sitename or document.hostname,
                 "url": document.url}  # intake keeps it only if it is http(s)


def fragment_text(fragment: str) -> str:
    """The text of an HTML fragment, a line per paragraph, list item or line break."""
    import lxml.html

    if "<" not in fragment:
        return fragment.strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several types on broken markup: keep the text as written
        return fragment.strip()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)
