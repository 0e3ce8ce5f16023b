"""The Tantivy index on disk: schema, opening, one writer transaction per build, readers that
see one generation each. Analysed passages in; stored passages, articles and statistics out.

Documents are of four kinds (field ``kind``), as in the Whoosh engine: ``passage``, ``article``
(stored fields, content hash, origin: what incremental builds diff against), ``entity`` (found
by context rules) and one ``meta`` (settings, the next passage ordinal, the facet tables this
generation uses). Term lists arrive analysed and are joined with spaces into fields whose
tokenizer only splits on whitespace (7× cheaper for Tantivy than pre-tokenized strings), so a
term's position is its index in our list, as in Whoosh.

Every passage gets an **ordinal**, a number never reused, kept as a fast field; each build
writes one facet table (``facets-<first ordinal>-<tag>.fpairs``) holding, per ordinal, its
article and entities. Exact facet counts are then integer work over the hits' ordinals (Tantivy's
own aggregations are approximate or bounded). The table is written and fsynced before the
Tantivy commit that publishes the passages, and the meta document of that commit names the
tables of the generation, so a reader loads exactly the tables of the generation it reads.

Safety, as in the Whoosh engine: one build at a time (``archive.engines.base.write_lock``); a
build's changes are one Tantivy commit (its ``meta.json`` is replaced atomically and durably),
so readers see the old generation until it lands and an interrupted build leaves it intact;
tables of retired generations and of failed builds are removed by the next build.

Tantivy's own locks (``.tantivy-writer.lock``, held by a writer, and ``.tantivy-meta.lock``,
held while a commit or a reader's reload reads or replaces ``meta.json``) are ``flock``s held
through an open file, which a process forked while another thread holds one inherits: the lock
then outlives its holder until that child exits. Every build meanwhile, the child's own
included, failed on the writer lock, and a child waiting for the meta lock waited for itself
for ever. A forked child therefore lets go of its inherited copies at once
(``release_inherited_locks``). A writer lock that is busy all the same (another program)
is waited for a few seconds, then IndexBusy, never Tantivy's ValueError.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import re
import secrets
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import tantivy

from archive.dates import iso_day
from archive.engines import base
from archive.engines.base import (
    IndexError_,
    ManifestEntry,
    PassageDoc,
    check_folder,
    damaged,
    die_with_parent,
    opened,
)
from archive.engines.facet_tables import FacetTable
from archive.engines.tantivy.reader import Reader
from archive.engines.tantivy.schema import SCHEMA, TOKENIZER

FORMAT_VERSION = 2  # 2: the tie field
# Inside the index folder: Tantivy's files and our facet tables. Hidden, so that an index kept
# inside the corpus folder is never read as articles (Tantivy's meta.json is a .json file).
FOLDER = ".tantivy"
TABLE_FILE = re.compile(r"^facets-(\d+)-([0-9a-f]{8})\.fpairs$")
TEMPORARY_FILE = re.compile(r"^facets-.*\.tmp$")
OPEN_ATTEMPTS = 20  # commits that may land while one reader opens before we give up
HEAP_BYTES = 200_000_000  # the writer's indexing memory, split over its threads
QUEUE_BATCH = 16  # articles a worker sends at once
WRITER_LOCK, META_LOCK = ".tantivy-writer.lock", ".tantivy-meta.lock"
TANTIVY_BOOKKEEPING = {"meta.json", ".managed.json", META_LOCK, WRITER_LOCK}
EMPTY_TERM = "\u2205"  # stands for an empty term, which whitespace-joining would lose
WRITER_LOCK_WAIT = 5.0  # seconds a busy Tantivy writer lock is waited for before IndexBusy
WRITER_LOCK_POLL = 0.05




def _joined(terms: list[str]) -> str:
    return " ".join(term or EMPTY_TERM for term in terms)


def _register(index: tantivy.Index) -> None:
    index.register_tokenizer(TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
                             .filter(tantivy.Filter.remove_long(4000)).build())


def _document(kind: str, data: dict, **fields) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("kind", kind)
    for name, value in fields.items():
        if isinstance(value, int):
            doc.add_unsigned(name, value)
        else:
            doc.add_text(name, value)
    doc.add_bytes("data", json.dumps(data, ensure_ascii=False).encode("utf-8"))
    return doc


def prepared(passage: PassageDoc) -> tuple:
    """What a worker sends the writer for a passage: term lists joined already."""
    return (passage.pid, passage.doc_id, passage.position, passage.start, passage.end,
            passage.text, _joined(passage.stems), _joined(passage.exact), passage.entities)


class _Transaction:
    """One build's changes, committed at once: deletions, articles (passages numbered from the
    index's next ordinal), entities, the build's facet table and a new meta document."""

    def __init__(self, store: Store, delete: Iterable[str], replace: dict | None, limitmb: int):
        reader = store.reader()
        self.store, self.replace = store, replace
        self.meta = dict(reader.meta)
        self.first = self.next = int(self.meta.get("next_ordinal", 0))
        self.build = int(self.meta.get("builds", 0)) + 1  # numbers the builds, for tie_key
        self.added: dict[int, int] = {}  # per worker, the articles added so far
        self.rows: list[tuple[str, list[str]]] = []
        self.days: dict[str, str | None] = {}
        self.table: Path | None = None
        self.committed = False  # once true, a later failure must not undo the commit's files
        self.existing = _listing(store.folder)  # what a failed build must leave, and only that
        self.writer = open_writer(store.index, store.path, heap_size=max(limitmb, 64) * 1_000_000)
        if replace is not None:
            self.writer.delete_documents_by_query(tantivy.Query.all_query())
        else:
            for doc_id in delete:
                self.writer.delete_documents_by_term("doc_id", doc_id)

    def add(self, article: dict, passages: Iterable[PassageDoc | tuple], worker: int = 0) -> None:
        """One article and its passages (``worker``: whose share of the plan it is from; a
        serial build has one)."""
        index = self.added.get(worker, 0)
        self.added[worker] = index + 1
        doc_id = article["doc_id"]
        day = base.day_number(article.get("date"))
        self.days[doc_id] = iso_day(article.get("date"))
        add = self.writer.add_document
        add(_document("article", article, pid=f"{doc_id}#article", doc_id=doc_id))
        for passage in passages:
            if isinstance(passage, PassageDoc):
                passage = prepared(passage)
            pid, doc_id, position, start, end, text, stems, exact, entities = passage
            ordinal, self.next = self.next, self.next + 1
            self.rows.append((doc_id, entities))
            data = {"pid": pid, "doc_id": doc_id, "position": position, "start": start,
                    "end": end, "text": text, "entities": entities}
            add(_document("passage", data, pid=pid, doc_id=doc_id, stem=stems, exact=exact,
                          entities=" ".join(entities), ordinal=ordinal, day=day,
                          tie=base.tie_key(self.build, worker, index, position)))

    def entities(self, entities: Iterable[dict]) -> None:
        for entity in entities:
            pid = f"entity:{entity['id']}"
            if self.replace is None:
                self.writer.delete_documents_by_term("pid", pid)
            self.writer.add_document(_document("entity", entity, pid=pid))

    def commit(self) -> None:
        tables = [] if self.replace is not None else list(self.meta.get("tables", []))
        if self.rows:
            name = f"facets-{self.first}-{secrets.token_hex(4)}.fpairs"
            self.table = self.store.folder / name
            FacetTable.from_passages(self.rows, self.days).save(self.table, durable=True)
            tables.append(name)
        settings = self.replace if self.replace is not None else self.meta.get("settings", {})
        meta = {"settings": {**settings, "engine": "tantivy", "format_version": FORMAT_VERSION},
                "next_ordinal": self.next, "tables": tables, "builds": self.build}
        self.writer.delete_documents_by_term("kind", "meta")
        self.writer.add_document(_document("meta", meta, pid="meta"))
        try:
            self.writer.commit()
        except ValueError as error:  # tantivy reports a failed write (a full disk) as ValueError
            failed = failed_write(error)
            if failed is not None:
                raise failed from None
            raise
        self.committed = True
        self.writer.wait_merging_threads()
        self.store.remove_stale_tables(set(tables))

    def cancel(self) -> None:
        if self.committed:
            return
        try:
            self.writer.rollback()
            # the failed generation's segment files are referenced by no commit: remove them
            self.writer.garbage_collect_files()
        except Exception:  # noqa: BLE001 - a writer that failed may refuse; nothing was committed
            pass
        # Tantivy's garbage collection rewrites .managed.json, which a full disk refuses, so it
        # can leave the failed segments behind: remove by hand every file this build created
        # that the committed generation does not name. Files that existed before it began are
        # never touched (a reader of an older generation may hold them).
        committed = _committed_files(self.store.folder)
        for name in _listing(self.store.folder) - self.existing - committed:
            try:
                (self.store.folder / name).unlink()
            except OSError:
                pass
        if self.table is not None:
            self.table.unlink(missing_ok=True)


OS_ERROR = re.compile(r"\(os error (\d+)\)")


def failed_write(error: ValueError) -> OSError | None:
    """The OSError a Tantivy ValueError stands for when a write failed in the file system
    ("IO error …", or "Internal error: 'No space left on device (os error 28)'" from a commit),
    so it reads as the disk's problem; None for another error."""
    text = str(error)
    found = OS_ERROR.search(text)
    if found:
        number = int(found.group(1))
        return OSError(number, os.strerror(number))
    if "IO error" in text:
        return OSError(errno.EIO, text)
    return None


def open_writer(index: tantivy.Index, path: Path, **options):
    """Tantivy's writer of ``index`` (in ``path``); while its lock is busy, tried again for
    WRITER_LOCK_WAIT seconds, then IndexBusy. We hold our own write lock already, so a busy one
    is held by a program outside it (or a child forked before this version: see the module)."""
    deadline = time.monotonic() + WRITER_LOCK_WAIT
    while True:
        try:
            return index.writer(**options)
        except ValueError as error:
            if "LockBusy" not in str(error):
                raise
            if time.monotonic() >= deadline:
                raise base.IndexBusy(
                    f"another program is writing to the index at {path} (Tantivy's writer lock "
                    f"is held); run this again when it has finished") from None
            time.sleep(WRITER_LOCK_POLL)


def release_inherited_locks() -> None:
    """In a process just forked: point every open file of a Tantivy lock (writer, meta) at
    /dev/null, so that a lock a parent's thread holds ends with that thread's work (the child's
    copy of its holder never runs: the thread stayed in the parent). Linux (/proc); elsewhere
    nothing."""
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return
    for descriptor in descriptors:
        try:
            target = os.readlink(f"/proc/self/fd/{descriptor}")
        except OSError:
            continue  # the listing's own descriptor, closed by now
        if os.path.basename(target) in (WRITER_LOCK, META_LOCK):
            null = os.open(os.devnull, os.O_RDWR)
            try:
                os.dup2(null, int(descriptor), inheritable=False)
            finally:
                os.close(null)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=release_inherited_locks)


def _listing(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()


def _committed_files(folder: Path) -> set[str]:
    """The files the committed ``meta.json`` needs: itself, Tantivy's bookkeeping and locks,
    and the files of the segments it lists (``<id>.<part>``, ``<id>.<opstamp>.del``). Facet
    tables are ours and handled apart."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _listing(folder)  # nothing is known to be unused: remove nothing
    segments = {segment["segment_id"].replace("-", "") for segment in meta.get("segments", [])}
    return {name for name in _listing(folder)
            if name in TANTIVY_BOOKKEEPING or name.split(".", 1)[0] in segments}


class Store(base.Store):
    """One Tantivy index on disk (its files in ``<path>/.tantivy``): opening it, a reader per
    committed generation, a build written as one commit."""

    def __init__(self, path: Path, index: tantivy.Index, readonly: bool = False):
        self.path = path
        self.folder = path / FOLDER
        self.index = index
        self.readonly = readonly
        self._reader: Reader | None = None
        self._stamp: tuple | None = None
        self._lock = threading.Lock()

    # -- opening ----------------------------------------------------------------------------

    @staticmethod
    def exists(path: str | os.PathLike) -> bool:
        """Whether ``path`` holds a Tantivy index (a ``.tantivy/meta.json`` file)."""
        try:
            return (Path(path) / FOLDER / "meta.json").is_file()
        except OSError:
            return False

    @classmethod
    def open(cls, path: str | os.PathLike, readonly: bool = False,
             check_version: bool = True) -> Store:
        """See ``archive.engines.base.Engine.open``: a file Tantivy cannot read makes IndexDamaged,
        another format version IndexError_."""
        path = Path(path)
        check_folder(path)

        def open_store() -> Store:
            index = tantivy.Index.open(str(path / FOLDER))
            _register(index)
            return cls(path, index, readonly)

        return opened(path, cls.exists(path), open_store, FORMAT_VERSION, check_version)

    @classmethod
    def create(cls, path: str | os.PathLike, settings: dict) -> Store:
        """An empty index in ``path`` (made if missing), holding only its settings."""
        path = Path(path)
        check_folder(path)
        (path / FOLDER).mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(SCHEMA, path=str(path / FOLDER), reuse=False)
        _register(index)
        store = cls(path, index)
        writer = open_writer(index, path, heap_size=64_000_000, num_threads=1)
        meta = {"settings": {**settings, "engine": "tantivy", "format_version": FORMAT_VERSION},
                "next_ordinal": 0, "tables": []}
        writer.add_document(_document("meta", meta, pid="meta"))
        writer.commit()
        writer.wait_merging_threads()
        return store

    @staticmethod
    def own_files(path: Path) -> set[str]:
        """The index's own name in ``path``: its ``.tantivy`` folder, if there is one."""
        return {FOLDER} if (path / FOLDER).is_dir() else set()

    # -- reading ----------------------------------------------------------------------------

    def _meta_stamp(self) -> tuple | None:
        try:
            stat = (self.folder / "meta.json").stat()
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def reader(self) -> Reader:
        """A reader of the newest generation, reused until a build commits another."""

        with self._lock:
            stamp = self._meta_stamp()
            if self._reader is not None and stamp == self._stamp:
                return self._reader
            for _ in range(OPEN_ATTEMPTS):
                try:
                    self.index.reload()
                    searcher = self.index.searcher()
                    reader = Reader.open(self, searcher)
                except FileNotFoundError:  # a commit retired a table we were about to load
                    if self._meta_stamp() != stamp:
                        stamp = self._meta_stamp()
                        continue
                    raise damaged(self.path, FileNotFoundError("a facet table is missing")) from None
                except IndexError_:
                    raise
                except Exception as error:  # noqa: BLE001
                    raise damaged(self.path, error) from None
                self._reader, self._stamp = reader, stamp
                return reader
        raise IndexError_(f"the index at {self.path} changed {OPEN_ATTEMPTS} times while it "
                          f"was being opened; try again")

    def settings(self) -> dict:
        """See ``archive.engines.base.Store.settings`` (from the meta document)."""
        return dict(self.reader().meta.get("settings", {}))

    def manifest(self) -> dict[str, ManifestEntry]:
        """See ``archive.engines.base.Store.manifest``."""
        return {fields["doc_id"]: ManifestEntry(fields["hash"], fields["origin"])
                for fields in self.reader().documents("article")}

    def has_articles(self) -> bool:
        """See ``archive.engines.base.Store.has_articles``."""
        return self.reader().count_kind("article") > 0

    def article(self, doc_id: str) -> dict | None:
        """An article's stored fields in the newest generation, or None."""
        return self.reader().article(doc_id)

    def close(self) -> None:
        """Forget the cached reader: the next ``reader()`` opens the newest generation."""
        self._reader = None

    # -- writing ----------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.readonly:
            raise IndexError_(f"the index at {self.path} was opened read-only")
        # The data is in .tantivy/, but a user who made the index folder read-only means it.
        for folder in (self.path, self.folder):
            if not os.access(folder, os.W_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))

    def write(self, articles: Iterable[tuple[dict, list[PassageDoc]]], delete: Iterable[str],
              entities: Callable[[], Iterable[dict]] = lambda: (), limitmb: int = 256,
              replace: dict | None = None) -> None:
        """See ``archive.engines.base.Store.write``."""
        self._check_writable()
        transaction = _Transaction(self, delete, replace, limitmb)
        try:
            for article, passages in articles:
                transaction.add(article, passages)
            transaction.entities(entities())
            transaction.commit()
        except BaseException:
            transaction.cancel()
            raise
        self._reader = None

    def write_parallel(self, jobs: list, delete: Iterable[str],
                       entities: Callable[[], Iterable[dict]], summaries: list,
                       progress: Callable[[int], None] | None = None, limitmb: int = 256,
                       replace: dict | None = None) -> list:
        """``write`` with the analysis spread over forked processes: each runs a job whose
        articles come back here in batches, and this process feeds them to Tantivy's writer
        (which indexes on threads of its own). Ctrl-C, a kill or a failed job before the
        commit leaves the previous index as it was."""
        self._check_writable()
        context = multiprocessing.get_context("fork")
        counter = context.Value("i", 0)
        results = context.Queue(maxsize=8 * len(jobs))
        workers = [context.Process(target=_feed_worker, daemon=True,
                                   args=(number, job, counter, results))
                   for number, job in enumerate(jobs)]
        transaction = None
        try:
            for worker in workers:  # forked before the writer starts its threads
                worker.start()
            transaction = _Transaction(self, delete, replace, limitmb)
            done = _feed(transaction, workers, results, counter, progress)
            summaries[:] = done
            transaction.entities(entities())
            transaction.commit()
        except BaseException:
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()
            for worker in workers:
                if worker.pid is not None:
                    worker.join()
            if transaction is not None:
                transaction.cancel()
            raise
        for worker in workers:
            worker.join()
        self._reader = None
        return done

    def remove_stale_tables(self, keep: set[str]) -> None:
        """Facet tables no generation from now on reads, and temporary files of failed
        builds. A reader of an older generation loaded its tables when it opened."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if (TABLE_FILE.match(name) and name not in keep) or TEMPORARY_FILE.match(name):
                try:
                    (self.folder / name).unlink()
                except OSError:
                    pass


def _feed_worker(number: int, job, counter, results) -> None:
    """In a forked process: run one job, sending its articles in batches, then its summary."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    batch: list = []

    def add(article: dict, passages: list[PassageDoc]) -> None:
        batch.append((article, [prepared(p) for p in passages]))
        if len(batch) >= QUEUE_BATCH:
            results.put((number, "articles", list(batch)))
            batch.clear()

    def tick() -> None:
        with counter.get_lock():
            counter.value += 1

    try:
        summary = job(add, tick)
        if batch:
            results.put((number, "articles", list(batch)))
        results.put((number, "done", summary))
    except BaseException:  # noqa: B902 - reported to the parent, which raises
        results.put((number, "error", traceback.format_exc()))


def _feed(transaction: _Transaction, workers, results, counter, progress) -> list:
    """Add every worker's articles as they come; the jobs' summaries in job order."""
    def articles(number: int, status: str, payload) -> None:
        for article, passages in payload:
            transaction.add(article, passages, worker=number)
        if progress:
            progress(counter.value)

    return base.gather_workers(workers, results, counter, progress, articles)


class TantivyEngine(base.FolderEngine):
    """Tantivy (Rust): for archives that grow."""

    name = "tantivy"
    store_class = Store
