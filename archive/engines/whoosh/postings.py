"""Posting lists decoded a block at a time: a term in; its live passages, their BM25 scores or
their positions out, keyed by global document number.

Whoosh's matchers make several Python calls per posting, and for counting hits, scoring a whole
list or checking a phrase that per-posting cost is what a query pays. Here each block of up to
128 postings is read and decoded at once (zlib, unpickle, the id deltas summed in C), and the
per-posting work is done by C iterators (``map``, ``zip``, ``dict.update``) rather than Python
loops. Terms stored inline in the term dictionary, or another codec, go through the matcher's
public API instead, with the same results.
"""

from __future__ import annotations

import gc
import zlib
from bisect import bisect_right
from collections.abc import Iterator
from functools import wraps
from itertools import accumulate, compress, repeat
from operator import add, itemgetter, mul
from pickle import loads

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.formats import Positions
from whoosh.scoring import bm25
from whoosh.util.numeric import byte_to_length

B, K1 = 0.75, 1.2  # Whoosh's BM25F defaults
_INT_SIZE = 4


def collector_paused(function):
    """Run ``function`` with Python's cyclic garbage collector off. Decoding a dense posting
    list makes a few hundred thousand short-lived containers that form no cycles; meanwhile the
    collector would run thousands of times (a phrase over 400k passages: 2.9 s, paused 1.9 s)."""
    @wraps(function)
    def paused(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
    return paused


def segments(searcher) -> Iterator[tuple[object, int, frozenset]]:
    """(reader, first global docnum, deleted local docnums) of each segment."""
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        deleted = frozenset(reader.deleted_docs_set) if reader.has_deletions() else frozenset()
        yield reader, offset, deleted


def blocks(reader, fieldname: str, text: str,
           only: list[int] | None = None) -> Iterator[tuple[list, object, object]]:
    """(local ids, weights, values) of each posting block of a term in one segment; with
    ``only`` (sorted local ids), just the blocks that may hold one of them (a block's header
    gives its last id, so the others are never decompressed)."""
    if (fieldname, text) not in reader:
        return
    matcher = reader.postings(fieldname, text)
    while hasattr(matcher, "child"):  # the deletions filter: callers drop deletions themselves
        matcher = matcher.child
    if not hasattr(matcher, "_baseoffset") or getattr(matcher, "_byteids", False):
        yield _slow_block(matcher)
        return
    postfile, position, after = matcher._postfile, matcher._baseoffset, -1
    while True:
        postfile.seek(position)
        length = postfile.read_int()
        following = position + _INT_SIZE + abs(length)
        count, last_id, _, compression, _, _ = postfile.read_pickle()
        if only is None or bisect_right(only, last_id) > bisect_right(only, after):
            start = postfile.tell()
            data = postfile.get(start, following - start)
            ids, weights, values = loads(zlib.decompress(data) if compression else data)
            if weights is None or isinstance(weights, float):
                weights = [1.0 if weights is None else weights] * count
            yield list(accumulate(ids)), weights, values
        if length < 0:  # Whoosh marks the last block with a negative length
            return
        position, after = following, last_id


def _slow_block(matcher) -> tuple[list, list, list]:
    ids, weights, values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    return ids, weights, values


def _global(ids: list[int], offset: int):
    return map(offset.__add__, ids) if offset else ids


def term_docs(searcher, fieldname: str, text: str) -> set[int]:
    """Live documents containing a term."""
    found: set[int] = set()
    for reader, offset, deleted in segments(searcher):
        local: set[int] = set()
        for ids, _, _ in blocks(reader, fieldname, text):
            local.update(ids)
        found.update(_global(local - deleted, offset))  # type: ignore[arg-type]
    return found


class _Scores(dict):
    """(term frequency, length byte) → BM25 of a term, computed the first time it is asked:
    a list has few distinct pairs, so the scoring is a dictionary lookup per posting."""

    def __init__(self, idf: float, average: float, boost: float):
        super().__init__()
        self.idf, self.average, self.boost = idf, average, boost

    def __missing__(self, key):
        tf, length_byte = key
        score = self[key] = self.boost * bm25(
            self.idf, tf, byte_to_length(length_byte) or self.average, self.average, B, K1)
        return score


def term_scores(searcher, fieldname: str, text: str, boost: float = 1.0) -> dict[int, float]:
    """BM25 of one term for every live document that has it."""
    average = searcher.avg_field_length(fieldname) or 1
    memo = _Scores(searcher.idf(fieldname, text), average, boost)
    scores: dict[int, float] = {}
    for reader, offset, deleted in segments(searcher):
        lengths = field_lengths(reader, fieldname)
        for ids, weights, _ in blocks(reader, fieldname, text):
            length_bytes = map(lengths.__getitem__, ids) if lengths else repeat(0)
            scores.update(zip(_global(ids, offset), map(memo.__getitem__, zip(weights, length_bytes))))  # type: ignore[call-overload]
        for docnum in deleted:
            scores.pop(offset + docnum, None)
    return scores


def field_lengths(reader, fieldname: str) -> bytes:
    """A segment's per-document field lengths, one byte each as Whoosh stores them, read in one
    go (empty where the codec keeps them otherwise: every document is then average)."""
    try:
        column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if column is None or column._fixedlen != 1:
            return b""
        return bytes(column._dbfile.get(column._basepos, column._count))
    except (AttributeError, OSError):
        return b""


def term_positions(searcher, fieldname: str, text: str, wanted: set[int],
                   shift: int = 0) -> dict[int, frozenset[int]]:
    """Positions of a term (each minus ``shift``) in each of the ``wanted`` documents that have
    it. A phrase's words shifted by their place in it meet at the phrase's start."""
    positions: dict[int, frozenset[int]] = {}
    field_format = searcher.schema[fieldname].format
    fast = type(field_format) is Positions
    for reader, offset, _ in segments(searcher):
        only = None if len(wanted) >= _FEW else sorted(
            d - offset for d in wanted if offset <= d < offset + reader.doc_count_all())  # type: ignore[attr-defined]
        for ids, _, values in blocks(reader, fieldname, text, only):
            global_ids = list(_global(ids, offset))
            keep = list(map(wanted.__contains__, global_ids))
            if not any(keep):
                continue
            values = compress(values, keep)  # type: ignore[arg-type]
            if fast:  # Whoosh's Positions: a 4-byte count, then the pickled list of gaps
                lists = map(accumulate, map(loads, map(add, map(_AFTER_COUNT, values), repeat(b"."))))
            else:
                lists = map(field_format.decode_positions, values)
            if shift:
                lists = map(map, repeat((-shift).__add__), lists)  # type: ignore[arg-type]
            positions.update(zip(compress(global_ids, keep), map(frozenset, lists)))
    return positions


_FEW = 10_000  # wanted documents worth skipping blocks for (more: most blocks hold one)
_AFTER_COUNT = itemgetter(slice(_INT_SIZE, None))


# -- score algebra (C iterators; no Python loop per document) ---------------------------------

def summed(parts: list[dict[int, float]]) -> dict[int, float]:
    """Per document, the sum of its scores in ``parts`` (a document missing from a part has 0
    there)."""
    parts = sorted(parts, key=len, reverse=True)
    if not parts:
        return {}
    total = dict(parts[0])
    for part in parts[1:]:
        total.update(zip(part.keys(), map(add, map(total.get, part.keys(), repeat(0.0)), part.values())))
    return total


def intersected(parts: list[dict[int, float]], boost: float = 1.0) -> dict[int, float]:
    """The documents in every part, scored by ``boost`` × the sum of their scores."""
    if not parts:
        return {}
    common = set(min(parts, key=len)).intersection(*parts)  # type: ignore[arg-type]
    scores = [0.0] * len(common)
    for part in parts:
        scores = list(map(add, scores, map(part.__getitem__, common)))
    return dict(zip(common, map(mul, scores, repeat(boost))))


def restricted(scores: dict[int, float], allowed: set[int]) -> dict[int, float]:
    """``scores`` of the documents in ``allowed`` only."""
    keep = scores.keys() & allowed
    return dict(zip(keep, map(scores.__getitem__, keep)))


def best(scores: dict[int, float], count: int) -> list[tuple[float, int]]:
    """The ``count`` best (score, docnum), ties to the lower docnum (Whoosh's order)."""
    if len(scores) > 4 * count:  # find the cut-off score cheaply, then sort only what passes it
        from heapq import nlargest

        cutoff = nlargest(count, scores.values())[-1]
        kept = compress(scores.items(), map(cutoff.__le__, scores.values()))
    else:
        kept = scores.items()  # type: ignore[assignment]
    ranked = sorted(kept, key=lambda item: (-item[1], item[0]))[:count]
    return [(score, docnum) for docnum, score in ranked]
