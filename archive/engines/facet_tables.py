"""Exact entity facets as integer tables: passage numbers in; per entity, how many distinct
articles among those passages mention it, out. Engine-free: each engine keeps one table per
unit it writes at once (a Whoosh segment, a Tantivy build) and numbers passages within it.

A table holds, per passage, its article's number and its (entity, article) pairs, each pair one
integer ``entity number × len(articles) + article number``, so counting distinct articles per
entity is a set of integers and one division each, on C iterators over memory views: a hit
costs no Python-level step. ``articles[0]`` is "" (numbers that are no passage). Saved as a
small JSON header and three arrays of unsigned 64-bit integers, written atomically.
"""

from __future__ import annotations

import json
import os
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from operator import add, floordiv
from pathlib import Path

_MAGIC = b"archive-fpairs 1\n"


class FacetTable:
    """One table of passages' articles and (entity, article) pairs, by local passage number (see the
    module docstring); counts are exact."""

    def __init__(self, entities: list[str], articles: list[str], article_of, offsets, pairs,
                 days: list[str | None] | None = None):
        self.entities, self.articles = entities, articles
        self.article_of, self.offsets, self.pairs = article_of, offsets, pairs
        self.days = days  # per article number, its day (archive.dates.iso_day), if kept

    @classmethod
    def from_passages(cls, passages: Iterable[tuple[str, Sequence[str]]],
                      days: dict[str, str | None] | None = None) -> FacetTable:
        """A table of (article id, entity ids) per passage, in passage-number order ("" for a
        number that is no passage); ``days``: article id → day, to keep beside."""
        entities: dict[str, int] = {}
        articles = {"": 0}
        article_of, offsets, pairs = array("Q"), array("Q", [0]), array("Q")
        decoded = []
        for doc_id, named in passages:
            article = articles.setdefault(doc_id, len(articles))
            article_of.append(article)
            decoded.append((article, [entities.setdefault(e, len(entities)) for e in named if e]))
        width = len(articles)
        for article, entity_numbers in decoded:
            pairs.extend(e * width + article for e in entity_numbers)
            offsets.append(len(pairs))
        kept = None if days is None else [days.get(a) for a in articles]
        return cls(list(entities), list(articles), article_of, offsets, pairs, kept)

    def __len__(self) -> int:
        return len(self.article_of)

    def save(self, path: Path, durable: bool = False) -> None:
        """Write atomically (readers see the whole file or none); ``durable``: fsync first."""
        fields = {"byteorder": sys.byteorder, "entities": self.entities,
                  "articles": self.articles, "passages": len(self.article_of),
                  "pairs": len(self.pairs)}
        if self.days is not None:
            fields["days"] = self.days  # type: ignore[assignment]
        header = json.dumps(fields, ensure_ascii=False).encode("utf-8")
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as out:
            out.write(_MAGIC + len(header).to_bytes(8, "little") + header)
            for numbers in (self.article_of, self.offsets, self.pairs):
                array("Q", numbers).tofile(out)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path):
        """The saved table, or None when the file is missing or unreadable here."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if not data.startswith(_MAGIC):
            return None
        start = len(_MAGIC) + 8
        end = start + int.from_bytes(data[len(_MAGIC):start], "little")
        try:
            header = json.loads(data[start:end])
            numbers = memoryview(data)[end:].cast("Q")
            passages, pairs = header["passages"], header["pairs"]
        except (ValueError, TypeError, KeyError):  # damaged: the caller builds it again
            return None
        if header.get("byteorder") != sys.byteorder or len(numbers) != 2 * passages + 1 + pairs:
            return None
        return cls(header["entities"], header["articles"], numbers[:passages],
                   numbers[passages:2 * passages + 1], numbers[2 * passages + 1:],
                   header.get("days"))

    def _pairs_of(self, local: list[int]):
        offsets = self.offsets
        ends = map(offsets.__getitem__, map(add, local, repeat(1)))
        spans = map(slice, map(offsets.__getitem__, local), ends)
        return chain.from_iterable(map(self.pairs.__getitem__, spans))

    def article_counts(self, local: list[int]) -> dict[str, int]:
        """Entity id → distinct articles among these passages (local numbers) mentioning it."""
        by_number = Counter(map(floordiv, set(self._pairs_of(local)), repeat(len(self.articles))))
        return dict(zip(map(self.entities.__getitem__, by_number), by_number.values()))

    def articles_with(self, local: list[int]) -> set[str]:
        """The ids of these passages' articles (local numbers; "" for a number that is no passage)."""
        return set(map(self.articles.__getitem__, map(self.article_of.__getitem__, local)))

    def article_numbers(self, local: list[int]) -> set[int]:
        """The article numbers of these passages (local numbers; 0 for a number that is no passage)."""
        return set(map(self.article_of.__getitem__, local))


def month_counts(days: Iterable[str | None]) -> list[dict]:
    """[{"month": "YYYY-MM", "count": n}] oldest first, for the days of some articles."""
    # "01" to "12" only: a table written before month 00 was read as unreadable can hold a
    # day such as "2024-19" (a rebuild drops it)
    counts = Counter(day[:7] for day in days if day and len(day) >= 7 and "01" <= day[5:7] <= "12")
    return [{"month": month, "count": counts[month]} for month in sorted(counts)]
