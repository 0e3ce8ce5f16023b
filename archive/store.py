"""The Whoosh index on disk: schema, opening, one writer transaction per build, and a cached
searcher. Analysed passages in; stored passages, articles and statistics out.

Documents are of three kinds (field ``kind``): ``passage`` (searched), ``article`` (title,
metadata, content hash and origin file: the manifest incremental builds diff against) and one
``meta`` (the settings the index was built with). Analysis happens before Whoosh sees a passage:
``stem`` and ``exact`` receive term lists, so index-time context (the whole article) can shape
them. Every change of a build is one Whoosh commit: until it lands, readers see the old index.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import pickle

from whoosh import index as whoosh_index
from whoosh.codec import whoosh3
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.query import Term

from archive.arabic import WhooshAnalyzer
from archive.facets import FacetIndex, encode as encode_facets

# Bump when analysis or the schema changes: an index built otherwise must be rebuilt.
FORMAT_VERSION = 2
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


def writer_options(limitmb: int = 128) -> dict:
    """How every writer of ours writes segments."""
    codec = whoosh3.W3Codec()
    # Whoosh would look each posting's field length up again when it writes the postings (an
    # os.stat per posting of a field without lengths; 11% of a build) only to store per-block
    # min/max lengths for its own block-skipping. We score from the length columns and never
    # read them; stored as 0 they keep Whoosh's skipping safe (its score bounds only rise).
    codec.length_stats = False
    return {"limitmb": limitmb, "compound": COMPOUND, "codec": codec}


class IndexError_(Exception):
    """The index cannot be used as asked (missing, built by another version, locked)."""


def make_schema() -> Schema:
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


@dataclass(frozen=True)
class ManifestEntry:
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


class Store:
    def __init__(self, path: Path, ix):
        self.path = path
        self._ix = ix
        self._searcher = None

    # -- opening ----------------------------------------------------------------------------

    @staticmethod
    def owns(filename: str) -> bool:
        """Whether a file of an index folder is Whoosh's (TOC, segments, lock)."""
        return filename.startswith((INDEX_NAME, f"_{INDEX_NAME}"))

    @classmethod
    def exists(cls, path: str | os.PathLike) -> bool:
        path = Path(path)
        return path.is_dir() and whoosh_index.exists_in(str(path), indexname=INDEX_NAME)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Store":
        path = Path(path)
        if not cls.exists(path):
            raise IndexError_(f"no index at {path}")
        store = cls(path, whoosh_index.open_dir(str(path), indexname=INDEX_NAME))
        version = store.settings().get("format_version")
        if version != FORMAT_VERSION:
            raise IndexError_(
                f"the index at {path} was built by another version of archive (format "
                f"{version}, this one reads {FORMAT_VERSION}); rebuild it with "
                f"`archive index --rebuild --index {path} PATH`")
        return store

    @classmethod
    def create(cls, path: str | os.PathLike, settings: dict) -> "Store":
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(path), make_schema(), indexname=INDEX_NAME)
        writer = ix.writer(**writer_options())
        writer.add_document(kind="meta", pid="meta",
                            settings=json.dumps({**settings, "format_version": FORMAT_VERSION}))
        writer.commit()
        return cls(path, ix)

    # -- reading ----------------------------------------------------------------------------

    def searcher(self):
        """One searcher per process, refreshed when a build has committed since."""
        if self._searcher is not None and not self._searcher.up_to_date():
            # Not Searcher.refresh(): it reuses segment readers, and a reused reader keeps the
            # deletions it had when opened (deleted articles would still show).
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            self._searcher = self._ix.searcher()
        return self._searcher

    def settings(self) -> dict:
        stored = self.searcher().document(kind="meta")
        return json.loads(stored["settings"]) if stored else {}

    def manifest(self) -> dict[str, ManifestEntry]:
        return {
            fields["doc_id"]: ManifestEntry(fields["hash"], fields["origin"])
            for fields in self.searcher().documents(kind="article")
        }

    def article(self, doc_id: str) -> dict | None:
        return self.searcher().document(pid=f"{doc_id}#article")  # one unique term

    def discovered_entities(self) -> list[dict]:
        """Entities found by context rules (not in the catalogue), as stored."""
        return [json.loads(f["entity"]) for f in self.searcher().documents(kind="entity")]

    def discovered_entity(self, entity_id: str) -> dict | None:
        stored = self.searcher().document(pid=f"entity:{entity_id}")
        return json.loads(stored["entity"]) if stored else None

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    # -- writing ----------------------------------------------------------------------------

    def write(self, articles: Iterable[tuple[dict, list[PassageDoc]]], delete: Iterable[str],
              entities: Callable[[], Iterable[dict]] = lambda: (), limitmb: int = 256) -> None:
        """Delete the articles ``delete`` names, add ``articles``, then record ``entities()``
        (asked after the articles, which discover them); commit once. An exception or Ctrl-C
        before the commit cancels everything: the previous index stays as it was."""
        writer = self._ix.writer(**writer_options(limitmb))
        try:
            for doc_id in delete:
                writer.delete_by_term("doc_id", doc_id)
            for article, passages in articles:
                add_article(writer, article, passages)
            _add_entities(writer, entities())
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self.prepare_facets()

    def prepare_facets(self) -> None:
        """Write the facet files of new segments now, so the first search need not."""
        FacetIndex(self.searcher(), self.path).prepare()

    def write_parallel(self, jobs: list, delete: Iterable[str], entities: Callable[[], Iterable[dict]],
                       summaries: list, progress: Callable[[int], None] | None = None,
                       limitmb: int = 256) -> list:
        """The same transaction as ``write``, with the adding spread over processes: each job
        runs in a forked process that writes a segment of its own (``job(writer, tick)`` adds
        documents with ``add_article``, calls ``tick()`` per article and returns a summary);
        this process deletes, records ``entities()`` (which may read ``summaries``, filled with
        the jobs' summaries in order before it is called) and commits every segment at once.
        Returns the summaries. Ctrl-C, a kill or a failed job before the commit
        leaves the previous index as it was."""
        context = multiprocessing.get_context("fork")
        counter = context.Value("i", 0)
        results = context.Queue()
        writer = self._ix.writer(**writer_options(limitmb))
        workers = [context.Process(target=_segment_worker, daemon=True,
                                   args=(self._ix, number, job, counter, results, limitmb))
                   for number, job in enumerate(jobs)]
        try:
            for doc_id in delete:
                writer.delete_by_term("doc_id", doc_id)
            for worker in workers:
                worker.start()
            done = _collect(workers, results, counter, progress)
            summaries[:] = [summary for _, summary in done]
            _add_entities(writer, entities())
            segments = writer._merge_segments(None, None, None)
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
            writer.cancel()
            raise
        self.prepare_facets()
        return [summary for _, summary in done]


def passage_filter():
    return Term("kind", "passage")


def add_article(writer, article: dict, passages: list[PassageDoc]) -> None:
    writer.add_document(kind="article", pid=f"{article['doc_id']}#article", **article)
    for p in passages:
        writer.add_document(
            kind="passage", pid=p.pid, doc_id=p.doc_id, position=p.position, start=p.start,
            end=p.end, text=p.text, stem=p.stems, exact=p.exact, entities=",".join(p.entities),
            facets=encode_facets(p.doc_id, p.entities))


def _add_entities(writer, entities: Iterable[dict]) -> None:
    for entity in entities:
        writer.update_document(kind="entity", pid=f"entity:{entity['id']}",
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
        summary = job(writer, tick)
        segment = writer._finalize_segment() if writer._added else None
        if segment is None:
            writer._close_segment()
        results.put((number, "ok", segment, summary))
    except BaseException:  # noqa: B902 - reported to the parent, which raises
        results.put((number, "error", traceback.format_exc(), None))


def _collect(workers, results, counter, progress) -> list:
    """Every job's (segment, summary) in job order, reporting progress while waiting."""
    done: dict[int, tuple] = {}
    while len(done) < len(workers):
        try:
            number, status, payload, summary = results.get(timeout=0.2)
        except queue.Empty:
            if progress:
                progress(counter.value)
            dead = [w for i, w in enumerate(workers) if i not in done and w.exitcode not in (None, 0)]
            if dead:
                raise IndexError_(f"an indexing process died (exit code {dead[0].exitcode})")
            continue
        if status == "error":
            raise IndexError_(f"an indexing process failed:\n{payload}")
        done[number] = (payload, summary)
    if progress:
        progress(counter.value)
    return [done[i] for i in range(len(workers))]


def die_with_parent() -> None:
    """On Linux, ask the kernel to kill this process when its parent dies (kill -9 of the
    indexer), so no orphan keeps running or holds the caller's pipes open."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
