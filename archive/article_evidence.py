"""Passage ranking with its article's evidence: an engine's best scored passages in, the same
passages re-ranked out. Engine-free: it sees passages only as opaque references and asks the
engine one question about the candidates (``Reader.article_evidence``, answered as a
``Gathered``): each query term's idf, and which of the terms each candidate, its neighbours and
the rest of its article hold. ``gather`` answers it for any engine from three simpler ones
(``Evidence``: which passages hold a term, its idf, a passage's neighbours); an engine that
can restrict a term query to the candidates' articles answers it at a cost that does not grow
with the passages holding a term.

An article is split into passages of a glance each, so the words of a question are often spread
over a passage and its neighbours: the passage with the answer holds two of them, the one
before it the name the question is about. BM25 on the passage alone misses that; BM25 on the
whole article loses the passage. Each of the best ``DEPTH`` passages gets, on top of the
engine's score, for each distinct query term t of weight w(t) = idf(t) (× EXACT_SHARE for an
exact form, whose stem is counted already):

    COVERAGE_WEIGHT × w(t)                      if the passage holds t
  + ARTICLE_WEIGHT  × w(t)                      if a passage within NEIGHBOURS of it holds t
                                                (the passage included),
                      × REST_OF_ARTICLE           else if another passage of its article does

The first is a coordination bonus (a passage with more of the distinct words asked for ranks
higher, however often one of them repeats); the rest is the article's evidence, the nearer the
stronger. Bonuses only add, so the re-ranked head still outranks every passage after it and
pages stay consistent. The result unit stays the passage, with its own highlights. Weights
chosen by measurement on ARCD (README "Quality"; ``scripts/evaluate.py``): the results are
flat around them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

DEPTH = 50  # passages re-ranked (ARCD: the same results from 50 to 400)
COVERAGE_WEIGHT = 1.0
ARTICLE_WEIGHT = 0.5
NEIGHBOURS = 2  # passages on each side that count fully as the passage's context
REST_OF_ARTICLE = 0.5  # share of ARTICLE_WEIGHT for a term found farther in the article
ARTICLE_REACH = 50  # passages on each side looked at for "the rest of the article"
EXACT_SHARE = 0.5  # an exact form's weight beside its stem's (as EXACT_BOOST in search)

Ref = Hashable  # an engine's reference to a passage


class Evidence(Protocol):
    """What the re-ranking asks an engine, about one index generation."""

    def holding(self, field: str, term: str) -> set:
        """The references of every passage holding an index term."""

    def weight(self, field: str, term: str) -> float:
        """The term's idf."""

    def neighbours(self, ref: Ref, reach: int) -> set:
        """``ref`` and the passages of its article at most ``reach`` places before or after."""

    def keys(self, refs: list) -> list:
        """The engine's hit references as the keys ``holding`` and ``neighbours`` use."""


@dataclass(frozen=True)
class QueryTerm:
    """A distinct query term: its field ("stem" or "exact"), text and share of its idf."""

    field: str  # "stem" or "exact"
    text: str
    share: float = 1.0  # × its idf


def query_terms(stems: Iterable[str], exact: Iterable[str]) -> list[QueryTerm]:
    """The distinct terms of a query: its stems, and its exact forms at EXACT_SHARE."""
    return ([QueryTerm("stem", s) for s in sorted(set(stems))]
            + [QueryTerm("exact", e, EXACT_SHARE) for e in sorted(set(exact))])


@dataclass
class Gathered:
    """What the re-ranking needs to know about some candidate passages and the query's terms,
    as ``Reader.article_evidence`` answers it: per term its idf (``weights``; 0 for a term no
    passage holds), and per candidate, in order, three sets of term indexes (into the terms
    asked): the terms the passage itself holds, those some passage within NEIGHBOURS of it in
    its article holds (itself included), and those some passage within ARTICLE_REACH holds."""

    weights: list[float]
    rows: list[tuple[frozenset[int], frozenset[int], frozenset[int]]]


def gather(evidence: Evidence, refs: list, terms: Sequence[QueryTerm]) -> Gathered:
    """``Gathered`` from an engine's ``Evidence`` (its term → every passage holding it): the
    general answer, whose cost grows with the passages holding a term; an engine that can ask
    about the candidates' neighbourhoods alone answers ``Reader.article_evidence`` itself."""
    weights = [evidence.weight(t.field, t.text) for t in terms]
    holders = [evidence.holding(t.field, t.text) if w > 0 else set()
               for t, w in zip(terms, weights)]
    rows = []
    for key in evidence.keys(refs):
        near = evidence.neighbours(key, NEIGHBOURS)
        article = evidence.neighbours(key, ARTICLE_REACH)
        rows.append((frozenset(i for i, h in enumerate(holders) if key in h),
                     frozenset(i for i, h in enumerate(holders) if not h.isdisjoint(near)),
                     frozenset(i for i, h in enumerate(holders) if not h.isdisjoint(article))))
    return Gathered(weights, rows)


def bonus(weights: Sequence[float], held: frozenset[int], near: frozenset[int],
          article: frozenset[int]) -> float:
    """A candidate's bonus (see the module docstring) from the terms it, its neighbours and
    its article hold, each term's weight being its share × its idf."""
    total = 0.0
    for index, weight in enumerate(weights):
        if weight <= 0:
            continue
        if index in held:
            total += COVERAGE_WEIGHT * weight
        if index in near:
            total += ARTICLE_WEIGHT * weight
        elif index in article:
            total += ARTICLE_WEIGHT * REST_OF_ARTICLE * weight
    return total


Ask = Callable[[list, Sequence[QueryTerm]], "Gathered | None"]


def rerank(ranked: list[tuple[float, Ref]], terms: Iterable[QueryTerm], ask: Ask | None,
           depth: int | None = None) -> list[tuple[float, Ref]]:
    """``ranked`` (score, ref), best first, with the first ``depth`` (default DEPTH) re-scored
    and re-sorted; ``ask``: the engine's ``Reader.article_evidence``. Unchanged when the engine
    cannot answer (``ask`` None or answering None) or without terms."""
    depth = DEPTH if depth is None else depth
    head, tail = ranked[:depth], ranked[depth:]
    terms = list(terms)
    if ask is None or not head or not terms:
        return ranked
    gathered = ask([ref for _, ref in head], terms)
    if gathered is None:
        return ranked
    weights = [t.share * w for t, w in zip(terms, gathered.weights)]
    if not any(w > 0 for w in weights):
        return ranked
    rescored = [(score + bonus(weights, *row), ref)
                for (score, ref), row in zip(head, gathered.rows)]
    rescored.sort(key=_order)
    return rescored + tail


def _order(scored: tuple[float, Ref]):
    score, ref = scored
    return (-score, ref) if isinstance(ref, (int, str)) else (-score, 0)


class TableEvidence:
    """``Evidence`` from an engine's term → passages and idf functions and its tables of each
    passage's article number (as engines keep them for facets: per table, its first passage
    number and, per passage from there, its article's number). An article's passages are
    consecutive numbers in one table, in their order: an engine writes an article's passages
    together, and its merges keep their order."""

    def __init__(self, holding: Callable[[str, str], set], weight: Callable[[str, str], float],
                 tables: Sequence[tuple[int, Sequence[int]]],
                 keys: Callable[[list], list] | None = None):
        self._holding, self._weight, self._keys = holding, weight, keys
        self._starts = [start for start, _ in tables]
        self._tables = [articles for _, articles in tables]
        self._memo: dict = {}

    def holding(self, field: str, term: str) -> set:
        """See ``Evidence.holding`` (the engine's term → passages function)."""
        return self._holding(field, term)

    def weight(self, field: str, term: str) -> float:
        """See ``Evidence.weight`` (the engine's idf function)."""
        return self._weight(field, term)

    def keys(self, refs: list) -> list:
        """Passage numbers (the hit references themselves unless ``keys`` maps them)."""
        return self._keys(refs) if self._keys else refs

    def neighbours(self, ref: Ref, reach: int) -> set:
        """See ``Evidence.neighbours``: read from the article-number tables, remembered."""
        key = (ref, reach)
        if key not in self._memo:
            self._memo[key] = self._around(int(ref), reach)  # type: ignore[call-overload]
        return self._memo[key]

    def _around(self, number: int, reach: int) -> set:
        table = bisect_right(self._starts, number) - 1
        if table < 0:
            return {number}
        start, article_of = self._starts[table], self._tables[table]
        local = number - start
        if not 0 <= local < len(article_of):
            return {number}
        article = article_of[local]
        first = local
        while first > 0 and local - first < reach and article_of[first - 1] == article:
            first -= 1
        last = local
        while last + 1 < len(article_of) and last - local < reach and article_of[last + 1] == article:
            last += 1
        return set(range(start + first, start + last + 1))
