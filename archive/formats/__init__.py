"""Input formats beyond plain text and JSON, one module each, registered here for
``archive.intake`` (the input stage): a file's bytes in, records out.

A format turns a file into ``(line number or None, record)`` pairs, where a record is a dict with
the JSON records' fields (``id``, ``text``, optional ``title``, ``date``, ``source``, ``url``) or a
``ValueError`` saying why that part of the file cannot be read; the intake stage turns records into
Articles the same way for every format. A format that holds one article per file (an HTML page)
leaves out ``id``: the intake stage names the article after the file, as it does a ``.txt`` file.
Options a user can set per build (``--csv-map``) arrive as ``ReadOptions``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

Record = tuple[int | None, object]  # (line, dict or ValueError)

#: Article fields a record may carry; a CSV column map may only name these.
FIELDS = ("id", "text", "title", "date", "source", "url")


@dataclass(frozen=True)
class ReadOptions:
    """How to read files that do not say everything themselves. ``csv_map`` maps our field
    names to a CSV file's column names (``{"text": "body"}``: the ``body`` column is the text)."""

    csv_map: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.csv_map) - set(FIELDS))
        if unknown:
            raise ValueError(f"csv_map: unknown field {unknown[0]!r}; the fields are "
                             f"{', '.join(FIELDS)}")


@dataclass(frozen=True)
class Format:
    """One input format: its name, the file suffixes it reads, whether a file is one article
    (named after the file), and the function from bytes to records."""

    name: str
    suffixes: tuple[str, ...]
    one_per_file: bool
    records: Callable[[Path, bytes, ReadOptions], Iterator[Record]]


def _html(path: Path, data: bytes, options: ReadOptions) -> Iterator[Record]:
    from archive.formats import html

    return html.records(path, data, options)


def _feed(path: Path, data: bytes, options: ReadOptions) -> Iterator[Record]:
    from archive.formats import feed

    return feed.records(path, data, options)


def _csv(path: Path, data: bytes, options: ReadOptions) -> Iterator[Record]:
    from archive.formats import csv

    return csv.records(path, data, options)


# The modules are imported when a file of theirs is read: trafilatura and feedparser cost
# start-up time a search never needs.
FORMATS: tuple[Format, ...] = (
    Format("HTML page", (".html", ".htm"), True, _html),
    Format("RSS or Atom feed", (".rss", ".atom", ".xml"), False, _feed),
    Format("CSV with a header", (".csv", ".tsv"), False, _csv),
)


def format_for(path: Path) -> Format | None:
    """The registered format that reads ``path``, by its suffix."""
    suffix = path.suffix.lower()
    return next((f for f in FORMATS if suffix in f.suffixes), None)


def suffixes() -> tuple[str, ...]:
    """Every suffix a registered format reads."""
    return tuple(s for f in FORMATS for s in f.suffixes)
