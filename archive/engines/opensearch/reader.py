"""Reading one generation of an OpenSearch index: query trees in; hit counts, ranked passages,
entity facets and months (cluster-side aggregations), stored passages and articles, term
statistics out.

Query trees (archive.engines.query) become OpenSearch queries one to one: Or is a ``bool`` of
``should`` clauses (scores add up), And of ``must`` clauses, boosts are boosts; a phrase side by
side is a ``match_phrase``, a proximity phrase (our slop: in order, each word within ``slop``
positions of the one before) nested in-order ``span_near`` queries, one per gap. Entity and date
restrictions are ``filter`` / ``must_not`` clauses, which never change a score. Every scored
search is ``dfs_query_then_fetch``: term statistics are the whole index's, so a score does not
depend on how passages fall into shards. Lucene's BM25 is Tantivy's (same k1 and b, same
length encoding); Tantivy counts every document of the index in a term's idf and the average
length, so every other document here holds one placeholder term in the term fields too (see
``store.PLACEHOLDER``). The article-evidence bonus is added to these scores, so their scale
matters.

A reader is bound to one generation (a concrete index behind the alias), so it keeps answering
from it however long it is held (the build after next deletes it).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from hashlib import sha1
from typing import Any, NamedTuple

from archive.engines import base
from archive.engines import query as q

K1, B = 1.2, 0.75  # BM25, as Tantivy's
RERANK_DEPTH = 200  # candidates a proximity phrase rewards, as in the other engines
AGG_SIZE = 20_000  # distinct entities (or months) one facet aggregation returns at most
PRECISION = 40_000  # cardinality's exact-counting threshold (OpenSearch's maximum)
PAGE = 5_000  # documents one request of a full listing fetches
NOT_STORED = ["stem", "exact"]  # term lists: indexed, in _source for reindexing, never fetched


def document_id(pid: str) -> str:
    """A document's _id: its pid, or a hash of it past OpenSearch's 512 bytes (shared with the
    store, which writes under the same ids)."""
    return pid if len(pid.encode("utf-8")) <= 400 else "h:" + sha1(pid.encode("utf-8")).hexdigest()


class Ref(NamedTuple):
    """A hit's reference: its passage's pid (a tuple, so equal scores keep the engine's order
    in archive.article_evidence's re-sorting, as the other engines' references do)."""

    pid: str


def compile_tree(node: q.Node, deferred: list | None = None) -> dict:
    """A query tree as an OpenSearch query. Proximity phrases (slop > 1) directly under an Or
    are left out and appended to ``deferred``, if given: they reward the best candidates only."""
    if isinstance(node, q.Term):
        return {"term": {node.field: {"value": node.text, "boost": node.boost}}}
    if isinstance(node, q.Phrase):
        if len(node.words) == 1:
            return {"term": {node.field: {"value": node.words[0], "boost": node.boost}}}
        return _phrase(node)
    if isinstance(node, q.Or):
        children = []
        for child in node.children:
            if deferred is not None and isinstance(child, q.Phrase) and child.slop > 1:
                deferred.append(child)
            else:
                children.append(compile_tree(child, deferred))
        if not children:
            return {"match_none": {}}
        return {"bool": {"should": children, "boost": node.boost}}
    if isinstance(node, q.And):
        return {"bool": {"must": [compile_tree(c, deferred) for c in node.children],
                         "boost": node.boost}}
    if isinstance(node, q.AndNot):
        return {"bool": {"must": [compile_tree(node.positive, deferred)],
                         "must_not": [compile_tree(node.negative)]}}
    if isinstance(node, q.AllPassages):
        return {"constant_score": {"filter": {"term": {"kind": "passage"}}, "boost": 1.0}}
    raise TypeError(f"cannot match a {type(node).__name__}")


def _phrase(node: q.Phrase) -> dict:
    if node.slop <= 1:
        return {"match_phrase": {node.field: {"query": " ".join(node.words), "boost": node.boost}}}
    span: dict = {"span_term": {node.field: node.words[0]}}
    for word in node.words[1:]:  # each gap on its own: the next word within slop of the last
        span = {"span_near": {"clauses": [span, {"span_term": {node.field: word}}],
                              "slop": node.slop - 1, "in_order": True}}
    span["span_near"]["boost"] = node.boost
    return span


def date_range(start: str | None, end: str | None) -> dict:
    """Passages of articles published within [start, end] (day prefixes, inclusive; an
    article without a readable date has no ``day`` and never matches)."""
    low, high = base.day_bounds(start, end)
    return {"range": {"day": {"gte": low, "lte": high}}}



def _regexp_literal(text: str) -> str:
    return "".join(c if c.isalnum() else "\\" + c for c in text)


class Reader(base.Reader):
    """One generation: a concrete index of the cluster and its meta document."""

    def __init__(self, store, index: str, meta: dict):
        self.store = store
        self.client = store.client
        self.index = index
        self.meta = meta
        self._sources: dict[str, dict] = {}  # pid → stored passage, from the last hits fetched

    # -- requests -------------------------------------------------------------------------------

    def search(self, body: dict, scored: bool = True) -> dict:
        """One search of this generation (``dfs_query_then_fetch`` when scores matter)."""
        params: dict[str, Any] = {"search_type": "dfs_query_then_fetch"} if scored else {}
        with self.store.errors():
            return self.client.search(index=self.index, body=body, **params)

    def count(self, query: dict) -> int:
        """How many documents ``query`` matches."""
        with self.store.errors():
            return int(self.client.count(index=self.index, body={"query": query})["count"])

    def every(self, query: dict, sort: list | None = None) -> Iterable[dict]:
        """Every document ``query`` matches (its _source, term lists left out), PAGE at a time
        in ``_id`` order (search_after)."""
        after = None
        while True:
            body: dict = {"query": query, "size": PAGE, "sort": sort or [{"pid": "asc"}],
                          "_source": {"excludes": NOT_STORED}}
            if after is not None:
                body["search_after"] = after
            hits = self.search(body, scored=False)["hits"]["hits"]
            for hit in hits:
                yield hit["_source"]
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    # -- stored documents -----------------------------------------------------------------------

    def documents(self, kind: str) -> list[dict]:
        """The stored data of every document of one ``kind`` ("article", "entity"…)."""
        return [source["data"] for source in self.every({"term": {"kind": kind}})]

    def _one(self, pid: str) -> dict | None:
        """The stored data of the document ``pid``, by its _id (a get: no search)."""
        from opensearchpy.exceptions import NotFoundError

        with self.store.errors():
            try:
                found = self.client.get(index=self.index, id=document_id(pid),
                                        _source_includes=["data"])
            except NotFoundError:
                return None
        return found["_source"]["data"]

    def article(self, doc_id: str) -> dict | None:
        """See ``archive.engines.base.Reader.article``."""
        return self._one(f"{doc_id}#article")

    def passage(self, ref) -> dict:
        """See ``archive.engines.base.Reader.passage``; ``ref`` is the passage's pid."""
        pid = ref.pid if isinstance(ref, Ref) else ref
        found = self._sources.get(pid) or self._one(pid)
        if found is None:
            raise KeyError(ref)
        return found

    def passages_of(self, doc_id: str) -> list[dict]:
        """See ``archive.engines.base.Reader.passages_of``."""
        query = {"bool": {"filter": [{"term": {"doc_id": doc_id}}, {"term": {"kind": "passage"}}]}}
        return sorted((s["data"] for s in self.every(query)), key=lambda p: p["position"])

    def discovered_entities(self) -> list[dict]:
        """See ``archive.engines.base.Reader.discovered_entities``."""
        return self.documents("entity")

    def discovered_entity(self, entity_id: str) -> dict | None:
        """See ``archive.engines.base.Reader.discovered_entity``."""
        return self._one(f"entity:{entity_id}")

    def remember(self, hits: list[dict]) -> None:
        """Keep the stored passages of hits just fetched (only those), for ``passage``."""
        self._sources.clear()
        for hit in hits:
            self._sources[hit["_source"]["pid"]] = hit["_source"]["data"]

    # -- terms ----------------------------------------------------------------------------------

    def doc_frequency(self, field: str, text: str) -> int:
        """See ``archive.engines.base.Reader.doc_frequency`` (exact: a count)."""
        return self.count({"term": {field: text}})

    def similar_terms(self, field: str, text: str, distance: int, prefix: int) -> list[str]:
        """Terms within ``distance`` edits sharing the first ``prefix`` letters: the field's
        terms with that prefix (a terms aggregation over its field data), checked by edit
        distance."""
        if len(text) < prefix:
            return []
        body = {"size": 0, "aggs": {"t": {"terms": {
            "field": field, "size": AGG_SIZE, "include": _regexp_literal(text[:prefix]) + ".*"}}}}
        buckets = self.search(body, scored=False)["aggregations"]["t"]["buckets"]
        return [b["key"] for b in buckets if abs(len(b["key"]) - len(text)) <= distance
                and base.within_edits(text, b["key"], distance)]

    def sample_passages(self, field: str, text: str, count: int) -> list[dict]:
        """See ``archive.engines.base.Reader.sample_passages``."""
        hits = self.search({"query": {"term": {field: text}}, "size": count,
                            "sort": ["_score", {"tie": "asc"}],
                            "_source": {"excludes": NOT_STORED}})["hits"]["hits"]
        return [hit["_source"]["data"] for hit in hits]

    # -- matching -------------------------------------------------------------------------------

    def match(self, tree: q.Node, require: Iterable[str] = (), exclude: Iterable[str] = (),
              dates: tuple[str | None, str | None] = (None, None)) -> Hits:
        """See ``archive.engines.base.Reader.match``: one bool query, restrictions as filters;
        proximity phrases under an Or are deferred to ``Hits.top``."""
        deferred: list[q.Phrase] = []
        query: dict = {"bool": {"must": [compile_tree(tree, deferred)],
                                "filter": [{"term": {"entities": e}} for e in sorted(set(require))],
                                "must_not": [{"term": {"entities": e}} for e in sorted(set(exclude))]}}
        if dates != (None, None):
            query["bool"]["filter"].append(date_range(*dates))
        return Hits(self, query, deferred)

    def article_entity_counts(self, article_ids: Iterable[str]) -> Counter:
        """See ``archive.engines.base.Reader.article_entity_counts``."""
        ids = sorted(set(article_ids))
        if not ids:
            return Counter()
        counts: Counter = Counter()
        for start in range(0, len(ids), 10_000):  # terms queries take 65,536 values at most
            query = {"bool": {"filter": [{"terms": {"doc_id": ids[start:start + 10_000]}},
                                         {"term": {"kind": "passage"}}]}}
            counts.update(Hits(self, query).entity_counts())
        return counts

    def all_entity_counts(self) -> Counter:
        """See ``archive.engines.base.Reader.all_entity_counts``."""
        return self.match(q.AllPassages()).entity_counts()

    def evidence(self) -> Evidence:
        """For archive.article_evidence, asked about the candidates' articles only."""
        return Evidence(self)

    def counts(self) -> tuple[int, int]:
        """See ``archive.engines.base.Reader.counts``."""
        return self.count({"term": {"kind": "article"}}), self.count({"term": {"kind": "passage"}})


class Hits(base.Hits):
    """The passages one query matches in one generation."""

    def __init__(self, reader: Reader, query: dict, deferred: list | None = None):
        self.reader, self.query, self.deferred = reader, query, deferred or []
        self._total: int | None = None
        self._counts: Counter | None = None

    @property
    def total(self) -> int:
        """How many passages matched (one count, remembered)."""
        if self._total is None:
            self._total = self.reader.count(self.query)
        return self._total

    def top(self, count: int, sort: str = "relevance") -> list[tuple[float, Any]]:
        """See ``archive.engines.base.Hits.top``: equal scores in build order (the ``tie``
        field, as Tantivy's); by relevance, the deferred proximity phrases reward the best
        RERANK_DEPTH."""
        if count <= 0 or not self.total:
            return []
        if sort == "relevance":
            ranked = self._fetch(max(count, RERANK_DEPTH) if self.deferred else count,
                                 ["_score", {"tie": "asc"}])
            return self._rewarded(ranked)[:count] if self.deferred else ranked
        order = "desc" if sort == "date" else "asc"
        return self._fetch(count, [{"day": {"order": order, "missing": "_last"}},
                                   {"_score": "desc"}, {"tie": "asc"}])

    def _fetch(self, count: int, sort: list) -> list[tuple[float, Any]]:
        """The first ``count`` hits in ``sort`` order (then by pid, so the order is total),
        PAGE at a time (search_after: no result window to outgrow). The stored passages of the
        first and the last request are kept for ``Reader.passage``: the head is what evidence
        asks about, the tail the page shown."""
        ranked: list[tuple[float, Any]] = []
        first: list[dict] = []
        hits: list[dict] = []
        after = None
        while len(ranked) < count:
            size = min(count - len(ranked), PAGE)
            body: dict = {"query": self.query, "size": size, "sort": [*sort, {"pid": "asc"}],
                          "track_scores": True, "_source": {"excludes": NOT_STORED}}
            if after is not None:
                body["search_after"] = after
            hits = self.reader.search(body)["hits"]["hits"]
            first = first or hits
            ranked += [(hit["_score"] or 0.0, Ref(hit["_source"]["pid"])) for hit in hits]
            if len(hits) < size:
                break
            after = hits[-1]["sort"]
        self.reader.remember(first if first is hits else first + hits)
        return ranked

    def _rewarded(self, ranked: list[tuple[float, Any]]) -> list[tuple[float, Any]]:
        """A proximity phrase's bonus (× 1 + its boost) on the best RERANK_DEPTH only, whatever
        the page, so pages continue each other exactly."""
        head, tail = ranked[:RERANK_DEPTH], ranked[RERANK_DEPTH:]
        pids = [ref.pid for _, ref in head]
        for phrase in self.deferred:
            body = {"query": {"bool": {"must": [_phrase(q.Phrase(phrase.field, phrase.words,
                                                                 phrase.slop))],
                                       "filter": [{"terms": {"pid": pids}}]}},
                    "size": len(pids), "_source": ["pid"]}
            close = {hit["_source"]["pid"] for hit in
                     self.reader.search(body, scored=False)["hits"]["hits"]}
            head = [(s * (1 + phrase.boost) if r.pid in close else s, r) for s, r in head]
        order = sorted(range(len(head)), key=lambda i: -head[i][0])  # stable: ties keep order
        return [head[i] for i in order] + tail

    def _per_article(self, field: str) -> Counter:
        """``field`` value → distinct articles among the hits having it (a terms aggregation
        with a cardinality of ``doc_id`` under each bucket: exact up to its precision threshold,
        HyperLogLog above). No value can have more articles than there are hits, so the
        threshold is the hit count, up to PRECISION: exact below it, and cheaper (its cost
        grows with the threshold)."""
        precision = min(PRECISION, max(100, self.total))
        body = {"size": 0, "query": self.query, "aggs": {"v": {
            "terms": {"field": field, "size": AGG_SIZE, "shard_size": AGG_SIZE},
            "aggs": {"a": {"cardinality": {"field": "doc_id", "precision_threshold": precision}}}}}}
        buckets = self.reader.search(body, scored=False)["aggregations"]["v"]["buckets"]
        return Counter({b["key"]: int(b["a"]["value"]) for b in buckets})

    def entity_counts(self) -> Counter:
        """See ``archive.engines.base.Hits.entity_counts`` (one aggregation, remembered)."""
        if self._counts is None:
            self._counts = self._per_article("entities.id") if self.total else Counter()
        return self._counts

    def months(self) -> list[dict]:
        """See ``archive.engines.base.Hits.months``."""
        if not self.total:
            return []
        counts = self._per_article("month")
        return [{"month": month, "count": counts[month]} for month in sorted(counts)]

    def articles(self) -> set[str]:
        """See ``archive.engines.base.Hits.articles`` (a composite aggregation, paged)."""
        found: set[str] = set()
        after = None
        while self.total:
            composite: dict = {"size": PAGE, "sources": [{"d": {"terms": {"field": "doc_id"}}}]}
            if after is not None:
                composite["after"] = after
            result = self.reader.search({"size": 0, "query": self.query,
                                         "aggs": {"c": {"composite": composite}}}, scored=False)
            aggregation = result["aggregations"]["c"]
            found.update(b["key"]["d"] for b in aggregation["buckets"])
            after = aggregation.get("after_key")
            if after is None or len(aggregation["buckets"]) < PAGE:
                break
        return found


__all__ = ["Reader", "Hits", "compile_tree"]


class Evidence:
    """``archive.article_evidence.Evidence`` of one generation. Passages are keyed by (article,
    position); ``holding`` answers lazily: its first use asks, in one search per term, which
    passages *of the candidates' articles* hold it (the candidates are known once ``keys`` is
    called), so a common word costs what its matches among those articles cost."""

    def __init__(self, reader: Reader):
        self.reader = reader
        self.articles: list[str] = []
        self._total: int | None = None

    def keys(self, refs: list) -> list:
        """(article, position) of each hit, from the stored passages fetched with the hits."""
        keys = []
        for ref in refs:
            stored = self.reader.passage(ref)
            keys.append((stored["doc_id"], stored["position"]))
        self.articles = sorted({doc_id for doc_id, _ in keys})
        return keys

    def holding(self, field: str, term: str) -> _Holding:
        """The passages holding a term, among the candidates' articles (resolved when used)."""
        return _Holding(self, field, term)

    def weight(self, field: str, term: str) -> float:
        """The term's idf, as the Tantivy engine computes it (over every document)."""
        if self._total is None:
            self._total = max(1, self.reader.count({"match_all": {}}))
        return math.log(self._total / (self.reader.doc_frequency(field, term) + 1)) + 1

    def neighbours(self, key: tuple, reach: int) -> set:
        """``key`` and the passages of its article at most ``reach`` positions away."""
        doc_id, position = key
        return {(doc_id, p) for p in range(max(0, position - reach), position + reach + 1)}

    def resolve(self, field: str, term: str) -> set:
        """(article, position) of the candidates' articles' passages holding the term."""
        if not self.articles:
            return set()
        query = {"bool": {"filter": [{"term": {field: term}},
                                     {"terms": {"doc_id": self.articles}}]}}
        return {(p["doc_id"], p["data"]["position"]) for p in self.reader.every(query)}


class _Holding:
    """A set of passage keys, computed on first use (see ``Evidence``)."""

    def __init__(self, evidence: Evidence, field: str, term: str):
        self.evidence, self.field, self.term = evidence, field, term
        self._keys: set | None = None

    def _resolved(self) -> set:
        if self._keys is None:
            self._keys = self.evidence.resolve(self.field, self.term)
        return self._keys

    def __contains__(self, key: object) -> bool:
        return key in self._resolved()

    def isdisjoint(self, other: Iterable) -> bool:
        """As ``set.isdisjoint``."""
        return self._resolved().isdisjoint(other)
