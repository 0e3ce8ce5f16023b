"""The Python API: everything the CLI does, for tools that embed the archive.

    from archive import Archive
    archive = Archive.open("index", create=True)
    report = archive.index(["corpus"])          # IndexReport
    results = archive.search("كورسك", limit=5)  # SearchResults; .to_dict() is the JSON contract
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Iterable

from archive.arabic import Analyzer, shared_analyzer
from archive.entities.catalogue import TYPES, Entity
from archive.entities.tagger import Mention, Tagger, default_tagger
from archive.indexer import IndexReport, Progress, build
from archive.search import SearchResults, Searcher
from archive.store import IndexError_, Store

DEFAULT_STEMMER = "light"


class ArchiveError(Exception):
    """A problem the user can act on (message says what and how)."""


class Archive:
    """An archive index on disk, with its analyzer and a searcher reused across calls."""

    def __init__(self, store: Store, analyzer: Analyzer, tagger: Tagger | None = None):
        self.store = store
        self.analyzer = analyzer
        self.tagger = tagger or default_tagger()
        self._searcher = Searcher(store, analyzer, self.tagger)

    @property
    def path(self) -> Path:
        return self.store.path

    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = False,
             stemmer: str = DEFAULT_STEMMER) -> "Archive":
        """Open the index at ``path``; with ``create``, make an empty one if there is none.
        ``stemmer`` only applies to a new index (an index remembers how it was built)."""
        path = Path(path)
        try:
            if Store.exists(path):
                store = Store.open(path)
            elif create:
                store = Store.create(path, {"stemmer": stemmer})
            else:
                raise ArchiveError(f"no index at {path}; build one with `archive index --index {path} PATH`")
        except IndexError_ as error:
            raise ArchiveError(str(error)) from None
        return cls(store, shared_analyzer(store.settings().get("stemmer", DEFAULT_STEMMER)))

    @classmethod
    def rebuild(cls, path: str | os.PathLike, paths: Iterable[str], stemmer: str = DEFAULT_STEMMER,
                progress: Progress | None = None,
                workers: int | None = None) -> tuple["Archive", IndexReport]:
        """A fresh index from ``paths``, built beside ``path`` and swapped in when complete, so
        an interrupted rebuild leaves the old index in place."""
        path = Path(path)
        building = path.with_name(path.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        fresh = cls.open(building, create=True, stemmer=stemmer)
        report = fresh.index(paths, progress=progress, workers=workers)
        fresh.close()
        retired = path.with_name(path.name + ".old")
        shutil.rmtree(retired, ignore_errors=True)
        if path.exists():
            path.rename(retired)
        building.rename(path)
        if retired.exists():  # keep what else lived there (a .gitkeep, a README)
            for entry in retired.iterdir():
                if not Store.owns(entry.name):
                    entry.rename(path / entry.name)
        shutil.rmtree(retired, ignore_errors=True)
        return cls.open(path), report

    def index(self, paths: Iterable[str | os.PathLike], progress: Progress | None = None,
              workers: int | None = None) -> IndexReport:
        """Add new and changed articles from ``paths`` (files or folders), drop vanished ones.
        ``workers``: processes that analyse and tag (default: the machine's cores, up to 4;
        1 keeps everything in this process). The index is the same either way."""
        return build(self.store, [str(p) for p in paths], self.analyzer, self.tagger,
                     progress=progress, workers=workers)

    def search(self, query: str, limit: int = 10, page: int = 1,
               filters: dict[str, Iterable[str]] | None = None, facets: int = 10) -> SearchResults:
        """Ranked passages for ``query`` (words, "phrases", OR, NOT/-word); never raises on query
        syntax. ``filters`` maps a type (person, place, organization, weapon) to entity names
        (any spelling), all required; ``facets`` is how many entities of each type to count over
        all hits (0: none). Raises ArchiveError for a name that resolves to no entity."""
        entity_ids = [self.resolve_entity(name, kind).id
                      for kind, names in (filters or {}).items() for name in names]
        return self._searcher.search(query, limit=limit, page=page, entity_ids=entity_ids,
                                     facets=facets)

    # -- entities -----------------------------------------------------------------------------

    def resolve_entity(self, name: str, kind: str | None = None) -> Entity:
        """The entity ``name`` means (catalogue or found in this archive by context), through
        aliases and spelling variants; ArchiveError naming the closest ones if there is none."""
        if kind is not None and kind not in TYPES:
            raise ArchiveError(f"unknown entity type {kind!r}; use one of {', '.join(TYPES)}")
        entity = self.tagger.catalogue.resolve(name, kind)
        if entity is None:
            entity = self._discovered_by_name(name, kind)
        if entity is not None:
            return entity
        close = self.tagger.catalogue.closest(name, kind)
        hint = "; closest: " + ", ".join(f"{e.name} ({e.name_en or e.type})" for e in close) if close else ""
        raise ArchiveError(f"no {kind or 'entity'} named {name!r}{hint}")

    def _discovered_by_name(self, name: str, kind: str | None) -> Entity | None:
        from archive.entities.keys import exact_key, name_tokens, variant_key

        wanted = name_tokens(name)
        for entity in self._searcher.discovered().values():
            if kind in (None, entity.type):
                tokens = name_tokens(entity.name)
                if exact_key(tokens) == exact_key(wanted) or variant_key(tokens) == variant_key(wanted):
                    return entity
        return None

    def entities(self, kind: str | None = None, limit: int = 20) -> dict[str, list[dict]]:
        """The most mentioned entities of the archive: {type: [{"id", "name", "count"}]}, count
        = articles mentioning the entity."""
        facets = self._searcher.facet_index()
        counts = facets.article_counts(self._searcher.docs("kind", "passage"))
        return self._searcher.top_entities(counts, limit=limit, types=(kind,) if kind else TYPES)

    def entity(self, name: str, kind: str | None = None, samples: int = 3,
               related: int = 5) -> dict:
        """An entity's page: names (catalogue and spellings seen here), article count, the
        entities most often mentioned in the same articles, and sample passages."""
        entity = self.resolve_entity(name, kind)
        facets = self._searcher.facet_index()
        articles = sorted(facets.articles_with(self._searcher.docs("entities", entity.id)))
        seen: list[str] = []
        for doc_id in articles:
            stored = self.store.article(doc_id) or {}
            for spelling in json.loads(stored.get("mentions") or "{}").get(entity.id, []):
                if spelling not in seen:
                    seen.append(spelling)
        passages = set().union(*(self._searcher.docs("doc_id", a) for a in articles))
        co_counts = facets.article_counts(passages)
        co_counts.pop(entity.id, None)
        passages = self._searcher.search("", limit=samples, entity_ids=[entity.id], facets=0)
        return {**entity.to_dict(), "parent": entity.parent, "names_seen": seen,
                "articles": len(articles),
                "co_mentions": self._searcher.top_entities(co_counts, limit=related),
                "passages": [hit.to_dict() for hit in passages.hits]}

    def tag(self, text: str) -> list[Mention]:
        """Entity mentions in any text, offsets into ``text`` as given."""
        return Tagger(self.tagger.catalogue).tag(text)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
