"""Entity facets: a set of hit passages in; the entities they mention and in how many articles,
out.

Each passage carries a ``facets`` column (``doc_id TAB entity,entity``, split at the last tab). Decoding that column
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

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import add
from pathlib import Path

from archive.engines.facet_tables import FacetTable
from archive.engines.whoosh.postings import collector_paused

FACET_COLUMN = "facets"
SIDECAR = ".fpairs"


def encode(doc_id: str, entity_ids: Iterable[str]) -> bytes:
    """A passage's facet column value: its article id, a tab, its entity ids joined by commas
    (read back at the last tab, so any character may be in an article id)."""
    return f"{doc_id}\t{','.join(entity_ids)}".encode()


def facet_column(reader):
    """A segment's facet column, or None if it has none. A column the reader already opened is
    used even when its file is gone (a commit retired the segment after the searcher opened):
    Whoosh's own ``has_column`` looks for the file by name and would answer "no column"."""
    perdoc = reader._perdoc
    if FACET_COLUMN in perdoc._colfiles or perdoc.has_column(FACET_COLUMN):
        return perdoc.column_reader(FACET_COLUMN, reader.schema[FACET_COLUMN].column_type)
    return None


class SegmentFacets(FacetTable):
    """One segment's facets as integers (archive.engines.facet_tables), built from its
    column the first time."""

    @classmethod
    def from_column(cls, reader) -> SegmentFacets:
        """One segment's table, built from its facet column (a document without a value, an article
        for one, counts as no passage)."""
        column = facet_column(reader)

        def passages():
            for local in range(reader.doc_count_all()):
                value = column[local] if column is not None else b""
                # the last tab: an article id may hold tabs, entity ids never do
                doc_id, _, named = value.decode("utf-8").rpartition("\t")
                yield doc_id, named.split(",")

        return cls.from_passages(passages())  # type: ignore[return-value]


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
        for _, found in self._numbered(docnums):
            yield found

    def _numbered(self, docnums: Iterable[int]):
        """(segment number, (segment facets, local passage numbers)) for each segment holding
        some of ``docnums``."""
        docnums = sorted(docnums)
        bounds = [*self._starts[1:], float("inf")]
        for number, (start, end) in enumerate(zip(self._starts, bounds)):
            first, last = bisect_left(docnums, start), bisect_left(docnums, end)
            if first < last:
                yield number, (self._segment(number),
                               list(map(add, docnums[first:last], repeat(-start))))

    @collector_paused
    def article_counts(self, docnums: Iterable[int]) -> Counter:
        """Entity id → number of distinct articles among ``docnums`` that mention it. An
        article lives in one segment (a build adds all its passages with one writer), so
        per-segment counts add up."""
        counts = Counter()  # type: ignore[var-annotated]
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

    def by_article(self, docnums: Iterable[int], values: dict) -> dict[int, object]:
        """Passage docnum → ``values[its article id]`` (None if absent), for these passages."""
        found: dict[int, object] = {}
        for number, (segment, local) in self._numbered(docnums):
            table = [values.get(article) for article in segment.articles]
            start = self._starts[number]
            found.update(zip(map(start.__add__, local),
                             map(table.__getitem__, map(segment.article_of.__getitem__, local))))
        return found

    def articles_with(self, docnums: Iterable[int]) -> set[str]:
        """Article ids of these passages."""
        found = set()
        for segment, local in self._by_segment(docnums):
            found |= segment.articles_with(local)
        return found - {""}
