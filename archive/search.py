"""A parsed query and an engine's Store in; ranked, highlighted passages out.

Ranking is BM25F over two fields: ``stem`` (recall: clitics, suffixes, plurals folded) and
``exact`` (normalized surface forms, boosted, so a passage with the very form asked for ranks
first). Several words are a soft AND: a passage with every word gets the AND and the OR score, one
missing a word still appears, lower. A passage with the words close together gets a proximity
bonus. The query becomes an engine-free query tree (archive.engines.query); the engine of the
index (archive.engines) matches, ranks and counts it. Analysis, entity names in the query,
highlights and suggestions happen here, the same for every engine.
"""

from __future__ import annotations

import json
import re
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import compress
from typing import Any

from archive import article_evidence
from archive.arabic import TOKEN_RE, Analyzer, LookupContext, normalize, tokenize
from archive.dates import iso_day
from archive.engines import query as eq
from archive.engines.base import Hits, Reader, Store, top_counts
from archive.entities.catalogue import TYPES, Entity
from archive.query import Clause, ParsedQuery, Unit, loosen_phrases, parse, phrase_notice
from archive.records import scrub_surrogates, web_address
from archive.results import EntityCounts, hits_dataframe

EXACT_BOOST = 0.5  # weight of the exact form next to the stem
ALL_WORDS_BOOST = 1.0  # extra weight for matching every word (on top of the OR score)
ENTITY_BOOST = 0.5  # weight of "tagged with the entity the words name" beside the words
PROXIMITY_BOOST = 0.5  # extra weight when the words stand within PROXIMITY_SLOP of each other
PROXIMITY_SLOP = 3

# The cost of one query is bounded by its size (scripts/repro_data_safety.py measures it): a
# longer query is cut, with a notice, at a word boundary. 500 characters is the web form's
# limit too; 32 words is far more than any search typed or pasted as a sentence needs, and each
# word adds terms to every clause of the soft AND and the proximity phrase.
MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 32


@dataclass
class Hit:
    """One ranked passage: its rank and score, its article's id, title, date (as written) and
    source, the passage's text exactly as the article has it, the ``[start, end)`` character
    spans of the query's matches in it, its position in the article, and the entities it
    mentions (``{"id", "type", "name"}``)."""

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
    url: str | None = None  # the article's link, as indexed
    copies: list[dict] = field(default_factory=list)  # collapsed: the story's other articles

    @property
    def day(self) -> str | None:
        """The date as ISO 8601 (``2024-11-02``; ``2024-11`` or ``2024`` when the article gives
        no more), read from the date as written; None when it cannot be read. For machines:
        ``date`` mixes whatever the sources wrote (RFC 2822, «2 نوفمبر 2024», …)."""
        return iso_day(self.date)

    def to_dict(self) -> dict:
        """The JSON of one result of ``archive search --json``."""
        return {
            "rank": self.rank, "score": round(self.score, 4), "doc_id": self.doc_id,
            "title": self.title, "date": self.date, "day": self.day, "source": self.source,
            "url": self.url,
            "position": self.position,
            "text": self.text, "highlights": self.highlights, "entities": self.entities,
            "copies": self.copies,
        }


@dataclass
class SearchResults:
    """One page of a search: the query, how many passages match in all (``total``), the page
    and its size, the page's hits (iterate the results, or ``.hits``; ``len()`` is the number
    of hits on this page), the facets (entities by type with article counts, over all hits),
    suggestions when nothing matched, and the hits' articles by month when asked for."""

    query: str
    total: int
    page: int
    limit: int
    hits: list[Hit]
    facets: EntityCounts = field(default_factory=EntityCounts)
    suggestions: list[str] = field(default_factory=list)  # when nothing matched: close queries
    months: list[dict] = field(default_factory=list)  # [{"month": "2024-10", "count": articles}]
    notices: list[str] = field(default_factory=list)  # what was done to the query (cut to size,
    # a phrase that matched nothing searched as its words)
    collapsed: bool = False  # re-published copies shown once (archive.collapsing)
    facets_count: str = "articles"  # what a facet count counts: "articles", or "stories"

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def to_dict(self) -> dict:
        """The JSON of ``archive search --json``: every key always present (``facets`` lists
        every type, empty with ``facets=0``; ``months`` is empty unless asked for; ``notices``
        says what was done to the query, such as cutting it to size)."""
        return {"query": self.query, "total": self.total, "page": self.page, "limit": self.limit,
                "results": [h.to_dict() for h in self.hits], "suggestions": self.suggestions,
                "months": self.months, "notices": self.notices,
                "collapsed": self.collapsed, "facets_count": self.facets_count,
                "facets": {kind: [e.to_dict() for e in self.facets.get(kind, [])]
                           for kind in TYPES}}

    def to_dataframe(self):
        """This page's hits as a pandas DataFrame (needs the ``pandas`` extra), one row per
        hit; see ``archive.results.hits_dataframe`` for the columns."""
        return hits_dataframe(self.hits)


RECENT_MATCHES = 8  # matches kept per searcher (a common word's is a few MB)
NAMES_KEPT = 4096  # texts whose catalogue names a searcher remembers


@dataclass
class QueryTerms:
    """What a parsed query asks for, as index terms (also used to highlight)."""

    stems: set[str] = field(default_factory=set)
    exact: set[str] = field(default_factory=set)
    phrases: list[tuple[str, ...]] = field(default_factory=list)
    entities: set[str] = field(default_factory=set)  # entities the query words name
    _marks: dict = field(default_factory=dict, compare=False, repr=False)

    def marks(self, analyzer: Analyzer) -> _Marks:
        """What these terms highlight, with ``analyzer``'s readings (made once, memoized per
        word as written); the terms must not change afterwards."""
        if id(analyzer) not in self._marks:
            self._marks[id(analyzer)] = _Marks(self, analyzer)
        return self._marks[id(analyzer)]


class Searcher:
    """Searches one index (a Store) with one analyzer and tagger: query text in; ranked, highlighted
    passages, facets and suggestions out. Each operation reads one generation (``pinned``)."""

    def __init__(self, store: Store, analyzer: Analyzer, tagger):
        self.store = store
        self.analyzer = analyzer
        self.tagger = tagger
        self._cache_for: Reader | None = None  # the reader the caches below belong to
        self._recent: dict[tuple, Hits] = {}  # the last matches, oldest first
        self._discovered: dict[str, Entity] = {}
        self._unknown: set[str] = set()  # ids this generation does not describe (asked once)
        self._all_discovered = False
        self._pins = 0  # while > 0, every step reads the generation the operation started on
        # The catalogue names in a passage or a query (the tagger's catalogue pass, about a
        # millisecond a passage): the same passages come back page after page, search after
        # search. The catalogue never changes while the process runs.
        self._names = lru_cache(NAMES_KEPT)(tagger.find_names)
        self._mentions: dict[str, dict[str, list[str]]] = {}  # doc_id → its stored mentions
        self._lock = threading.RLock()

    # -- per-searcher caches ------------------------------------------------------------------

    @contextmanager
    def pinned(self):
        """One operation (a search, an entity page) reads one index generation throughout,
        even if a build commits meanwhile, and runs alone (a server calls from many threads;
        the caches below are not shared safely)."""
        with self._lock:
            self._fresh()
            self._pins += 1
            try:
                yield self._cache_for
            finally:
                self._pins -= 1

    def _fresh(self) -> Reader:
        if self._pins and self._cache_for is not None:
            return self._cache_for
        reader = self.store.reader()
        if reader is not self._cache_for:
            self._cache_for, self._recent = reader, {}
            self._discovered = {}  # filled on demand: an archive may hold many thousands
            self._unknown = set()
            self._all_discovered = False
            self._mentions = {}
        return reader

    def reader(self) -> Reader:
        """The reader of the operation in progress (or of the newest generation)."""
        return self._fresh()

    @staticmethod
    def _entity(stored: dict) -> Entity:
        return Entity(stored["id"], stored["type"], stored["name"], stored.get("name_en", ""),
                      tuple(stored.get("aliases", ())), stored.get("attributes", {}))

    def describe(self, entity_id: str) -> Entity | None:
        """The entity ``entity_id``, from the catalogue or discovered in this index, or None."""
        return self.describer()(entity_id)

    def describer(self):
        """``describe`` for many ids in a row: checks once that the index is current (a check
        lists the index folder)."""
        self._fresh()
        return self._known

    def top_entities(self, counts, limit: int = 10, types=TYPES) -> EntityCounts:
        """The ``limit`` most counted entities of each type, described."""
        return EntityCounts.from_rows(
            top_by_type(counts, self.tagger.entity_type, self.describer(), limit, types))

    def described(self, cut: dict[str, list[tuple[str, int]]], limit: int = 10) -> EntityCounts:
        """An engine's facets (``Hits.facets``: per type, the top (entity id, articles) and
        their ties) described, ``limit`` per type, ties by name."""
        describe = self.describer()
        return EntityCounts.from_rows({kind: described_rows(rows, describe, limit)
                                       for kind, rows in cut.items()})

    def _known(self, entity_id: str) -> Entity | None:
        known = self.tagger.entity(entity_id) or self._discovered.get(entity_id)
        if known is None and not self._all_discovered and entity_id not in self._unknown:
            stored = self._fresh().discovered_entity(entity_id)
            if stored:
                known = self._discovered[entity_id] = self._entity(stored)
            else:
                self._unknown.add(entity_id)
        return known

    def discovered(self) -> dict[str, Entity]:
        """Every entity found by context rules in this archive (read once per searcher)."""
        self._fresh()
        if not self._all_discovered:
            self._discovered = {d["id"]: self._entity(d) for d in self._fresh().discovered_entities()}
            self._all_discovered = True
        return self._discovered

    # -- query building -----------------------------------------------------------------------

    def _context(self):
        reader = self._fresh()
        return LookupContext(lambda stem: reader.doc_frequency("stem", stem),
                             lambda form: reader.doc_frequency("exact", form))

    def _unit_query(self, unit: Unit, terms: QueryTerms, context, record: bool):
        analysed = [self.analyzer.term(word, context=context) for word in unit.words]
        if unit.phrase:
            forms = tuple(t.exact for t in analysed)
            if record:
                terms.phrases.append(forms)
            return eq.Phrase("exact", forms)
        (term,) = analysed
        if term.stem is None:  # a stopword on its own: only its exact form can match
            if record:
                terms.exact.add(term.exact)
            return eq.Term("exact", term.exact)
        if record:
            terms.stems.add(term.stem)
            terms.exact.add(term.exact)
        return eq.Or((eq.Term("stem", term.stem), eq.Term("exact", term.exact, boost=EXACT_BOOST)))

    def build(self, parsed: ParsedQuery) -> tuple[eq.Node | None, QueryTerms]:
        """The query tree of ``parsed`` (None when nothing in it can match) and the terms to
        highlight and re-rank with."""
        context = self._context()
        terms = QueryTerms()
        clauses = self._informative(parsed)
        positive = [self._clause_query(c, terms, context, True) for c in clauses]
        negative = [self._clause_query(c, terms, context, False) for c in parsed.negative]
        if positive:
            matched = positive[0] if len(positive) == 1 else eq.Or(
                (eq.And(tuple(positive), boost=ALL_WORDS_BOOST), eq.Or(tuple(positive)),
                 *self._proximity(parsed)))
            entity_terms = self._entity_terms(clauses, terms)
            if entity_terms:
                matched = eq.Or((matched, *entity_terms))
        elif negative:
            matched = eq.AllPassages()
        else:
            return None, terms
        if negative:
            matched = eq.AndNot(matched, eq.Or(tuple(negative)))
        return matched, terms

    def _informative(self, parsed: ParsedQuery) -> list[Clause]:
        """Positive clauses without lone stopwords, unless stopwords are all there is."""
        clauses = parsed.positive
        useful = [c for c in clauses if any(
            u.phrase or self.analyzer.term(u.words[0]).stem is not None for u in c.units)]
        return useful or clauses

    def _entity_terms(self, clauses: list[Clause], terms: QueryTerms) -> list[eq.Node]:
        """Words that name a known entity also find passages tagged with it under any other
        spelling (روته finds روتي, بيونج يانج finds بيونغ يانغ): one optional term per entity
        whose name fills whole clauses ("مدينة كورسك" stays a phrase)."""
        words: list[Any] = []  # query words in order,
        owner: list[Any] = []  # and the clause each belongs to
        for index, clause in enumerate(clauses):
            if len(clause.units) == 1:
                words.extend(clause.units[0].words)
                owner.extend([index] * len(clause.units[0].words))
        text = " ".join(words)
        spans = list(tokenize(text))
        clause_start = {owner[i]: spans[i].start for i in reversed(range(len(spans)))}
        clause_end = {owner[i]: spans[i].end for i in range(len(spans))}
        found = []
        for mention in self._names(text) if words else ():
            inside = [owner[i] for i, s in enumerate(spans)
                      if s.end > mention.start and s.start < mention.end]
            first, last = inside[0], inside[-1]
            if (" " not in text[clause_start[first]:mention.start]  # a clitic at most
                    and mention.end == clause_end[last] and mention.entity_id not in terms.entities):
                terms.entities.add(mention.entity_id)
                found.append(eq.Term("entities", mention.entity_id, boost=ENTITY_BOOST))
        return found  # type: ignore[return-value]

    def _clause_query(self, clause: Clause, terms, context, record: bool):
        queries = [self._unit_query(u, terms, context, record) for u in clause.units]
        return queries[0] if len(queries) == 1 else eq.Or(tuple(queries))

    def _proximity(self, parsed: ParsedQuery) -> list[eq.Node]:
        """Words typed side by side, each a single plain word: reward passages where they stand
        close together (in the stem field, so clitics and suffixes do not break the run)."""
        clauses = parsed.positive
        if len(clauses) < 2 or any(len(c.units) > 1 or c.units[0].phrase for c in clauses):
            return []
        stems = [self.analyzer.term(c.units[0].words[0]).stem for c in clauses]
        stems = [s for s in stems if s]
        if len(stems) < 2:
            return []
        return [eq.Phrase("stem", tuple(stems), slop=PROXIMITY_SLOP, boost=PROXIMITY_BOOST)]  # type: ignore[arg-type]

    # -- running ------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 10, page: int = 1, entity_ids=(),
               facets: int = 10, dates: tuple[str | None, str | None] = (None, None),
               months: bool = False, exclude_ids=(), sort: str = "relevance",
               highlight: bool = True, facet_counts=None) -> SearchResults:
        """Ranked passages for ``text``, restricted to passages tagged with every entity of
        ``entity_ids`` and with none of ``exclude_ids``, and to articles published within
        ``dates`` (day prefixes, inclusive), in ``sort`` order (SORTS);
        with ``facets``, the top that many entities of each type over all hits; with
        ``months``, the hits' articles by month (the first time per index generation, it reads
        every article's date). An empty query with entities or dates lists the passages that
        match them. Without ``highlight``, hits come without highlights (``highlight_hits``
        adds them to the few that will be shown). ``facet_counts(reader, hits)``, if given,
        counts the facets instead of ``hits.entity_counts()`` (stories, archive.collapsing)."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        with self.pinned() as reader:
            return self._search(reader, text, max(1, int(limit)), max(1, int(page)),
                                entity_ids, facets, tuple(dates), months, exclude_ids, sort,
                                highlight, facet_counts)

    def highlight_hits(self, text: str, hits: list[Hit]) -> None:
        """Fill in the highlights of ``hits`` (of a search for ``text`` made without them), as
        that search would have computed them."""
        with self.pinned() as reader:
            _, _, _, terms, _ = self._understood(reader, text)
            for hit in hits:
                hit.highlights = self._spans(hit.text, [e["id"] for e in hit.entities], terms,
                                             partial(_article_of, reader, hit.doc_id))

    def _understood(self, reader: Reader, text: str):
        """A query's text as searched (bounded), its parse, the engine query tree, the terms it
        matches, and the notices saying what was done to it."""
        text, notices = bounded_query(text)
        parsed, loosened = loosen_phrases(parse(text), lambda unit: self._phrase_matches(reader, unit))
        notices += [phrase_notice(unit) for unit in loosened]
        tree, terms = self.build(parsed)
        return text, parsed, tree, terms, notices

    def _search(self, reader: Reader, text: str, limit: int, page: int, entity_ids,
                facets: int, dates: tuple, months: bool, exclude_ids=(),
                sort: str = "relevance", highlight: bool = True,
                facet_counts=None) -> SearchResults:
        text, parsed, tree, terms, notices = self._understood(reader, text)
        restricted = bool(entity_ids) or bool(exclude_ids) or dates != (None, None)
        if tree is None and not restricted:
            return SearchResults(text, 0, page, limit, [], notices=notices)
        if tree is None:
            tree = eq.AllPassages()
        found = self._match(reader, tree, entity_ids, dates, exclude_ids)
        if sort == "relevance":  # the passages re-ranked with their articles (archive.article_evidence)
            best = article_evidence.rerank(found.top(max(limit * page, article_evidence.DEPTH), sort),
                                           article_evidence.query_terms(terms.stems, terms.exact),
                                           reader.article_evidence)[:limit * page]
        else:
            best = found.top(limit * page, sort)
        shown = best[(page - 1) * limit:]
        stored = [reader.passage(ref) for _, ref in shown]
        articles = reader.articles(p["doc_id"] for p in stored)  # read at once, once each
        hits = [self._hit((page - 1) * limit + i + 1, score, passage,
                          terms if highlight else None, articles)
                for i, ((score, _), passage) in enumerate(zip(shown, stored))]
        results = SearchResults(text, found.total, page, limit, hits, notices=notices)
        if not found.total and not restricted:
            results.suggestions = self.suggest(reader, parsed)
        if facets:
            if facet_counts is None:  # articles per entity, counted by the engine
                results.facets = self.described(
                    found.facets(facets, self.tagger.entity_type, TYPES), limit=facets)
            else:  # another count (stories, when collapsed)
                results.facets = self.top_entities(facet_counts(reader, found), limit=facets)
        if months:
            results.months = found.months()
        return results

    def _phrase_matches(self, reader: Reader, unit: Unit) -> bool:
        """Whether some passage holds the phrase ``unit`` (its matches are kept: a query that
        is the phrase alone searches them next and finds them counted)."""
        return self._match(reader, self._unit_query(unit, QueryTerms(), self._context(), False),
                           ()).total > 0

    def suggest(self, reader: Reader, parsed: ParsedQuery) -> list[str]:
        """For a query that matched nothing: the query with each word the index lacks replaced
        by the closest indexed word (as written in the archive), if any word has one."""
        text, changed = parsed.text, False
        words = [word for clause in parsed.positive for unit in clause.units
                 for word in unit.words if SUGGEST_MIN_CHARS <= len(word) <= SUGGEST_MAX_CHARS]
        for word in words[:SUGGEST_MAX_WORDS]:
            better = _suggest_word(reader, self.analyzer, word)
            if better and better != word:
                text, changed = text.replace(word, better, 1), True
        return [text] if changed else []

    def _match(self, reader: Reader, tree: eq.Node, entity_ids, dates=(None, None),
               exclude_ids=()) -> Hits:
        """Every passage matching ``tree``, tagged with all of ``entity_ids`` and none of
        ``exclude_ids`` and published within ``dates``; the last few are kept, so turning
        pages or changing the facet limit does not match again."""
        key = (tree, tuple(sorted(set(entity_ids))), dates, tuple(sorted(set(exclude_ids))))
        found = self._recent.pop(key, None)
        if found is None:
            found = reader.match(tree, require=entity_ids, exclude=exclude_ids, dates=dates)
        self._recent[key] = found  # most recent last
        while len(self._recent) > RECENT_MATCHES:
            self._recent.pop(next(iter(self._recent)))
        return found

    def _hit(self, rank, score, stored: dict, terms: QueryTerms | None,
             articles: dict[str, dict]) -> Hit:
        """One hit of a stored passage; ``terms`` None: without highlights. ``articles``: the
        fields of the page's articles, by id."""
        article = articles.get(stored["doc_id"]) or {}
        entities = [e for e in map(self._known, stored.get("entities", ())) if e]
        spans = [] if terms is None else self._spans(stored["text"], stored.get("entities", ()),
                                                     terms, lambda: article)
        return Hit(
            rank=rank, score=float(score), doc_id=stored["doc_id"],
            title=article.get("title", ""), date=article.get("date"),
            source=article.get("source"), text=stored["text"], highlights=spans,
            # web_address: an index built before urls were checked may hold a javascript: one
            position=stored["position"], url=web_address(article.get("url")),
            entities=[{"id": e.id, "type": e.type, "name": e.name} for e in entities])

    def _spans(self, text: str, entity_ids, terms: QueryTerms,
               article: Callable[[], dict]) -> list[list[int]]:
        """A passage's highlights: the query's words and phrases, and, in a passage tagged
        with an entity a query word names, that entity's names as written there. The names
        are the spellings the build's tagging found in the passage's article (its stored
        ``mentions``, read from ``article()`` only when needed): the catalogue pass again on
        the passage cost about a millisecond each; an article stored without them (an index
        built before they were kept) still gets that pass."""
        spans = highlight(text, terms, self.analyzer)
        named = terms.entities.intersection(entity_ids)
        if named:
            spellings = self._spellings(article())
            if spellings is None:
                names = [[m.start, m.end] for m in self._names(text) if m.entity_id in named]
            else:
                wanted = {s for e in named for s in spellings.get(e, ())}
                longer = {s for e, written in spellings.items() if e not in named
                          for s in written if any(w in s and w != s for w in wanted)}
                names = name_spans(text, wanted, longer)
            spans = _merge(spans + names)
        return spans

    def _spellings(self, article: dict) -> dict[str, list[str]] | None:
        """An article's stored ``mentions`` (entity id → its spellings found there), parsed
        once per article and generation; None for an article stored without them."""
        doc_id, written = str(article.get("doc_id")), article.get("mentions")
        if written is None:
            return None
        if doc_id not in self._mentions:
            if len(self._mentions) >= NAMES_KEPT:
                self._mentions.clear()
            self._mentions[doc_id] = json.loads(written) if isinstance(written, str) else written
        return self._mentions[doc_id]


def _article_of(reader: Reader, doc_id: str) -> dict:
    return reader.article(doc_id) or {}


def top_by_type(counts: Counter, type_of, describe, limit: int = 10,
                types=TYPES) -> dict[str, list[dict]]:
    """{type: [{"id", "name", "count"}, …]} most mentioned first (ties by name).

    Only the entities that can make the top ``limit`` of their type (ties included) are
    described."""
    cut = top_counts(counts, limit, type_of, types)
    return {kind: described_rows(rows, describe, limit) for kind, rows in cut.items()}


def described_rows(rows: list[tuple[str, int]], describe, limit: int) -> list[dict]:
    """[{"id", "name", "count"}] of (entity id, count) rows, most counted first, ties by name,
    at most ``limit``; an id ``describe`` does not know is left out."""
    described = ((count, describe(entity_id)) for entity_id, count in rows)
    return sorted(({"id": entity.id, "name": entity.name, "count": count}
                   for count, entity in described if entity is not None),
                  key=lambda r: (-r["count"], r["name"]))[:limit]


SORTS = ("relevance", "date", "oldest")  # relevance; newest first; oldest first
SUGGEST_DISTANCE = 2  # edits between a query word and an indexed word it may have meant
SUGGEST_PREFIX = 1  # letters a suggestion shares with the word (misspellings rarely start wrong)
# Looking a word up within 2 edits walks the term dictionary with a Levenshtein automaton whose
# cost grows with the word (about 1 ms per letter on the sample index): words outside these
# lengths get no suggestion (a word of one or two letters is within two edits of every short
# word; no Arabic word, clitics and all, has 24 letters), and at most SUGGEST_MAX_WORDS words of
# a query are looked up.
SUGGEST_MIN_CHARS = 3
SUGGEST_MAX_CHARS = 24
SUGGEST_MAX_WORDS = 3


def bounded_query(text: str) -> tuple[str, list[str]]:
    """``text`` within MAX_QUERY_CHARS and MAX_QUERY_WORDS (cut at a word boundary), lone
    surrogates replaced, and a notice for each cut made."""
    text, notices = scrub_surrogates(text), []
    if len(text) > MAX_QUERY_CHARS:
        cut_at = text.rfind(" ", 0, MAX_QUERY_CHARS + 1)
        text = text[:cut_at if cut_at > 0 else MAX_QUERY_CHARS]
        notices.append(f"the query was cut to its first {len(text)} characters (the limit is "
                       f"{MAX_QUERY_CHARS})")
    words = list(_WORDS.finditer(text))
    if len(words) > MAX_QUERY_WORDS:
        text = text[:words[MAX_QUERY_WORDS - 1].end()]
        notices.append(f"the query was cut to its first {MAX_QUERY_WORDS} words (the limit)")
    return text, notices


_WORDS = re.compile(r"\S+")


def _suggest_word(reader: Reader, analyzer: Analyzer, surface: str) -> str | None:
    """An indexed word close to ``surface`` (which the index lacks), as written in a passage:
    the most frequent within SUGGEST_DISTANCE edits of its normalized form."""
    exact = analyzer.term(surface).exact
    if not exact or reader.doc_frequency("exact", exact):
        return None
    for distance in range(1, SUGGEST_DISTANCE + 1):  # the fewest edits first, then the most used
        close = [(reader.doc_frequency("exact", word), word)
                 for word in reader.similar_terms("exact", exact, distance, SUGGEST_PREFIX)
                 if word != exact]
        if close:
            return _as_written(reader, analyzer, max(close)[1])
    return None


def _as_written(reader: Reader, analyzer: Analyzer, exact: str) -> str | None:
    """A surface form of the index term ``exact`` as some passage writes it (a suggestion shows
    the user's script, not our normalized form), clitics and all."""
    for stored in reader.sample_passages("exact", exact, 3):
        for span in tokenize(stored.get("text", "")):
            if exact in analyzer.candidates(span.surface)[0]:
                return span.surface
    return None


def highlight(text: str, terms: QueryTerms, analyzer: Analyzer) -> list[list[int]]:
    """[start, end] character spans in ``text`` of the words and phrases the query matched.

    A page highlights ten passages of some sixty words each, mostly the same words again: each
    distinct word as written is looked up once per query (``QueryTerms.marks``), and read in
    full only if it holds a piece of a query term; the passage's words are listed by the
    regular expression engine, and only the matched ones get offsets."""
    marks = terms.marks(analyzer)
    surfaces = TOKEN_RE.findall(text)
    flags = list(map(marks.matched.__getitem__, surfaces))
    marked = [list(m.span()) for m in compress(TOKEN_RE.finditer(text), flags)] if any(flags) else []
    if terms.phrases:
        marked += _phrase_spans(text, surfaces, marks)
    return _merge(marked)


NAME_PREFIX_LETTERS = frozenset("وفبلكا")  # clitics and the article a name can follow in its word
NAME_PREFIX_MAX = 4  # letters of them (وبال): the tagger's catalogue pass skips as many


def name_spans(text: str, spellings: Iterable[str], longer: Iterable[str] = ()) -> list[list[int]]:
    """[start, end] spans in ``text`` of the names as written (``spellings``, from the
    tagging of its article), each where it stands as whole words: it ends where a word ends
    and starts where a word starts or after a clitic prefix of that word (لبوتين, والقاهرة), as
    the tagger's mentions do. A spelling inside a longer name of another entity
    (``longer``: صواريخ in الصواريخ الباليستية) is that name's, as the tagger's longest match
    has it."""
    names = _standing(text, spellings)
    if names:
        covers = _standing(text, longer)
        names = [n for n in names if not any(c[0] <= n[0] and n[1] <= c[1] for c in covers)]
    return names


def _standing(text: str, spellings: Iterable[str]) -> list[list[int]]:
    """The occurrences in ``text`` of ``spellings`` that stand as whole words (name_spans)."""
    occurrences = []
    for spelling in spellings:
        start = text.find(spelling) if spelling else -1
        while start >= 0:
            occurrences.append((start, start + len(spelling)))
            start = text.find(spelling, start + 1)
    if not occurrences:
        return []
    words = [m.span() for m in TOKEN_RE.finditer(text)]
    starts, ends = [w[0] for w in words], {w[1] for w in words}
    found = []
    for start, end in occurrences:
        word = bisect_right(starts, start) - 1
        if end not in ends or word < 0 or words[word][1] <= start:
            continue
        prefix = text[starts[word]:start]
        if len(prefix) <= NAME_PREFIX_MAX and NAME_PREFIX_LETTERS.issuperset(prefix):
            found.append([start, end])
    return found


def _phrase_spans(text: str, surfaces: list[str], marks: _Marks) -> list[list[int]]:
    """The spans of the query's phrases among a passage's words (``surfaces``, in order)."""
    found: list[tuple[int, int]] = []  # (first word, last word)
    for phrase, holds in zip(marks.terms.phrases, marks.phrase_words):
        n = len(phrase)
        starts = compress(range(len(surfaces) - n + 1), map(holds[0].__getitem__, surfaces))
        found += [(i, i + n - 1) for i in starts
                  if all(holds[k][surfaces[i + k]] for k in range(1, n))]
    if not found:
        return []
    spans = [m.span() for m in TOKEN_RE.finditer(text)]
    return [[spans[first][0], spans[last][1]] for first, last in found]


_normal_form = lru_cache(maxsize=200_000)(normalize)  # a word as written, normalized


class _Holds(dict):
    """Word as written → whether one of its readings is a given term (memo)."""

    def __init__(self, reads: Callable[[str], bool]):
        super().__init__()
        self.reads = reads

    def __missing__(self, surface: str) -> bool:
        value = self[surface] = self.reads(surface)
        return value


class _Marks:
    """What one query highlights, memoized per word as written: ``matched`` (a word of the
    query, exact form or stem) and, per phrase and word of it, ``phrase_words``."""

    def __init__(self, terms: QueryTerms, analyzer: Analyzer):
        self.terms = terms
        # a word's full readings cost tens of microseconds the first time it is seen; a word
        # holding none of these pieces needs none (Analyzer.term_pieces)
        self.pieces = analyzer.term_pieces(
            terms.exact | {form for phrase in terms.phrases for form in phrase}, terms.stems)
        pieces = self.pieces

        def may_match(surface: str) -> bool:
            if pieces is None:
                return True
            form = _normal_form(surface)
            return any(piece in form for piece in pieces)

        def matched(surface: str) -> bool:
            if not may_match(surface):
                return False
            exacts, stems = analyzer.candidates(surface)
            return not (exacts.isdisjoint(terms.exact) and stems.isdisjoint(terms.stems))

        def holding(form: str) -> Callable[[str], bool]:
            return lambda surface: may_match(surface) and form in analyzer.candidates(surface)[0]

        self.matched = _Holds(matched)
        self.phrase_words = [[_Holds(holding(form)) for form in phrase] for phrase in terms.phrases]


def cut(text: str, spans, labels=None) -> list[tuple[str, object]]:
    """``text`` cut at ``spans`` (sorted, not overlapping [start, end] pairs, e.g. a hit's
    highlights) into (piece, label) pairs: a span's piece with its label (``labels[i]``, True
    if none are given), the text around the spans with None. For printing and templating."""
    pieces, last = [], 0
    for i, (start, end) in enumerate(spans):
        pieces += [(text[last:start], None), (text[start:end], True if labels is None else labels[i])]
        last = end
    pieces.append((text[last:], None))
    return [piece for piece in pieces if piece[0]]


def _merge(spans: list[list[int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
