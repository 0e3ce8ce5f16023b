"""archive: a searchable full-text archive of Arabic news with entity facets.

    from archive import Archive
    with Archive.open("index", create=True) as archive:
        archive.index(["corpus"])
        for hit in archive.search("كورسك").hits:
            print(hit.doc_id, hit.text)
"""

__version__ = "0.1.0"
__all__ = ["Archive", "ArchiveError", "__version__"]


def __getattr__(name):
    # Lazy, so `import archive` (and the CLI's start) does not load Whoosh until needed.
    if name in ("Archive", "ArchiveError"):
        from archive import api

        return getattr(api, name)
    raise AttributeError(name)
