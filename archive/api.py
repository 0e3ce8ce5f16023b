"""The Python API: everything the CLI does, for tools that embed the archive.

    from archive import Archive
    archive = Archive.open("index", create=True)
    report = archive.index(["corpus"])          # IndexReport
    results = archive.search("كورسك", limit=5)  # SearchResults; .to_dict() is the JSON contract
    for hit in results: ...                     # Hit

Every call returns a typed result (dataclasses in archive.results, archive.search,
archive.indexer) whose ``to_dict()`` is the JSON of the matching ``--json`` command. Problems a
user can act on raise ArchiveError or one of its subclasses (archive.errors); arguments of the
wrong type or range raise ValueError naming the argument.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive import engines
from archive.analyzers import shared_analyzer
from archive.arabic import Analyzer
from archive.dates import bound as date_bound
from archive.engines import Location, write_lock
from archive.engines.base import LOCK_FILE, IndexError_, Store, check_folder
from archive.engines.base import IndexBusy as StoreBusy
from archive.engines.base import IndexDamaged as StoreDamaged
from archive.entities.catalogue import TYPES, Entity
from archive.entities.tagger import Mention, Tagger, default_tagger
from archive.errors import AmbiguousName, ArchiveError, DamagedIndex, IndexBusy, NotFound
from archive.records import Article, web_address
from archive.results import ArticlePassage, ArticleView, EntityCounts, EntityPage, Stats
from archive.search import SORTS, Hit, Searcher, SearchResults
from archive.stemmers import StemmerUnavailable
from archive.stemmers import require as require_stemmer

if TYPE_CHECKING:  # a search builds nothing: the indexer and the readers load when a build runs
    # nor does it read batches or stories: archive.batch, .collapsing and .copies load on use
    from archive import batch, copies
    from archive.formats import ReadOptions
    from archive.indexer import IndexReport, Progress

__all__ = ["Archive", "ArchiveError", "AmbiguousName", "NotFound", "IndexBusy", "DamagedIndex",
           "FILTER_TYPES"]

DEFAULT_STEMMER = "light"
AMBIGUOUS_SHOWN = 8  # candidates listed when a name could mean several entities
EXPORT_PAGE_SIZE = 200  # hits fetched at a time by iter_hits (an export of every hit)

_LATIN_QUERY = re.compile(r"[A-Za-z][A-Za-z0-9'.\- ]*")  # words in Latin letters, no syntax
_OPERATOR_WORD = re.compile(r"\b(OR|NOT|AND)\b")
# Filter and facet names: the entity types, and ``org``, the CLI's and the URLs' short name.
FILTER_TYPES = {**{kind: kind for kind in TYPES}, "org": "organization"}


class Archive:
    """An archive index on disk, with its analyzer and a searcher reused across calls."""

    def __init__(self, store: Store, analyzer: Analyzer, tagger: Tagger | None = None):
        self.store = store
        self.analyzer = analyzer
        self.tagger = tagger or default_tagger()
        self._searcher = Searcher(store, analyzer, self.tagger)
        self._copies: copies.Copies | None = None

    @property
    def path(self) -> Location:
        """The index folder."""
        return self.store.path

    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = False,
             stemmer: str = DEFAULT_STEMMER, readonly: bool = False,
             engine: str | None = None) -> Archive:
        """Open the index at ``path``; with ``create``, make an empty one if there is none.
        ``stemmer`` and ``engine`` (``archive.engines.names()``; default ``$ARCHIVE_ENGINE``,
        else whoosh) only apply to
        a new index: an index remembers how it was built, and asking an existing one for
        another engine raises ArchiveError (``rebuild`` with ``engine`` migrates it).
        ``readonly``: never write to the folder (a server's reader)."""
        path = _located(path)
        with _user_errors(path):
            existing = engines.existing(path)
            if existing is not None:
                _check_engine(path, existing.name, engine)
                store = existing.open(path, readonly=readonly)
            elif create and not readonly:
                require_stemmer(stemmer)
                chosen = engines.chosen(path, engine)
                with write_lock(path, wait=True):
                    existing = engines.existing(path)
                    if existing is not None:  # made by another process meanwhile
                        _check_engine(path, existing.name, engine)
                        store = existing.open(path)
                    else:
                        store = chosen.create(path, {"stemmer": stemmer})
                        engines.remember(path, chosen.name)
            else:
                check_folder(path)
                raise NotFound(f"no index at {path}; build one with `archive index --index {path} PATH`")
            return cls(store, shared_analyzer(store.settings().get("stemmer", DEFAULT_STEMMER)))

    @classmethod
    def rebuild(cls, path: str | os.PathLike, paths: Iterable[str], stemmer: str = DEFAULT_STEMMER,
                progress: Progress | None = None, workers: int | None = None,
                wait: bool = False, on_wait=None,
                csv_map: Mapping[str, str] | None = None,
                engine: str | None = None, dask: str | None = None) -> tuple[Archive, IndexReport]:
        """A fresh index of ``paths`` at ``path``, replacing whatever the index held in one
        commit: until it lands (or if it is interrupted) searches see the previous index.
        Nothing is renamed or removed but the index's own files. ``engine``: the engine of the
        new index (default: the one the index has, else whoosh); another engine than the
        index's migrates it: the old engine's files are removed once the new index is
        committed. ``wait``: wait for another build of the same index to finish (``on_wait``
        is called once if so) instead of raising ArchiveError. ``csv_map``, ``dask``: as for
        ``index``."""
        path = _located(path)
        from archive.formats import ReadOptions

        options = ReadOptions(csv_map=dict(csv_map or {}))
        with _user_errors(path):
            require_stemmer(stemmer)
            if engine is not None:
                engines.get(engine)  # an unknown engine is refused before anything is touched
            with _building(path, wait=wait, on_wait=on_wait):
                return cls._replace(path, paths, stemmer, progress, workers, engine, options, dask)

    @classmethod
    def _replace(cls, path: Location, paths, stemmer: str, progress, workers,
                 engine: str | None = None, options: ReadOptions | None = None,
                 dask: str | None = None):
        """Build ``paths`` into the index at ``path`` in place of all it held; the caller holds
        the write lock."""
        previous = engines.existing(path)
        chosen = previous if previous is not None and engine is None else engines.chosen(path, engine)
        migrating = previous is not None and previous.name != chosen.name
        before = engines.files_of(chosen, path)
        try:
            store = _open_for_rewrite(path, stemmer, chosen)
            archive = cls(store, shared_analyzer(stemmer))
            from archive.indexer import build

            report = build(store, [str(p) for p in paths], archive.analyzer, archive.tagger,
                           progress=progress, workers=workers, replace={"stemmer": stemmer},
                           options=options, dask=dask)
        except BaseException:
            if migrating:  # the previous engine's index stays; the new one's files go
                engines.remove_files(path, engines.files_of(chosen, path) - before)
            raise
        engines.switch(path, chosen.name, previous)
        return archive, report

    @classmethod
    def open_or_build(cls, path: str | os.PathLike, paths: Iterable[str], progress=None,
                      on_build=None, on_wait=None) -> tuple[Archive, IndexReport | None]:
        """The archive at ``path``, built from ``paths`` first if it is missing or holds no
        article (a build that failed is no reason to search an empty index). ``on_build`` is
        called before building; a build running elsewhere is waited for, then used."""
        path = _located(path)
        if engines.existing(path) is not None:
            archive = cls.open(path)
            if not archive.empty:
                return archive, None
            archive.close()
        with _user_errors(path):
            with _building(path, wait=True, on_wait=on_wait):
                if engines.existing(path) is not None:  # a build that held the lock made it
                    archive = cls.open(path)
                    if not archive.empty:
                        return archive, None
                    archive.close()
                if on_build:
                    on_build()
                return cls._replace(path, paths, DEFAULT_STEMMER, progress, None)

    @property
    def empty(self) -> bool:
        """Whether the index holds no article."""
        return not self.store.has_articles()

    def index(self, paths: Iterable[str | os.PathLike], progress: Progress | None = None,
              workers: int | None = None,
              csv_map: Mapping[str, str] | None = None, dask: str | None = None) -> IndexReport:
        """Add new and changed articles from ``paths`` (files or folders), drop vanished ones.
        ``workers``: processes that analyse and tag (default: the machine's cores, up to 4;
        1 keeps everything in this process). The index is the same either way. ``csv_map``
        maps article fields to a CSV file's column names (``{"text": "body"}``); ValueError
        for a field that is not ``id``, ``text``, ``title``, ``date``, ``source`` or ``url``.
        ``dask``: a Dask scheduler's address (``tcp://host:8786``) or ``local:N``: the
        articles are analysed and tagged by that cluster's workers (extra ``dask``), written
        here; the same index. Raises ArchiveError when another build is writing to the same
        index."""
        from archive.formats import ReadOptions

        options = ReadOptions(csv_map=dict(csv_map or {}))
        with _user_errors(self.path), write_lock(self.path):
            from archive.indexer import build

            return build(self.store, [str(p) for p in paths], self.analyzer, self.tagger,
                         progress=progress, workers=workers, options=options, dask=dask)

    def search(self, query: str, limit: int = 10, page: int = 1,
               filters: Mapping[str, str | Iterable[str]] | None = None, facets: int = 10,
               date_from: str | None = None, date_to: str | None = None,
               months: bool = False, exclude: Mapping[str, Iterable[str]] | None = None,
               sort: str = "relevance", highlight: bool = True,
               collapse: bool = False, on_match=None) -> SearchResults:
        """Ranked passages for ``query`` (words, "phrases", OR, NOT/-word); never raises on query
        syntax. ``filters`` maps a type (``person``, ``place``, ``organization`` or ``org``,
        ``weapon``) to an entity name or a list of names (any spelling, or ids), all required;
        ``date_from``/``date_to`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, inclusive) keep
        articles published then (an article without a readable date is left out); ``facets``
        is how many entities of each type to count over all hits (0: none); ``months`` adds the
        hits' articles by month. ``exclude`` (same keys and names as ``filters``) drops every
        passage that mentions one of those entities (facets count what is left). ``sort``:
        "relevance" (default), "date" (newest first) or "oldest"; passages of articles without
        a readable date come last in both date orders, ties go by relevance. ``limit`` (≥ 1)
        hits per ``page`` (≥ 1). ``highlight=False`` leaves every hit's ``highlights`` empty,
        which is faster when most hits are not shown (``highlight_hits`` fills in the others).
        ``collapse``: each story once (re-published copies, archive.copies): the hits of its
        best-ranked article, with the other articles in each hit's ``copies``, and facets
        counting stories (``facets_count``); ``total`` still counts every matching passage.
        ``on_match(reader, hits)``: called with every hit of the search (the engine's Reader
        and Hits; with ``facets`` ≥ 1 and a query that can match), for summaries over all of
        them (archive.batch).

        Raises ValueError for an argument out of range, an unknown filter type or sort,
        NotFound for a name that resolves to no entity, AmbiguousName for one several entities
        share, and ArchiveError for a malformed date."""
        query = _text("query", query)
        limit, page = _count("limit", limit, 1), _count("page", page, 1)
        facets = _count("facets", facets, 0)
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        entity_ids = self._resolved(filters)
        exclude_ids = self._resolved(exclude)
        try:
            dates = (date_bound(date_from, "from"), date_bound(date_to, "to"))
        except ValueError as error:
            raise ArchiveError(str(error)) from None
        named, searched = self._as_searched(query)
        stories = _collapsing().story_counter(self.copy_index()) if collapse else None

        def facet_counts(reader, found):
            if on_match is not None:
                on_match(reader, found)
            return found.entity_counts() if stories is None else stories(reader, found)

        # articles per entity are the engine's own facets (Hits.facets: counted and cut there);
        # stories, or a caller that wants every hit, need the counts here
        counted_here = stories is not None or on_match is not None
        results = self._searcher.search(searched, limit=limit, page=page, entity_ids=entity_ids,
                                        facets=facets, dates=dates, months=bool(months),
                                        exclude_ids=exclude_ids, sort=sort,
                                        highlight=bool(highlight) and not collapse,
                                        facet_counts=facet_counts if counted_here else None)
        if named:
            results.query = query
            results.notices.append(f"{query.strip()!r} is searched as {searched} (" + ", ".join(
                e.id for e in named) + ")")
        if collapse:
            hits = self.iter_hits(query, highlight=False, filters=filters, exclude=exclude,
                                  date_from=date_from, date_to=date_to, sort=sort)
            results.hits = _collapsing().collapsed_page(hits, self.copy_index(), page, limit)
            if highlight:
                self.highlight_hits(query, results.hits)
            results.collapsed, results.facets_count = True, "stories"
        return results

    def batch(self, lines: Iterable[str], co_mentioned: int | None = None
              ) -> Iterator[batch.BatchRow]:
        """One BatchRow per query line (archive.batch): passages (``search(line).total``),
        articles, first and last day, the most co-mentioned entities, or the line's error;
        lazily, so a long list streams. ``co_mentioned``: entities of each type per row
        (default archive.batch.CO_MENTIONED)."""
        from archive import batch

        lines = [lines] if isinstance(lines, str) else lines
        return batch.run(self, lines) if co_mentioned is None else batch.run(self, lines, co_mentioned)

    def copy_index(self) -> copies.CopyIndex:
        """The re-published copies among this index's articles, as the last build found them
        (archive.copies)."""
        if self._copies is None:
            from archive import copies

            self._copies = copies.Copies(self.store)
        return self._copies.current()

    def copies_of(self, doc_id: str) -> list[dict]:
        """The other articles of ``doc_id``'s story (``{"doc_id", "source"}``): re-published
        copies of it, a few words changed; empty when it has none."""
        return self.copy_index().copies_of(_text("doc_id", doc_id))

    def highlight_hits(self, query: str, hits: Iterable[Hit]) -> None:
        """Fill in the ``highlights`` of hits a ``search(query, highlight=False)`` (or
        ``iter_hits``) gave, as a search with highlights would have: for the few of many hits
        that are shown."""
        self._searcher.highlight_hits(self._as_searched(_text("query", query))[1], list(hits))

    def _as_searched(self, query: str) -> tuple[list[Entity], str]:
        """The entities a Latin query names, and the text searched for it. A Latin name is
        searched as the entity's Arabic name: ranked and highlighted like any word, and (a
        word naming an entity) also finding it under other spellings."""
        named = self._latin_entities(query)
        return named, " ".join(f'"{e.name}"' if " " in e.name else e.name for e in named) or query

    def _latin_entities(self, query: str) -> list[Entity]:
        """The entities a query in Latin letters names (``Kursk``, ``Kim Jong Un``, ``Putin
        Kursk``): the whole query as one name, else each word as one, each resolving to exactly
        one entity. Arabic text is matched through the index (whose words name entities
        already); a Latin query no article contains would otherwise find nothing."""
        text = query.strip()
        if not _LATIN_QUERY.fullmatch(text) or _OPERATOR_WORD.search(text):
            return []
        for names in ([text], text.split()):
            try:
                return [self.resolve_entity(name) for name in names]
            except ArchiveError:
                continue
        return []

    def _resolved(self, names_by_type: Mapping[str, str | Iterable[str]] | None) -> list[str]:
        """Entity ids of {type: names} (NotFound/AmbiguousName for a name that means no
        single entity)."""
        return [self.resolve_entity(name, kind).id
                for kind, names in _filters(names_by_type).items() for name in names]

    def iter_hits(self, query: str, page_size: int = EXPORT_PAGE_SIZE,
                  **search_kwargs: Any) -> Iterator[Hit]:
        """Every hit of ``query``, best first, as ``search`` would page through them (same
        keyword arguments, less ``limit``/``page``; no facets or months are counted), fetched
        ``page_size`` at a time: an export of 100,000 hits never holds them all. The first
        page is searched on the first ``next()`` (that is when a bad filter raises
        ArchiveError). A passage is yielded once even if the ranking shifts between pages."""
        for name in ("limit", "page", "facets", "months"):
            if name in search_kwargs:
                raise TypeError(f"iter_hits() walks every page; it takes no {name!r}")
        if search_kwargs.pop("collapse", False):  # each story once (archive.collapsing)
            yield from _collapsing().collapsed(self.iter_hits(query, page_size, **search_kwargs),
                                            self.copy_index())
            return
        seen: set[tuple[str, int]] = set()
        page = 1
        while True:
            results = self.search(query, limit=page_size, page=page, facets=0, **search_kwargs)
            for hit in results.hits:
                key = (hit.doc_id, hit.position)
                if key not in seen:
                    seen.add(key)
                    yield hit
            if not results.hits or page * page_size >= results.total:
                return
            page += 1

    # -- entities -----------------------------------------------------------------------------

    def resolve_entity(self, name: str, kind: str | None = None) -> Entity:
        """The entity ``name`` means (catalogue or found in this archive by context), through
        aliases and spelling variants (``kind``: only entities of that type). AmbiguousName
        (with ``.candidates``) when several entities share the name, NotFound naming the
        closest ones when none has it; ValueError for an unknown ``kind``."""
        kind = _kind(kind)
        catalogue = self.tagger.catalogue
        entity = catalogue.resolve(name, kind) or self._discovered_by_name(name, kind)
        if entity is not None:
            return entity
        several = catalogue.sharing(name, kind)
        if several:
            listed = "; ".join(f"{e.name} ({e.name_en or e.type}, {e.id})"
                               for e in several[:AMBIGUOUS_SHOWN])
            more = f"; and {len(several) - AMBIGUOUS_SHOWN} more" if len(several) > AMBIGUOUS_SHOWN else ""
            raise AmbiguousName(f"{name!r} could be {len(several)} entities: {listed}{more}. "
                                f"Give a fuller name or an id", name, list(several))
        close = catalogue.closest(name, kind)
        hint = "; closest: " + ", ".join(f"{e.name} ({e.name_en or e.type})" for e in close) if close else ""
        raise NotFound(f"no {kind or 'entity'} named {name!r}{hint}")

    def _discovered_by_name(self, name: str, kind: str | None) -> Entity | None:
        from archive.entities.keys import exact_key, name_tokens, variant_key

        discovered = self._searcher.discovered()
        if name in discovered:  # an id
            return discovered[name] if kind in (None, discovered[name].type) else None
        wanted = name_tokens(name)
        for entity in discovered.values():
            if kind in (None, entity.type):
                tokens = name_tokens(entity.name)
                if exact_key(tokens) == exact_key(wanted) or variant_key(tokens) == variant_key(wanted):
                    return entity
        return None

    def entities(self, kind: str | None = None, limit: int = 20) -> EntityCounts:
        """The ``limit`` (≥ 1) most mentioned entities of each type (or of ``kind`` alone):
        type → [EntityCount(id, name, count)], count = articles mentioning the entity."""
        kind, limit = _kind(kind), _count("limit", limit, 1)
        with self._searcher.pinned() as reader:
            counts = reader.all_entity_counts()
            return self._searcher.top_entities(counts, limit=limit,
                                               types=(kind,) if kind else TYPES)

    def entity(self, name: str, kind: str | None = None, samples: int = 3,
               related: int = 5) -> EntityPage:
        """An entity's page: names (catalogue and spellings seen here), article count, the
        ``related`` entities of each type most often mentioned in the same articles, and
        ``samples`` passages. NotFound or AmbiguousName as for ``resolve_entity``."""
        samples, related = _count("samples", samples, 0), _count("related", related, 0)
        entity = self.resolve_entity(name, kind)
        with self._searcher.pinned() as reader:
            return self._entity_page(entity, reader, samples, related)

    def _entity_page(self, entity: Entity, reader, samples: int, related: int) -> EntityPage:
        articles = reader.entity_articles(entity.id)
        seen: list[str] = []
        for doc_id in articles:
            stored = reader.article(doc_id) or {}
            for spelling in json.loads(stored.get("mentions") or "{}").get(entity.id, []):
                if spelling not in seen:
                    seen.append(spelling)
        co_counts = reader.article_entity_counts(articles)
        co_counts.pop(entity.id, None)
        hits = self._searcher.search("", limit=samples, entity_ids=[entity.id], facets=0).hits \
            if samples else []
        co_mentions = self._searcher.top_entities(co_counts, limit=related) if related \
            else EntityCounts({kind: [] for kind in TYPES})
        return EntityPage(entity, seen, len(articles), co_mentions, hits)

    def article(self, doc_id: str) -> ArticleView:
        """One article as indexed: its fields (title, date, source, url) and its passages in
        order, each with its text, its character span in the cleaned article and the entity
        mentions inside it (offsets into the passage's text). NotFound if there is none."""
        doc_id = _text("doc_id", doc_id)
        with self._searcher.pinned() as reader:
            stored = reader.article(doc_id)
            if stored is None:
                raise NotFound(f"no article with id {doc_id!r} in the index at {self.path}")
            passages = reader.passages_of(doc_id)
        # The cleaned text, passages at their offsets (what lies between passages is blank), so
        # the tagger sees the article as the build did: its context rules and coreference
        # reach across passages.
        text = [" "] * (passages[-1]["end"] if passages else 0)
        for passage in passages:
            text[passage["start"]:passage["end"]] = passage["text"]
        from archive.analysis import mentions_by_span
        from archive.indexer import applied_lexicon

        tagger = self.tagger.fresh()  # with the names the build tagged it with
        tagger.learn(applied_lexicon(self.store, tagger))
        mentions = tagger.tag("".join(text))
        inside = mentions_by_span(mentions)
        return ArticleView(
            doc_id, stored.get("title"), stored.get("date"), stored.get("source"),
            web_address(stored.get("url")),  # an older index may hold a javascript: url
            [ArticlePassage(p["position"], p["start"], p["end"], p["text"],
                            [replace(m, start=m.start - p["start"], end=m.end - p["start"])
                             for m in inside(p["start"], p["end"])])
             for p in passages])

    def tag(self, text: str) -> list[Mention]:
        """Entity mentions in any text, offsets into ``text`` as given."""
        return self.tagger.fresh().tag(_text("text", text))

    # -- changing and counting ------------------------------------------------------------------

    def add(self, records: Iterable[Article | Mapping[str, Any]], progress: Progress | None = None,
            workers: int | None = None) -> IndexReport:
        """Index articles given in Python: Articles, or dicts with the JSON reader's fields
        (``id``, ``text``, optional ``title``, ``date``, ``source``, ``url``). An id already in
        the index is replaced when its content differs (``updated``) and left as it is when it
        does not (``unchanged``); nothing else is removed. A record without ``id`` or ``text``
        is reported in ``errors`` (with its position, from 1) and the rest are indexed. Added
        articles stay until ``delete`` removes them or a ``rebuild`` replaces the index: a
        later ``index`` of files keeps them. ArchiveError when another build is writing."""
        articles, errors = _given_articles(records)
        with _user_errors(self.path), write_lock(self.path):
            from archive.indexer import build

            report = build(self.store, [], self.analyzer, self.tagger, progress=progress,
                           workers=workers, given=articles)
        report.errors[:0] = errors
        return report

    def delete(self, ids: str | Iterable[str]) -> int:
        """Remove the articles with these ids (one id or several), in one commit; returns how
        many were in the index (ids it does not hold are ignored). A later ``index`` of the
        files they came from adds them again. ArchiveError when another build is writing."""
        wanted = [ids] if isinstance(ids, str) else list(ids)
        for doc_id in wanted:
            _text("ids", doc_id)
        with _user_errors(self.path), write_lock(self.path):
            indexed = self.store.manifest()
            held = [doc_id for doc_id in dict.fromkeys(wanted) if doc_id in indexed]
            if held:
                self.store.write(iter(()), delete=held)
                from archive import copies

                copies.refresh(self.store)
        return len(held)

    def stats(self) -> Stats:
        """How much the index holds: articles, passages, distinct entities mentioned (also by
        type), and how it was built (its stemmer)."""
        with self._searcher.pinned() as reader:
            articles, passages = reader.counts()
            counts = reader.all_entity_counts()
        by_type: dict[str, int] = {kind: 0 for kind in TYPES}
        for entity_id in counts:
            kind = self.tagger.entity_type(entity_id)
            if kind in by_type:
                by_type[kind] += 1
        return Stats(articles=articles, passages=passages, entities=sum(by_type.values()),
                     entities_by_type=by_type, path=str(self.path),
                     stemmer=self.store.settings().get("stemmer", DEFAULT_STEMMER))

    def close(self) -> None:
        """Close the index's files (also on leaving a ``with`` block)."""
        self.store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- helpers ------------------------------------------------------------------------------------

@contextmanager
def _user_errors(path: Location):
    """Problems a user can act on (a busy, damaged or unwritable index, a stemmer that is not
    installed) as ArchiveError."""
    try:
        yield
    except StoreBusy as error:
        raise IndexBusy(str(error)) from None
    except StoreDamaged as error:
        raise DamagedIndex(str(error)) from None
    except (IndexError_, StemmerUnavailable) as error:
        raise ArchiveError(str(error)) from None
    except OSError as error:
        where = error.filename or path
        raise ArchiveError(f"cannot use the index at {path}: {where}: "
                           f"{error.strerror or error}") from None


def _count(name: str, value: object, minimum: int) -> int:
    """``value`` as a count of at least ``minimum``; ValueError naming the argument if not."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer >= {minimum}, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, not {value}")
    return value


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type(value).__name__}")
    return value


def _kind(kind: str | None) -> str | None:
    """An entity type by its name or its short name (``org``); ValueError for another."""
    if kind is None:
        return None
    if kind not in FILTER_TYPES:
        raise ValueError(f"unknown entity type {kind!r}; use one of {', '.join(FILTER_TYPES)}")
    return FILTER_TYPES[kind]


def _filters(filters: Mapping[str, str | Iterable[str]] | None) -> dict[str, list[str]]:
    """``{type: names}`` with ``org`` read as ``organization`` and a single string as one name
    (not as its letters)."""
    if filters is None:
        return {}
    if not isinstance(filters, Mapping):
        raise ValueError(f"filters must map an entity type to names, not {type(filters).__name__}")
    merged: dict[str, list[str]] = {}
    for key, names in filters.items():
        try:
            kind = _kind(key)
        except ValueError as error:
            raise ValueError(f"filters: {error}") from None
        listed = [names] if isinstance(names, str) else list(names)
        for name in listed:
            _text(f"filters[{key!r}]", name)
        merged.setdefault(kind or key, []).extend(listed)
    return merged


def _given_articles(records: Iterable[Article | Mapping[str, Any]]) -> tuple[list[Article], list]:
    """Records given to ``Archive.add`` as Articles (origin ADDED_ORIGIN), and the problems of
    those that are none (a ReadError each, its line the record's position)."""
    from archive.indexer import GIVEN_ORIGIN as ADDED_ORIGIN
    from archive.intake import article_from_record
    from archive.records import ReadError

    if isinstance(records, (Article, Mapping)):
        records = [records]
    articles: list[Article] = []
    errors: list[ReadError] = []
    seen: set[str] = set()
    for position, record in enumerate(records, start=1):
        try:
            if isinstance(record, Article):
                article = record
            elif isinstance(record, Mapping):
                article, _scrubbed = article_from_record(ADDED_ORIGIN, dict(record))
            else:
                raise ValueError(f"a record must be an Article or a dict, not "
                                 f"{type(record).__name__}")
        except ValueError as error:
            errors.append(ReadError(ADDED_ORIGIN, str(error), position))
            continue
        if article.id in seen:
            errors.append(ReadError(ADDED_ORIGIN, f"duplicate article id {article.id!r}; "
                                                  f"skipped", position))
            continue
        seen.add(article.id)
        articles.append(replace(article, origin=ADDED_ORIGIN))
    return articles, errors


def _located(path: str | os.PathLike) -> Location:
    """``engines.location``: a folder, or a cluster's index for a URL; ArchiveError for a URL
    of a scheme no engine serves."""
    try:
        return engines.location(path)
    except IndexError_ as error:
        raise ArchiveError(str(error)) from None


def _check_engine(path: Location, actual: str, wanted: str | None) -> None:
    if wanted is not None and wanted != actual:
        engines.get(wanted)  # an unknown name says so first
        raise ArchiveError(f"the index at {path} uses the {actual} engine; migrate it with "
                           f"`archive index --rebuild --engine {wanted} --index {path} PATH`")


def _open_for_rewrite(path: Location, stemmer: str, engine) -> Store:
    """The index a rebuild replaces (of any format version; a damaged one is started anew), or
    a new one of ``engine``. The caller holds the write lock."""
    if engine.exists(path):
        try:
            return engine.open(path, check_version=False)
        except IndexError_:
            pass  # damaged: nothing in it can be kept
    return engine.create(path, {"stemmer": stemmer})


@contextmanager
def _building(path: Location, wait: bool = False, on_wait=None):
    """Hold the write lock of ``path`` for a build. If the build fails, remove the index files
    (and the folder) it created, and nothing else: a failed first build leaves no empty index
    behind, and a user's files are never touched."""
    existed = not isinstance(path, Path) or path.exists()
    with write_lock(path, wait=wait, on_wait=on_wait):
        before = engines.own_files(path)
        try:
            yield
        except BaseException:
            if not before:  # there was no index before: every index file is this build's
                engines.remove_files(path, engines.own_files(path))
            if not existed and isinstance(path, Path) and set(os.listdir(path)) <= {LOCK_FILE}:
                (path / LOCK_FILE).unlink(missing_ok=True)
                path.rmdir()
            raise


def _collapsing():
    """archive.collapsing, imported on first use: only a search that collapses copies needs it."""
    from archive import collapsing

    return collapsing
