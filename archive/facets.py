"""Entity facets: a set of hit passages in; the entities they mention and in how many articles,
out.

Each passage carries a ``facets`` column (``doc_id TAB entity,entity``), read per hit straight
from Whoosh's on-disk column, so counting costs one pass over the hits and nothing at start-up
(Whoosh's ``groupedby`` would rebuild per-value document lists on every query). Decoded values
are memoized per searcher (many passages share the same entity list), and counting runs on C
iterators over the decoded (entity, article) pairs.

A count is a number of **articles**: a passage hit mentioning the entity counts its article once,
however many of its passages match.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from itertools import chain, compress, repeat
from operator import is_, itemgetter
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

    def _decode(self, value: bytes) -> tuple[str, tuple[tuple[str, str], ...]]:
        found = self._decoded.get(value)
        if found is None:
            doc_id, _, entities = value.decode("utf-8").partition("\t")
            found = self._decoded[value] = (
                doc_id, tuple((entity, doc_id) for entity in entities.split(",") if entity))
        return found

    def _load(self, docnums: list[int]) -> None:
        """Decode the passages of ``docnums`` not decoded yet."""
        by_doc = self._by_doc
        for docnum in compress(docnums, map(is_, map(by_doc.__getitem__, docnums), repeat(None))):
            value = self._value(docnum)
            by_doc[docnum] = self._decode(value) if value else _NOTHING

    def passage(self, docnum: int) -> tuple[str, tuple[str, ...]]:
        """(article id, entity ids) of a passage; ("", ()) for other documents."""
        self._load([docnum])
        article, pairs = self._by_doc[docnum]
        return article, tuple(entity for entity, _ in pairs)

    def article_counts(self, docnums: Iterable[int]) -> Counter:
        """Entity id → number of distinct articles among ``docnums`` that mention it."""
        docnums = list(docnums)
        self._load(docnums)
        # C iterators end to end: a hit costs no Python-level step once decoded.
        pairs = set(chain.from_iterable(map(itemgetter(1), map(self._by_doc.__getitem__, docnums))))
        return Counter(map(itemgetter(0), pairs))

    def articles_with(self, docnums: Iterable[int]) -> set[str]:
        """Article ids of these passages."""
        docnums = list(docnums)
        self._load(docnums)
        return set(map(itemgetter(0), map(self._by_doc.__getitem__, docnums))) - {""}


_NOTHING = ("", ())


def top_by_type(counts: Counter, describe, limit: int = 10, types=TYPES) -> dict[str, list[dict]]:
    """{type: [{"id", "name", "count"}, …]} most mentioned first (ties by name)."""
    grouped: dict[str, list[dict]] = {t: [] for t in types}
    for entity_id, count in counts.items():
        entity = describe(entity_id)
        if entity is not None and entity.type in grouped:
            grouped[entity.type].append({"id": entity_id, "name": entity.name, "count": count})
    return {t: sorted(rows, key=lambda r: (-r["count"], r["name"]))[:limit]
            for t, rows in grouped.items()}
