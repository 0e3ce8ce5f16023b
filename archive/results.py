"""The typed results of the API (``archive.api``): what ``entities()``, ``entity()``,
``article()`` and ``stats()`` return, and the entity counts of a search's facets. Each is a
dataclass whose ``to_dict()`` is the JSON contract of the matching ``--json`` command and HTTP
endpoint, key for key. (A search's ``SearchResults`` and ``Hit``, and a build's ``IndexReport``,
live with the code that makes them: ``archive.search``, ``archive.indexer``.)"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from archive.entities.catalogue import TYPES, Entity
from archive.entities.tagger import Mention


@dataclass(frozen=True)
class EntityCount:
    """An entity and how many articles mention it (among a search's hits, or in the archive)."""

    id: str
    name: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "name", "count"}``."""
        return {"id": self.id, "name": self.name, "count": self.count}


@dataclass(frozen=True)
class EntityCounts(Mapping[str, list[EntityCount]]):
    """Entities by type (``person``, ``place``, ``organization``, ``weapon``), most mentioned
    first: a read-only mapping of type → list of EntityCount, in the order of the types."""

    by_type: dict[str, list[EntityCount]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Mapping[str, list[dict[str, Any]]]) -> EntityCounts:
        """From ``{type: [{"id", "name", "count"}]}`` rows (archive.facets)."""
        return cls({kind: [EntityCount(r["id"], r["name"], r["count"]) for r in items]
                    for kind, items in rows.items()})

    def __getitem__(self, kind: str) -> list[EntityCount]:
        return self.by_type[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_type)

    def __len__(self) -> int:
        return len(self.by_type)

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """``{type: [{"id", "name", "count"}]}``."""
        return {kind: [e.to_dict() for e in items] for kind, items in self.by_type.items()}


@dataclass(frozen=True)
class EntityPage:
    """One entity as this archive knows it: its catalogue record (``entity``), the spellings
    seen in the articles, how many articles mention it, the entities most often mentioned in
    the same articles, and sample passages (search hits)."""

    entity: Entity
    names_seen: list[str]
    articles: int
    co_mentions: EntityCounts
    passages: list[Any]  # archive.search.Hit (not imported: search loads the engine)

    @property
    def id(self) -> str:
        """The entity's id (``person:vladimir-putin``)."""
        return self.entity.id

    @property
    def type(self) -> str:
        """``person``, ``place``, ``organization`` or ``weapon``."""
        return self.entity.type

    @property
    def name(self) -> str:
        """The entity's display name (Arabic)."""
        return self.entity.name

    @property
    def name_en(self) -> str:
        """Its English name, or ``""``."""
        return self.entity.name_en

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other names and spellings of the catalogue."""
        return self.entity.aliases

    @property
    def parent(self) -> str | None:
        """The id of the entity it is part of (a city's country), if any."""
        return self.entity.parent

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``archive entity --json`` and ``/api/entities/{id}``."""
        return {**self.entity.to_dict(), "parent": self.entity.parent,
                "names_seen": self.names_seen, "articles": self.articles,
                "co_mentions": self.co_mentions.to_dict(),
                "passages": [hit.to_dict() for hit in self.passages]}


@dataclass(frozen=True)
class ArticlePassage:
    """A passage of an indexed article: its order, its span ``[start, end)`` in the cleaned
    article, its text, and the entity mentions in it (offsets into the passage's text)."""

    position: int
    start: int
    end: int
    text: str
    entities: list[Mention]

    def to_dict(self) -> dict[str, Any]:
        """``{"position", "start", "end", "text", "entities": [mention]}``."""
        return {"position": self.position, "start": self.start, "end": self.end,
                "text": self.text, "entities": [m.to_dict() for m in self.entities]}


@dataclass(frozen=True)
class ArticleView:
    """One article as indexed (after cleaning): its fields and its passages in order."""

    doc_id: str
    title: str | None
    date: str | None
    source: str | None
    url: str | None
    passages: list[ArticlePassage]

    @property
    def text(self) -> str:
        """The cleaned article's text, passages at their offsets (blank between them)."""
        chars = [" "] * (self.passages[-1].end if self.passages else 0)
        for passage in self.passages:
            chars[passage.start:passage.end] = passage.text
        return "".join(chars)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``archive article --json`` and ``/api/articles/{id}``."""
        return {"doc_id": self.doc_id, "title": self.title, "date": self.date,
                "source": self.source, "url": self.url,
                "passages": [p.to_dict() for p in self.passages]}


@dataclass(frozen=True)
class Stats:
    """What an index holds: articles, passages, distinct entities mentioned (and by type)."""

    articles: int
    passages: int
    entities: int
    entities_by_type: dict[str, int]
    path: str
    stemmer: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``archive stats --json``."""
        return {"path": self.path, "articles": self.articles, "passages": self.passages,
                "entities": self.entities,
                "entities_by_type": {k: self.entities_by_type.get(k, 0) for k in TYPES},
                "stemmer": self.stemmer}


HIT_COLUMNS = ("rank", "score", "doc_id", "title", "date", "date_written", "source", "url",
               "text", "position", "highlights", "entities")


def hits_dataframe(hits: Iterable[Any]) -> Any:
    """Search hits (a page, or ``Archive.iter_hits``) as a pandas DataFrame, one row per hit:
    ``rank`` and ``position`` (the passage's order in its article) as integers, ``score`` as a
    float, ``date`` as ``datetime64`` (read from the date as written, ``NaT`` when it cannot be
    read; a month or a year alone is its first day), ``date_written`` as the article wrote it,
    ``highlights`` and ``entities`` as lists. Needs pandas (``pip install '.[pandas]'``)."""
    try:
        import pandas
    except ImportError:
        raise ImportError("to_dataframe needs pandas: pip install pandas (or the 'pandas' "
                          "extra of this package)") from None
    from archive.dates import iso_day

    rows = [{"rank": h.rank, "score": h.score, "doc_id": h.doc_id, "title": h.title,
             "date": iso_day(h.date), "date_written": h.date, "source": h.source,
             "url": getattr(h, "url", None), "text": h.text, "position": h.position, "highlights": h.highlights,
             "entities": h.entities} for h in hits]
    frame = pandas.DataFrame(rows, columns=list(HIT_COLUMNS))
    frame["date"] = pandas.to_datetime(frame["date"], format="ISO8601", errors="coerce")
    frame = frame.astype({"rank": "int64", "position": "int64", "score": "float64"})
    return frame
