"""Reading one generation of a Tantivy index: query trees in; hit counts, ranked passages, exact
entity facets, months, stored passages and articles, term statistics out.

Query trees (archive.engines.query) become Tantivy queries one to one: Or is a boolean query of
SHOULD clauses (scores add up), And of MUST clauses, boosts are Tantivy boosts, a phrase's slop
counts the positions a word may move (Tantivy's 0 is our 1: side by side). Entity and date
restrictions are MUST / MUST_NOT clauses of constant score 0, so they never change a score.

Facets, months and articles of the hits come from the hits' ordinals (a fast field, fetched
for all hits at once, in ordinal order, by Tantivy) looked up in the generation's facet tables
with array operations (archive.engines.tantivy.counting); the tables are loaded when the reader
opens: a later commit that removes a table cannot pull it from under this reader. The article
evidence of the re-ranking asks Tantivy about the candidates' articles only. No per-query
Python loop grows with the number of hits.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from operator import itemgetter

import numpy as np

# The `type: ignore` comments below: tantivy 0.27's bundled stubs lag its runtime (SearchResult.count
# exists; phrase_query takes list[str] and list[tuple[int, str]] alike).
import tantivy

from archive.article_evidence import ARTICLE_REACH, NEIGHBOURS, Gathered, QueryTerm
from archive.engines import base
from archive.engines import query as q
from archive.engines.facet_tables import FacetTable
from archive.engines.tantivy.counting import TableCounts
from archive.engines.tantivy.schema import SCHEMA

Occur = tantivy.Occur
Query = tantivy.Query
BASIC_FIELDS = {"kind", "pid", "doc_id", "entities"}  # indexed without frequencies
MANY = 1 << 31  # "every hit" as a search limit
# Stored documents a reader keeps parsed: a generation never changes, and a page of hits reads
# its passages and their articles again and again (the same common words, the next page, the
# server's many users). A few MB at most.
PASSAGES_KEPT = 4096
ARTICLES_KEPT = 4096


def _data(doc: tantivy.Document) -> dict:
    return json.loads(doc.get_first("data"))  # type: ignore[arg-type]


def _term(field: str, text: str) -> tantivy.Query:
    option = "basic" if field in BASIC_FIELDS else "freq"
    return Query.term_query(SCHEMA, field, text, index_option=option)


def _boosted(query: tantivy.Query, boost: float) -> tantivy.Query:
    return query if boost == 1.0 else Query.boost_query(query, boost)


def _filter(query: tantivy.Query) -> tantivy.Query:
    return Query.const_score_query(query, 0.0)


TIE_WINDOW = 10_000  # hits beyond the last place fetched to order a tie there; more stay as Tantivy has them
RERANK_DEPTH = 200  # candidates a proximity phrase rewards, as in the Whoosh engine
EVIDENCE_FETCH = 2000  # a term's passages fetched whole for the article evidence, up to this many
PHRASE_FETCH = 5000  # a proximity phrase's matches fetched whole, up to this many (Hits._close)


IN_ORDER_ALTERNATIVES = 27  # exact phrases a sloppy phrase may become (see _phrase)


def _phrase(node: q.Phrase) -> tantivy.Query:
    """Side by side (slop 1) is Tantivy's exact phrase. Our slop means "in order, each word
    within ``slop`` positions of the one before"; Tantivy's sloppy phrases also take words out
    of order, so a short one becomes the OR of every in-order placement (exact phrases with
    explicit offsets), a long one Tantivy's own sloppy phrase."""
    words, slop = list(node.words), node.slop
    if slop <= 1:
        return Query.phrase_query(SCHEMA, node.field, words)  # type: ignore[arg-type]
    if slop ** (len(words) - 1) > IN_ORDER_ALTERNATIVES:
        return Query.phrase_query(SCHEMA, node.field, words, slop=slop - 1)  # type: ignore[arg-type]
    placements: list[list[tuple[int, str]]] = [[(0, words[0])]]
    for word in words[1:]:
        placements = [p + [(p[-1][0] + gap, word)] for p in placements for gap in range(1, slop + 1)]
    return Query.boolean_query([(Occur.Should, Query.phrase_query(SCHEMA, node.field, p))  # type: ignore[arg-type]
                                for p in placements])


def compile_tree(node: q.Node, deferred: list | None = None) -> tantivy.Query:
    """A query tree as a Tantivy query. Proximity phrases (slop > 1) directly under an Or are
    left out and appended to ``deferred``, if given: they reward the best candidates only."""
    if isinstance(node, q.Term):
        return _boosted(_term(node.field, node.text), node.boost)
    if isinstance(node, q.Phrase):
        if len(node.words) == 1:
            return _boosted(_term(node.field, node.words[0]), node.boost)
        return _boosted(_phrase(node), node.boost)
    if isinstance(node, q.Or):
        children = []
        for child in node.children:
            if deferred is not None and isinstance(child, q.Phrase) and child.slop > 1:
                deferred.append(child)
            else:
                children.append(compile_tree(child, deferred))
        return _boosted(Query.boolean_query([(Occur.Should, c) for c in children]), node.boost)
    if isinstance(node, q.And):
        return _boosted(Query.boolean_query([(Occur.Must, compile_tree(c, deferred))
                                             for c in node.children]), node.boost)
    if isinstance(node, q.AndNot):
        return Query.boolean_query([(Occur.Must, compile_tree(node.positive, deferred)),
                                    (Occur.MustNot, compile_tree(node.negative))])
    if isinstance(node, q.AllPassages):
        return Query.const_score_query(_term("kind", "passage"), 1.0)
    raise TypeError(f"cannot match a {type(node).__name__}")


def date_range(start: str | None, end: str | None) -> tantivy.Query:
    """Passages of articles published within [start, end] (day prefixes, inclusive; an
    article without a readable date never matches)."""
    low, high = base.day_bounds(start, end)
    return Query.range_query(SCHEMA, "day", tantivy.FieldType.Unsigned, low, high)



class Reader(base.Reader):
    """One generation: a Tantivy searcher, its meta document and its facet tables."""

    def __init__(self, store, searcher: tantivy.Searcher, meta: dict,
                 tables: list[tuple[int, FacetTable]]):
        self.store = store
        self.searcher = searcher
        self.meta = meta
        self._starts = [start for start, _ in tables]
        self._tables = [table for _, table in tables]
        self._counting: TableCounts | None = None
        self._passage = lru_cache(PASSAGES_KEPT)(self._read_passage)
        self._articles: dict[str, dict | None] = {}  # doc_id → stored article, oldest first

    @classmethod
    def open(cls, store, searcher: tantivy.Searcher) -> Reader:
        """The reader of ``searcher``'s generation, with its meta document and the facet tables it
        names. FileNotFoundError if a table is gone (a commit retired it meanwhile: the store opens
        again), IndexError_ if one is damaged."""
        hits = searcher.search(_term("kind", "meta"), limit=1).hits
        if not hits:
            raise base.IndexError_(f"the index at {store.path} has no settings document")
        meta = _data(searcher.doc(hits[0][1]))
        tables = []
        for name in meta.get("tables", []):
            table = FacetTable.load(store.folder / name)
            if table is None:
                if not (store.folder / name).exists():
                    raise FileNotFoundError(name)
                raise base.IndexError_(f"the facet table {name} of the index at {store.path} "
                                       f"is damaged; rebuild it with `archive index --rebuild "
                                       f"--index {store.path} PATH`")
            tables.append((int(name.split("-")[1]), table))
        return cls(store, searcher, meta, sorted(tables, key=lambda t: t[0]))

    # -- stored documents -----------------------------------------------------------------------

    def _all(self, query: tantivy.Query) -> list[dict]:
        result = self.searcher.search(query, limit=1, count=True)
        if not result.count:  # type: ignore[attr-defined]
            return []
        hits = self.searcher.search(query, limit=result.count, count=False).hits  # type: ignore[attr-defined]
        return [_data(self.searcher.doc(address)) for _, address in hits]

    def documents(self, kind: str) -> list[dict]:
        """The stored data of every document of one ``kind`` ("article", "entity"…)."""
        return self._all(_term("kind", kind))

    def count_kind(self, kind: str) -> int:
        """How many documents of one ``kind`` this generation holds."""
        return self.searcher.search(_term("kind", kind), limit=1, count=True).count  # type: ignore[attr-defined]

    def _one(self, field: str, value: str) -> dict | None:
        hits = self.searcher.search(_term(field, value), limit=1).hits
        return _data(self.searcher.doc(hits[0][1])) if hits else None

    def article(self, doc_id: str) -> dict | None:
        """See ``archive.engines.base.Reader.article`` (its document's pid is ``<id>#article``;
        the last ARTICLES_KEPT read are kept parsed)."""
        if doc_id not in self._articles:
            self._keep_article(doc_id, self._one("pid", f"{doc_id}#article"))
        stored = self._articles[doc_id]
        return None if stored is None else dict(stored)

    def _keep_article(self, doc_id: str, stored: dict | None) -> None:
        if len(self._articles) >= ARTICLES_KEPT:  # the oldest read goes
            self._articles.pop(next(iter(self._articles), None), None)  # type: ignore[arg-type]
        self._articles[doc_id] = stored

    def articles(self, doc_ids: Iterable[str]) -> dict[str, dict]:
        """See ``archive.engines.base.Reader.articles``: those not kept parsed already are
        read with one search (their pid terms), not one each."""
        wanted = list(dict.fromkeys(doc_ids))
        missing = [doc_id for doc_id in wanted if doc_id not in self._articles]
        if len(missing) > 1:
            query = Query.boolean_query([(Occur.Should, _term("pid", f"{doc_id}#article"))
                                         for doc_id in missing])
            for _, address in self.searcher.search(query, limit=len(missing), count=False).hits:
                stored = _data(self.searcher.doc(address))
                self._keep_article(stored["doc_id"], stored)
        found = {doc_id: self.article(doc_id) for doc_id in wanted}
        return {doc_id: article for doc_id, article in found.items() if article is not None}

    def passage(self, ref) -> dict:
        """See ``archive.engines.base.Reader.passage``; ``ref`` is a Tantivy document address
        (the last PASSAGES_KEPT read are kept parsed)."""
        return dict(self._passage(ref.segment_ord, ref.doc))

    def _read_passage(self, segment: int, doc: int) -> dict:
        return _data(self.searcher.doc(tantivy.DocAddress(segment, doc)))

    def passages_of(self, doc_id: str) -> list[dict]:
        """See ``archive.engines.base.Reader.passages_of``."""
        query = Query.boolean_query([(Occur.Must, _term("doc_id", doc_id)),
                                     (Occur.Must, _term("kind", "passage"))])
        return sorted(self._all(query), key=lambda p: p["position"])

    def discovered_entities(self) -> list[dict]:
        """See ``archive.engines.base.Reader.discovered_entities`` (the ``entity`` documents)."""
        return self.documents("entity")

    def discovered_entity(self, entity_id: str) -> dict | None:
        """See ``archive.engines.base.Reader.discovered_entity``."""
        return self._one("pid", f"entity:{entity_id}")

    # -- terms ----------------------------------------------------------------------------------

    def doc_frequency(self, field: str, text: str) -> int:
        """See ``archive.engines.base.Reader.doc_frequency`` (Tantivy's ``doc_freq``)."""
        return self.searcher.doc_freq(field, text)

    def similar_terms(self, field: str, text: str, distance: int, prefix: int) -> list[str]:
        """Terms within ``distance`` edits: the term dictionary's terms that share the first
        ``prefix`` letters and have a length within ``distance``, checked by edit distance."""
        if len(text) < prefix:
            return []
        candidates = self.searcher.terms_with_prefix(field, text[:prefix])
        return [term for term, _ in candidates
                if abs(len(term) - len(text)) <= distance and base.within_edits(text, term, distance)]

    def sample_passages(self, field: str, text: str, count: int) -> list[dict]:
        """See ``archive.engines.base.Reader.sample_passages`` (the first hits of a term query)."""
        hits = self.searcher.search(_term(field, text), limit=count).hits
        return [_data(self.searcher.doc(address)) for _, address in hits]

    # -- matching -------------------------------------------------------------------------------

    def match(self, tree: q.Node, require: Iterable[str] = (), exclude: Iterable[str] = (),
              dates: tuple[str | None, str | None] = (None, None)) -> Hits:
        """See ``archive.engines.base.Reader.match``: one boolean query, restrictions as clauses
        that score 0; proximity phrases under an Or are deferred to ``Hits.top``."""
        deferred: list[q.Phrase] = []
        clauses = [(Occur.Must, compile_tree(tree, deferred))]
        clauses += [(Occur.Must, _filter(_term("entities", e))) for e in sorted(set(require))]
        clauses += [(Occur.MustNot, _term("entities", e)) for e in sorted(set(exclude))]
        if dates != (None, None):
            clauses.append((Occur.Must, _filter(date_range(*dates))))
        return Hits(self, clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses),
                    deferred)

    # -- facet tables ---------------------------------------------------------------------------

    def counting(self) -> TableCounts:
        """This generation's facet tables as arrays (archive.engines.tantivy.counting), made on
        first use."""
        if self._counting is None:
            self._counting = TableCounts(list(zip(self._starts, self._tables)))
        return self._counting

    def article_entity_counts(self, article_ids: Iterable[str]) -> Counter:
        """See ``archive.engines.base.Reader.article_entity_counts``."""
        ids = sorted(set(article_ids))
        if not ids:
            return Counter()
        query = Query.boolean_query([(Occur.Must, Query.term_set_query(SCHEMA, "doc_id", ids)),
                                     (Occur.Must, _term("kind", "passage"))])
        return Hits(self, query).entity_counts()

    def article_evidence(self, refs: list, terms: Sequence[QueryTerm]) -> Gathered | None:
        """See ``archive.engines.base.Reader.article_evidence``: one Tantivy search per term,
        restricted to the candidates' articles (their ``doc_id`` terms), whose hits' ordinals
        are then placed around each candidate: the Python work is the candidates' articles'
        passages holding a term, never the term's postings."""
        if not refs:
            return Gathered([], [])
        ordinals = np.array(self.searcher.fast_field_values("ordinal", refs), dtype=np.int64)
        doc_ids, first, last = self.counting().article_spans(ordinals)
        total = max(1, self.searcher.num_docs)
        weights: list[float] = []
        reached = []  # per term: held by the passage, within NEIGHBOURS, within ARTICLE_REACH
        around: list = []  # the candidates' articles as a query and their passages, made once
        for term in terms:
            frequency = self.doc_frequency(term.field, term.text)
            weights.append(math.log(total / (frequency + 1)) + 1)
            held = self._holders(term, frequency, doc_ids, first, last, around)
            reached.append([_any_within(held, np.maximum(first, ordinals - reach),
                                        np.minimum(last, ordinals + reach))
                            for reach in (0, NEIGHBOURS, ARTICLE_REACH)])
        levels = [_per_candidate([per_term[level] for per_term in reached], len(refs))
                  for level in range(3)]
        rows = list(zip(*levels))
        return Gathered(weights, rows)

    def counts(self) -> tuple[int, int]:
        """See ``archive.engines.base.Reader.counts``."""
        return self.count_kind("article"), self.count_kind("passage")

    def all_entity_counts(self) -> Counter:
        """See ``archive.engines.base.Reader.all_entity_counts`` (the facets of every passage)."""
        return self.match(q.AllPassages()).entity_counts()


    def _holders(self, term: QueryTerm, frequency: int, doc_ids: list[str], first: np.ndarray,
                 last: np.ndarray, around: list) -> np.ndarray:
        """The ordinals, ascending, of passages holding ``term``: all of them when they are
        at most EVIDENCE_FETCH (``frequency``: how many), else those of the candidates'
        articles (``doc_ids``, spanning ``first``..``last``), asked for with the articles'
        ``doc_id`` terms (``around`` keeps that query once made). Either way the spans around
        each candidate find the same ones: a smaller Tantivy query wins on rare terms, the
        restriction on common ones."""
        if not frequency:
            return np.zeros(0, dtype=np.int64)
        if frequency <= EVIDENCE_FETCH:
            query, size = _term(term.field, term.text), frequency
        else:
            if not around:
                size = sum(dict(zip(doc_ids, (last - first + 1).tolist())).values())
                around += [Query.boolean_query([(Occur.Should, _term("doc_id", doc_id))  # 4× a term set's speed
                                                for doc_id in sorted(set(doc_ids))]), size]
            query = Query.boolean_query([(Occur.Must, _term(term.field, term.text)),
                                         (Occur.Must, around[0])])
            size = around[1]
        hits = self.searcher.search(query, limit=max(1, size), count=False,
                                    order_by_field="ordinal", order=tantivy.Order.Asc).hits
        return np.fromiter(map(itemgetter(0), hits), dtype=np.int64, count=len(hits))


PATTERN_BITS = 62  # terms a candidate's flags hold as one int64 bit pattern


def _per_candidate(flags: list[np.ndarray], candidates: int) -> list[frozenset[int]]:
    """Per candidate, the indexes of the terms whose flag (one boolean array per term) is set:
    each candidate's flags as one bit pattern (numpy), one set per distinct pattern (a query
    has a handful of terms, so a few patterns serve fifty candidates)."""
    if not flags:
        return [frozenset()] * candidates
    if len(flags) > PATTERN_BITS:  # a very long query: term by term
        found: list[list[int]] = [[] for _ in range(candidates)]
        for term, flagged in enumerate(flags):
            for candidate in np.flatnonzero(flagged).tolist():
                found[candidate].append(term)
        return [frozenset(terms) for terms in found]
    patterns = np.zeros(candidates, dtype=np.int64)
    for term, flagged in enumerate(flags):
        patterns |= flagged.astype(np.int64) << term
    sets: dict[int, frozenset[int]] = {}
    for pattern in set(patterns.tolist()):
        sets[pattern] = frozenset(t for t in range(len(flags)) if pattern >> t & 1)
    return [sets[pattern] for pattern in patterns.tolist()]


def _any_within(held: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """For each [low, high] (inclusive), whether some ordinal of ``held`` (ascending) is in it."""
    return np.searchsorted(held, low) < np.searchsorted(held, high, side="right")


class Hits(base.Hits):
    """The passages one query matches in one generation."""

    def __init__(self, reader: Reader, query: tantivy.Query, deferred: list | None = None):
        self.reader, self.query, self.deferred = reader, query, deferred or []
        self._total: int | None = None
        self._ordinals: np.ndarray | None = None
        self._counts: np.ndarray | None = None

    @property
    def total(self) -> int:
        """How many passages matched (one counting search, remembered)."""
        if self._total is None:
            self._total = self.reader.searcher.search(self.query, limit=1, count=True).count  # type: ignore[attr-defined]
        return self._total

    def ordinals(self) -> np.ndarray:
        """Every hit's ordinal, ascending, as one array (one search for all of them, ordered by
        the fast field in Tantivy)."""
        if self._ordinals is None:
            if not self.total:
                self._ordinals = np.zeros(0, dtype=np.int64)
            else:
                hits = self.reader.searcher.search(self.query, limit=self.total, count=False,
                                                   order_by_field="ordinal",
                                                   order=tantivy.Order.Asc).hits
                self._ordinals = np.fromiter(map(itemgetter(0), hits), dtype=np.int64,
                                             count=len(hits))
        return self._ordinals

    def top(self, count: int, sort: str = "relevance") -> list[tuple[float, object]]:
        """See ``archive.engines.base.Hits.top``: by relevance, the deferred proximity phrases
        reward the best RERANK_DEPTH; by date, Tantivy orders by the ``day`` fast field."""
        if count <= 0:
            return []
        if sort == "relevance":  # its first search counts the hits too
            return self._by_relevance(count)
        if not self.total:
            return []
        return self._by_date(count, newest=sort == "date")

    def _by_relevance(self, count: int) -> list[tuple[float, object]]:
        """The best ``count``, a proximity phrase's bonus (× 1 + its boost) applied to the best
        RERANK_DEPTH only, whatever ``count`` is, so pages continue each other exactly."""
        searcher = self.reader.searcher
        ranked = self._scored(self.query, max(count, RERANK_DEPTH) if self.deferred else count)
        if not self.deferred or not ranked:
            return ranked
        head, tail = ranked[:RERANK_DEPTH], ranked[RERANK_DEPTH:]
        ordinals = searcher.fast_field_values("ordinal", [address for _, address in head])  # type: ignore[misc]
        for phrase in self.deferred:
            close = self._close(q.Phrase(phrase.field, phrase.words, phrase.slop), ordinals)
            head = [(s * (1 + phrase.boost) if near else s, a)
                    for (s, a), near in zip(head, close)]
        order = sorted(range(len(head)), key=lambda i: -head[i][0])  # stable: ties keep order
        return ([head[i] for i in order] + tail)[:count]

    def _close(self, phrase: q.Phrase, ordinals: list) -> list[bool]:
        """Per candidate (its ordinal), whether it holds ``phrase``. The phrase's own matches
        are fetched when they are at most PHRASE_FETCH (the usual case: a proximity phrase of
        three words matches a few hundred passages of 23,000) and looked up with numpy; more
        are asked for the candidates alone, whose restriction (a term set of RERANK_DEPTH
        ordinals) costs Tantivy 4× the phrase itself."""
        searcher = self.reader.searcher
        matches = searcher.search(compile_tree(phrase), limit=PHRASE_FETCH + 1, count=False,
                                  order_by_field="ordinal", order=tantivy.Order.Asc).hits
        if len(matches) <= PHRASE_FETCH:
            held = np.fromiter(map(itemgetter(0), matches), dtype=np.int64, count=len(matches))
            wanted = np.array(ordinals, dtype=np.int64)
            return _any_within(held, wanted, wanted).tolist()
        query = Query.boolean_query([(Occur.Must, compile_tree(phrase)), (Occur.Must, Query.term_set_query(
            SCHEMA, "ordinal", ordinals))])
        found = {ordinal for ordinal, _ in searcher.search(query, limit=len(ordinals), count=False,
                                                           order_by_field="ordinal").hits}
        return [ordinal in found for ordinal in ordinals]

    def _scored(self, query: tantivy.Query, count: int) -> list[tuple[float, object]]:
        """The best ``count`` by score, equal scores by ``tie_key``. Tantivy breaks ties by
        document address, which depends on how its threads split a build into segments; so
        when the last place is tied, the whole tie is fetched (up to TIE_WINDOW more hits) and
        ordered by that key (build, then plan order, then position)."""
        searcher = self.reader.searcher
        fetch = count
        while True:
            counting = self._total is None and query is self.query  # the total in the same pass
            result = searcher.search(query, limit=fetch + 1, count=counting)
            if counting:
                self._total = result.count  # type: ignore[attr-defined]
            hits: list[tuple[float, object]] = list(result.hits)
            if (len(hits) <= fetch or hits[-1][0] < hits[count - 1][0]
                    or fetch - count >= TIE_WINDOW):
                break
            fetch = min(2 * fetch, count + TIE_WINDOW)
        if not hits:
            return hits
        if len(set(score for score, _ in hits)) == len(hits):  # no tie: Tantivy's order it is
            return hits[:count]
        ties = searcher.fast_field_values("tie", [address for _, address in hits])  # type: ignore[misc]
        order = sorted(range(len(hits)), key=lambda i: (-hits[i][0], ties[i]))
        return [hits[i] for i in order[:count]]

    def _by_date(self, count: int, newest: bool) -> list[tuple[float, object]]:
        """By day (newest or oldest first), ties by score; undated passages last, by score.
        Tantivy orders by the day fast field; each day among the first ``count`` is then
        scored on its own, so ties keep relevance order."""
        searcher = self.reader.searcher
        dated = Query.boolean_query([(Occur.Must, self.query), (Occur.Must, _filter(
            Query.range_query(SCHEMA, "day", tantivy.FieldType.Unsigned, 1, 99991299)))])
        order = tantivy.Order.Desc if newest else tantivy.Order.Asc
        firsts = searcher.search(dated, limit=count, count=False, order_by_field="day",
                                 order=order).hits
        per_day = Counter(day for day, _ in firsts)
        ranked: list[tuple[float, object]] = []
        for day in sorted(per_day, reverse=newest):
            on_day = Query.boolean_query([(Occur.Must, self.query), (Occur.Must, _filter(
                Query.term_query(SCHEMA, "day", day)))])
            ranked += self._scored(on_day, per_day[day])
        if len(ranked) < count:
            undated = Query.boolean_query([(Occur.Must, self.query), (Occur.MustNot, Query.range_query(
                SCHEMA, "day", tantivy.FieldType.Unsigned, 1, 99991299))])
            ranked += self._scored(undated, count - len(ranked))
        return ranked

    def counted(self) -> np.ndarray:
        """Per entity of the generation (``TableCounts.entities``), its article count over the
        hits (counted once)."""
        if self._counts is None:
            self._counts = self.reader.counting().entity_counts(self.ordinals())
        return self._counts

    def entity_counts(self) -> Counter:
        """See ``archive.engines.base.Hits.entity_counts``."""
        return self.reader.counting().as_counter(self.counted())

    def facets(self, limit: int, type_of: Callable[[str], str | None],
               types: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        """See ``archive.engines.base.Hits.facets``: counted and cut with array operations."""
        return self.reader.counting().top(self.counted(), limit, type_of, types)

    def months(self) -> list[dict]:
        """See ``archive.engines.base.Hits.months``."""
        return self.reader.counting().months(self.ordinals())

    def articles(self) -> set[str]:
        """See ``archive.engines.base.Hits.articles``."""
        return self.reader.counting().articles(self.ordinals())
