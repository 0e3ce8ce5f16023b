"""Ranking of plain-word queries straight from posting blocks: clauses of words in, a score per
matching passage out.

Whoosh scores a match through a tree of matcher objects, several Python calls per posting; for
the commonest queries (words, OR, NOT, entity names, no quoted phrase) this module computes the
same BM25F sums from each posting block's ids and term frequencies in one loop, then applies
the proximity bonus to the best candidates only. Scores follow the model of archive.search:

    word     = BM25(stem) + EXACT_BOOST × BM25(exact)
    clause   = sum of its alternatives (OR)
    passage  = sum of clauses, doubled (ALL_WORDS_BOOST) when every clause matches,
               plus PROXIMITY_BOOST × that sum when the words stand within PROXIMITY_SLOP,
               plus ENTITY_BOOST × idf for each entity the words name and the passage is tagged
               with.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.scoring import bm25
from whoosh.util.numeric import byte_to_length

B, K1 = 0.75, 1.2  # Whoosh's BM25F defaults, as the Whoosh path uses
RERANK_DEPTH = 200  # candidates checked for proximity


def _unwrap(matcher):
    while hasattr(matcher, "child"):  # deletions are removed separately
        matcher = matcher.child
    return matcher


def term_scores(searcher, fieldname: str, text: str, boost: float = 1.0,
                into: dict | None = None) -> dict[int, float]:
    """BM25 of one term for every live passage that has it, added into ``into``."""
    scores = defaultdict(float) if into is None else into
    idf = searcher.idf(fieldname, text)
    average = searcher.avg_field_length(fieldname) or 1
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        if (fieldname, text) not in reader:
            continue
        deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        matcher = _unwrap(reader.postings(fieldname, text))
        lengths = _length_bytes(reader, fieldname)
        if lengths is None:  # a field without lengths (entities): every passage is average
            lengths = b""
        if not hasattr(matcher, "_read_ids"):  # another codec: slowly
            for docnum in matcher.all_ids():
                if docnum not in deleted:
                    dl = reader.doc_field_length(docnum, fieldname, 1) or 1
                    scores[offset + docnum] += boost * bm25(idf, 1, dl, average, B, K1)
            continue
        memo: dict[tuple, float] = {}  # (tf, length byte) -> score: few distinct pairs
        size = len(lengths)
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            start = matcher._i
            for docnum, tf in zip(matcher._ids[start:], matcher._weights[start:]):
                if docnum in deleted:
                    continue
                key = (tf, lengths[docnum] if docnum < size else 0)
                score = memo.get(key)
                if score is None:
                    dl = byte_to_length(key[1]) or average
                    score = memo[key] = boost * bm25(idf, tf, dl, average, B, K1)
                scores[offset + docnum] += score
            matcher._i = matcher._blocklength
            matcher._next_block()
    return scores


def _length_bytes(reader, fieldname: str) -> bytes | None:
    """A segment's per-document field lengths, one byte each as Whoosh stores them, read in one
    go (None where the codec keeps them otherwise)."""
    try:
        column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if column is None or column._fixedlen != 1:
            return None
        return bytes(column._dbfile.get(column._basepos, column._count))
    except (AttributeError, OSError):
        return None


def top(scores: dict[int, float], count: int) -> list[tuple[float, int]]:
    """The ``count`` best (score, docnum), ties to the lower docnum, as Whoosh orders them."""
    return [(score, docnum) for score, docnum in
            ((s, d) for d, s in heapq.nsmallest(count, scores.items(), key=lambda kv: (-kv[1], kv[0])))]


def near(searcher, stems: list[str], slop: int, candidates: list[int]) -> set[int]:
    """Candidates whose stems stand within ``slop`` of each other, in order."""
    phrase = wq.Phrase("stem", stems, slop=slop)
    found = set()
    for leaf, offset in searcher.leaf_searchers():
        local = sorted(d - offset for d in candidates if offset <= d < offset + leaf.doc_count_all())
        if not local:
            continue
        matcher = phrase.matcher(leaf, leaf.boolean_context())
        for docnum in local:
            if not matcher.is_active():
                break
            matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                found.add(offset + docnum)
    return found


class Unsupported(Exception):
    """A query node this module does not score (a quoted phrase): use Whoosh's matchers."""


def score_tree(q: wq.Query, searcher, deferred: list) -> dict[int, float]:
    """Scores of every passage ``q`` matches. Proximity phrases (slop > 1) are not matched but
    appended to ``deferred`` as (phrase, boost), to be applied to the best candidates."""
    if isinstance(q, wq.Term):
        return term_scores(searcher, q.fieldname, q.text, q.boost)
    if isinstance(q, wq.Or):
        total: dict[int, float] = defaultdict(float)
        for sub in q.subqueries:
            if isinstance(sub, wq.Phrase) and sub.slop > 1:
                deferred.append(sub)
                continue
            for docnum, score in score_tree(sub, searcher, deferred).items():
                total[docnum] += score
        return total
    if isinstance(q, wq.And):
        parts = [score_tree(sub, searcher, deferred) for sub in q.subqueries]
        common = set(parts[0]).intersection(*parts[1:]) if parts else set()
        return {d: q.boost * sum(p[d] for p in parts) for d in common}
    if isinstance(q, wq.AndNot):
        scores = score_tree(q.a, searcher, deferred)
        for docnum in _docs(q.b, searcher):
            scores.pop(docnum, None)
        return scores
    if isinstance(q, wq.ConstantScoreQuery):
        return dict.fromkeys(_docs(q.child, searcher), 1.0)
    raise Unsupported(type(q).__name__)


def _docs(q: wq.Query, searcher) -> set[int]:
    from archive.search import hit_set

    return hit_set(q, searcher)


def rank(q: wq.Query, searcher, allowed: set[int] | None, count: int):
    """(scores of every match, the best ``count`` as (score, docnum)) for a plain-word query;
    raises Unsupported for anything else."""
    deferred: list = []
    scores = score_tree(q, searcher, deferred)
    if allowed is not None:
        scores = {d: s for d, s in scores.items() if d in allowed}
    best = top(scores, max(count, RERANK_DEPTH) if deferred else count)
    for phrase in deferred:
        close = near(searcher, phrase.words, phrase.slop, [d for _, d in best])
        best = [(s * (1 + phrase.boost) if d in close else s, d) for s, d in best]
    best.sort(key=lambda sd: (-sd[0], sd[1]))
    return scores, best[:count]
