"""Reading one generation of a Whoosh index: query trees in; hit counts, ranked passages, exact
entity facets, months, stored passages and articles, term statistics out.

A query tree (archive.engines.query) becomes the Whoosh query tree it always was, and is
matched and ranked from whole posting blocks (``ranking``), restrictions applied as sets of
document numbers; facets come from the per-segment integer tables (``facets``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from whoosh import query as wq

from archive.article_evidence import TableEvidence
from archive.dates import iso_day, within
from archive.engines import base
from archive.engines import query as q
from archive.engines.facet_tables import month_counts
from archive.engines.whoosh import ranking
from archive.engines.whoosh.facets import FacetIndex
from archive.engines.whoosh.postings import term_docs


def passage_filter() -> wq.Query:
    """The Whoosh query matching every passage document (no article, entity or meta document)."""
    return wq.Term("kind", "passage")


def to_whoosh(node: q.Node) -> wq.Query:
    """A query tree as a Whoosh query."""
    if isinstance(node, q.Term):
        return wq.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, q.Phrase):
        return wq.Phrase(node.field, list(node.words), slop=node.slop, boost=node.boost)
    if isinstance(node, q.Or):
        return wq.Or([to_whoosh(c) for c in node.children], boost=node.boost)
    if isinstance(node, q.And):
        return wq.And([to_whoosh(c) for c in node.children], boost=node.boost)
    if isinstance(node, q.AndNot):
        return wq.AndNot(to_whoosh(node.positive), to_whoosh(node.negative))
    if isinstance(node, q.AllPassages):
        return wq.ConstantScoreQuery(passage_filter())
    raise TypeError(f"cannot match a {type(node).__name__}")


class Reader(base.Reader):
    """A Whoosh searcher with every file it reads open, its facet tables and article days."""

    def __init__(self, store, searcher):
        self.store = store
        self.searcher = searcher
        self._facets: FacetIndex | None = None
        self._days: dict[str, str | None] | None = None

    # -- per-generation tables ------------------------------------------------------------------

    def facet_index(self) -> FacetIndex:
        """This generation's facet tables (archive.engines.whoosh.facets), made on first use; saved
        beside the segments unless the store is read-only."""
        if self._facets is None:
            self._facets = FacetIndex(self.searcher, self.store.path,
                                      writable=not self.store.readonly)
        return self._facets

    def article_days(self) -> dict[str, str | None]:
        """Article id → its day (archive.dates.iso_day), read once per generation."""
        if self._days is None:
            self._days = {f["doc_id"]: iso_day(f.get("date"))
                          for f in self.searcher.documents(kind="article")}
        return self._days

    def docs(self, field: str, text: str) -> set[int]:
        """The docnums of the live documents holding the term ``text`` in ``field``."""
        return term_docs(self.searcher, field, text)

    # -- stored documents -----------------------------------------------------------------------

    def passage(self, ref: int) -> dict:
        """See ``archive.engines.base.Reader.passage``; ``ref`` is a Whoosh docnum."""
        stored = dict(self.searcher.stored_fields(ref))
        stored["entities"] = [e for e in stored.get("entities", "").split(",") if e]
        return stored

    def article(self, doc_id: str) -> dict | None:
        """See ``archive.engines.base.Reader.article``."""
        return self.store.article(doc_id, self.searcher)

    def passages_of(self, doc_id: str) -> list[dict]:
        """See ``archive.engines.base.Reader.passages_of``."""
        stored = map(self.passage, self.docs("doc_id", doc_id))
        return sorted((f for f in stored if f.get("kind") == "passage"), key=lambda p: p["position"])

    def discovered_entities(self) -> list[dict]:
        """See ``archive.engines.base.Reader.discovered_entities``."""
        return self.store.discovered_entities(self.searcher)

    def discovered_entity(self, entity_id: str) -> dict | None:
        """See ``archive.engines.base.Reader.discovered_entity``."""
        return self.store.discovered_entity(entity_id, self.searcher)

    # -- terms ----------------------------------------------------------------------------------

    def doc_frequency(self, field: str, text: str) -> int:
        """See ``archive.engines.base.Reader.doc_frequency`` (Whoosh's ``doc_frequency``)."""
        return self.searcher.doc_frequency(field, text)

    def similar_terms(self, field: str, text: str, distance: int, prefix: int) -> list[str]:
        """See ``archive.engines.base.Reader.similar_terms`` (Whoosh's ``terms_within``)."""
        return list(self.searcher.reader().terms_within(field, text, distance, prefix=prefix))

    def sample_passages(self, field: str, text: str, count: int) -> list[dict]:
        """See ``archive.engines.base.Reader.sample_passages``: the first ``count`` by docnum."""
        return [self.passage(d) for d in sorted(self.docs(field, text))[:count]]

    # -- matching -------------------------------------------------------------------------------

    def match(self, tree: q.Node, require: Iterable[str] = (), exclude: Iterable[str] = (),
              dates: tuple[str | None, str | None] = (None, None)) -> Hits:
        """See ``archive.engines.base.Reader.match``: restrictions as sets of docnums, the tree
        scored from whole posting blocks (``ranking.match``), proximity phrases left to ``Hits.top``
        for the best."""
        allowed = None if dates == (None, None) else self._dated(*dates)
        for entity_id in sorted(set(require)):
            docs = self.docs("entities", entity_id)
            allowed = docs if allowed is None else allowed & docs
        scores, deferred = ranking.match(to_whoosh(tree), self.searcher, allowed)
        excluded = set().union(*(self.docs("entities", e) for e in set(exclude)))
        if excluded:
            scores = ranking.without(scores, excluded)
        return Hits(self, scores, deferred)

    def _dated(self, start: str | None, end: str | None) -> set[int]:
        """The passages of the articles published between ``start`` and ``end``."""
        days = self.article_days()
        return self.facet_index().passages_of({a for a, d in days.items() if within(d, start, end)})

    def entity_articles(self, entity_id: str) -> list[str]:
        """See ``archive.engines.base.Reader.entity_articles``."""
        return sorted(self.facet_index().articles_with(self.docs("entities", entity_id)))

    def article_entity_counts(self, article_ids: Iterable[str]) -> Counter:
        """See ``archive.engines.base.Reader.article_entity_counts``."""
        passages = set().union(*(self.docs("doc_id", a) for a in article_ids))
        return self.facet_index().article_counts(passages)

    def counts(self) -> tuple[int, int]:
        """See ``archive.engines.base.Reader.counts``."""
        return len(self.docs("kind", "article")), len(self.docs("kind", "passage"))

    def all_entity_counts(self) -> Counter:
        """See ``archive.engines.base.Reader.all_entity_counts``."""
        return self.facet_index().article_counts(self.docs("kind", "passage"))

    def evidence(self) -> TableEvidence:
        """See ``archive.engines.base.Reader.evidence``: docnums, Whoosh's idf and the facet tables."""
        return TableEvidence(self.docs, self.searcher.idf, self.facet_index().article_tables())


class Hits(base.Hits):
    """The passages a query tree matched: each one's score by docnum, and the proximity phrases
    ``top`` applies to the best."""

    def __init__(self, reader: Reader, scores: dict[int, float], deferred: list):
        self.reader, self.scores, self.deferred = reader, scores, deferred
        self._counts: Counter | None = None
        self._months: list[dict] | None = None

    @property
    def total(self) -> int:
        """How many passages matched."""
        return len(self.scores)

    def top(self, count: int, sort: str = "relevance") -> list[tuple[float, int]]:
        """See ``archive.engines.base.Hits.top``: by relevance through ``ranking.top`` (proximity
        bonus on the best), by date from the articles' days."""
        if sort == "relevance":
            return ranking.top(self.reader.searcher, self.scores, self.deferred, count)
        day_of = self.reader.facet_index().by_article(self.scores.keys(), self.reader.article_days())
        return base.dated_order(self.scores, day_of, count, newest=sort == "date")  # type: ignore[return-value]

    def entity_counts(self) -> Counter:
        """See ``archive.engines.base.Hits.entity_counts`` (from the facet tables, counted once)."""
        if self._counts is None:
            self._counts = self.reader.facet_index().article_counts(self.scores.keys())
        return self._counts

    def months(self) -> list[dict]:
        """See ``archive.engines.base.Hits.months``."""
        if self._months is None:
            days = self.reader.article_days()
            self._months = month_counts(map(days.get, self.articles()))
        return self._months

    def articles(self) -> set[str]:
        """See ``archive.engines.base.Hits.articles``."""
        return self.reader.facet_index().articles_with(self.scores.keys())
