"""A parsed query and a Store in; ranked, highlighted passages out.

Ranking is BM25F over two fields: ``stem`` (recall: clitics, suffixes, plurals folded) and
``exact`` (normalized surface forms, boosted, so a passage with the very form asked for ranks
first). Several words are a soft AND: a passage with every word gets the AND and the OR score, one
missing a word still appears, lower. A passage with the words close together gets a proximity
bonus. Hits are counted in the same pass that ranks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TopCollector

from archive.arabic import Analyzer, LookupContext, tokenize
from archive.query import Clause, ParsedQuery, Unit, parse
from archive.store import Store, passage_filter

EXACT_BOOST = 0.5  # weight of the exact form next to the stem
ALL_WORDS_BOOST = 1.0  # extra weight for matching every word (on top of the OR score)
PROXIMITY_BOOST = 0.5  # extra weight when the words stand within PROXIMITY_SLOP of each other
PROXIMITY_SLOP = 3


@dataclass
class Hit:
    rank: int
    score: float
    doc_id: str
    title: str
    date: str | None
    source: str | None
    text: str
    highlights: list[list[int]]
    position: int
    entities: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "rank": self.rank, "score": round(self.score, 4), "doc_id": self.doc_id,
            "title": self.title, "date": self.date, "source": self.source, "text": self.text,
            "highlights": self.highlights, "entities": self.entities,
        }


@dataclass
class SearchResults:
    query: str
    total: int
    page: int
    limit: int
    hits: list[Hit]
    facets: dict[str, list[dict]] = field(default_factory=dict)
    docnums: list[int] = field(default_factory=list, repr=False)  # every hit, for facets

    def to_dict(self) -> dict:
        out = {"query": self.query, "total": self.total, "page": self.page, "limit": self.limit,
               "results": [h.to_dict() for h in self.hits]}
        if self.facets:
            out["facets"] = self.facets
        return out


@dataclass
class QueryTerms:
    """What a parsed query asks for, as index terms (also used to highlight)."""

    stems: set[str] = field(default_factory=set)
    exact: set[str] = field(default_factory=set)
    phrases: list[tuple[str, ...]] = field(default_factory=list)


class AllHitsCollector(TopCollector):
    """Top N by score, visiting every match once: counts the total and keeps every matching
    document number (for facets) in the same pass; no second run of the query."""

    def __init__(self, limit: int):
        super().__init__(limit=limit, usequality=False)
        self.docnums: list[int] = []

    def _collect(self, global_docnum, score):
        self.docnums.append(global_docnum)
        return super()._collect(global_docnum, score)


class Searcher:
    def __init__(self, store: Store, analyzer: Analyzer):
        self.store = store
        self.analyzer = analyzer

    # -- query building -----------------------------------------------------------------------

    def _context(self):
        searcher = self.store.searcher()
        return LookupContext(lambda stem: searcher.doc_frequency("stem", stem))

    def _unit_query(self, unit: Unit, terms: QueryTerms, context, record: bool):
        analysed = [self.analyzer.term(word, context=context) for word in unit.words]
        if unit.phrase:
            forms = tuple(t.exact for t in analysed)
            if record:
                terms.phrases.append(forms)
            return wq.Phrase("exact", list(forms))
        (term,) = analysed
        if term.stem is None:  # a stopword on its own: only its exact form can match
            if record:
                terms.exact.add(term.exact)
            return wq.Term("exact", term.exact)
        if record:
            terms.stems.add(term.stem)
            terms.exact.add(term.exact)
        return wq.Or([wq.Term("stem", term.stem), wq.Term("exact", term.exact, boost=EXACT_BOOST)])

    def build(self, parsed: ParsedQuery) -> tuple[wq.Query | None, QueryTerms]:
        context = self._context()
        terms = QueryTerms()
        positive = [self._clause_query(c, terms, context, True) for c in self._informative(parsed)]
        negative = [self._clause_query(c, terms, context, False) for c in parsed.negative]
        if positive:
            matched = positive[0] if len(positive) == 1 else wq.Or(
                [wq.And(positive, boost=ALL_WORDS_BOOST), wq.Or(positive), *self._proximity(parsed)])
        elif negative:
            matched = passage_filter()
        else:
            return None, terms
        if negative:
            matched = wq.AndNot(matched, wq.Or(negative))
        return matched, terms

    def _informative(self, parsed: ParsedQuery) -> list[Clause]:
        """Positive clauses without lone stopwords, unless stopwords are all there is."""
        clauses = parsed.positive
        useful = [c for c in clauses if any(
            u.phrase or self.analyzer.term(u.words[0]).stem is not None for u in c.units)]
        return useful or clauses

    def _clause_query(self, clause: Clause, terms, context, record: bool):
        queries = [self._unit_query(u, terms, context, record) for u in clause.units]
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def _proximity(self, parsed: ParsedQuery) -> list[wq.Query]:
        """Words typed side by side, each a single plain word: reward passages where they stand
        close together (in the stem field, so clitics and suffixes do not break the run)."""
        clauses = parsed.positive
        if len(clauses) < 2 or any(len(c.units) > 1 or c.units[0].phrase for c in clauses):
            return []
        stems = [self.analyzer.term(c.units[0].words[0]).stem for c in clauses]
        stems = [s for s in stems if s]
        if len(stems) < 2:
            return []
        return [wq.Phrase("stem", stems, slop=PROXIMITY_SLOP, boost=PROXIMITY_BOOST)]

    # -- running ------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 10, page: int = 1, allow=None) -> SearchResults:
        limit, page = max(1, int(limit)), max(1, int(page))
        parsed = parse(text)
        q, terms = self.build(parsed)
        if q is None:
            return SearchResults(text, 0, page, limit, [])
        searcher = self.store.searcher()
        collector = AllHitsCollector(limit * page)
        restrict = passage_filter() if allow is None else wq.And([passage_filter(), allow])
        searcher.search_with_collector(q, FilterCollector(collector, allow=restrict))
        ranked = sorted(collector.items, reverse=True)[(page - 1) * limit:]
        hits = [self._hit(searcher, (page - 1) * limit + i + 1, score, -negdoc, terms)
                for i, (score, negdoc) in enumerate(ranked)]
        return SearchResults(text, collector.total, page, limit, hits, docnums=collector.docnums)

    def _hit(self, searcher, rank, score, docnum, terms: QueryTerms) -> Hit:
        stored = searcher.stored_fields(docnum)
        article = self.store.article(stored["doc_id"]) or {}
        return Hit(
            rank=rank, score=float(score), doc_id=stored["doc_id"],
            title=article.get("title", ""), date=article.get("date"),
            source=article.get("source"), text=stored["text"],
            highlights=highlight(stored["text"], terms, self.analyzer),
            position=stored["position"])


def highlight(text: str, terms: QueryTerms, analyzer: Analyzer) -> list[list[int]]:
    """[start, end] character spans in ``text`` of the words and phrases the query matched."""
    spans = list(tokenize(text))
    readings = [analyzer.candidates(s.surface) for s in spans]
    marked: list[list[int]] = []
    for i, (exacts, stems) in enumerate(readings):
        if exacts & terms.exact or stems & terms.stems:
            marked.append([spans[i].start, spans[i].end])
    for phrase in terms.phrases:
        n = len(phrase)
        for i in range(len(spans) - n + 1):
            if all(phrase[k] in readings[i + k][0] for k in range(n)):
                marked.append([spans[i].start, spans[i + n - 1].end])
    return _merge(marked)


def _merge(spans: list[list[int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
