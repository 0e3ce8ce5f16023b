"""The Whoosh index on disk: schema, opening, one writer transaction per build, and a cached
searcher. Analysed passages in; stored passages, articles and statistics out.

Documents are of three kinds (field ``kind``): ``passage`` (searched), ``article`` (title,
metadata, content hash and origin file: the manifest incremental builds diff against) and one
``meta`` (the settings the index was built with). Analysis happens before Whoosh sees a passage:
``stem`` and ``exact`` receive term lists, so index-time context (the whole article) can shape
them. Every change of a build is one Whoosh commit: until it lands, readers see the old index.

Writers and readers never get in each other's way:

* one build at a time: a build holds the index's write lock (Whoosh's, a ``flock`` the kernel
  drops if the process dies) from planning to commit; a second build is refused, or waits;
* a rebuild writes its segments into the same folder and commits them in place of every old one
  (Whoosh's ``CLEAR`` merge), so nothing is renamed and nothing outside the index's own files is
  touched;
* a searcher opens every file it will read when it is created. Whoosh deletes the files of
  retired segments after a commit; an open file outlives its name, so a searcher that was opened
  before a commit answers from the old generation until its next freshness check. A commit that
  lands while a searcher is being opened makes the open start again from the new generation.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import re
import signal
import traceback
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec import whoosh3
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.query import Term
from whoosh.writing import CLEAR

from archive.engines import base
from archive.engines.base import (  # noqa: F401
    IndexBusy,
    IndexDamaged,
    IndexError_,
    ManifestEntry,
    PassageDoc,
    check_folder,
    damaged,
    die_with_parent,
    opened,
    other_version,
    write_lock,
)
from archive.engines.whoosh.analysis import WhooshAnalyzer
from archive.engines.whoosh.durable import TOC_FILE, DurableStorage, remove_debris
from archive.engines.whoosh.facets import FacetIndex, facet_column
from archive.engines.whoosh.facets import encode as encode_facets

# Bump when analysis or the schema changes: an index built otherwise must be rebuilt.
FORMAT_VERSION = 3
INDEX_NAME = "archive"
# Separate segment files, not one compound file: Whoosh copies a compound file's parts into
# memory when it opens them (6 s to open a 1.4 GB index), separate files it reads on demand.
COMPOUND = False


def _dumps_protocol_4(obj, protocol=None) -> bytes:
    return pickle.dumps(obj, 4)


# Whoosh pickles each posting block with protocol 2, where every bytes value (a posting's
# positions) becomes a call to reconstruct it: unpickling a block of 128 postings then takes
# 40 µs instead of 4 µs, and most of a common word's query time went there. Protocol 4 stores
# bytes as bytes (blocks are also half the size); Whoosh's reader unpickles either.
whoosh3.dumps = _dumps_protocol_4


# Whoosh deletes, after every commit, each file of the folder whose name looks like a segment
# file of the index ("archive_" + letters and digits + an extension), so a user's
# archive_notes.txt kept in the index folder would go too. Its segment ids are always 16
# random letters and digits: only such names are ever deleted here.
SEGMENT_FILE = re.compile(rf"^{INDEX_NAME}_[0-9a-z]{{16}}[.][A-Za-z0-9_.]+$")


def _clean_own_files(storage, indexname, gen, segments):
    """Whoosh's cleanup after a commit, limited to files that are certainly the index's."""
    current = {segment.segment_id() for segment in segments}
    toc = whoosh_index.TOC._pattern(indexname)
    for filename in storage:
        match = toc.match(filename)
        stale_toc = match and int(match.group(1)) != gen
        stale_segment = SEGMENT_FILE.match(filename) and filename.split(".")[0] not in current
        if stale_toc or stale_segment:
            try:
                storage.delete_file(filename)
            except OSError:
                pass  # in use elsewhere (Windows): a later commit retries


whoosh_index.clean_files = _clean_own_files


def writer_options(limitmb: int = 128) -> dict:
    """How every writer of ours writes segments."""
    codec = whoosh3.W3Codec()
    # Whoosh would look each posting's field length up again when it writes the postings (an
    # os.stat per posting of a field without lengths; 11% of a build) only to store per-block
    # min/max lengths for its own block-skipping. We score from the length columns and never
    # read them; stored as 0 they keep Whoosh's skipping safe (its score bounds only rise).
    codec.length_stats = False
    return {"limitmb": limitmb, "compound": COMPOUND, "codec": codec}


OPEN_ATTEMPTS = 20  # commits that may land while one searcher opens before we give up


def make_schema() -> Schema:
    """The schema of every index this version writes: the fields of passages, articles, entities and
    the meta document in one (``kind`` tells them apart)."""
    return Schema(
        kind=ID(stored=True),
        pid=ID(stored=True, unique=True),
        doc_id=ID(stored=True),
        position=NUMERIC(stored=True),
        start=STORED(),
        end=STORED(),
        text=STORED(),
        stem=TEXT(analyzer=WhooshAnalyzer("stem"), phrase=True),
        exact=TEXT(analyzer=WhooshAnalyzer("exact"), phrase=True),
        entities=KEYWORD(stored=True, commas=True, scorable=False),
        facets=COLUMN(VarBytesColumn()),  # passage: article id and entity ids (archive.facets)
        title=STORED(),
        date=STORED(),
        source=STORED(),
        url=STORED(),
        origin=STORED(),
        hash=STORED(),
        passages=STORED(),
        mentions=STORED(),  # article: {entity id: [spellings found]}
        entity=STORED(),  # entity: an entity discovered by context rules, as JSON
        settings=STORED(),
    )


class Store(base.Store):
    """One Whoosh index on disk: opening it, a cached searcher and reader of the newest generation,
    a build written as one commit."""

    def __init__(self, path: Path, ix, readonly: bool = False):
        self.path = path
        self._ix = ix
        self._searcher = None
        self._reader = None
        self.readonly = readonly

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def exists(cls, path: str | os.PathLike) -> bool:
        """Whether ``path`` is a folder holding a TOC file, readable or not (a damaged index is
        still an index, to report or rebuild; so is an unreadable folder: opening it says why)."""
        path = Path(path)
        try:  # a TOC file, readable or not: a damaged index is an index, to report or rebuild
            return path.is_dir() and any(TOC_FILE.match(name) for name in os.listdir(path))
        except OSError:  # an unreadable folder: opening it says why
            return path.is_dir()

    @classmethod
    def open(cls, path: str | os.PathLike, readonly: bool = False,
             check_version: bool = True) -> Store:
        """The index at ``path``. ``readonly``: never write to the folder (a server's reader).
        Without ``check_version`` (a rebuild, which replaces everything), an index of another
        format is opened with this version's schema."""
        path = Path(path)
        check_folder(path)

        def open_store() -> Store:
            # Our schema, not the one pickled in the TOC: an index of an earlier version
            # pickled classes that have moved since, and the format version says the rest.
            # DurableStorage: Whoosh's FileStorage with fsyncs (durable.py says why).
            ix = whoosh_index.FileIndex(DurableStorage(str(path), readonly=readonly),
                                        schema=make_schema(), indexname=INDEX_NAME)
            return cls(path, ix, readonly)

        return opened(path, cls.exists(path), open_store, FORMAT_VERSION, check_version)

    @classmethod
    def create(cls, path: str | os.PathLike, settings: dict) -> Store:
        """An empty index in ``path`` (made if missing), holding only its settings."""
        path = Path(path)
        check_folder(path)
        path.mkdir(parents=True, exist_ok=True)
        storage = DurableStorage(str(path)).create()
        ix = whoosh_index.FileIndex.create(storage, make_schema(), indexname=INDEX_NAME)
        store = cls(path, ix)
        writer = store._writer(128)
        writer.add_document(kind="meta", pid="meta", settings=settings_json(settings))
        writer.commit()
        return store

    @staticmethod
    def own_files(path: Path) -> set[str]:
        """The names in ``path`` that are this index's data files (TOCs, segments, facet
        files; not the lock): what may be removed if a new index fails."""
        if not path.is_dir():
            return set()
        patterns = (whoosh_index.TOC._pattern(INDEX_NAME), SEGMENT_FILE)
        return {name for name in os.listdir(path) if any(p.match(name) for p in patterns)}

    def has_articles(self) -> bool:
        """See ``archive.engines.base.Store.has_articles``."""
        return self.searcher().document_number(kind="article") is not None

    # -- reading ----------------------------------------------------------------------------

    def searcher(self):
        """One searcher per process, refreshed when a build has committed since."""
        if self._searcher is not None and not self._is_current(self._searcher):
            # Not Searcher.refresh(): it reuses segment readers, and a reused reader keeps the
            # deletions it had when opened (deleted articles would still show). Not closed
            # either: an operation in progress (another thread's) may still read it; its files
            # close when the last reference goes.
            self._searcher = None
        if self._searcher is None:
            self._searcher = self._open_searcher()
        return self._searcher

    def _is_current(self, searcher) -> bool:
        try:
            return searcher.up_to_date()
        except OSError:  # the folder could not be listed just now: keep what is open
            return True

    def _open_searcher(self):
        """A searcher over the newest generation with every file it reads already open; a
        commit landing meanwhile (its cleanup deletes files we were about to open) makes it
        start over."""
        for _ in range(OPEN_ATTEMPTS):
            generation = self._ix.latest_generation()
            try:
                searcher = self._ix.searcher()
                open_files(searcher)
                return searcher
            except Exception as error:  # noqa: BLE001 - see below
                if self._ix.latest_generation() == generation:
                    raise damaged(self.path, error) from None
        raise IndexError_(f"the index at {self.path} changed {OPEN_ATTEMPTS} times while it "
                          f"was being opened; try again")

    def settings(self) -> dict:
        """The settings in the meta document ({} if there is none)."""
        stored = self.searcher().document(kind="meta")
        return json.loads(stored["settings"]) if stored else {}

    def manifest(self) -> dict[str, ManifestEntry]:
        """See ``archive.engines.base.Store.manifest``."""
        return {
            fields["doc_id"]: ManifestEntry(fields["hash"], fields["origin"])
            for fields in self.searcher().documents(kind="article")
        }

    def article(self, doc_id: str, searcher=None) -> dict | None:
        """An article's stored fields; ``searcher`` pins the generation to read."""
        return (searcher or self.searcher()).document(pid=f"{doc_id}#article")  # a unique term

    def discovered_entities(self, searcher=None) -> list[dict]:
        """Entities found by context rules (not in the catalogue), as stored."""
        return [json.loads(f["entity"]) for f in (searcher or self.searcher()).documents(kind="entity")]

    def discovered_entity(self, entity_id: str, searcher=None) -> dict | None:
        """One discovered entity's record, or None; ``searcher`` pins the generation to read."""
        stored = (searcher or self.searcher()).document(pid=f"entity:{entity_id}")
        return json.loads(stored["entity"]) if stored else None

    def reader(self):
        """A reader (archive.engines.whoosh.reader) of the newest generation: the same one
        until a build commits."""
        from archive.engines.whoosh.reader import Reader

        searcher = self.searcher()
        reader = self._reader
        if reader is None or reader.searcher is not searcher:
            reader = self._reader = Reader(self, searcher)
        return reader

    def close(self) -> None:
        """Close the cached searcher (its open files) and forget the reader."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._reader = None

    # -- writing ----------------------------------------------------------------------------

    def write(self, articles: Iterable[tuple[dict, list[PassageDoc]]], delete: Iterable[str],
              entities: Callable[[], Iterable[dict]] = lambda: (), limitmb: int = 256,
              replace: dict | None = None) -> None:
        """Delete the articles ``delete`` names, add ``articles``, then record ``entities()``
        (asked after the articles, which discover them); commit once. With ``replace`` (the
        new index's settings) the commit drops every existing document instead: a rebuild. An
        exception or Ctrl-C before the commit cancels everything: the previous index stays as
        it was. The caller holds ``write_lock``."""
        self.discard_debris()
        writer = self._writer(limitmb)
        try:
            _start(writer, delete, replace)
            for article, passages in articles:
                add_article(writer, article, passages)
            _add_entities(writer, entities(), replace is not None)
            writer.commit(mergetype=CLEAR if replace is not None else None)
        except BaseException:  # before the TOC's rename: nothing was published
            self._cancel(writer)
            raise
        self.prepare_facets()

    def _writer(self, limitmb: int):
        if self.readonly:
            raise IndexError_(f"the index at {self.path} was opened read-only")
        return self._ix.writer(_lk=False, **writer_options(limitmb))

    def _cancel(self, writer) -> None:
        """Cancel a writer and delete the files it had written (never referenced by a TOC, so
        no reader has them open; the caller's lock keeps other writers out), also when it
        failed half-way through its commit (a full disk)."""
        if not writer.is_closed:
            try:
                writer.cancel()
            except Exception:  # noqa: BLE001 - a writer broken by the error being handled
                pass
        self.discard_debris()

    def discard_debris(self) -> None:
        """Remove what interrupted or failed builds left in the folder: segment files and TOCs
        of no current generation, temporary TOCs, the temporary folder's files. Only the
        index's own names; the caller holds the write lock."""
        current = self._ix._read_toc()
        _clean_own_files(self._ix.storage, INDEX_NAME, current.generation, current.segments)
        remove_debris(self.path)

    def prepare_facets(self) -> None:
        """Write the facet files of new segments now, so the first search need not (one that
        cannot be written, on a full disk, is counted from memory later: nothing is left)."""
        try:
            FacetIndex(self.searcher(), self.path).prepare()
        finally:
            remove_debris(self.path)

    def write_parallel(self, jobs: list, delete: Iterable[str], entities: Callable[[], Iterable[dict]],
                       summaries: list, progress: Callable[[int], None] | None = None,
                       limitmb: int = 256, replace: dict | None = None) -> list:
        """The same transaction as ``write``, with the adding spread over processes: each job
        runs in a forked process that writes a segment of its own (``job(add, tick)`` adds
        articles with ``add(fields, passages)``, calls ``tick()`` per article and returns a summary);
        this process deletes, records ``entities()`` (which may read ``summaries``, filled with
        the jobs' summaries in order before it is called) and commits every segment at once.
        Returns the summaries. ``replace``: as in ``write``. Ctrl-C, a kill or a failed job
        before the commit leaves the previous index as it was."""
        self.discard_debris()
        context = multiprocessing.get_context("fork")
        counter = context.Value("i", 0)
        results = context.Queue()
        writer = self._writer(limitmb)
        workers = [context.Process(target=_segment_worker, daemon=True,
                                   args=(self._ix, number, job, counter, results, limitmb))
                   for number, job in enumerate(jobs)]
        try:
            _start(writer, delete, replace)
            for worker in workers:
                worker.start()
            done = base.gather_workers(workers, results, counter, progress)
            summaries[:] = [summary for _, summary in done]
            _add_entities(writer, entities(), replace is not None)
            segments = [] if replace is not None else writer._merge_segments(None, None, None)
            segments += [segment for segment, _ in done if segment is not None]
            if writer._added:
                segments.append(writer._finalize_segment())
            else:
                writer._close_segment()
            writer._commit_toc(segments)
            writer._finish()
        except BaseException:
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()
            for worker in workers:
                if worker.pid is not None:
                    worker.join()  # before deleting: a worker may still be writing files
            self._cancel(writer)
            raise
        self.prepare_facets()
        return [summary for _, summary in done]


def settings_json(settings: dict) -> str:
    """``settings`` as the meta document stores them: JSON, with the engine and the format version."""
    return json.dumps({**settings, "engine": "whoosh", "format_version": FORMAT_VERSION})


def _start(writer, delete: Iterable[str], replace: dict | None) -> None:
    """A transaction's first steps: a rebuild writes its settings (the old ones go with every
    other old document), an update deletes the articles it replaces."""
    if replace is not None:
        writer.add_document(kind="meta", pid="meta", settings=settings_json(replace))
        return
    for doc_id in delete:
        writer.delete_by_term("doc_id", doc_id)


# Per segment, the files a search reads besides the postings (which Whoosh opens with the
# segment): stored fields, field lengths and the facet column.
def open_files(searcher) -> None:
    """Open now every file the searcher would open lazily, so a commit that deletes retired
    segments' files cannot pull them from under a search in progress."""
    for leaf, _ in searcher.leaf_searchers():
        reader = leaf.reader()
        if reader.doc_count_all():
            reader.stored_fields(0)
            for fieldname in ("stem", "exact"):
                reader.doc_field_length(0, fieldname)
        facet_column(reader)


def passage_filter():
    """The Whoosh query matching every passage document."""
    return Term("kind", "passage")


def add_article(writer, article: dict, passages: list[PassageDoc]) -> None:
    """Add an article's document and its passages' (with their facet values) to ``writer``."""
    writer.add_document(kind="article", pid=f"{article['doc_id']}#article", **article)
    for p in passages:
        writer.add_document(
            kind="passage", pid=p.pid, doc_id=p.doc_id, position=p.position, start=p.start,
            end=p.end, text=p.text, stem=p.stems, exact=p.exact, entities=",".join(p.entities),
            facets=encode_facets(p.doc_id, p.entities))


def _add_entities(writer, entities: Iterable[dict], replace: bool = False) -> None:
    """Record discovered entities; an update replaces an entity's earlier record, a rebuild
    (which drops every old document, and must not read old segments) just adds."""
    add = writer.add_document if replace else writer.update_document
    for entity in entities:
        add(kind="entity", pid=f"entity:{entity['id']}",
            entity=json.dumps(entity, ensure_ascii=False))


def _segment_worker(ix, number, job, counter, results, limitmb) -> None:
    """In a forked process: run one job into a segment of its own, report (number, segment,
    summary) or the error."""
    from whoosh.writing import SegmentWriter

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    die_with_parent()
    writer = SegmentWriter(ix, _lk=False, **writer_options(limitmb))

    def tick() -> None:
        with counter.get_lock():
            counter.value += 1

    try:
        summary = job(partial(add_article, writer), tick)
        segment = writer._finalize_segment() if writer._added else None
        if segment is None:
            writer._close_segment()
        results.put((number, "done", (segment, summary)))
    except OSError as error:  # a full disk, a folder gone: the parent raises it as it is
        results.put((number, "oserror", (error.errno, error.strerror, error.filename)))
    except BaseException:  # noqa: B902 - reported to the parent, which raises
        results.put((number, "error", traceback.format_exc()))


class WhooshEngine(base.FolderEngine):
    """Whoosh, pure Python: the default engine."""

    name = "whoosh"
    store_class = Store

    def create(self, path, settings: dict) -> Store:
        """See ``archive.engines.base.Engine.create``; the settings record the engine's name."""
        return Store.create(path, {**settings, "engine": self.name})
