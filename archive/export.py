"""Search hits in; CSV and JSON Lines out, one row per passage, for spreadsheets and scripts.

    with open("kursk.csv", "w", encoding="utf-8", newline="") as out:
        write_csv(archive.iter_hits("كورسك"), out)

Used by ``archive search --format csv|jsonl`` and ``GET /api/search?format=csv|jsonl``. Both
stream: a row is written as each hit arrives, so an export of every hit never holds them all.
Text is UTF-8 in logical order, Arabic as is (no ``\\u`` escapes). A CSV cell that a spreadsheet
would run as a formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
gets a leading ``'``: nothing from an article runs, not even in Excel. JSON Lines keeps every
value exactly.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from archive.dates import iso_day

EXPORT_FIELDS: tuple[str, ...] = ("doc_id", "title", "date", "day", "source", "url", "rank", "score",
                                  "position", "text", "entities")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_ENTITY_SEPARATOR = "; "


def hit_record(hit: Any) -> dict[str, Any]:
    """One hit (a ``Hit`` or its ``to_dict()``) as a flat record of EXPORT_FIELDS: ``entities``
    is a list of {"id", "type", "name"}; ``score`` rounded as in the JSON contract."""
    get = hit.get if isinstance(hit, Mapping) else lambda name, default=None: getattr(hit, name, default)
    score = get("score")
    return {
        "doc_id": get("doc_id"), "title": get("title") or "", "date": get("date"),
        "day": iso_day(get("date")),
        "source": get("source"), "url": get("url"), "rank": get("rank"),
        "score": round(float(score), 4) if score is not None else None,
        "position": get("position"), "text": get("text") or "",
        "entities": [{"id": e["id"], "type": e["type"], "name": e["name"]}
                     for e in get("entities") or ()],
    }


def records(hits: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Each hit as ``hit_record``, lazily."""
    return map(hit_record, hits)


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: None is empty, entities are their names joined by "; ", and a
    cell a spreadsheet would evaluate is quoted with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = CSV_ENTITY_SEPARATOR.join(e["name"] for e in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(hits: Iterable[Any]) -> Iterator[str]:
    """The CSV export as text chunks: the header row, then one row per hit."""
    buffer = _Buffer()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_FIELDS)
    yield buffer.take()
    for record in records(hits):
        writer.writerow([csv_cell(record[name]) for name in EXPORT_FIELDS])
        yield buffer.take()


def jsonl_lines(hits: Iterable[Any]) -> Iterator[str]:
    """The JSON Lines export as text chunks: one JSON object per hit and line."""
    for record in records(hits):
        yield json.dumps(record, ensure_ascii=False) + "\n"


def write_csv(hits: Iterable[Any], stream: IO[str]) -> int:
    """Write the hits as CSV (header row first) to a text stream; the number of rows written.
    Open files with ``newline=""`` (the csv module writes its own line ends)."""
    return _write(csv_lines(hits), stream) - 1


def write_jsonl(hits: Iterable[Any], stream: IO[str]) -> int:
    """Write the hits as JSON Lines to a text stream; the number of lines written."""
    return _write(jsonl_lines(hits), stream)


def _write(chunks: Iterable[str], stream: IO[str]) -> int:
    count = 0
    for chunk in chunks:
        stream.write(chunk)
        count += 1
    return count


class _Buffer:
    """Where csv.writer writes a row, to be taken as a string (rows stream one by one)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text
