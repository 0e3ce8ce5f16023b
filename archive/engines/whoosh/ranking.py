"""Matching and ranking from posting blocks: a Whoosh query tree in; every matching passage
with its score, and the best of them, out.

Whoosh scores a match through a tree of matcher objects, several Python calls per posting. This
module evaluates the same trees (terms, OR, AND, NOT, phrases, constant-score filters) with
whole posting lists at once (archive.engines.whoosh.postings), so the cost of a query grows with the blocks it
reads, not with Python calls per passage. Scores follow the model of archive.search:

    word     = BM25(stem) + EXACT_BOOST × BM25(exact)
    clause   = sum of its alternatives (OR)
    phrase   = for each of its words, BM25 with the phrase's occurrences as term frequency
    passage  = sum of clauses, plus the AND score when every clause matches, plus
               PROXIMITY_BOOST × that sum when the words stand within PROXIMITY_SLOP (checked
               for the best RERANK_DEPTH candidates only), plus ENTITY_BOOST × idf for each
               entity the words name and the passage is tagged with.
"""

from __future__ import annotations

from bisect import bisect_right

from whoosh import query as wq
from whoosh.scoring import bm25
from whoosh.util.numeric import byte_to_length

from archive.engines.whoosh.postings import (
    K1,
    B,
    best,
    collector_paused,
    field_lengths,
    intersected,
    restricted,
    segments,
    summed,
    term_docs,
    term_positions,
    term_scores,
)

RERANK_DEPTH = 200  # candidates checked for proximity


# -- phrases ------------------------------------------------------------------------------------

def occurrences(positions: list[frozenset[int]], slop: int) -> int:
    """How many times the words occur in order, each within ``slop`` positions of the one
    before, given each word's positions in one passage (slop 1, side by side, is counted
    without this: see ``phrase_counts``)."""
    found = 0
    for start in positions[0]:
        current = start
        for later in positions[1:]:
            current = next((p for p in range(current + 1, current + slop + 1) if p in later), None)  # type: ignore[assignment]
            if current is None:
                break
        found += current is not None
    return found


def phrase_counts(searcher, fieldname: str, words: list[str], slop: int,
                  within: set[int] | None = None) -> dict[int, int]:
    """Passages (among ``within``, if given) where the words occur as a phrase, and how often.
    Positions are decoded only for passages that have every word."""
    if within is None:
        for word in sorted(set(words), key=lambda w: searcher.doc_frequency(fieldname, w)):
            docs = term_docs(searcher, fieldname, word)
            within = docs if within is None else within & docs
            if not within:
                return {}
    if slop == 1:
        # Each word's positions minus its place in the phrase: the phrase starts where all meet,
        # so a passage's count is the size of one intersection (C iterators, no loop here).
        shifted = [term_positions(searcher, fieldname, w, within, shift=i) for i, w in enumerate(words)]  # type: ignore[arg-type]
        docs = list(within.intersection(*shifted))  # type: ignore[assignment,union-attr]
        found = map(len, map(frozenset.intersection, *(map(s.__getitem__, docs) for s in shifted)))
    else:
        positions = {w: term_positions(searcher, fieldname, w, within) for w in set(words)}  # type: ignore[arg-type]
        docs = list(within.intersection(*positions.values()))  # type: ignore[assignment,union-attr]
        found = (occurrences([positions[w][d] for w in words], slop) for d in docs)  # type: ignore[assignment]
    return {d: n for d, n in zip(docs, found) if n}


class LengthBytes:
    """Docnum → the length byte Whoosh stores for a field, over all segments."""

    def __init__(self, searcher, fieldname: str):
        parts = [(offset, field_lengths(reader, fieldname)) for reader, offset, _ in segments(searcher)]
        self._starts = [offset for offset, _ in parts]
        self._lengths = [lengths for _, lengths in parts]

    def __call__(self, docnum: int) -> int:
        """The field's length byte for ``docnum`` (0 past its segment's lengths)."""
        segment = bisect_right(self._starts, docnum) - 1
        lengths, local = self._lengths[segment], docnum - self._starts[segment]
        return lengths[local] if local < len(lengths) else 0


def phrase_scores(searcher, phrase: wq.Phrase) -> dict[int, float]:
    """BM25 scores of the passages holding ``phrase``: its occurrences as the term frequency, the
    sum of its words' idf as the idf, × its boost."""
    counts = phrase_counts(searcher, phrase.fieldname, list(phrase.words), phrase.slop)
    if not counts:
        return {}
    idf = sum(searcher.idf(phrase.fieldname, w) for w in phrase.words)
    average = searcher.avg_field_length(phrase.fieldname) or 1
    length_byte = LengthBytes(searcher, phrase.fieldname)
    return {d: phrase.boost * bm25(idf, n, byte_to_length(length_byte(d)) or average, average, B, K1)
            for d, n in counts.items()}


# -- query trees --------------------------------------------------------------------------------

def score_tree(q: wq.Query, searcher, deferred: list, memo: dict | None = None) -> dict[int, float]:
    """Scores of every passage ``q`` matches. Proximity phrases (slop > 1) directly under an OR
    are not matched here but appended to ``deferred``, to reward the best candidates only.
    ``memo`` keeps the scores of subqueries met before (a soft AND has each clause twice);
    callers must not change what it returns."""
    memo = {} if memo is None else memo
    if q not in memo:
        memo[q] = _score_node(q, searcher, deferred, memo)
    return memo[q]


def _score_node(q: wq.Query, searcher, deferred: list, memo: dict) -> dict[int, float]:
    if isinstance(q, wq.Term):
        return term_scores(searcher, q.fieldname, q.text, q.boost)
    if isinstance(q, wq.Phrase):
        return phrase_scores(searcher, q)
    if isinstance(q, wq.Or):
        parts = []
        for sub in q.subqueries:
            if isinstance(sub, wq.Phrase) and sub.slop > 1:
                deferred.append(sub)
            else:
                parts.append(score_tree(sub, searcher, deferred, memo))
        return summed(parts)
    if isinstance(q, wq.And):
        return intersected([score_tree(sub, searcher, deferred, memo) for sub in q.subqueries], q.boost)
    if isinstance(q, wq.AndNot):
        scores = dict(score_tree(q.a, searcher, deferred, memo))
        for docnum in hit_set(q.b, searcher) & scores.keys():
            del scores[docnum]
        return scores
    if isinstance(q, wq.ConstantScoreQuery):
        return dict.fromkeys(hit_set(q.child, searcher), 1.0)
    raise TypeError(f"cannot rank a {type(q).__name__} query")


def hit_set(q: wq.Query, searcher) -> set[int]:
    """Every passage ``q`` matches, unscored: set algebra over posting lists."""
    if isinstance(q, wq.Term):
        return term_docs(searcher, q.fieldname, q.text)
    if isinstance(q, wq.Phrase):
        return set(phrase_counts(searcher, q.fieldname, list(q.words), q.slop))
    if isinstance(q, wq.AndNot):
        return hit_set(q.a, searcher) - hit_set(q.b, searcher)
    if isinstance(q, wq.Or):
        return set().union(*(hit_set(sub, searcher) for sub in q.subqueries))
    if isinstance(q, wq.And):
        sets = sorted((hit_set(sub, searcher) for sub in q.subqueries), key=len)
        return sets[0].intersection(*sets[1:]) if sets else set()
    if isinstance(q, wq.ConstantScoreQuery):
        return hit_set(q.child, searcher)
    return set(searcher.docs_for_query(q))


@collector_paused
def match(q: wq.Query, searcher, allowed: set[int] | None = None):
    """(score of every passage ``q`` matches within ``allowed``, the proximity phrases to apply
    to the best of them with ``top``)."""
    deferred: list[wq.Phrase] = []
    scores = score_tree(q, searcher, deferred)
    return (scores if allowed is None else restricted(scores, allowed)), deferred


def top(searcher, scores: dict[int, float], deferred: list, count: int) -> list[tuple[float, int]]:
    """The best ``count`` as (score, docnum), proximity bonus applied to the best RERANK_DEPTH
    only, whatever ``count`` is: so page 3 continues page 2 exactly (a bonus only raises a
    score, so the reranked head still outranks the tail)."""
    ranked = best(scores, max(count, RERANK_DEPTH) if deferred else count)
    head, tail = ranked[:RERANK_DEPTH], ranked[RERANK_DEPTH:]
    for phrase in deferred:
        close = phrase_counts(searcher, phrase.fieldname, list(phrase.words), phrase.slop,
                              within={d for _, d in head})
        head = [(s * (1 + phrase.boost) if d in close else s, d) for s, d in head]
    head.sort(key=lambda sd: (-sd[0], sd[1]))
    return (head + tail)[:count]


def without(scores: dict[int, float], excluded: set[int]) -> dict[int, float]:
    """``scores`` minus the passages in ``excluded``."""
    keep = scores.keys() - excluded
    return dict(zip(keep, map(scores.__getitem__, keep)))


def rank(q: wq.Query, searcher, allowed: set[int] | None, count: int):
    """(scores of every match, the best ``count`` as (score, docnum))."""
    scores, deferred = match(q, searcher, allowed)
    return scores, top(searcher, scores, deferred, count)
