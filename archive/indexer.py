"""The build: paths in, an updated index and an IndexReport out.

    read → clean → split into passages → analyse (with the article as context) → tag → store

Incremental by content hash: an article is (re)analysed only when it is new or its content
changed; an indexed article disappears when its file is gone, or when its file was read again
without it. A file that fails to read keeps what it had in the index.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from archive.arabic import Analyzer
from archive.cleaning import clean
from archive.passages import split_passages
from archive.reader import read_paths
from archive.records import Article, ReadError
from archive.store import ManifestEntry, PassageDoc, Store

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


def analyse_article(article: Article, analyzer: Analyzer, tagger=None) -> tuple[dict, list[PassageDoc]]:
    """One clean article to the records the store writes: passages with their terms and the
    entities tagged inside them, and the article's fields (no shared state but the tagger's
    record of discovered entities)."""
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
    return fields, docs


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
          progress: Progress | None = None) -> IndexReport:
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

    def analysed() -> Iterator[tuple[dict, list[PassageDoc]]]:
        for done, article in enumerate(todo, start=1):
            fields, docs = analyse_article(article, analyzer, tagger)
            report.passages += len(docs)
            yield fields, docs
            if progress:
                progress(done, len(todo))

    def discovered():
        return [e.to_dict() for e in tagger.discovered.values()] if tagger else []

    if todo or stale:
        store.write(analysed(), delete=[a.id for a in todo if a.id in manifest] + stale,
                    entities=discovered)
    report.seconds = time.perf_counter() - started
    return report
