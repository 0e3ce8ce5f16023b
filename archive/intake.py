"""Files to raw Articles. Paths (files or folders, searched recursively) in; articles out, as a
stream (``iter_articles``) or a list (``read_paths``), with a ReadError for every file or record
that could not be read. Nothing is raised for bad input, so one broken file never stops the
others.

JSON Lines files are read a line at a time, so a corpus of any size streams through in constant
memory; other files are read whole. Folders are walked without recursion (any depth), symbolic
links to folders are not followed, and a link that loops or leads nowhere is reported.

What cannot be read is reported at the smallest unit that is bad: a file, or one line of a JSON
Lines file (a NUL byte or invalid JSON loses that line only). A lone UTF-16 surrogate in a
record (``"\\ud800"``, which JSON allows but no text can hold) is replaced by U+FFFD, the record
indexed and the replacement reported with its line.

Formats: ``.txt`` (title = first non-empty line, id = file name without extension, or the path
relative to the indexed folder when several files share a name) and ``.jsonl``/``.json`` (one
article per record: ``id``, ``text``, optional ``title``, ``date``, ``source``, ``url``); HTML
pages, RSS/Atom feeds and CSV files through the modules registered in ``archive.formats``.
Encodings: UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1256.
"""

from __future__ import annotations

import errno
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from archive import formats
from archive.decoding import Unreadable, decode
from archive.formats import ReadOptions
from archive.records import (
    Article,
    ReadError,
    ReadResult,
    has_surrogates,
    scrub_surrogates,
    web_address,
)

TEXT_SUFFIXES = (".txt",)
JSON_SUFFIXES = (".jsonl", ".json")
SUFFIXES = TEXT_SUFFIXES + JSON_SUFFIXES + formats.suffixes()  # formats: HTML, feeds, CSV
OPTIONAL_FIELDS = ("date", "source", "url")


@dataclass(frozen=True)
class Found:
    """A candidate file, the folder it was found under (its own folder for a file named
    directly), and why it cannot be read, if it cannot."""

    path: Path
    root: Path
    problem: str | None = None
    real: str = ""  # the real path (links resolved): an article's origin


def find_files(paths: Iterable[str | os.PathLike]) -> list[Found]:
    """Every candidate file under ``paths``, each once (``archive index news news`` reads news
    once), sorted within each path. Folders contribute files with a known suffix; hidden entries
    are skipped; a folder that cannot be listed is reported, not skipped silently."""
    found: list[Found] = []
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw)
        loop = _link_problem(path)
        if loop:
            candidates = [Found(path, path, loop, str(path.absolute()))]
        elif path.is_dir():
            candidates = sorted(_walk(path), key=lambda f: f.path)
        elif path.is_file():
            problem = None if path.suffix.lower() in SUFFIXES else (
                f"unsupported file type {path.suffix or '(none)'!r}; use one of {', '.join(SUFFIXES)}")
            candidates = [Found(path, path.parent, problem, real_path(path))]
        else:
            candidates = [Found(path, path, "no such file or folder", str(path.absolute()))]
        for candidate in candidates:
            if candidate.real not in seen:
                seen.add(candidate.real)
                found.append(candidate)
    return found


def _resolved(path: Path) -> Path | None:
    """The real path of ``path``, or None when a symbolic link on the way loops."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # "Symlink loop" (RuntimeError before Python 3.13)
        return None


def real_path(path: str | os.PathLike) -> str:
    """The real path of a file as a string (what ``Article.origin`` holds); a path whose links
    loop stays as given, made absolute."""
    path = Path(path)
    return str(_resolved(path) or path.absolute())


def _link_problem(path: Path) -> str | None:
    """Why a symbolic link cannot be followed (a loop, nothing at its end), or None."""
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symbolic link loop (it leads back to itself); skipped"
        return f"symbolic link to nothing ({error.strerror}); skipped"
    return None if _resolved(path) is not None else "symbolic link loop; skipped"


def _walk(root: Path) -> Iterator[Found]:
    """The candidate files under ``root``, with an explicit stack instead of recursion (a
    folder nested thousands of levels deep is walked like any other). Hidden entries are
    skipped, links to folders are not followed (they could loop), and a folder that cannot be
    listed is reported. Folders are plain strings here and real paths are extended, not
    resolved, per level: Path objects and resolving cost time in the depth at every level."""
    stack = [(str(root), real_path(root))]
    while stack:
        folder, real = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = sorted(entries, key=lambda e: e.name)
        except OSError as error:
            reason = error.strerror or str(error)
            yield Found(Path(folder), root,
                        f"folder cannot be read ({reason}); its files were skipped", real)
            continue
        subfolders = []
        for entry in listed:
            if entry.name.startswith("."):
                continue
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:
                subfolders.append((entry.path, os.path.join(real, entry.name)))
            elif os.path.splitext(entry.name)[1].lower() in SUFFIXES:
                path = Path(entry.path)
                if not entry.is_symlink():
                    yield Found(path, root, None, os.path.join(real, entry.name))
                    continue
                problem = _link_problem(path)
                if problem is None and path.is_dir():
                    continue  # a link to a folder: not followed, as os.walk does
                yield Found(path, root, problem, real_path(path))
        stack.extend(reversed(subfolders))


def text_ids(found: list[Found]) -> dict[Path, str]:
    """The id of each .txt file: its name without extension, or, when several files share that
    name (2024/report.txt and 2025/report.txt), its path relative to the folder it was found
    under, without extension ("2024/report")."""
    texts = [f for f in found if f.problem is None and _one_per_file(f.path)]
    stems = Counter(f.path.stem for f in texts)
    # A file name that is not UTF-8 arrives with surrogate escapes: U+FFFD in the id instead.
    return {f.path: scrub_surrogates(f.path.stem if stems[f.path.stem] == 1
                                     else f.path.relative_to(f.root).with_suffix("").as_posix())
            for f in texts}


def _one_per_file(path: Path) -> bool:
    """A file that is one article, named after the file: text, or a format such as HTML."""
    if path.suffix.lower() in TEXT_SUFFIXES:
        return True
    found = formats.format_for(path)
    return found is not None and found.one_per_file


def read_paths(paths: Iterable[str | os.PathLike]) -> ReadResult:
    """Every article under ``paths``, in a list, with the errors met and the files looked at."""
    result = ReadResult()
    result.articles.extend(iter_articles(paths, result))
    return result


def iter_articles(paths: Iterable[str | os.PathLike], result: ReadResult,
                  options: ReadOptions | None = None) -> Iterator[Article]:
    """The articles under ``paths`` one at a time, in a fixed order (files sorted, records in
    file order); files looked at and errors are appended to ``result`` as they are met.
    ``options``: how to read formats that need it (a CSV column map)."""
    options = options or ReadOptions()
    found = find_files(paths)
    ids = text_ids(found)
    for candidate in found:
        path = candidate.path
        result.files.append(str(path))
        result.real[str(path)] = candidate.real
        if candidate.problem:
            result.errors.append(ReadError(str(path), candidate.problem))
            continue
        try:
            registered = formats.format_for(path)
            if registered is not None:
                records = _format_records(registered, path, ids.get(path), options)
            elif _streams(path):
                records = _stream_lines(path)
            else:
                text = decode(path.read_bytes())
                if path.suffix.lower() in TEXT_SUFFIXES:
                    yield from _read_text(path, ids[path], text, result.errors, candidate.real)
                    continue
                records = _json_records(path, text)
            yield from _articles(path, records, result.errors, candidate.real)
        except (OSError, Unreadable) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            result.errors.append(ReadError(str(path), reason))


def _streams(path: Path) -> bool:
    """A JSON Lines file in an 8-bit encoding: read line by line. (UTF-16, or a JSON array in a
    .jsonl file, is read whole.)"""
    if path.suffix.lower() != ".jsonl":
        return False
    with path.open("rb") as handle:
        head = handle.read(4096)
    return not head.startswith((b"\xff\xfe", b"\xfe\xff")) and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def _format_records(registered: formats.Format, path: Path, article_id: str | None,
                    options: ReadOptions) -> Iterator[tuple[int | None, object]]:
    """A registered format's records; a one-article file's record gets the file's id. A
    parser's own failure on a broken file is that file's error, not the build's."""
    data = path.read_bytes()
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unreadable("binary file (contains NUL bytes), not text")
    try:
        for number, record in registered.records(path, data, options):
            if article_id is not None and isinstance(record, dict):
                record = {**record, "id": article_id}
            yield number, record
    except (OSError, Unreadable):
        raise
    except Exception as error:  # third-party parsers raise many types on untrusted input
        yield None, ValueError(f"cannot be read as {registered.name}: {error}")


def _stream_lines(path: Path) -> Iterator[tuple[int | None, object]]:
    """(line number, record) of a JSON Lines file, decoding line by line: UTF-8, else
    Windows-1256 when that reads as text. A line holding a NUL byte is reported and skipped,
    unless it is the first line with content: then the file is binary, not JSON Lines."""
    with path.open("rb") as handle:
        first = True
        for number, raw in enumerate(handle, start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            if b"\x00" in raw:
                if first:
                    raise Unreadable("binary file (a NUL byte in its first line), not JSON Lines")
                column = len(raw[:raw.index(b"\x00")].decode("utf-8", "replace")) + 1
                yield number, ValueError(f"a NUL byte in the line (column {column}); this line "
                                         f"was skipped, the rest of the file was read")
                continue
            first = False
            try:
                line = decode(raw)
            except Unreadable as error:
                yield number, ValueError(str(error))
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                yield number, ValueError(f"invalid JSON: {error.msg} (column {error.colno})")


def _read_text(path: Path, article_id: str, text: str, errors: list[ReadError],
               origin: str) -> Iterator[Article]:
    title = next((line.strip() for line in text.splitlines() if line.strip()), None)
    if title is None:
        errors.append(ReadError(str(path), "empty file: no text to index"))
        return
    yield Article(id=article_id, title=title, text=text, origin=origin)


def _records(text: str) -> Iterator[tuple[int | None, object]]:
    """(line number or None, record) from a JSON array, one JSON object, or JSON Lines."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            for record in json.loads(stripped):
                yield None, record
            return
        except json.JSONDecodeError:
            pass  # perhaps JSON Lines whose first record is an array: report line by line
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                yield number, ValueError(f"invalid JSON: {error.msg} (column {error.colno})")


def _json_records(path: Path, text: str) -> Iterator[tuple[int | None, object]]:
    stripped = text.strip()
    if stripped.startswith("{") and "\n" in stripped:
        try:  # a single pretty-printed object
            return iter([(None, json.loads(stripped))])
        except json.JSONDecodeError:
            pass
    return _records(text)


def _articles(path: Path, records: Iterator[tuple[int | None, object]],
              errors: list[ReadError], origin: str) -> Iterator[Article]:
    found = False
    for number, record in records:
        found = True
        try:
            article, replaced = article_from_record(origin, record)
        except ValueError as error:
            errors.append(ReadError(str(path), str(error), number))
            continue
        if replaced:
            errors.append(ReadError(str(path), f"a lone surrogate (an invalid \\uD800-\\uDFFF "
                                    f"escape) in {', '.join(replaced)} was replaced by U+FFFD; "
                                    f"the record was indexed", number))
        yield article
    if not found:
        errors.append(ReadError(str(path), "empty file: no records"))


def article_from_record(origin: str, record: object) -> tuple[Article, list[str]]:
    """The article of one record, and the names of the fields whose lone surrogates were
    replaced."""
    if isinstance(record, Exception):
        raise ValueError(str(record))
    if not isinstance(record, dict):
        raise ValueError(f"a record must be a JSON object, not {type(record).__name__}")
    replaced = [name for name in ("id", "title", "text", *OPTIONAL_FIELDS)
                if isinstance(record.get(name), str) and has_surrogates(record[name])]
    if replaced:
        record = {name: scrub_surrogates(value) if isinstance(value, str) else value
                  for name, value in record.items()}
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("record has no 'text'")
    article_id = record.get("id")
    if article_id is None or not str(article_id).strip():
        raise ValueError("record has no 'id'")
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        title = next(line.strip() for line in text.splitlines() if line.strip())
    extras, dropped = _optional_fields(record)
    article = Article(id=str(article_id).strip(), title=title.strip(), text=text,
                      origin=origin, dropped=tuple(dropped), **extras)
    return article, [repr(name) for name in replaced]


def _optional_fields(record: dict) -> tuple[dict[str, str | None], list[tuple[str, str, str]]]:
    """A record's ``date``, ``source`` and ``url`` as kept, and what was not kept, with why:
    a value that is not text (a JSON number, an object: its repr would be no date or address),
    a url that is not http(s) (a ``javascript:`` link must never reach a client)."""
    extras: dict[str, str | None] = {}
    dropped: list[tuple[str, str, str]] = []
    for name in OPTIONAL_FIELDS:
        value = record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            extras[name] = None
        elif not isinstance(value, str):
            extras[name] = None
            dropped.append((name, json.dumps(value, ensure_ascii=False, default=str),
                            f"is a JSON {_json_type(value)}, not text"))
        elif name == "url" and web_address(value) is None:
            extras[name] = None
            dropped.append((name, value.strip(), "is not an http(s) address"))
        else:
            extras[name] = value.strip()
    return extras, dropped


def _json_type(value: object) -> str:
    """JSON's name for the type of a decoded value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    return "array" if isinstance(value, list) else type(value).__name__
