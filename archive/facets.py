"""Entity facets: a set of hit passages in; the entities they mention and in how many articles,
out.

Each passage carries a ``facets`` column (``doc_id TAB entity,entity``). Decoding that column
for 100k hits takes seconds, so each segment's column is turned once into integers and kept
beside the segment (``<segment>.fpairs``): per passage, its article's number and its
(entity, article) pairs as one integer each. Segments never change once written, so the file
never goes stale, and Whoosh deletes it with its segment (it matches Whoosh's segment-file
pattern). A build writes the files of its new segments right after its commit; any segment
without one (an index built by an earlier version, a merge) gets it on first use.

Counting then runs on C iterators over memory views: a hit costs no Python-level step. A count
is a number of **articles**: a passage hit mentioning the entity counts its article once,
however many of its passages match.
"""

from __future__ import annotations

import json
import os
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from itertools import chain, repeat
from operator import add, floordiv
from pathlib import Path
from typing import Iterable, Sequence

from archive.entities.catalogue import TYPES
from archive.postings import collector_paused

FACET_COLUMN = "facets"
SIDECAR = ".fpairs"
_MAGIC = b"archive-fpairs 1\n"


def encode(doc_id: str, entity_ids: Iterable[str]) -> bytes:
    return f"{doc_id}\t{','.join(entity_ids)}".encode("utf-8")


def facet_column(reader):
    """A segment's facet column, or None if it has none. A column the reader already opened is
    used even when its file is gone (a commit retired the segment after the searcher opened):
    Whoosh's own ``has_column`` looks for the file by name and would answer "no column"."""
    perdoc = reader._perdoc
    if FACET_COLUMN in perdoc._colfiles or perdoc.has_column(FACET_COLUMN):
        return perdoc.column_reader(FACET_COLUMN, reader.schema[FACET_COLUMN].column_type)
    return None


class SegmentFacets:
    """One segment's facets as integers. ``articles[0]`` is "" (documents that are not
    passages); a pair is ``entity number × len(articles) + article number``."""

    def __init__(self, entities: list[str], articles: list[str], article_of, offsets, pairs):
        self.entities, self.articles = entities, articles
        self.article_of, self.offsets, self.pairs = article_of, offsets, pairs

    @classmethod
    def from_column(cls, reader) -> "SegmentFacets":
        column = facet_column(reader)
        entities, articles = {}, {"": 0}
        article_of, offsets, pairs = array("Q"), array("Q", [0]), array("Q")
        decoded = []
        for local in range(reader.doc_count_all()):
            value = column[local] if column is not None else b""
            doc_id, _, named = value.decode("utf-8").partition("\t")
            article = articles.setdefault(doc_id, len(articles))
            article_of.append(article)
            decoded.append((article, [entities.setdefault(e, len(entities)) for e in named.split(",") if e]))
        width = len(articles)
        for article, entity_numbers in decoded:
            pairs.extend(e * width + article for e in entity_numbers)
            offsets.append(len(pairs))
        return cls(list(entities), list(articles), article_of, offsets, pairs)

    def save(self, path: Path) -> None:
        header = json.dumps({"byteorder": sys.byteorder, "entities": self.entities,
                             "articles": self.articles, "passages": len(self.article_of),
                             "pairs": len(self.pairs)}, ensure_ascii=False).encode("utf-8")
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as out:
            out.write(_MAGIC + len(header).to_bytes(8, "little") + header)
            for numbers in (self.article_of, self.offsets, self.pairs):
                numbers.tofile(out)
        os.replace(temporary, path)  # readers see the whole file or none

    @classmethod
    def load(cls, path: Path) -> "SegmentFacets | None":
        """The saved facets, or None when the file is missing or unreadable here."""
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
        except (ValueError, TypeError, KeyError):  # a damaged file: built again from the column
            return None
        if header.get("byteorder") != sys.byteorder or len(numbers) != 2 * passages + 1 + pairs:
            return None
        return cls(header["entities"], header["articles"], numbers[:passages],
                   numbers[passages:2 * passages + 1], numbers[2 * passages + 1:])

    def _pairs_of(self, local: list[int]):
        offsets = self.offsets
        ends = map(offsets.__getitem__, map(add, local, repeat(1)))
        spans = map(slice, map(offsets.__getitem__, local), ends)
        return chain.from_iterable(map(self.pairs.__getitem__, spans))

    def article_counts(self, local: list[int]) -> dict[str, int]:
        by_number = Counter(map(floordiv, set(self._pairs_of(local)), repeat(len(self.articles))))
        return dict(zip(map(self.entities.__getitem__, by_number), by_number.values()))

    def articles_with(self, local: list[int]) -> set[str]:
        return set(map(self.articles.__getitem__, map(self.article_of.__getitem__, local)))


class FacetIndex:
    """Facets over every segment a Whoosh searcher reads; ``folder`` holds the saved files."""

    def __init__(self, searcher, folder: Path, writable: bool = True):
        self.folder = Path(folder)
        self.writable = writable  # False: a read-only reader counts from memory, saves nothing
        self._leaves = [(offset, leaf.reader()) for leaf, offset in searcher.leaf_searchers()]
        self._starts = [offset for offset, _ in self._leaves]
        self._segments: dict[int, SegmentFacets] = {}

    def _segment(self, number: int) -> SegmentFacets:
        found = self._segments.get(number)
        if found is None:
            reader = self._leaves[number][1]
            path = self._path(number)
            found = SegmentFacets.load(path)
            if found is None:
                found = SegmentFacets.from_column(reader)
                try:
                    if self.writable:
                        found.save(path)
                except OSError:
                    pass  # an unwritable folder: counted from memory, slower to start next time
            self._segments[number] = found
        return found

    def _path(self, number: int) -> Path:
        return self.folder / f"{self._leaves[number][1].segment().segment_id()}{SIDECAR}"

    def prepare(self) -> None:
        """Make sure every segment's facets file exists (a build calls this after committing;
        existing files are not read, so a small update to a large archive stays quick)."""
        for number in range(len(self._leaves)):
            if not self._path(number).exists():
                self._segment(number)

    def _by_segment(self, docnums: Iterable[int]):
        """(segment facets, local passage numbers) for each segment holding some of ``docnums``."""
        docnums = sorted(docnums)
        bounds = [*self._starts[1:], float("inf")]
        for number, (start, end) in enumerate(zip(self._starts, bounds)):
            first, last = bisect_left(docnums, start), bisect_left(docnums, end)
            if first < last:
                yield self._segment(number), list(map(add, docnums[first:last], repeat(-start)))

    @collector_paused
    def article_counts(self, docnums: Iterable[int]) -> Counter:
        """Entity id → number of distinct articles among ``docnums`` that mention it. An
        article lives in one segment (a build adds all its passages with one writer), so
        per-segment counts add up."""
        counts = Counter()
        for segment, local in self._by_segment(docnums):
            counts.update(segment.article_counts(local))
        return counts

    def passages_of(self, article_ids: set[str]) -> set[int]:
        """Every passage (docnum) of these articles."""
        found: set[int] = set()
        for number, start in enumerate(self._starts):
            segment = self._segment(number)
            wanted = {i for i, article in enumerate(segment.articles) if article in article_ids}
            if wanted:
                found.update(start + local for local, article in enumerate(segment.article_of)
                             if article in wanted)
        return found

    def article_tables(self) -> list[tuple[int, Sequence[int]]]:
        """Per segment, its first docnum and each docnum's article number (the passages of an
        article are consecutive: archive.article_evidence reads neighbours from here)."""
        return [(start, self._segment(number).article_of) for number, start in enumerate(self._starts)]

    def articles_with(self, docnums: Iterable[int]) -> set[str]:
        """Article ids of these passages."""
        found = set()
        for segment, local in self._by_segment(docnums):
            found |= segment.articles_with(local)
        return found - {""}


def top_by_type(counts: Counter, type_of, describe, limit: int = 10,
                types=TYPES) -> dict[str, list[dict]]:
    """{type: [{"id", "name", "count"}, …]} most mentioned first (ties by name).

    ``type_of`` must be cheap (a common word counts thousands of entities); only the
    entities that can make the top ``limit`` of their type (ties included) are described."""
    by_type: dict[str, list[tuple[int, str]]] = {t: [] for t in types}
    for entity_id, count in counts.items():
        rows = by_type.get(type_of(entity_id))
        if rows is not None:
            rows.append((count, entity_id))
    top = {}
    for kind, rows in by_type.items():
        rows.sort(reverse=True)
        cutoff = rows[limit - 1][0] if len(rows) >= limit else 0
        described = ((count, describe(entity_id)) for count, entity_id in rows if count >= cutoff)
        top[kind] = sorted(({"id": entity.id, "name": entity.name, "count": count}
                            for count, entity in described if entity is not None),
                           key=lambda r: (-r["count"], r["name"]))[:limit]
    return top
