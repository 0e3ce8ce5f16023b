"""Ranked hits in; each story once out: the hits of an article whose story (archive.copies) a
better-ranked article already shows are dropped, and each hit kept names the story's other
articles in ``copies``. The best copy is the one that ranks first, in the order asked.

Also the facets of a collapsed search, counted by story: an entity mentioned by three copies
of one wire story counts once. A story's copies among the hits are counted through the
entities their articles mention (the copies are the same text, so the same passages match).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from archive.copies import CopyIndex


def collapsed(hits: Iterable[Any], index: CopyIndex) -> Iterator[Any]:
    """``hits`` (with ``doc_id`` and ``copies``) in their order, less those of an article
    whose story an earlier hit's article shows; hits of a story with copies get ``copies``
    (the other articles' ``{"doc_id", "source"}``)."""
    shown: dict[tuple[str, ...], str] = {}  # story → the article that shows it
    for hit in hits:
        story = index.group(hit.doc_id)
        if len(story) > 1:
            if shown.setdefault(story, hit.doc_id) != hit.doc_id:
                continue
            hit.copies = index.copies_of(hit.doc_id)
        yield hit


def collapsed_page(hits: Iterable[Any], index: CopyIndex, page: int, limit: int) -> list[Any]:
    """Page ``page`` (``limit`` hits) of ``collapsed(hits)``, ranks renumbered from 1."""
    first = (page - 1) * limit
    kept = list(islice(collapsed(hits, index), first, first + limit))
    for number, hit in enumerate(kept, start=first + 1):
        hit.rank = number
    return kept


def story_counter(index: CopyIndex) -> Callable[[Any, Any], Counter]:
    """``facet_counts`` for ``Searcher.search``: entity → stories (not articles) among the
    hits that mention it."""

    def counts(reader, found) -> Counter:
        return story_counts(found.entity_counts(), found.articles(), index,
                            reader.article_entity_counts)

    return counts


def story_counts(by_article: Counter, articles: Iterable[str], index: CopyIndex,
                 article_entity_counts: Callable[[list[str]], Counter]) -> Counter:
    """``by_article`` (entity → hit articles mentioning it) with each story's copies among the
    hit ``articles`` counted once: for a story with n of its articles mentioning an entity,
    n - 1 is taken off (never below one, where the entity was counted)."""
    stories: dict[tuple[str, ...], list[str]] = {}
    for doc_id in articles:
        story = index.group(doc_id)
        if len(story) > 1:
            stories.setdefault(story, []).append(doc_id)
    counted = Counter(by_article)
    for members in stories.values():
        if len(members) < 2:
            continue
        for entity_id, mentioning in article_entity_counts(sorted(members)).items():
            if mentioning > 1 and counted.get(entity_id, 0) > 1:
                counted[entity_id] = max(1, counted[entity_id] - (mentioning - 1))
    return counted
