"""The build's per-article step: one clean Article in; its passages with their terms and the
entities tagged inside them, its stored fields and the entities it discovered out
(``Analysed``). Pure, so it runs in the build's worker processes and on Dask workers alike;
also the merging of the discovered-entity records that several workers send back.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from archive.arabic import Analyzer, Span, tokenize
from archive.engines.base import PassageDoc
from archive.entities.once import StageSource, finish, tag_again
from archive.entities.tagger import established
from archive.passages import split_passages
from archive.records import Article, web_address


@dataclass
class Analysed:
    """One article ready for the store."""

    fields: dict
    passages: list[PassageDoc]
    discovered: list[dict]  # entities found by context rules (not in the catalogue)


def analyse_article(article: Article, analyzer: Analyzer, tagger=None,
                    content_hash: str | None = None, kept: StageSource | None = None) -> Analysed:
    """One clean article to the records the store writes: passages with their terms and the
    entities tagged inside them, and the article's fields (``content_hash``: the hash of the
    article as read, which the next build compares). ``kept``: the first stages of the build's
    learning pass, so that an article it tagged gets only the collection pass. Pure, so it runs
    in worker processes as well."""
    words = list(tokenize(article.text))  # one tokenization for the analysis and the tagging
    context = analyzer.article_context(article.text, [word.surface for word in words])
    mentions = _mentions(article, tagger, content_hash, kept, words)
    spellings: dict[str, list[str]] = {}
    for mention in mentions:
        seen = spellings.setdefault(mention.entity_id, [])
        if mention.text not in seen:
            seen.append(mention.text)
    docs = []
    mentions_in = mentions_by_span(mentions)
    starts = [word.start for word in words]
    for passage in split_passages(article):
        inside = words[bisect_left(starts, passage.start):bisect_left(starts, passage.end)]
        analysis = analyzer.analyse(passage.text, context, inside, passage.start)
        entities = sorted({m.entity_id for m in mentions_in(passage.start, passage.end)})
        docs.append(PassageDoc(
            pid=passage.id, doc_id=article.id, position=passage.position, start=passage.start,
            end=passage.end, text=passage.text, stems=analysis.stems, exact=analysis.exact,
            entities=entities))
    fields = {
        "doc_id": article.id, "title": article.title, "date": article.date,
        "source": article.source, "url": web_address(article.url), "origin": article.origin,
        "hash": content_hash or article.content_hash, "passages": len(docs),
        "mentions": json.dumps(spellings, ensure_ascii=False),
    }
    discovered = {m.entity_id: tagger.entity(m.entity_id).to_dict()
                  for m in mentions if m.rule in ("context", "model")}
    for entity_id in established(mentions, tagger) if tagger else ():
        if entity_id in discovered:  # a full name the collection pass may use elsewhere
            record = discovered[entity_id]
            record["attributes"] = {**record["attributes"], "established": True}
    return Analysed(fields, docs, list(discovered.values()))


def _mentions(article: Article, tagger, content_hash: str | None, kept: StageSource | None,
              words: list[Span]) -> list:
    """The article's mentions: from its kept first stage when there is a valid one (``words``:
    its tokenization), else by tagging it."""
    if tagger is None:
        return []
    if kept is None or not content_hash:
        return tagger.tag_article(article)
    stage = kept.get(article.id, content_hash)
    if stage is not None:
        return finish(tagger, article.text, stage, words)
    return tag_again(tagger, article.text, kept.model_result(article.id, content_hash))


def mentions_by_span(mentions: list) -> Callable[[int, int], list]:
    """``(start, end)`` → the mentions lying inside that span, found by bisection over the
    mentions sorted by start (an article of 20 MB has 10^5 passages and mentions: scanning them
    all per passage would take hours)."""
    ordered = sorted(mentions, key=lambda m: m.start)
    starts = [m.start for m in ordered]

    def inside(start: int, end: int) -> list:
        first = bisect_left(starts, start)
        last = bisect_left(starts, end, lo=first)
        return [m for m in ordered[first:last] if m.end <= end]

    return inside


def established_records(tagger, mentions) -> dict[str, dict]:
    """The discovered people that ``mentions`` (of one article) establish, by id, as the entity
    records ``analyse_article`` would store for them."""
    discovered = {m.entity_id for m in mentions if m.rule in ("context", "model")}
    records = {}
    for entity_id in established(mentions, tagger):
        if entity_id in discovered:
            record = tagger.entity(entity_id).to_dict()
            record["attributes"] = {**record["attributes"], "established": True}
            records[entity_id] = record
    return records


def merge_entities(into: dict[str, dict], records: Iterable[dict]) -> None:
    """Discovered-entity records by id, the later one winning, except that a name established
    (or applied) by any article stays so: another article may have seen only its surname."""
    for record in records:
        earlier = into.get(record["id"])
        if earlier is not None:
            flags = {k: True for k in ("established", "applied") if earlier["attributes"].get(k)}
            if flags:
                record = {**record, "attributes": {**record["attributes"], **flags}}
        into[record["id"]] = record


def merge_in_order(into: dict[str, dict], records: Iterable[dict]) -> None:
    """``merge_entities`` for records found by several taggers over consecutive parts of a
    build (a worker's share, a Dask batch), merged in plan order: the first record of an id
    wins, with the flags of the later ones, as one tagger over the whole build gives (it knows
    an entity by the name and attributes it first found it with)."""
    for record in records:
        earlier = into.get(record["id"])
        if earlier is None:
            into[record["id"]] = record
            continue
        flags = {k: True for k in ("established", "applied") if record["attributes"].get(k)}
        if flags:
            into[record["id"]] = {**earlier, "attributes": {**earlier["attributes"], **flags}}
