"""Entity facets: a set of hit passages in; the entities they mention and in how many articles,
out.

Each passage carries a ``facets`` column (``doc_id TAB entity,entity``), read per hit straight
from Whoosh's on-disk column, so counting costs one pass over the hits and nothing at start-up
(Whoosh's ``groupedby`` would rebuild per-value document lists on every query). Decoded values
are memoized per searcher: many passages share the same entity list.

A count is a number of **articles**: a passage hit mentioning the entity counts its article once,
however many of its passages match.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from typing import Iterable

from archive.entities.catalogue import TYPES

FACET_COLUMN = "facets"


def encode(doc_id: str, entity_ids: Iterable[str]) -> bytes:
    return f"{doc_id}\t{','.join(entity_ids)}".encode("utf-8")


class FacetIndex:
    def __init__(self, searcher):
        self.searcher = searcher
        self._leaves = [(offset, leaf.reader()) for leaf, offset in searcher.leaf_searchers()]
        self._starts = [offset for offset, _ in self._leaves]
        self._columns: dict[int, tuple] = {}  # segment number -> (offsets, lengths, data)
        self._decoded: dict[bytes, tuple[str, tuple[str, ...]]] = {}
        # Per passage, filled as hits are seen: a list slot costs 8 bytes.
        self._by_doc: list = [None] * searcher.doc_count_all()

    def _column(self, segment: int) -> tuple:
        """A segment's whole facets column, read at once: (offsets, lengths, bytes)."""
        found = self._columns.get(segment)
        if found is None:
            reader = self._leaves[segment][1]
            column = reader.column_reader(FACET_COLUMN) if reader.has_column(FACET_COLUMN) else None
            if column is None or not hasattr(column, "_offsets"):
                found = (None, None, column)  # another codec: read value by value
            else:
                end = (column._offsets[-1] + column._lengths[-1]) if len(column._lengths) else 0
                found = (column._offsets, column._lengths,
                         bytes(column._dbfile.get(column._basepos, end)) if end else b"")
            self._columns[segment] = found
        return found

    def _value(self, docnum: int) -> bytes:
        segment = bisect_right(self._starts, docnum) - 1
        local = docnum - self._starts[segment]
        offsets, lengths, data = self._column(segment)
        if offsets is None:
            return data[local] if data is not None else b""
        if local >= len(lengths):
            return b""
        return data[offsets[local]:offsets[local] + lengths[local]]

    def _decode(self, value: bytes) -> tuple[str, tuple[str, ...]]:
        found = self._decoded.get(value)
        if found is None:
            doc_id, _, entities = value.decode("utf-8").partition("\t")
            found = self._decoded[value] = (doc_id, tuple(filter(None, entities.split(","))))
        return found

    def passage(self, docnum: int) -> tuple[str, tuple[str, ...]]:
        """(article id, entity ids) of a passage; ("", ()) for other documents."""
        found = self._by_doc[docnum]
        if found is None:
            value = self._value(docnum)
            found = self._by_doc[docnum] = self._decode(value) if value else ("", ())
        return found

    def article_counts(self, docnums: Iterable[int]) -> Counter:
        """Entity id → number of distinct articles among ``docnums`` that mention it."""
        passage = self.passage
        pairs = set()
        for docnum in docnums:
            article, entities = passage(docnum)
            for entity in entities:
                pairs.add((entity, article))
        return Counter(entity for entity, _ in pairs)

    def articles_with(self, docnums: Iterable[int]) -> set[str]:
        """Article ids of these passages."""
        return {self.passage(d)[0] for d in docnums} - {""}


def top_by_type(counts: Counter, describe, limit: int = 10, types=TYPES) -> dict[str, list[dict]]:
    """{type: [{"id", "name", "count"}, …]} most mentioned first (ties by name)."""
    grouped: dict[str, list[dict]] = {t: [] for t in types}
    for entity_id, count in counts.items():
        entity = describe(entity_id)
        if entity is not None and entity.type in grouped:
            grouped[entity.type].append({"id": entity_id, "name": entity.name, "count": count})
    return {t: sorted(rows, key=lambda r: (-r["count"], r["name"]))[:limit]
            for t, rows in grouped.items()}
