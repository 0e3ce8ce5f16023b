"""The Whoosh index on disk: schema, opening, one writer transaction per build, and a cached
searcher. Analysed passages in; stored passages, articles and statistics out.

Documents are of three kinds (field ``kind``): ``passage`` (searched), ``article`` (title,
metadata, content hash and origin file: the manifest incremental builds diff against) and one
``meta`` (the settings the index was built with). Analysis happens before Whoosh sees a passage:
``stem`` and ``exact`` receive term lists, so index-time context (the whole article) can shape
them. Every change of a build is one Whoosh commit: until it lands, readers see the old index.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.query import Term

from archive.arabic import WhooshAnalyzer

# Bump when analysis or the schema changes: an index built otherwise must be rebuilt.
FORMAT_VERSION = 1
INDEX_NAME = "archive"


class IndexError_(Exception):
    """The index cannot be used as asked (missing, built by another version, locked)."""


def make_schema() -> Schema:
    return Schema(
        kind=ID(stored=True),
        pid=ID(stored=True, unique=True),
        doc_id=ID(stored=True),
        position=NUMERIC(stored=True),
        start=STORED(),
        end=STORED(),
        text=STORED(),
        stem=TEXT(analyzer=WhooshAnalyzer("stem"), phrase=True),
        exact=TEXT(analyzer=WhooshAnalyzer("exact"), phrase=True),
        entities=KEYWORD(stored=True, commas=True, scorable=False),
        title=STORED(),
        date=STORED(),
        source=STORED(),
        url=STORED(),
        origin=STORED(),
        hash=STORED(),
        passages=STORED(),
        mentions=STORED(),  # article: {entity id: [spellings found]}
        entity=STORED(),  # entity: an entity discovered by context rules, as JSON
        settings=STORED(),
    )


@dataclass(frozen=True)
class ManifestEntry:
    hash: str
    origin: str


@dataclass
class PassageDoc:
    """What the store keeps of one passage: its text and its two term lists."""

    pid: str
    doc_id: str
    position: int
    start: int
    end: int
    text: str
    stems: list[str]
    exact: list[str]
    entities: list[str]


class Store:
    def __init__(self, path: Path, ix):
        self.path = path
        self._ix = ix
        self._searcher = None

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def exists(cls, path: str | os.PathLike) -> bool:
        path = Path(path)
        return path.is_dir() and whoosh_index.exists_in(str(path), indexname=INDEX_NAME)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Store":
        path = Path(path)
        if not cls.exists(path):
            raise IndexError_(f"no index at {path}")
        store = cls(path, whoosh_index.open_dir(str(path), indexname=INDEX_NAME))
        version = store.settings().get("format_version")
        if version != FORMAT_VERSION:
            raise IndexError_(
                f"the index at {path} was built by another version of archive (format "
                f"{version}, this one reads {FORMAT_VERSION}); rebuild it with "
                f"`archive index --rebuild --index {path} PATH`")
        return store

    @classmethod
    def create(cls, path: str | os.PathLike, settings: dict) -> "Store":
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(path), make_schema(), indexname=INDEX_NAME)
        writer = ix.writer()
        writer.add_document(kind="meta", pid="meta",
                            settings=json.dumps({**settings, "format_version": FORMAT_VERSION}))
        writer.commit()
        return cls(path, ix)

    # -- reading ----------------------------------------------------------------------------

    def searcher(self):
        """One searcher per process, refreshed when a build has committed since."""
        if self._searcher is not None and not self._searcher.up_to_date():
            # Not Searcher.refresh(): it reuses segment readers, and a reused reader keeps the
            # deletions it had when opened (deleted articles would still show).
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            self._searcher = self._ix.searcher()
        return self._searcher

    def settings(self) -> dict:
        stored = self.searcher().document(kind="meta")
        return json.loads(stored["settings"]) if stored else {}

    def manifest(self) -> dict[str, ManifestEntry]:
        return {
            fields["doc_id"]: ManifestEntry(fields["hash"], fields["origin"])
            for fields in self.searcher().documents(kind="article")
        }

    def article(self, doc_id: str) -> dict | None:
        return self.searcher().document(kind="article", doc_id=doc_id)

    def discovered_entities(self) -> list[dict]:
        """Entities found by context rules (not in the catalogue), as stored."""
        return [json.loads(f["entity"]) for f in self.searcher().documents(kind="entity")]

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    # -- writing ----------------------------------------------------------------------------

    def write(self, articles: Iterable[tuple[dict, list[PassageDoc]]], delete: Iterable[str],
              entities: Callable[[], Iterable[dict]] = lambda: (), limitmb: int = 256) -> None:
        """Delete the articles ``delete`` names, add ``articles``, then record ``entities()``
        (asked after the articles, which discover them); commit once. An exception or Ctrl-C
        before the commit cancels everything: the previous index stays as it was."""
        writer = self._ix.writer(limitmb=limitmb)
        try:
            for doc_id in delete:
                writer.delete_by_term("doc_id", doc_id)
            for article, passages in articles:
                writer.add_document(kind="article", pid=f"{article['doc_id']}#article", **article)
                for p in passages:
                    writer.add_document(
                        kind="passage", pid=p.pid, doc_id=p.doc_id, position=p.position,
                        start=p.start, end=p.end, text=p.text, stem=p.stems, exact=p.exact,
                        entities=",".join(p.entities))
            for entity in entities():
                writer.update_document(kind="entity", pid=f"entity:{entity['id']}",
                                       entity=json.dumps(entity, ensure_ascii=False))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def optimize(self) -> None:
        self._ix.optimize()


def passage_filter():
    return Term("kind", "passage")
