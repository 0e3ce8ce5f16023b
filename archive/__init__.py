"""archive: a searchable full-text archive of Arabic news with entity facets.

    from archive import Archive
    with Archive.open("index", create=True) as archive:
        archive.index(["corpus"])
        for hit in archive.search("كورسك"):
            print(hit.doc_id, hit.text)

The public names below are importable from ``archive`` directly; they are loaded on first use,
so ``import archive`` (and the CLI's start) does not load Whoosh until needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name → the module that defines it
_PUBLIC = {
    "Archive": "archive.api",
    "ArchiveError": "archive.errors", "AmbiguousName": "archive.errors",
    "NotFound": "archive.errors", "IndexBusy": "archive.errors",
    "DamagedIndex": "archive.errors",
    "SearchResults": "archive.search", "Hit": "archive.search",
    "IndexReport": "archive.indexer", "UnreadableDate": "archive.indexer",
    "EntityCount": "archive.results", "EntityCounts": "archive.results",
    "EntityPage": "archive.results", "ArticleView": "archive.results",
    "ArticlePassage": "archive.results", "Stats": "archive.results",
    "hits_dataframe": "archive.results",
    "Article": "archive.records", "ReadError": "archive.records",
    "Mention": "archive.entities.tagger", "Entity": "archive.entities.catalogue",
    "ReadOptions": "archive.formats",
}
# Spelled out (not computed from _PUBLIC) so that tools can read it; a test checks both agree.
__all__ = ["AmbiguousName", "Archive", "ArchiveError", "Article", "ArticlePassage",
           "ArticleView", "DamagedIndex", "Entity", "EntityCount", "EntityCounts",
           "EntityPage", "Hit", "IndexBusy", "IndexReport", "Mention", "NotFound", "ReadError",
           "ReadOptions", "SearchResults", "Stats", "UnreadableDate", "hits_dataframe",
           "__version__"]

if TYPE_CHECKING:
    from archive.api import Archive
    from archive.entities.catalogue import Entity
    from archive.entities.tagger import Mention
    from archive.errors import AmbiguousName, ArchiveError, DamagedIndex, IndexBusy, NotFound
    from archive.formats import ReadOptions
    from archive.indexer import IndexReport, UnreadableDate
    from archive.records import Article, ReadError
    from archive.results import (
        ArticlePassage,
        ArticleView,
        EntityCount,
        EntityCounts,
        EntityPage,
        Stats,
        hits_dataframe,
    )
    from archive.search import Hit, SearchResults


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'archive' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return __all__
