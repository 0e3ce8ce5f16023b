"""The search engines behind one protocol (``archive.engines.base``), Django-backends style:
an engine name in, the engine's module-level ``Engine`` out.

    from archive import engines
    engine = engines.get("tantivy")           # archive.engines.base.Engine
    store = engine.create(path, settings)     # an archive.engines.base.Store

An index remembers its engine (``engine_of``); ``DEFAULT`` is what a new index gets.

An index is a folder, or a URL naming an index of a search cluster
(``opensearch://HOST:PORT/NAME``): ``location`` turns what a user wrote into a ``Path`` or a
``Remote``, and the functions below take either (a remote index has no files of ours, its engine
is the URL's, its write lock is the engine's own).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from archive.engines import base
from archive.engines.base import Engine, IndexError_

DEFAULT = "whoosh"
# name → module holding an ``ENGINE`` (imported only when asked for: an archive on Whoosh never
# loads Tantivy's extension, and the other way round).
ENGINES = {
    "whoosh": "archive.engines.whoosh",
    "tantivy": "archive.engines.tantivy",
    "opensearch": "archive.engines.opensearch",
}
# URL scheme → the engine whose indexes it names
SCHEMES = {"opensearch": "opensearch", "opensearchs": "opensearch"}
_URL = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


@dataclass(frozen=True)
class Remote:
    """An index on a search cluster, named by a URL (``opensearch://HOST:PORT/NAME``). It prints
    as the URL, so messages name it as the user wrote it."""

    url: str

    @property
    def scheme(self) -> str:
        """The URL's scheme, lower case (``opensearch``, ``opensearchs``)."""
        return self.url.split("://", 1)[0].lower()

    @property
    def engine(self) -> str:
        """The name of the engine that serves this URL."""
        return SCHEMES[self.scheme]

    def __str__(self) -> str:
        return self.url

    def __fspath__(self) -> str:  # a Remote is not a file; code that tries to open it fails here
        raise TypeError(f"{self.url} is an index on a cluster, not a folder")


Location = Path | Remote


def location(path: str | os.PathLike | Remote) -> Location:
    """A Path, or a Remote for a URL of a scheme an engine serves; IndexError_ for another
    scheme (``http://…`` is no index)."""
    if isinstance(path, (Path, Remote)):
        return path
    text = os.fspath(path)
    found = _URL.match(text)
    if found is None:
        return Path(text)
    if found.group(1).lower() not in SCHEMES:
        raise IndexError_(f"{text!r} is not an index: an index is a folder or a URL "
                          f"{' or '.join(s + '://HOST:PORT/NAME' for s in SCHEMES)}")
    return Remote(text)


def write_lock(path: Location, wait: bool = False,
               on_wait: Callable[[], None] | None = None) -> AbstractContextManager[None]:
    """The write lock of the index at ``path`` (``archive.engines.base.write_lock`` for a
    folder; the engine's lock in the cluster for a Remote)."""
    if isinstance(path, Remote):
        return get(path.engine).write_lock(path, wait=wait, on_wait=on_wait)  # type: ignore[attr-defined]
    return base.write_lock(path, wait=wait, on_wait=on_wait)


def default_name() -> str:
    """The engine of a new index: ``$ARCHIVE_ENGINE`` if set, else DEFAULT."""
    return os.environ.get("ARCHIVE_ENGINE") or DEFAULT


def names() -> list[str]:
    """The names of the engines this version knows, installed or not."""
    return list(ENGINES)


def get(name: str) -> Engine:
    """The engine called ``name``; IndexError_ naming the choices for another name."""
    module = ENGINES.get(name)
    if module is None:
        raise IndexError_(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    try:
        return importlib.import_module(module).ENGINE
    except ImportError as error:
        raise IndexError_(f"the {name} engine is not installed here ({error}); "
                          f"pip install 'archive[{name}]' or choose another engine") from None


MARKER = "archive_ENGINE"  # names the engine of the index in its folder (one line)


def engine_of(path: str | os.PathLike | Remote) -> str | None:
    """The name of the engine whose index is in ``path``, or None if there is none: the one
    the folder's marker names, else (an index made before markers) the default engine if its
    files are there; for a Remote, the URL's engine if the cluster holds the index."""
    path = location(path)
    if isinstance(path, Remote):
        return path.engine if get(path.engine).exists(path) else None  # type: ignore[arg-type]
    try:
        marked = (path / MARKER).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        marked = ""
    if marked in ENGINES:
        try:
            if get(marked).exists(path):
                return marked
        except IndexError_:
            pass
    # Without a marker only an index of the default engine, made before markers, can be there
    # (probing the others would load their libraries for nothing).
    return DEFAULT if get(DEFAULT).exists(path) else None


def chosen(path: Location, requested: str | None) -> Engine:
    """The engine of a new index at ``path``: the URL's for a Remote (IndexError_ if another is
    asked for), else ``requested`` or the default."""
    if isinstance(path, Remote):
        if requested is not None and requested != path.engine:
            raise IndexError_(f"{path} is an index of the {path.engine} engine, not {requested}")
        return get(path.engine)
    return get(requested or default_name())


def existing(path: str | os.PathLike | Remote) -> Engine | None:
    """The engine of the index in ``path``, or None."""
    name = engine_of(path)
    return get(name) if name else None


def remember(path: Location, name: str) -> None:
    """Mark ``path`` as an index of engine ``name`` (atomically: readers see the old marker or
    the new one). Nothing for a Remote: its URL names its engine."""
    if isinstance(path, Remote):
        return
    temporary = path / f"{MARKER}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(name + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path / MARKER)


def switch(path: Location, name: str, previous: Engine | None) -> None:
    """After engine ``name`` committed an index in ``path``: make it the folder's engine, then
    remove the files of the ``previous`` engine's index (a migration)."""
    if isinstance(path, Remote):
        return
    remember(path, name)
    if previous is not None and previous.name != name:
        remove_files(path, previous.own_files(path))


def files_of(engine: Engine, path: Location) -> set[str]:
    """``engine.own_files(path)``; none for a Remote."""
    return set() if isinstance(path, Remote) else engine.own_files(path)


def own_files(path: Location) -> set[str]:
    """Every name in ``path`` that belongs to an index of any installed engine, marker included
    (none for a Remote)."""
    if isinstance(path, Remote):
        return set()
    found = {MARKER} if (path / MARKER).exists() else set()
    for name in ENGINES:
        try:
            found |= get(name).own_files(path)
        except IndexError_:
            continue
    return found


def remove_files(path: Location, names: set[str]) -> None:
    """Remove the files and folders ``names`` from ``path``; missing ones are skipped."""
    import shutil

    if isinstance(path, Remote):
        return

    for name in names:
        target = path / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
