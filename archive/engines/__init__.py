"""The search engines behind one protocol (``archive.engines.base``), Django-backends style:
an engine name in, the engine's module-level ``Engine`` out.

    from archive import engines
    engine = engines.get("tantivy")           # archive.engines.base.Engine
    store = engine.create(path, settings)     # an archive.engines.base.Store

An index remembers its engine (``engine_of``); ``DEFAULT`` is what a new index gets.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from archive.engines.base import Engine, IndexError_

DEFAULT = "whoosh"
# name → module holding an ``ENGINE`` (imported only when asked for: an archive on Whoosh never
# loads Tantivy's extension, and the other way round).
ENGINES = {
    "whoosh": "archive.engines.whoosh",
    "tantivy": "archive.engines.tantivy",
}


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


def engine_of(path: str | os.PathLike) -> str | None:
    """The name of the engine whose index is in ``path``, or None if there is none: the one
    the folder's marker names, else (an index made before markers) the default engine if its
    files are there."""
    path = Path(path)
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


def existing(path: str | os.PathLike) -> Engine | None:
    """The engine of the index in ``path``, or None."""
    name = engine_of(path)
    return get(name) if name else None


def remember(path: Path, name: str) -> None:
    """Mark ``path`` as an index of engine ``name`` (atomically: readers see the old marker or
    the new one)."""
    temporary = path / f"{MARKER}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(name + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path / MARKER)


def switch(path: Path, name: str, previous: Engine | None) -> None:
    """After engine ``name`` committed an index in ``path``: make it the folder's engine, then
    remove the files of the ``previous`` engine's index (a migration)."""
    remember(path, name)
    if previous is not None and previous.name != name:
        remove_files(path, previous.own_files(path))


def own_files(path: Path) -> set[str]:
    """Every name in ``path`` that belongs to an index of any installed engine, marker included."""
    found = {MARKER} if (path / MARKER).exists() else set()
    for name in ENGINES:
        try:
            found |= get(name).own_files(path)
        except IndexError_:
            continue
    return found


def remove_files(path: Path, names: set[str]) -> None:
    """Remove the files and folders ``names`` from ``path``; missing ones are skipped."""
    import shutil

    for name in names:
        target = path / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
