"""Passage ranking with its article's evidence: an engine's best scored passages in, the same
passages re-ranked out. Engine-free: it sees passages only as opaque references, through three
questions an engine answers cheaply (``Evidence``).

An article is split into passages of a glance each, so the words of a question are often spread
over a passage and its neighbours: the passage with the answer holds two of them, the one
before it the name the question is about. BM25 on the passage alone misses that; BM25 on the
whole article loses the passage. Each of the best ``DEPTH`` passages gets, on top of the
engine's score:

    COVERAGE_WEIGHT × Σ idf(t) over the query terms t the passage holds
  + ARTICLE_WEIGHT  × Σ idf(t) over the query terms t its article holds, within NEIGHBOURS
                      passages of it (the passage included)

The first is a coordination bonus (a passage with more of the distinct words asked for ranks
higher, however often a common one repeats); the second is the article's evidence. Both only
add, so the re-ranked head still outranks every passage after it and pages stay consistent.
Weights chosen by measurement on ARCD (README "Quality"; ``scripts/evaluate.py``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, Hashable, Iterable, Protocol, Sequence

DEPTH = 50  # passages re-ranked (ARCD: the same results from 50 to 400)
COVERAGE_WEIGHT = 1.0
ARTICLE_WEIGHT = 0.5
NEIGHBOURS = 3  # passages on each side counted as the passage's article

Ref = Hashable  # an engine's reference to a passage


class Evidence(Protocol):
    """What the re-ranking asks an engine (one index generation)."""

    def holding(self, field: str, term: str) -> set:
        """The references of every passage holding an index term."""

    def neighbours(self, ref: Ref, reach: int) -> set:
        """``ref`` and the passages of its article at most ``reach`` places before or after it."""


class TableEvidence:
    """``Evidence`` from a term → passages function and tables of each passage's article
    number (as engines keep them for facets: per table, its first passage number and, per
    passage from there, its article's number). An article's passages are consecutive numbers
    in one table, in their order: an engine writes an article's passages together."""

    def __init__(self, holding: Callable[[str, str], set], tables: Sequence[tuple[int, Sequence[int]]]):
        self.holding = holding  # type: ignore[assignment]
        self._starts = [start for start, _ in tables]
        self._tables = [articles for _, articles in tables]

    def neighbours(self, ref: Ref, reach: int) -> set:
        number = int(ref)  # type: ignore[call-overload]
        table = bisect_right(self._starts, number) - 1
        if table < 0:
            return {ref}
        start, article_of = self._starts[table], self._tables[table]
        local = number - start
        if not 0 <= local < len(article_of):
            return {ref}
        article = article_of[local]
        first = local
        while first > 0 and local - first < reach and article_of[first - 1] == article:
            first -= 1
        last = local
        while last + 1 < len(article_of) and last - local < reach and article_of[last + 1] == article:
            last += 1
        return set(range(start + first, start + last + 1))


@dataclass(frozen=True)
class QueryTerm:
    field: str  # "stem" or "exact"
    text: str
    weight: float  # its idf


def rerank(ranked: list[tuple[float, Ref]], terms: Iterable[QueryTerm], evidence: Evidence,
           depth: int | None = None) -> list[tuple[float, Ref]]:
    """``ranked`` (score, ref), best first, with the first ``depth`` (default DEPTH) re-scored
    and re-sorted."""
    depth = DEPTH if depth is None else depth
    terms = [t for t in terms if t.weight > 0]
    head, tail = ranked[:depth], ranked[depth:]
    if not head or not terms:
        return ranked
    holders = [(t.weight, evidence.holding(t.field, t.text)) for t in terms]
    rescored = []
    for score, ref in head:
        near = evidence.neighbours(ref, NEIGHBOURS)
        own = sum(weight for weight, refs in holders if ref in refs)
        article = sum(weight for weight, refs in holders if not refs.isdisjoint(near))
        rescored.append((score + COVERAGE_WEIGHT * own + ARTICLE_WEIGHT * article, ref))
    rescored.sort(key=_order)
    return rescored + tail


def _order(scored: tuple[float, Ref]):
    score, ref = scored
    return (-score, ref) if isinstance(ref, (int, str)) else (-score, 0)
