"""Entity facets: a searcher's passages in; for any set of hits, the entities they mention and in
how many articles, out.

Built once per searcher from posting lists (not stored fields): ``entities`` terms give each
entity's passages, ``doc_id`` terms each passage's article. Whoosh's ``groupedby`` would rebuild
per-value document lists on every query; this keeps them for the searcher's lifetime, so a facet
costs one pass over the hits.

A count is a number of **articles**: a passage hit mentioning the entity counts its article once,
however many of its passages match.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from archive.entities.catalogue import TYPES


class FacetIndex:
    def __init__(self, searcher):
        reader = searcher.reader()
        size = reader.doc_count_all()
        self.article_of: list[int] = [-1] * size
        self.article_ids: list[str] = []
        self.docs_of_article: list[list[int]] = []
        for number, term in enumerate(reader.lexicon("doc_id")):
            self.article_ids.append(term.decode("utf-8"))
            docs = list(reader.postings("doc_id", term).all_ids())
            self.docs_of_article.append(docs)
            for docnum in docs:
                self.article_of[docnum] = number
        self.entity_ids: list[str] = []
        self.docs_of_entity: dict[str, list[int]] = {}
        self.entities_of: list[tuple[int, ...] | None] = [None] * size
        lists: dict[int, list[int]] = {}
        for number, term in enumerate(reader.lexicon("entities")):
            entity_id = term.decode("utf-8")
            self.entity_ids.append(entity_id)
            docs = list(reader.postings("entities", term).all_ids())
            self.docs_of_entity[entity_id] = docs
            for docnum in docs:
                lists.setdefault(docnum, []).append(number)
        for docnum, numbers in lists.items():
            self.entities_of[docnum] = tuple(numbers)

    def article_counts(self, docnums: Iterable[int]) -> Counter:
        """Entity id → number of distinct articles among ``docnums`` that mention it."""
        pairs = set()
        entities_of, article_of = self.entities_of, self.article_of
        for docnum in docnums:
            numbers = entities_of[docnum]
            if numbers:
                article = article_of[docnum]
                pairs.update((number, article) for number in numbers)
        counts = Counter(number for number, _ in pairs)
        return Counter({self.entity_ids[n]: c for n, c in counts.items()})

    def tagged_passages(self) -> Iterable[int]:
        return (d for d, numbers in enumerate(self.entities_of) if numbers)

    def articles_with(self, entity_id: str) -> set[int]:
        """Article numbers whose passages mention the entity."""
        return {self.article_of[d] for d in self.docs_of_entity.get(entity_id, ())}

    def passages_of(self, articles: Iterable[int]) -> Iterable[int]:
        return (d for a in articles for d in self.docs_of_article[a])


def top_by_type(counts: Counter, describe, limit: int = 10, types=TYPES) -> dict[str, list[dict]]:
    """{type: [{"id", "name", "count"}, …]} most mentioned first (ties by name)."""
    grouped: dict[str, list[dict]] = {t: [] for t in types}
    for entity_id, count in counts.items():
        entity = describe(entity_id)
        if entity is not None and entity.type in grouped:
            grouped[entity.type].append({"id": entity_id, "name": entity.name, "count": count})
    return {t: sorted(rows, key=lambda r: (-r["count"], r["name"]))[:limit]
            for t, rows in grouped.items()}
