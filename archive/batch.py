"""Batch search: a list of queries in (one per line: a name, an entity id, any search with
``--person``-style filters); one summary row per line out: how many passages match (exactly
``archive search LINE``'s total), in how many articles, the first and last day they were
published, and the entities most mentioned with it. For the desk's list of 300 politicians.

A line is the search syntax, plus these filters anywhere in it, each followed by a name (in
quotes if it has spaces) or an id: ``--person``, ``--place``, ``--org``, ``--weapon``, their
``--exclude-…`` forms, and ``--from`` / ``--to`` with a date. A line that is an entity id
alone (``person:vladimir-putin``) is that entity's filter. Blank lines are skipped (the others
keep their numbers). A line that fails (an ambiguous or unknown name, a bad date) gives a row with
its ``error``; the batch goes on. Rows are yielded one at a time, so a list of any length
streams in constant memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from archive.dates import iso_day
from archive.entities.catalogue import TYPES
from archive.errors import ArchiveError

CO_MENTIONED = 3  # entities of each type listed per row
MAX_LINE_CHARS = 1000  # a longer line is refused in its row (a search is cut at 500 anyway)
COLUMNS = ("line", "query", "passages", "articles", "first_day", "last_day",
           *(f"top_{kind}" for kind in TYPES), "error")

_FILTER = re.compile(r"(?:^|\s)--(exclude-)?(person|place|org|weapon|from|to)"
                     r"(?:=|\s+)(\"[^\"]*\"|«[^»]*»|\S+)")
_ENTITY_ID = re.compile(r"(person|place|org|organization|weapon):\S+")
_KINDS = {"person": "person", "place": "place", "org": "organization", "weapon": "weapon"}


@dataclass
class BatchQuery:
    """One line read as a search: its words, entity filters and dates."""

    text: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    date_from: str | None = None
    date_to: str | None = None

    def arguments(self) -> dict[str, Any]:
        """Archive.search's keyword arguments for this line (less the query)."""
        return {"filters": self.filters, "exclude": self.exclude, "date_from": self.date_from,
                "date_to": self.date_to}


def parse_line(line: str) -> BatchQuery:
    """A line as a BatchQuery (see the module docstring)."""
    stripped = line.strip()
    if _ENTITY_ID.fullmatch(stripped):
        kind = _KINDS.get(stripped.split(":", 1)[0], "organization")
        return BatchQuery("", filters={kind: [stripped]})
    parsed = BatchQuery("")
    for match in _FILTER.finditer(stripped):
        excluded, name, value = match.group(1), match.group(2), match.group(3)
        if value[0] in "\"«":
            value = value[1:-1]
        if name == "from":
            parsed.date_from = value
        elif name == "to":
            parsed.date_to = value
        else:
            target = parsed.exclude if excluded else parsed.filters
            target.setdefault(_KINDS[name], []).append(value)
    parsed.text = " ".join(_FILTER.sub(" ", stripped).split())
    return parsed


@dataclass
class BatchRow:
    """The summary of one line: passages (the search's total), articles, first and last day
    (ISO, of the articles that have a readable date), the most co-mentioned entities of each
    type (``{"id", "name", "count"}``, count = articles), or the error that stopped it."""

    line: int  # its number in the list, from 1
    query: str  # the line as given
    passages: int = 0
    articles: int = 0
    first_day: str | None = None
    last_day: str | None = None
    entities: dict[str, list[dict]] = field(default_factory=lambda: {kind: [] for kind in TYPES})
    error: str | None = None

    def to_dict(self) -> dict:
        """The row as JSON (``archive batch --format json|jsonl``)."""
        return {"line": self.line, "query": self.query, "passages": self.passages,
                "articles": self.articles, "first_day": self.first_day,
                "last_day": self.last_day, "entities": self.entities, "error": self.error}

    def flat(self) -> dict:
        """The row as one CSV record: each type's entities as ``name (count); …``."""
        return {"line": self.line, "query": self.query, "passages": self.passages,
                "articles": self.articles, "first_day": self.first_day or "",
                "last_day": self.last_day or "",
                **{f"top_{kind}": "; ".join(f"{e['name']} ({e['count']})"
                                            for e in self.entities.get(kind, []))
                   for kind in TYPES},
                "error": self.error or ""}


def run(archive, lines: Iterable[str], co_mentioned: int = CO_MENTIONED) -> Iterator[BatchRow]:
    """A BatchRow per query line of ``lines`` (blank lines skipped, numbers kept), one at a
    time."""
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        yield summarize(archive, number, line, co_mentioned)


def summarize(archive, number: int, line: str, co_mentioned: int = CO_MENTIONED) -> BatchRow:
    """The BatchRow of one line; an error the user can act on goes into the row."""
    row = BatchRow(number, line)
    if len(line) > MAX_LINE_CHARS:
        row.error = f"the line is over {MAX_LINE_CHARS} characters"
        return row
    query = parse_line(line)
    spread: dict[str, Any] = {}

    def observe(reader, found) -> None:  # every hit, not one page
        spread["articles"] = len(found.articles())
        spread["first"] = _day(reader, found, "oldest")
        spread["last"] = _day(reader, found, "date")

    try:
        results = archive.search(query.text, limit=1, facets=co_mentioned + 1, highlight=False,
                                 on_match=observe, **query.arguments())
    except (ArchiveError, ValueError) as error:
        row.error = str(error)
        return row
    row.passages = results.total
    row.articles = spread.get("articles", 0)
    row.first_day, row.last_day = spread.get("first"), spread.get("last")
    asked = _asked_entities(archive, query)
    for kind in TYPES:
        listed = [e.to_dict() for e in results.facets.get(kind, []) if e.id not in asked]
        row.entities[kind] = listed[:co_mentioned]
    return row


def _asked_entities(archive, query: BatchQuery) -> set[str]:
    """The entities a line asks for (its filters, the names in its words): not listed as
    co-mentioned with themselves."""
    asked = {archive.resolve_entity(name, kind).id
             for kind, names in query.filters.items() for name in names}
    return asked | {mention.entity_id for mention in archive.tag(query.text)}


def _day(reader, found, order: str) -> str | None:
    """The day of the newest ("date") or oldest ("oldest") hit's article (undated ones come
    last in both orders: None when no hit is dated)."""
    for _, ref in found.top(1, order):
        article = reader.article(reader.passage(ref)["doc_id"]) or {}
        return iso_day(article.get("date"))
    return None
