"""Clean Article in, Passages out. A passage is a paragraph; a short heading line joins the
paragraph under it; a paragraph longer than MAX_WORDS splits at sentence ends (then at commas,
then between words) into pieces a reader takes in at a glance. Every passage carries its
character span in the article, so ``article.text[p.start:p.end] == p.text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from archive.records import Article, Passage

MAX_WORDS = 80
HEADING_MAX_WORDS = 12
_SENTENCE_END = re.compile(r"[.!?؟…]+[\"'”»)]*\s+")
_CLAUSE_END = re.compile(r"[،,;؛:]\s+")
_WORD_GAP = re.compile(r"\s+")
# A short line that ends a sentence is a paragraph; a question or a bare phrase is a heading.
_ENDS_SENTENCE = re.compile(r"[.!…:\"'”»]$")


def split_passages(article: Article) -> list[Passage]:
    """The passages of ``article`` in order: its paragraphs, a short heading joined to the paragraph
    under it, a long paragraph split (see the module docstring)."""
    spans: list[tuple[int, int]] = []
    heading: tuple[int, int] | None = None
    for start, end in _lines(article.text):
        line = article.text[start:end]
        if _is_heading(line):
            if heading:
                spans.append(heading)  # two headings in a row: the first stands alone
            heading = (start, end)
            continue
        pieces = list(_pieces(article.text, start, end))
        if heading:
            pieces[0] = (heading[0], pieces[0][1])
            heading = None
        spans.extend(pieces)
    if heading:
        spans.append(heading)
    return [Passage(article.id, position, start, end, article.text[start:end])
            for position, (start, end) in enumerate(spans)]


def _lines(text: str) -> Iterator[tuple[int, int]]:
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            yield offset, offset + len(line)
        offset += len(line) + 1


def _words(text: str) -> int:
    return len(text.split())


def _is_heading(line: str) -> bool:
    return _words(line) <= HEADING_MAX_WORDS and not _ENDS_SENTENCE.search(line.rstrip())


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) spans of at most MAX_WORDS words covering text[start:end], cut at the
    strongest boundary available: sentence end, then clause end, then any space."""
    yield from _pack(text, start, end, (_SENTENCE_END, _CLAUSE_END, _WORD_GAP))


def _pack(text: str, start: int, end: int, boundaries) -> Iterator[tuple[int, int]]:
    if _words(text[start:end]) <= MAX_WORDS or not boundaries:
        yield start, end
        return
    pattern, weaker = boundaries[0], boundaries[1:]
    units = _split_at(text, start, end, pattern)
    piece_start, piece_end = units[0]
    for unit_start, unit_end in units[1:]:
        if _words(text[piece_start:unit_end]) <= MAX_WORDS:
            piece_end = unit_end
        else:
            yield from _pack(text, piece_start, piece_end, weaker)
            piece_start, piece_end = unit_start, unit_end
    yield from _pack(text, piece_start, piece_end, weaker)


def _split_at(text: str, start: int, end: int, pattern: re.Pattern) -> list[tuple[int, int]]:
    """Consecutive spans of text[start:end], each ending just after a boundary match (the
    trailing space is left out of the span)."""
    units, unit_start = [], start
    for match in pattern.finditer(text, start, end):
        units.append((unit_start, match.start() + len(match.group().rstrip())))
        unit_start = match.end()
    if unit_start < end:
        units.append((unit_start, end))
    return units
