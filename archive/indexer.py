"""The build: paths in, an updated index and an IndexReport out.

    read → clean → split into passages → analyse (with the article as context) → tag → store

Incremental by content hash: an article is (re)analysed only when it is new or its content
changed; an indexed article disappears when its file is gone, or when its file was read again
without it. A file that fails to read keeps what it had in the index.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

from archive.arabic import Analyzer
from archive.cleaning import clean
from archive.passages import split_passages
from archive.reader import read_paths
from archive.records import Article, ReadError
from archive.store import ManifestEntry, PassageDoc, Store, add_article

Progress = Callable[[int, int], None]  # (articles done, articles to do)


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    passages: int = 0
    seconds: float = 0.0
    errors: list[ReadError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        articles = self.added + self.updated
        text = (f"indexed {articles} article{'s' if articles != 1 else ''} "
                f"({self.passages} passages) in {self.seconds:.1f} s: {self.added} new, "
                f"{self.updated} changed, {self.unchanged} unchanged, {self.removed} removed")
        if self.errors:
            text += f"; {len(self.errors)} failed (see above)"
        return text

    def to_dict(self) -> dict:
        return {
            "added": self.added, "updated": self.updated, "removed": self.removed,
            "unchanged": self.unchanged, "passages": self.passages,
            "seconds": round(self.seconds, 3), "errors": [str(e) for e in self.errors],
        }


@dataclass
class Analysed:
    """One article ready for the store."""

    fields: dict
    passages: list[PassageDoc]
    discovered: list[dict]  # entities found by context rules (not in the catalogue)


def analyse_article(article: Article, analyzer: Analyzer, tagger=None) -> Analysed:
    """One clean article to the records the store writes: passages with their terms and the
    entities tagged inside them, and the article's fields. Pure, so it runs in worker
    processes as well."""
    context = analyzer.article_context(article.text)
    mentions = tagger.tag_article(article) if tagger else []
    spellings: dict[str, list[str]] = {}
    for mention in mentions:
        seen = spellings.setdefault(mention.entity_id, [])
        if mention.text not in seen:
            seen.append(mention.text)
    docs = []
    for passage in split_passages(article):
        analysis = analyzer.analyse(passage.text, context)
        entities = sorted({m.entity_id for m in mentions
                           if passage.start <= m.start and m.end <= passage.end})
        docs.append(PassageDoc(
            pid=passage.id, doc_id=article.id, position=passage.position, start=passage.start,
            end=passage.end, text=passage.text, stems=analysis.stems, exact=analysis.exact,
            entities=entities))
    fields = {
        "doc_id": article.id, "title": article.title, "date": article.date,
        "source": article.source, "url": article.url, "origin": article.origin,
        "hash": article.content_hash, "passages": len(docs),
        "mentions": json.dumps(spellings, ensure_ascii=False),
    }
    discovered = {m.entity_id: tagger.entity(m.entity_id).to_dict()
                  for m in mentions if m.rule == "context"}
    return Analysed(fields, docs, list(discovered.values()))


# -- parallel builds ---------------------------------------------------------------------------

PARALLEL_MIN_ARTICLES = 64  # below this, starting processes costs more than it saves


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _index_chunk(articles: list[Article], analyzer: Analyzer, tagger, writer, tick):
    """A worker's share: analyse, tag and add its articles to its own segment."""
    passages, discovered = 0, {}
    for article in articles:
        result = analyse_article(article, analyzer, tagger)
        add_article(writer, result.fields, result.passages)
        passages += len(result.passages)
        discovered.update((e["id"], e) for e in result.discovered)
        tick()
    return passages, list(discovered.values())


def _chunks(items: list, count: int) -> list[list]:
    """``count`` contiguous, nearly equal slices, in order."""
    size, extra = divmod(len(items), count)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [items[bounds[i]:bounds[i + 1]] for i in range(count)]


def unique_ids(articles: Iterable[Article]) -> tuple[list[Article], list[ReadError]]:
    """The first article with each id; later ones are reported, not silently merged."""
    seen: dict[str, Article] = {}
    errors = []
    for article in articles:
        first = seen.setdefault(article.id, article)
        if first is not article:
            errors.append(ReadError(article.origin, f"duplicate article id {article.id!r} "
                                                    f"(already read from {first.origin}); skipped"))
    return list(seen.values()), errors


def stale_ids(manifest: dict[str, ManifestEntry], current: dict[str, Article],
              read_ok: set[str]) -> list[str]:
    """Indexed articles that are no more: their file is gone, or it was read cleanly this time
    and no longer holds them."""
    return [doc_id for doc_id, entry in manifest.items()
            if doc_id not in current and (entry.origin in read_ok or not Path(entry.origin).exists())]


def build(store: Store, paths: Iterable[str], analyzer: Analyzer, tagger=None,
          progress: Progress | None = None, workers: int | None = None) -> IndexReport:
    started = time.perf_counter()
    read = read_paths(paths)
    articles, duplicate_errors = unique_ids(clean(a) for a in read.articles)
    report = IndexReport(errors=read.errors + duplicate_errors)
    failed_files = {str(Path(e.path).resolve()) for e in report.errors}
    read_ok = {str(Path(f).resolve()) for f in read.files} - failed_files

    manifest = store.manifest()
    current = {a.id: a for a in articles}
    todo = [a for a in articles
            if a.id not in manifest or manifest[a.id].hash != a.content_hash]
    report.updated = sum(1 for a in todo if a.id in manifest)
    report.added = len(todo) - report.updated
    report.unchanged = len(articles) - len(todo)
    stale = stale_ids(manifest, current, read_ok)
    report.removed = len(stale)

    delete = [a.id for a in todo if a.id in manifest] + stale
    pool_size = default_workers() if workers is None else workers
    if pool_size > 1 and len(todo) >= PARALLEL_MIN_ARTICLES and can_fork():
        _build_parallel(store, todo, delete, analyzer, tagger, pool_size, progress, report)
    elif todo or stale:
        _build_serial(store, todo, delete, analyzer, tagger, progress, report)
    report.seconds = time.perf_counter() - started
    return report


def _build_serial(store, todo, delete, analyzer, tagger, progress, report) -> None:
    discovered: dict[str, dict] = {}

    def analysed() -> Iterator[tuple[dict, list[PassageDoc]]]:
        for done, article in enumerate(todo, start=1):
            result = analyse_article(article, analyzer, tagger)
            report.passages += len(result.passages)
            discovered.update((e["id"], e) for e in result.discovered)
            yield result.fields, result.passages
            if progress:
                progress(done, len(todo))

    store.write(analysed(), delete=delete, entities=lambda: list(discovered.values()))


def _build_parallel(store, todo, delete, analyzer, tagger, workers, progress, report) -> None:
    """Segment per worker: each forked process analyses, tags and writes a contiguous share of
    the articles into a segment of its own; the commit takes them all at once."""
    jobs = [partial(_index_chunk, chunk, analyzer, tagger) for chunk in _chunks(todo, workers)]
    summaries: list = []

    def entities() -> list[dict]:
        merged: dict[str, dict] = {}
        for _, found in summaries:
            merged.update((e["id"], e) for e in found)
        return list(merged.values())

    def on_progress(done: int) -> None:
        if progress:
            progress(done, len(todo))

    summaries[:] = store.write_parallel(jobs, delete=delete, entities=entities,
                                        summaries=summaries, progress=on_progress)
    report.passages += sum(passages for passages, _ in summaries)
