"""CSV (and tab-separated ``.tsv``) files with a header row in, one record per row out. The
columns are ``id``, ``text`` and optionally ``title``, ``date``, ``source``, ``url`` (any case);
other names are mapped with ``ReadOptions.csv_map`` (``--csv-map text=body``). A row's line
number is the line it starts on (a quoted field may span lines).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path

from archive.formats import FIELDS, ReadOptions, Record

REQUIRED = ("id", "text")


def records(path: Path, data: bytes, options: ReadOptions) -> Iterator[Record]:
    """The rows of one file as records; a ValueError for the whole file when a required column
    is missing, and for each row whose fields do not match the header."""
    from archive.decoding import decode

    text = decode(data)
    # The csv module refuses fields over 128 KiB by default; an article's text can be far
    # longer (the build has its own limit on article size). Process-wide, and only raised.
    csv.field_size_limit(max(csv.field_size_limit(), min(sys.maxsize, 2**31 - 1)))
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _delimiter(text)
    rows = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    try:
        header = next(rows)
    except StopIteration:
        yield None, ValueError("empty file: no header row")
        return
    except csv.Error as error:
        yield 1, ValueError(f"invalid CSV header: {error}")
        return
    columns = _columns(header, options)
    unmapped = [f"{name}={column}" for name, column in options.csv_map.items()
                if name not in columns]
    if unmapped:
        yield 1, ValueError(f"--csv-map {unmapped[0]}: no such column (the columns are: "
                            f"{', '.join(header)})")
        return
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        hint = ", ".join(f"{m}=COLUMN" for m in missing)
        yield 1, ValueError(f"no {' or '.join(repr(m) for m in missing)} column (the columns "
                            f"are: {', '.join(header)}); map one with --csv-map {hint}")
        return
    line = rows.line_num + 1
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, ValueError(f"invalid CSV: {error}")
            line = rows.line_num + 1
            continue
        if any(cell.strip() for cell in row):
            if len(row) > len(header):
                yield line, ValueError(f"{len(row)} fields in a row, but {len(header)} columns "
                                       f"in the header")
            else:
                yield line, {name: row[i] for name, i in columns.items() if i < len(row)}
        line = rows.line_num + 1


def _columns(header: list[str], options: ReadOptions) -> dict[str, int]:
    """Our field name → its column's position: a mapped column first, else the field's own name
    in any case."""
    positions = {name.strip().lstrip("\ufeff").lower(): i for i, name in enumerate(header)}
    columns = {}
    for name in FIELDS:
        wanted = options.csv_map.get(name, name).strip().lower()
        if wanted in positions:
            columns[name] = positions[wanted]
    return columns


def _delimiter(text: str) -> str:
    """Comma unless the header row clearly uses semicolons or tabs (spreadsheet exports in
    locales where the comma is the decimal mark)."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))
