"""Whoosh's file storage made durable, and the debris of interrupted builds recognised.

A commit publishes a generation by renaming a fully written ``_archive_<n>.toc.<time>`` to
``_archive_<n>.toc``. Whoosh fsyncs nothing, so after a power cut the rename may be on disk
while the TOC's bytes or the segment files it names are not: an empty or truncated TOC, or
0-byte segments, and an index no command could open. ``DurableStorage`` closes every file it
creates with an fsync, and fsyncs the folder before the rename (the new files' names) and after
it (the rename itself). Whoosh writes every segment file and the TOC through ``create_file``
and publishes through ``rename_file`` (whoosh/index.py ``TOC.write``; codec segment files via
``Segment.create_file``); ``journal``/``last_publish`` record what was synced and renamed, and a
test (tests/test_data_safety.py) fails if a new Whoosh stops going through these two methods.

Temporary files (the ``archive.tmp`` folder: posting runs and column buffers) are not synced:
nothing published depends on them.

``debris(folder)`` names what interrupted or failed builds leave and the next build removes:
temporary TOCs, the temporary folder's files, and (with the current generation's segments)
every segment file no TOC names. Only names that are certainly the index's own match.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

INDEX_NAME = "archive"
TOC_FILE = re.compile(rf"^_{INDEX_NAME}_([0-9]+)[.]toc$")
TEMP_TOC_FILE = re.compile(rf"^_{INDEX_NAME}_[0-9]+[.]toc[.][0-9]+(?:[.][0-9]+)?(?:e[-+]?[0-9]+)?$")
TEMP_FOLDER = f"{INDEX_NAME}.tmp"  # SegmentWriter's and the column writer's temp_storage
TEMP_FILE = re.compile(r"^[0-9a-z]{28}[.](?:ctmp|run)$")  # whoosh.util.random_name() + suffix
# archive.facets writes a segment's facet file as <file>.<pid>.tmp, then renames it
TEMP_FACETS_FILE = re.compile(rf"^{INDEX_NAME}_[0-9a-z]{{16}}[.]fpairs[.][0-9]+[.]tmp$")


def fsync_folder(folder: str) -> None:
    """Make the folder's entries (new names, a rename) durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class DurableStorage(FileStorage):
    """A FileStorage whose files are on disk before a TOC naming them is published."""

    def __init__(self, path: str, readonly: bool = False):
        super().__init__(path, readonly=readonly)
        self.journal: list[tuple[str, str]] = []  # ("fsync", file) since the last publish
        self.last_publish: list[tuple[str, str]] = []  # the journal of the last TOC rename

    def create_file(self, name, excl=False, mode="wb", **kwargs):
        """Whoosh's ``create_file``, the file fsynced when it is closed (and journaled)."""
        theirs = kwargs.pop("onclose", None)

        def sync_on_close(structfile) -> None:
            if theirs is not None:
                theirs(structfile)
            handle = structfile.file
            handle.flush()
            os.fsync(handle.fileno())
            self.journal.append(("fsync", name))

        return super().create_file(name, excl=excl, mode=mode, onclose=sync_on_close, **kwargs)

    def rename_file(self, oldname, newname, safe=False):
        """Whoosh's ``rename_file`` between two folder fsyncs (the new files' names before, the
        rename after); renaming a TOC publishes a generation and ends ``last_publish``."""
        fsync_folder(self.folder)  # the new segment files' and the temporary TOC's names
        super().rename_file(oldname, newname, safe=safe)
        fsync_folder(self.folder)  # the rename: the new generation is published
        self.journal.append(("rename", newname))
        if TOC_FILE.match(newname):
            self.last_publish, self.journal = self.journal, []


def debris(folder: Path) -> list[Path]:
    """Leftovers of interrupted builds in an index folder that never belong to a live
    generation: temporary TOCs and facet files, and the files of the temporary folder (the
    caller holds the write lock, so no build is writing them; a search that loses a facet file
    it was writing counts from memory). Unreferenced segment files are the store's to
    judge: it knows the current generation."""
    found: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return found
    found += [folder / name for name in names
              if TEMP_TOC_FILE.match(name) or TEMP_FACETS_FILE.match(name)]
    temp = folder / TEMP_FOLDER
    if temp.is_dir() and not temp.is_symlink():
        try:
            found += [temp / name for name in os.listdir(temp) if TEMP_FILE.match(name)]
        except OSError:
            pass
    return found


def remove_debris(folder: Path) -> int:
    """Remove ``debris(folder)`` and the temporary folder if that leaves it empty; how many
    files went."""
    removed = 0
    for path in debris(folder):
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    try:
        (folder / TEMP_FOLDER).rmdir()  # only if empty: a user's file in it stays
    except OSError:
        pass
    return removed
