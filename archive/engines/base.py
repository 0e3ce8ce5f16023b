"""The engine protocol: what a search engine does for the rest of the archive, and what every
engine shares (errors, the write lock, the records it stores).

An engine stores **analysed** records and answers **query trees** (archive.engines.query); it
never analyses text, tags entities, parses queries or highlights. In:

* a generation of articles (stored fields) and their passages (``PassageDoc``: text, ``stem``
  and ``exact`` term lists with positions, entity ids, article id), deletions by article id,
  discovered entities, all committed at once under one writer lock (``write`` /
  ``write_parallel``);
* a query tree, entity ids to require or exclude, a date range, a sort order.

Out: a ``Reader`` over one generation. The level is what a search server offers (so an
engine may as well be a remote one), and a query's cost should be its page, not its matches.
What each operation must return (an engine implements the abstract ones; the others have a
default built on them, which an engine overrides when it can do better):

``Reader.match(tree, require, exclude, dates)`` → ``Hits``
    the passages ``tree`` matches, tagged with **every** entity id of ``require`` and **none**
    of ``exclude``, of articles whose day (archive.dates.iso_day of the article's date) lies
    within ``dates`` (inclusive day prefixes "YYYY", "YYYY-MM" or "YYYY-MM-DD", either bound
    None; with any bound, undated articles are out). Restrictions never change a score.
``Hits.total`` → int
    how many passages matched (exact).
``Hits.top(count, sort)`` → [(score, ref)]
    the first ``count`` hits: "relevance" (BM25 score, best first; equal scores in build
    order, then position), "date" (article day, newest first) or "oldest"; in both date orders
    ties by score, and passages of undated articles after every dated one, by score. ``ref``
    is the engine's own reference to a passage, given back to the same reader only.
``Hits.facets(limit, type_of, types)`` → {type: [(entity id, articles)]}
    for each type of ``types`` (``type_of(entity id)`` gives an id's type, None for none),
    the entities mentioned by the hits with, for each, the **exact** number of distinct
    articles having at least one hit passage tagged with it (not passages: an article counts
    once however many of its passages match); the ``limit`` most counted of the type, **and**
    every other one tied with the ``limit``-th (the caller orders ties by name), most counted
    first, ties by id. Over all hits, not the page; an entity with 0 never appears. The count
    of an entity equals the number of distinct articles of ``match(tree, require + [it])``.
``Hits.entity_counts()`` → Counter
    the same count for every entity the hits mention (no cut).
``Hits.months()`` → [{"month": "YYYY-MM", "count": articles}]
    the hits' distinct articles by the month of their day, oldest first (undated ones and
    those with a year alone left out).
``Hits.articles()`` → set of article ids of the hits.
``Reader.article_evidence(refs, terms)`` → archive.article_evidence.Gathered or None
    for the candidates ``refs`` (the best ~50 hits) and the query's distinct terms
    (``QueryTerm``: field "stem"/"exact", text): each term's idf (both engines here:
    ``ln(N / (df + 1)) + 1``, N the index's documents, df the passages holding the term; a
    term no passage holds adds nothing whatever its weight), and per candidate three sets of
    term indexes: held by the passage itself, by a passage of its article at most
    ``NEIGHBOURS`` positions away (itself included), by one at most ``ARTICLE_REACH`` away.
    Asked about the candidates and their neighbours only; None: keep the engine's ranking.
``Reader.passage(ref)``, ``article(doc_id)``, ``passages_of(doc_id)``
    stored passages ({pid, doc_id, position, start, end, text, entities}) and article fields.
``Reader.doc_frequency``, ``similar_terms``, ``sample_passages``
    term statistics and the term dictionary (suggestions).
``Reader.entity_articles``, ``article_entity_counts``, ``all_entity_counts``, ``counts``,
``discovered_entities``, ``discovered_entity``
    entity pages and index statistics (see each method).
"""

from __future__ import annotations

import os
import signal
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from heapq import nlargest, nsmallest
from pathlib import Path
from typing import Any, TypeVar

from archive.article_evidence import Gathered, QueryTerm, gather
from archive.dates import iso_day
from archive.engines.query import Node, Term

StoreT = TypeVar("StoreT", bound="Store")

LOCK_FILE = "archive_WRITELOCK"
LOCK_POLL = 0.2  # seconds between two tries for the write lock when waiting for it

# A write job of ``Store.write_parallel``: called in a worker process with ``add(article fields,
# passages)`` and ``tick()`` (one article done); returns a summary for the parent.
AddArticle = Callable[[dict, list["PassageDoc"]], None]
Job = Callable[[AddArticle, Callable[[], None]], object]


class IndexError_(Exception):
    """The index cannot be used as asked (missing, built by another version, locked, damaged)."""


class IndexBusy(IndexError_):
    """Another build holds the index's write lock."""


class IndexDamaged(IndexError_):
    """The index's files cannot be read as an index."""


def check_folder(path: Path | Any) -> None:
    """An index is a folder: refuse a path that is something else, before anything is touched
    (an index on a cluster, ``archive.engines.Remote``, has no folder to check)."""
    if isinstance(path, Path) and path.exists() and not path.is_dir():
        raise IndexError_(f"{path} is a file, not an index folder; choose another --index")


def damaged(path: Path, error: BaseException) -> IndexDamaged:
    """The IndexDamaged to raise when the index at ``path`` failed to open with ``error``: the
    reason, and how to rebuild it."""
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return IndexDamaged(f"the index at {path} is damaged or unreadable ({reason}); rebuild it with "
                       f"`archive index --rebuild --index {path} PATH`")


def opened(path: Path, exists: bool, open_store: Callable[[], StoreT], current: int,
           check_version: bool = True) -> StoreT:
    """What every engine's ``Store.open`` does around its own opening (``open_store``): a
    missing index, an unreadable folder, a damaged file (whatever the engine raises for it)
    and an index of another format version become one-line IndexError_s that say the fix."""
    if not exists:
        raise IndexError_(f"no index at {path}")
    try:
        store = open_store()
        version = store.settings().get("format_version") if check_version else current
    except IndexError_:
        raise
    except PermissionError as error:
        raise IndexError_(f"cannot read the index at {path}: {error.strerror}") from None
    except Exception as error:  # noqa: BLE001 - whatever a damaged file makes the engine raise
        raise damaged(path, error) from None
    if version != current:
        raise other_version(path, version, current)
    return store


def other_version(path: Path, version: object, current: int) -> IndexError_:
    """The IndexError_ to raise for an index of format ``version`` when this version reads
    ``current``: how to rebuild it."""
    return IndexError_(
        f"the index at {path} was built by another version of archive (format "
        f"{version}, this one reads {current}); rebuild it with "
        f"`archive index --rebuild --index {path} PATH`")


class _FileLock:
    """An exclusive ``flock`` on a file (the kernel drops it if the process dies)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@contextmanager
def write_lock(path: Path, wait: bool = False,
               on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the write lock of the index in ``path`` (made if missing) for a whole build, from
    creating or planning to commit: no other build can write meanwhile, whatever its engine.
    Without ``wait`` a held lock raises IndexBusy at once; with it, ``on_wait`` is called once
    and the lock is tried again until it is free."""
    check_folder(path)
    path.mkdir(parents=True, exist_ok=True)
    lock = _FileLock(path / LOCK_FILE)
    if not lock.acquire():
        if not wait:
            raise IndexBusy(f"another build is writing to the index at {path}; run this again "
                            f"when it has finished")
        if on_wait:
            on_wait()
        while not lock.acquire():
            time.sleep(LOCK_POLL)
    try:
        yield
    finally:
        lock.release()


@dataclass(frozen=True)
class ManifestEntry:
    """What an incremental build compares an article with: its content hash and origin file."""

    hash: str
    origin: str


@dataclass
class PassageDoc:
    """What the store keeps of one passage: its text and its two term lists."""

    pid: str
    doc_id: str
    position: int
    start: int
    end: int
    text: str
    stems: list[str]
    exact: list[str]
    entities: list[str]


class Hits(ABC):
    """The passages one query tree matched in one generation (with its restrictions). Passage
    references (``ref``) are the engine's own; pass them back to the same reader only."""

    @property
    @abstractmethod
    def total(self) -> int:
        """How many passages matched."""

    @abstractmethod
    def top(self, count: int, sort: str = "relevance") -> list[tuple[float, Any]]:
        """The first ``count`` (score, ref) in ``sort`` order: "relevance", "date" (newest
        first) or "oldest"; passages of undated articles last in both date orders, ties by
        score."""

    @abstractmethod
    def entity_counts(self) -> Counter:
        """Entity id → how many distinct articles among all the hits mention it (exact)."""

    @abstractmethod
    def months(self) -> list[dict]:
        """[{"month": "YYYY-MM", "count": articles}] of the hits' articles, oldest first."""

    @abstractmethod
    def articles(self) -> set[str]:
        """The ids of the hits' articles."""

    def facets(self, limit: int, type_of: Callable[[str], str | None],
               types: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        """Per type of ``types``, the ``limit`` entities mentioned in the most hit articles, and
        those tied with the last of them: [(entity id, articles)], most first, ties by id (see
        the module docstring). By default cut from ``entity_counts``."""
        return top_counts(self.entity_counts(), limit, type_of, types)


class Reader(ABC):
    """One generation of an index, for one operation at a time."""

    @abstractmethod
    def match(self, tree: Node, require: Iterable[str] = (), exclude: Iterable[str] = (),
              dates: tuple[str | None, str | None] = (None, None)) -> Hits:
        """The passages ``tree`` matches that are tagged with every entity of ``require`` and
        none of ``exclude``, of articles published within ``dates`` (day prefixes, inclusive;
        with any bound, undated articles are out)."""

    @abstractmethod
    def passage(self, ref: Any) -> dict:
        """A hit's stored passage: pid, doc_id, position, start, end, text, entities (list)."""

    @abstractmethod
    def article(self, doc_id: str) -> dict | None:
        """An article's stored fields (title, date, source, url, origin, hash, mentions...)."""

    @abstractmethod
    def passages_of(self, doc_id: str) -> list[dict]:
        """An article's stored passages in order."""

    @abstractmethod
    def doc_frequency(self, field: str, text: str) -> int:
        """Passages holding an index term (approximate after deletions, as in Lucene)."""

    @abstractmethod
    def similar_terms(self, field: str, text: str, distance: int, prefix: int) -> list[str]:
        """Index terms within ``distance`` edits of ``text`` sharing its first ``prefix``
        letters (the term dictionary, for suggestions)."""

    @abstractmethod
    def sample_passages(self, field: str, text: str, count: int) -> list[dict]:
        """A few stored passages holding an index term."""

    def entity_articles(self, entity_id: str) -> list[str]:
        """Ids of the articles with a passage tagged with the entity, sorted (by default the
        articles of the hits of the entity's term)."""
        return sorted(self.match(Term("entities", entity_id)).articles())

    @abstractmethod
    def article_entity_counts(self, article_ids: Iterable[str]) -> Counter:
        """Entity id → how many of these articles mention it."""

    @abstractmethod
    def all_entity_counts(self) -> Counter:
        """Entity id → how many articles of the index mention it."""

    @abstractmethod
    def counts(self) -> tuple[int, int]:
        """How many (articles, passages) this generation of the index holds."""

    @abstractmethod
    def discovered_entities(self) -> list[dict]:
        """The entities found by context rules (not in the catalogue), as the build recorded them."""

    @abstractmethod
    def discovered_entity(self, entity_id: str) -> dict | None:
        """The recorded discovered entity ``entity_id``, or None."""

    def articles(self, doc_ids: Iterable[str]) -> dict[str, dict]:
        """The stored fields of several articles (a page's), by id; an id without an article
        is left out. By default one ``article`` call each; an engine that reads many at once
        overrides this."""
        found = {doc_id: self.article(doc_id) for doc_id in dict.fromkeys(doc_ids)}
        return {doc_id: article for doc_id, article in found.items() if article is not None}

    def evidence(self) -> Any:
        """The simple questions ``article_evidence`` can answer the default
        ``article_evidence`` from (an ``article_evidence.Evidence``: the passages holding a
        term, a term's idf, a passage's neighbours in its article), or None."""
        return None

    def article_evidence(self, refs: list, terms: Sequence[QueryTerm]) -> Gathered | None:
        """What the re-ranking needs about the candidates ``refs`` (hit references) and the
        query's ``terms`` (see the module docstring), or None: the engine's ranking is kept as
        is. By default gathered from ``evidence()`` (whose cost grows with the passages holding
        a term); an engine that can ask about the candidates alone overrides this."""
        evidence = self.evidence()
        return None if evidence is None else gather(evidence, refs, terms)


class Store(ABC):
    """One index on disk, opened by its engine."""

    path: Path
    readonly: bool

    @abstractmethod
    def reader(self) -> Reader:
        """A reader of the newest committed generation (the same object until a build
        commits another; a reader keeps answering from its generation however long it is
        held)."""

    @abstractmethod
    def settings(self) -> dict:
        """The settings the index was built with (stemmer, engine, format version)."""

    @abstractmethod
    def manifest(self) -> dict[str, ManifestEntry]:
        """Article id → what an incremental build compares against."""

    @abstractmethod
    def has_articles(self) -> bool:
        """Whether the newest generation holds at least one article."""

    def discovered_entities(self) -> list[dict]:
        """The discovered entities of the newest generation, as recorded (by default its
        reader's)."""
        return self.reader().discovered_entities()

    def discovered_entity(self, entity_id: str) -> dict | None:
        """The recorded discovered entity ``entity_id`` of the newest generation, or None (by
        default its reader's)."""
        return self.reader().discovered_entity(entity_id)

    @abstractmethod
    def write(self, articles: Iterable[tuple[dict, list[PassageDoc]]], delete: Iterable[str],
              entities: Callable[[], Iterable[dict]] = lambda: (), limitmb: int = 256,
              replace: dict | None = None) -> None:
        """Delete the articles ``delete`` names, add ``articles``, then record ``entities()``;
        one commit. With ``replace`` (new settings) the commit drops everything else: a
        rebuild. An exception before the commit leaves the index as it was. The caller holds
        ``write_lock``."""

    @abstractmethod
    def write_parallel(self, jobs: list[Job], delete: Iterable[str],
                       entities: Callable[[], Iterable[dict]], summaries: list,
                       progress: Callable[[int], None] | None = None, limitmb: int = 256,
                       replace: dict | None = None) -> list:
        """``write`` with the adding spread over forked processes, one per job."""

    @abstractmethod
    def close(self) -> None:
        """Release what the store holds open (searchers, cached readers)."""

    def discard_debris(self) -> None:
        """Remove what interrupted or failed builds left in the folder (the engine's own
        files only). Called by every build, under the write lock, before it plans."""

    def direct_build(self, delete: Iterable[str], replace: dict | None = None) -> DirectBuild | None:
        """For a build whose analysis runs on other machines (archive.dask_build): a
        DirectBuild whose ``sink`` the workers write analysed articles into straight from
        there, or None (the default): the articles come back to this process and ``write``
        takes them, as for an index in a folder here. The caller holds ``write_lock``."""
        return None

    # Side documents: what other parts of the archive keep beside an index (archive.copies'
    # signatures), by name. Here they are files in the index folder, written atomically; an
    # engine whose index is not a folder keeps them where its index lives.

    def side_stamp(self, name: str) -> tuple | None:
        """Something that changes whenever side document ``name`` is rewritten (None: there is
        none), so a reader can keep what it parsed until then."""
        try:
            stat = (Path(self.path) / name).stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def read_side(self, name: str) -> str | None:
        """Side document ``name``, or None if there is none or it cannot be read."""
        try:
            return (Path(self.path) / name).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def write_side(self, name: str, text: str) -> None:
        """Write side document ``name`` atomically and durably (readers see the old one or the
        new); a temporary file a killed writer left is removed first. The caller holds the
        write lock. OSError if it cannot be written."""
        folder = Path(self.path)
        for debris in folder.glob(f"{name}.*.tmp"):
            debris.unlink(missing_ok=True)
        target, temporary = folder / name, folder / f"{name}.{os.getpid()}.tmp"
        try:
            with open(temporary, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


class Sink(ABC):
    """Where workers of a distributed build send analysed articles (it travels to them, so it
    pickles; it holds no credentials: each worker takes its own from its environment)."""

    @abstractmethod
    def send(self, first: int, articles: list[tuple[dict, list[PassageDoc]]]) -> None:
        """Write ``articles`` into the build's new generation; ``first`` is the first one's
        place in the build's plan (equal scores keep plan order). Sending the same articles
        again (a recomputed task) writes the same documents."""


class DirectBuild(ABC):
    """A new generation the workers of a distributed build fill through ``sink``; nothing is
    visible to readers until ``commit``."""

    sink: Sink

    @abstractmethod
    def commit(self, entities: Iterable[dict]) -> None:
        """Record the discovered ``entities`` and publish the generation, as ``write`` does."""

    @abstractmethod
    def cancel(self) -> None:
        """Drop the generation: the previous one stays what readers see."""


class Engine(ABC):
    """A kind of index: how to find, open and create one."""

    name: str

    @abstractmethod
    def exists(self, path: Path) -> bool:
        """Whether ``path`` holds an index of this engine."""

    @abstractmethod
    def open(self, path: str | os.PathLike, readonly: bool = False,
             check_version: bool = True) -> Store:
        """The index at ``path``; ``readonly`` never writes to the folder; without
        ``check_version`` (a rebuild) an index of another format version opens too."""

    @abstractmethod
    def create(self, path: str | os.PathLike, settings: dict) -> Store:
        """An empty index in ``path`` holding only ``settings``."""

    @abstractmethod
    def own_files(self, path: Path) -> set[str]:
        """The names in ``path`` that are this engine's index files (not the lock): what may
        be removed if a new index fails."""


class FolderEngine(Engine):
    """An engine whose index is files in the folder, handled by its ``store_class``'s
    ``exists``/``open``/``create``/``own_files`` (Whoosh, Tantivy)."""

    store_class: Any

    def exists(self, path: Path) -> bool:
        """See ``Engine.exists``."""
        return self.store_class.exists(path)

    def open(self, path: str | os.PathLike, readonly: bool = False,
             check_version: bool = True) -> Store:
        """See ``Engine.open``."""
        return self.store_class.open(path, readonly=readonly, check_version=check_version)

    def create(self, path: str | os.PathLike, settings: dict) -> Store:
        """See ``Engine.create``."""
        return self.store_class.create(path, settings)

    def own_files(self, path: Path) -> set[str]:
        """See ``Engine.own_files``."""
        return self.store_class.own_files(path)


def gather_workers(workers: list, results, counter, progress: Callable[[int], None] | None,
                   on_message: Callable[[int, str, Any], None] | None = None) -> list:
    """The summaries of a build's forked ``workers``, in job order: each sends ``(number,
    "done", summary)`` on the ``results`` queue, or ``(number, "error", traceback)``, or
    ``(number, "oserror", (errno, strerror, filename))`` for an OSError (a full disk), raised
    here as the same OSError; any other status goes to ``on_message``. ``progress`` hears the shared ``counter`` meanwhile; a worker
    that died or failed is IndexError_."""
    import queue

    done: dict[int, object] = {}
    while len(done) < len(workers):
        try:
            number, status, payload = results.get(timeout=0.2)
        except queue.Empty:
            if progress:
                progress(counter.value)
            dead = [w for i, w in enumerate(workers) if i not in done and w.exitcode not in (None, 0)]
            if dead:
                raise IndexError_(f"an indexing process died (exit code {dead[0].exitcode})") from None
            continue
        if status == "oserror":
            raise OSError(*payload)
        if status == "error":
            raise IndexError_(f"an indexing process failed:\n{payload}")
        if status == "done":
            done[number] = payload
        elif on_message is not None:
            on_message(number, status, payload)
    if progress:
        progress(counter.value)
    return [done[i] for i in range(len(workers))]


def top_counts(counts: Mapping[str, int], limit: int, type_of: Callable[[str], str | None],
               types: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """``Hits.facets`` from entity → articles ``counts``: per type, the ``limit`` most
    counted and those tied with the last of them, most first, ties by id."""
    by_type: dict[str, list[tuple[str, int]]] = {t: [] for t in types}
    for entity_id, count in counts.items():
        rows = by_type.get(type_of(entity_id))  # type: ignore[arg-type]
        if rows is not None and count > 0:
            rows.append((entity_id, count))
    return {kind: cut_at_limit(rows, limit) for kind, rows in by_type.items()}


def day_number(written: str | None) -> int:
    """An article's date as YYYYMMDD (month or day 00 when the date lacks them), 0 if none:
    the ``day`` the engines that store one keep for date filters and orders."""
    day = iso_day(written)
    if not day:
        return 0
    parts = day.split("-") + ["00", "00"]
    return int(parts[0]) * 10000 + int(parts[1]) * 100 + int(parts[2])


def day_bounds(start: str | None, end: str | None) -> tuple[int, int]:
    """The inclusive ``day_number`` range of day prefixes [start, end] (either None: open)."""
    low = max(1, day_number(start)) if start else 1
    high = day_number(end) + (99 if len(end) <= 7 else 0) if end else 99991299
    if end and len(end) == 4:
        high = int(end) * 10000 + 1299
    return low, high


def tie_key(build: int, worker: int, index: int, position: int) -> int:
    """What orders passages of equal score: the build that added the article, then its place
    in that build's plan (the worker whose contiguous share held it, and its place in that
    share), then the passage's position: older articles first, then reading order, as Whoosh's
    document numbers give. It does not depend on how a build is split over processes, threads
    or segments, so a serial and a parallel build rank ties alike, on every engine that stores
    it. Fields are clamped to their bits (24 build, 4 worker, 20 article, 16 position); beyond,
    ties keep the engine's order."""
    return (min(build, 0xFFFFFF) << 40 | min(worker, 0xF) << 36 | min(index, 0xFFFFF) << 16
            | min(position, 0xFFFF))


def within_edits(a: str, b: str, limit: int) -> bool:
    """Whether the Levenshtein distance of ``a`` and ``b`` is at most ``limit`` (a DP row at
    a time, given up as soon as every cell of a row is over the limit)."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def cut_at_limit(rows: list[tuple[str, int]], limit: int) -> list[tuple[str, int]]:
    """(id, count) rows most counted first (ties by id), cut after the ``limit``-th and the
    rows tied with it."""
    rows = sorted(rows, key=lambda r: (-r[1], r[0]))
    if limit <= 0:
        return []
    if len(rows) <= limit:
        return rows
    cutoff = rows[limit - 1][1]
    return [r for r in rows if r[1] >= cutoff]


def dated_order(scores: dict, day_of: dict, count: int, newest: bool) -> list[tuple[float, object]]:
    """The first ``count`` (score, passage) of ``scores`` ordered by ``day_of[passage]``
    (newest or oldest first; ties by score, then passage), passages without a day last, by
    score. Engine-free: passages are whatever the engine numbers them with."""
    dated = [(day, score, passage) for passage, score in scores.items()
             if (day := day_of.get(passage))]
    if newest:
        first = nlargest(count, dated, key=lambda r: (r[0], r[1], _negated(r[2])))
    else:
        first = nsmallest(count, dated, key=lambda r: (r[0], -r[1], r[2]))
    ranked = [(score, passage) for _, score, passage in first]
    if len(ranked) < count:
        undated = {p: s for p, s in scores.items() if not day_of.get(p)}
        ranked += sorted(((s, p) for p, s in undated.items()),
                         key=lambda sp: (-sp[0], sp[1]))[:count - len(ranked)]
    return ranked


def _negated(passage):
    return -passage if isinstance(passage, int) else passage


def die_with_parent() -> None:
    """On Linux, ask the kernel to kill this process when its parent dies (kill -9 of the
    indexer), so no orphan keeps running or holds the caller's pipes open."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    # A parent killed between the fork and the line above sent no signal: this process is an
    # orphan already (adopted by another), so it ends now.
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)
