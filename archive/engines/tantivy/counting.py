"""Counting over a Tantivy generation's facet tables with array operations: the hits' ordinals
in (one array, ascending); exact per-entity article counts, the top entities per type, the
hits' articles and months, and an article's neighbourhood of a passage out.

Tantivy's own aggregations cannot count distinct articles per entity exactly (its
``cardinality`` is a HyperLogLog estimate), so the counting stays on the facet tables
(archive.engines.facet_tables), but every step that grows with the hits is a numpy operation
(C): the ordinals are split by table with ``searchsorted``, each passage's (entity, article)
pairs gathered with one index array, made distinct with ``unique`` and counted with
``bincount``. Python loops only over tables, types and the entities shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from archive.engines.base import cut_at_limit
from archive.engines.facet_tables import FacetTable


@dataclass
class _Part:
    """One facet table as arrays, with its first ordinal and its entities' global numbers."""

    start: int
    table: FacetTable
    article_of: np.ndarray  # per local passage, its article number (0: no passage)
    offsets: np.ndarray  # per local passage, where its pairs start in ``pairs``
    pairs: np.ndarray  # entity number × width + article number
    width: int  # len(table.articles)
    global_entity: np.ndarray  # per table entity number, its number in ``TableCounts.entities``
    distinct: tuple[np.ndarray, np.ndarray] | None = None  # see _distinct_pairs


def _numbers(buffer, dtype=np.uint64) -> np.ndarray:
    array = np.frombuffer(buffer, dtype=np.uint64) if len(buffer) else np.zeros(0, np.uint64)
    return array if dtype == np.uint64 else array.astype(dtype)


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending: ``np.unique`` without its check for masked arrays,
    whose first call imports ``numpy.ma`` (10-25 ms of every search process's start)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def distinct_with_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``distinct(values)`` and, per value, the index of its distinct value (``np.unique``'s
    ``return_inverse``)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.empty(len(ordered), dtype=bool)
    if len(ordered):
        new[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    inverse = np.empty(len(ordered), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


DENSE_SHARE = 8  # hits' pairs × this ≥ a table's distinct pairs: a bitmap beats sorting


def _distinct_pairs(part: _Part) -> tuple[np.ndarray, np.ndarray]:
    """Per pair of ``part``, the number of its distinct (entity, article) pair, and per such
    number its entity: made once per table and generation."""
    if part.distinct is None:
        values, inverse = distinct_with_inverse(part.pairs)
        part.distinct = (inverse.astype(np.int64),
                         (values // np.uint64(max(1, part.width))).astype(np.int64))
    return part.distinct


class TableCounts:
    """One generation's facet tables ((first ordinal, table), ascending), ready to count."""

    def __init__(self, tables: Sequence[tuple[int, FacetTable]]):
        entities: dict[str, int] = {}
        self.parts: list[_Part] = []
        for start, table in tables:
            numbers = [entities.setdefault(e, len(entities)) for e in table.entities]
            self.parts.append(_Part(
                start, table, _numbers(table.article_of, np.int64),
                _numbers(table.offsets, np.int64), _numbers(table.pairs),
                len(table.articles), np.array(numbers, dtype=np.int64)))
        self.entities = list(entities)
        self._starts = np.array([p.start for p in self.parts], dtype=np.int64)
        self._types: dict[tuple, np.ndarray] = {}
        self._months: list[np.ndarray] | None = None
        self._month_names: list[str] = []

    def split(self, ordinals: np.ndarray) -> Iterator[tuple[_Part, np.ndarray]]:
        """(table, local numbers) for each table holding some of these ordinals (ascending)."""
        for part in self.parts:
            first, last = np.searchsorted(ordinals, [part.start, part.start + len(part.article_of)])
            if last > first:
                yield part, ordinals[first:last] - part.start

    def entity_counts(self, ordinals: np.ndarray) -> np.ndarray:
        """Per global entity number, how many distinct articles of these passages mention it."""
        counts = np.zeros(len(self.entities), dtype=np.int64)
        for part, local in self.split(ordinals):
            begin, end = part.offsets[local], part.offsets[local + 1]
            lengths = end - begin
            size = int(lengths.sum())
            if not size:
                continue
            # every pair of every passage: begin[i] .. end[i] - 1 for each passage i, in one array
            shift = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths)
            pair_of, entity_of = _distinct_pairs(part)
            numbers = pair_of[shift + np.arange(size)]
            if size * DENSE_SHARE >= len(entity_of):  # many hits: mark the distinct pairs seen
                seen = np.zeros(len(entity_of), dtype=bool)
                seen[numbers] = True
                entity = entity_of[seen]
            else:
                entity = entity_of[distinct(numbers)]
            counts[part.global_entity] += np.bincount(entity, minlength=len(part.global_entity))
        return counts

    def as_counter(self, counts: np.ndarray) -> Counter:
        """Entity id → count, for the entities counted at least once."""
        found = np.flatnonzero(counts)
        return Counter(dict(zip(map(self.entities.__getitem__, found.tolist()),
                                counts[found].tolist())))

    def type_codes(self, type_of: Callable[[str], str | None], types: Sequence[str]) -> np.ndarray:
        """Per global entity number, the index of its type in ``types`` (-1: another type),
        worked out once per generation and ``type_of``."""
        key = (type_of, tuple(types))
        if key not in self._types:
            index = {kind: i for i, kind in enumerate(types)}
            self._types[key] = np.array([index.get(type_of(e), -1) for e in self.entities],  # type: ignore[arg-type]
                                        dtype=np.int64)
        return self._types[key]

    def top(self, counts: np.ndarray, limit: int, type_of: Callable[[str], str | None],
            types: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        """``Hits.facets`` from per-entity counts: per type, the ``limit`` most counted and
        their ties at the cutoff, most first, ties by id."""
        codes = self.type_codes(type_of, types)
        top: dict[str, list[tuple[str, int]]] = {}
        for code, kind in enumerate(types):
            numbers = np.flatnonzero((codes == code) & (counts > 0))
            if limit > 0 and len(numbers) > limit:
                values = counts[numbers]
                cutoff = np.partition(values, len(values) - limit)[len(values) - limit]
                numbers = numbers[values >= cutoff]
            rows = list(zip(map(self.entities.__getitem__, numbers.tolist()),
                            counts[numbers].tolist()))
            top[kind] = cut_at_limit(rows, limit)
        return top

    def article_numbers(self, ordinals: np.ndarray) -> Iterator[tuple[_Part, np.ndarray]]:
        """(table, distinct article numbers) of these passages, per table (0 left out)."""
        for part, local in self.split(ordinals):
            numbers = distinct(part.article_of[local])
            yield part, numbers[numbers != 0]

    def articles(self, ordinals: np.ndarray) -> set[str]:
        """The ids of these passages' articles."""
        found: set[str] = set()
        for part, numbers in self.article_numbers(ordinals):
            found.update(map(part.table.articles.__getitem__, numbers.tolist()))
        return found

    def months(self, ordinals: np.ndarray) -> list[dict]:
        """[{"month", "count": articles}] of these passages' articles, oldest first."""
        month_of = self._month_tables()
        counts = np.zeros(len(self._month_names) + 1, dtype=np.int64)
        for (_part, numbers), months in zip(self.article_numbers(ordinals), month_of):
            counts += np.bincount(months[numbers], minlength=len(counts))
        return [{"month": name, "count": int(counts[i + 1])}
                for i, name in enumerate(self._month_names) if counts[i + 1]]

    def _month_tables(self) -> list[np.ndarray]:
        """Per table, per article number, 1 + the index of its month in ``_month_names``
        (sorted), 0 for none; made once per generation."""
        if self._months is None:
            def month(day: str | None) -> str | None:
                return day[:7] if day and len(day) >= 7 else None

            names = sorted({m for p in self.parts for m in map(month, p.table.days or ()) if m})
            index = {name: i + 1 for i, name in enumerate(names)}
            self._month_names = names
            self._months = [np.array([index.get(month(d), 0) for d in  # type: ignore[arg-type]
                                      (p.table.days or [None] * p.width)], dtype=np.int64)
                            for p in self.parts]
        return self._months

    def article_spans(self, ordinals: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
        """For each passage of ``ordinals``: its article's id and the first and last ordinal of
        that article's passages ("" and the ordinal alone for a number no table holds). A table
        numbers its articles as it meets them and holds an article's passages together, so its
        article numbers never decrease: the spans are binary searches, one array per table."""
        ids = [""] * len(ordinals)
        first, last = ordinals.copy(), ordinals.copy()
        tables = np.searchsorted(self._starts, ordinals, side="right") - 1
        for number in distinct(tables[tables >= 0]).tolist():
            part = self.parts[number]
            chosen = np.flatnonzero((tables == number)
                                    & (ordinals - part.start < len(part.article_of)))
            article = part.article_of[ordinals[chosen] - part.start]
            first[chosen] = part.start + np.searchsorted(part.article_of, article)
            last[chosen] = part.start + np.searchsorted(part.article_of, article + 1) - 1
            for index, doc in zip(chosen.tolist(), article.tolist()):
                ids[index] = part.table.articles[doc]
        return ids, first, last
