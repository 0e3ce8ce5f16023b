"""The Python API: everything the CLI does, for tools that embed the archive.

    from archive import Archive
    archive = Archive.open("index", create=True)
    report = archive.index(["corpus"])          # IndexReport
    results = archive.search("كورسك", limit=5)  # SearchResults; .to_dict() is the JSON contract
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable

from archive.arabic import Analyzer, shared_analyzer
from archive.indexer import IndexReport, Progress, build
from archive.search import SearchResults, Searcher
from archive.store import IndexError_, Store

DEFAULT_STEMMER = "light"


class ArchiveError(Exception):
    """A problem the user can act on (message says what and how)."""


class Archive:
    """An archive index on disk, with its analyzer and a searcher reused across calls."""

    def __init__(self, store: Store, analyzer: Analyzer):
        self.store = store
        self.analyzer = analyzer
        self._searcher = Searcher(store, analyzer)

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
                progress: Progress | None = None) -> tuple["Archive", IndexReport]:
        """A fresh index from ``paths``, built beside ``path`` and swapped in when complete, so
        an interrupted rebuild leaves the old index in place."""
        path = Path(path)
        building = path.with_name(path.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        fresh = cls.open(building, create=True, stemmer=stemmer)
        report = fresh.index(paths, progress=progress)
        fresh.close()
        retired = path.with_name(path.name + ".old")
        shutil.rmtree(retired, ignore_errors=True)
        if path.exists():
            path.rename(retired)
        building.rename(path)
        shutil.rmtree(retired, ignore_errors=True)
        return cls.open(path), report

    def index(self, paths: Iterable[str | os.PathLike], progress: Progress | None = None) -> IndexReport:
        """Add new and changed articles from ``paths`` (files or folders), drop vanished ones."""
        return build(self.store, [str(p) for p in paths], self.analyzer, progress=progress)

    def search(self, query: str, limit: int = 10, page: int = 1) -> SearchResults:
        """Ranked passages for ``query`` (words, "phrases", OR, NOT/-word); never raises on
        query syntax."""
        return self._searcher.search(query, limit=limit, page=page)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
