"""The OpenSearch index: generations behind an alias, builds written in parallel bulk requests,
the manifest and the write lock in the cluster.

``opensearch://HOST:PORT/NAME`` names an **alias**, ``NAME``, that points at one concrete index,
the current **generation** (``NAME-gen-<build>-<token>``). A generation holds documents of four
kinds (field ``kind``), as the local engines do: ``passage`` (the term lists, space-joined, in
fields split on whitespace only, so a term's position is its place in our list; entity ids; the
article's day and month; the tie key), ``article`` (stored fields, content hash and origin: the
**manifest** an incremental build diffs against), ``entity`` (found by context rules) and one
``meta`` (settings, the number of builds).

A build creates a new generation, copies the current one into it on the cluster (``_reindex``)
less what it deletes, bulk-indexes its articles (from the build's workers in parallel, with
retry and back-off on rejections), refreshes it, then moves the alias in one ``_aliases``
request: readers see the old generation or the new one, never half of one. A build that fails,
or a node lost meanwhile, deletes its generation (or the next build does) and the alias never
moved. The generation before the current one is kept for readers still holding it; older ones
are deleted.

An index folder may also stand for a cluster index (``archive index --engine opensearch --index
DIR`` with ``ARCHIVE_OPENSEARCH_URL=http://HOST:PORT``): the folder then holds only
``archive_OPENSEARCH``, the URL of its cluster index (``archive-folder-<hash of the folder>``),
and its write lock is the folder's; the test suite runs that way on a test cluster.

One writer at a time: a document in ``NAME-lock``, created only if absent and kept alive by a
heartbeat; a lock whose holder stopped renewing it (a killed build) expires after LOCK_TTL
seconds.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from hashlib import sha1
from pathlib import Path
from typing import Any

from archive.dates import iso_day
from archive.engines import base
from archive.engines.base import IndexBusy, IndexError_, ManifestEntry, PassageDoc, die_with_parent
from archive.engines.opensearch import cluster
from archive.engines.opensearch.reader import K1, NOT_STORED, B, Reader, document_id

FORMAT_VERSION = 1
POINTER = "archive_OPENSEARCH"  # in an index folder: the URL of the cluster index it stands for
SHARDS = int(os.environ.get("ARCHIVE_OPENSEARCH_SHARDS", "2"))
BULK_ACTIONS = 500  # documents per bulk request
BULK_RETRIES = 8  # tries of a rejected (429) document, with exponential back-off
LOCK_TTL = float(os.environ.get("ARCHIVE_OPENSEARCH_LOCK_TTL", "60"))  # seconds
EMPTY_TERM = "\u2205"  # stands for an empty term, which whitespace-joining would lose
# The one term of the term fields of documents that are no passage: Lucene's idf and average
# length count the documents holding a field, Tantivy's every document; with it, both count
# the same N (the average length differs by one term per such document).
PLACEHOLDER = "\u2063"
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "kind": {"type": "keyword"},
        "pid": {"type": "keyword"},
        "doc_id": {"type": "keyword"},
        "stem": {"type": "text", "analyzer": "archive_terms", "similarity": "archive_bm25",
                 "fielddata": True},
        "exact": {"type": "text", "analyzer": "archive_terms", "similarity": "archive_bm25",
                  "fielddata": True},
        # scored as Tantivy's entity field (tf 1, with lengths); ``entities.id`` for facets
        "entities": {"type": "text", "analyzer": "archive_terms", "similarity": "archive_bm25",
                     "index_options": "docs", "fields": {"id": {"type": "keyword"}}},
        "day": {"type": "integer"},
        "month": {"type": "keyword"},
        "tie": {"type": "long"},
        "data": {"type": "object", "enabled": False},
    },
}


def index_settings() -> dict:
    """A generation's settings: SHARDS shards, one replica when there is a second node, our
    BM25 parameters, terms split on whitespace only."""
    return {"index": {
        "number_of_shards": SHARDS, "auto_expand_replicas": "0-1", "refresh_interval": "-1",
        "max_result_window": 100_000,
        "similarity": {"archive_bm25": {"type": "BM25", "k1": K1, "b": B}},
        "analysis": {
            "tokenizer": {"archive_space": {"type": "whitespace", "max_token_length": 4000}},
            "analyzer": {"archive_terms": {"type": "custom", "tokenizer": "archive_space"}}}}}


def _joined(terms: list[str]) -> str:
    return " ".join(term or EMPTY_TERM for term in terms)


def _action(index: str, source: dict) -> dict:
    if source["kind"] != "passage":
        source = {**source, "stem": PLACEHOLDER, "exact": PLACEHOLDER, "entities": PLACEHOLDER}
    return {"_index": index, "_id": document_id(source["pid"]), "_source": source}


def article_actions(index: str, article: dict, passages: Iterable[PassageDoc], build: int,
                    worker: int, number: int) -> Iterator[dict]:
    """The bulk actions of one article and its passages (``number``: its place in ``worker``'s
    share of the build's plan)."""
    doc_id = article["doc_id"]
    day = iso_day(article.get("date"))
    yield _action(index, {"kind": "article", "pid": f"{doc_id}#article", "doc_id": doc_id,
                          "data": article})
    for p in passages:
        source: dict[str, Any] = {
            "kind": "passage", "pid": p.pid, "doc_id": p.doc_id, "stem": _joined(p.stems),
            "exact": _joined(p.exact), "entities": list(p.entities),
            "tie": base.tie_key(build, worker, number, p.position),
            "data": {"pid": p.pid, "doc_id": p.doc_id, "position": p.position, "start": p.start,
                     "end": p.end, "text": p.text, "entities": list(p.entities)}}
        if base.day_number(article.get("date")):
            source["day"] = base.day_number(article.get("date"))
        if day and len(day) >= 7:
            source["month"] = day[:7]
        yield _action(index, source)


class Bulk:
    """Bulk requests of BULK_ACTIONS documents, each rejected document retried with back-off;
    any other failure raises IndexError_ (the build fails, its generation is dropped)."""

    def __init__(self, client, address: cluster.Address):
        self.client, self.address = client, address
        self.pending: list[dict] = []

    def add(self, actions: Iterable[dict]) -> None:
        """Queue actions, sending a request whenever BULK_ACTIONS are waiting."""
        for action in actions:
            self.pending.append(action)
            if len(self.pending) >= BULK_ACTIONS:
                self.flush()

    def flush(self) -> None:
        """Send what is queued."""
        from opensearchpy import helpers

        if not self.pending:
            return
        actions, self.pending = self.pending, []
        try:
            for ok, item in helpers.streaming_bulk(
                    self.client, actions, chunk_size=BULK_ACTIONS, max_retries=BULK_RETRIES,
                    initial_backoff=1, max_backoff=30, raise_on_error=False,
                    raise_on_exception=True):
                if not ok:
                    reason = next(iter(item.values())).get("error", item)
                    raise IndexError_(f"the OpenSearch cluster of {self.address.url} refused a "
                                      f"document: {reason}")
        except IndexError_:
            raise
        except Exception as error:  # noqa: BLE001 - a transport error: the node went away...
            raise cluster.unreachable(self.address, error) from None


def _meta_of(store: Store) -> dict:
    """The current generation's meta document; for a rebuild of a damaged index (no meta
    document), nothing: the rebuild starts the numbering again."""
    try:
        return store.reader().meta
    except base.IndexDamaged:
        return {}


class _Generation:
    """One build: a new generation filled, then published by moving the alias."""

    def __init__(self, store: Store, delete: Iterable[str], replace: dict | None):
        self.store, self.replace = store, replace
        self.client, self.address = store.client, store.address
        current = store.current_index()
        self.previous = current
        meta = _meta_of(store) if current else {}
        self.meta = meta
        self.build = int(meta.get("builds", 0)) + 1
        self.index = f"{store.address.name}-gen-{self.build:06d}-{secrets.token_hex(3)}"
        self.added: dict[int, int] = {}
        self.committed = False
        with store.errors():
            self.client.indices.create(index=self.index, body={
                "settings": index_settings(), "mappings": MAPPING})
            if current is not None and replace is None:
                self._copy(current, list(delete))

    def _copy(self, current: str, delete: list[str]) -> None:
        """The current generation into the new one, on the cluster, less the articles ``delete``
        names and the meta document."""
        body = {"source": {"index": current, "query": {"bool": {"must_not": [
                    {"term": {"kind": "meta"}}]}}},
                "dest": {"index": self.index}}
        result = self.client.reindex(body=body, wait_for_completion=True, refresh=True,
                                     request_timeout=3600)
        if result.get("failures"):
            raise IndexError_(f"copying the index {self.address.url} failed: "
                              f"{result['failures'][0]}")
        for start in range(0, len(delete), 10_000):
            self.client.delete_by_query(
                index=self.index, body={"query": {"terms": {"doc_id": delete[start:start + 10_000]}}},
                refresh=True, conflicts="proceed", request_timeout=3600)

    def actions(self, article: dict, passages: Iterable[PassageDoc], worker: int = 0) -> Iterator[dict]:
        """The bulk actions of one article of ``worker``'s share."""
        number = self.added.get(worker, 0)
        self.added[worker] = number + 1
        return article_actions(self.index, article, passages, self.build, worker, number)

    def commit(self, entities: Iterable[dict], bulk: Bulk) -> None:
        """Record the entities and the meta document, refresh, then move the alias."""
        for entity in entities:
            bulk.add([_action(self.index, {"kind": "entity", "pid": f"entity:{entity['id']}",
                                           "data": entity})])
        settings = self.replace if self.replace is not None else self.meta.get("settings", {})
        meta = {"settings": {**settings, "engine": "opensearch", "format_version": FORMAT_VERSION},
                "builds": self.build, "previous": self.previous}
        bulk.add([_action(self.index, {"kind": "meta", "pid": "meta", "data": meta})])
        bulk.flush()
        with self.store.errors():
            self.client.indices.refresh(index=self.index)
            # one replica on another node before readers come, when there is one (30 s at most)
            self.client.cluster.health(index=self.index, wait_for_status="green",
                                       params={"timeout": "30s"}, request_timeout=40)
            self.store.check_lock()
            actions: list[dict] = [{"add": {"index": self.index, "alias": self.address.name}}]
            if self.previous is not None:
                actions.insert(0, {"remove": {"index": self.previous, "alias": self.address.name}})
            self.client.indices.update_aliases(body={"actions": actions})
        self.committed = True
        self.store.drop_generations(keep={self.index, self.previous})

    def cancel(self) -> None:
        """Drop the new generation (best effort: the next build drops what is left)."""
        if self.committed:
            return
        try:
            self.client.indices.delete(index=self.index, ignore_unavailable=True)
        except Exception:  # noqa: BLE001 - the cluster may be what failed
            pass


class ClusterLock:
    """The write lock of one index: a document created only if absent, renewed by a thread
    every LOCK_TTL / 4 seconds, taken over only once it has expired."""

    def __init__(self, client, address: cluster.Address):
        self.client, self.address = client, address
        self.index = f"{address.name}-lock"
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.version: tuple[int, int] | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _body(self) -> dict:
        return {"holder": self.holder, "expires": time.time() + LOCK_TTL}

    def _create_index(self) -> None:
        from opensearchpy.exceptions import RequestError

        if self.client.indices.exists(index=self.index):
            return
        try:
            self.client.indices.create(index=self.index, body={"settings": {
                "index": {"number_of_shards": 1, "auto_expand_replicas": "0-1"}}})
        except RequestError as error:
            if "already_exists" not in str(error.error):
                raise

    def acquire(self) -> bool:
        """Take the lock if it is free or expired."""
        from opensearchpy.exceptions import ConflictError, NotFoundError

        self._create_index()
        for _ in range(2):
            try:
                result = self.client.index(index=self.index, id="lock", body=self._body(),
                                           op_type="create", refresh="true")
            except ConflictError:
                try:
                    held = self.client.get(index=self.index, id="lock")
                except NotFoundError:
                    continue
                if held["_source"].get("expires", 0) > time.time():
                    return False
                try:  # expired: its holder is gone; take it over (once, whoever is first)
                    self.client.delete(index=self.index, id="lock", if_seq_no=held["_seq_no"],
                                       if_primary_term=held["_primary_term"], refresh="true")
                except (ConflictError, NotFoundError):
                    pass
                continue
            self.version = (result["_seq_no"], result["_primary_term"])
            self._thread = threading.Thread(target=self._renew, daemon=True)
            self._thread.start()
            return True
        return False

    def _renew(self) -> None:
        while not self._stop.wait(LOCK_TTL / 4):
            try:
                assert self.version is not None
                result = self.client.index(index=self.index, id="lock", body=self._body(),
                                           if_seq_no=self.version[0],
                                           if_primary_term=self.version[1])
                self.version = (result["_seq_no"], result["_primary_term"])
            except Exception as error:  # noqa: BLE001
                if "version_conflict" in str(error) or "document_missing" in str(error):
                    self.lost = True
                    return

    def release(self) -> None:
        """Stop renewing and delete the lock document if it is still ours."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.version is None or self.lost:
            return
        try:
            self.client.delete(index=self.index, id="lock", if_seq_no=self.version[0],
                               if_primary_term=self.version[1], refresh="true")
        except Exception:  # noqa: BLE001 - gone or the cluster is down: it expires by itself
            pass


_HELD: dict[str, ClusterLock] = {}  # index URL → the lock this process holds


@contextmanager
def write_lock(location, wait: bool = False,
               on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the write lock of the index at ``location`` (a Remote) for a whole build; IndexBusy
    at once if another build holds it, or, with ``wait``, ``on_wait`` once and wait."""
    address = cluster.parse(str(location))
    client = cluster.client(address)
    lock = ClusterLock(client, address)
    try:
        taken = lock.acquire()
        if not taken:
            if not wait:
                raise IndexBusy(f"another build is writing to the index at {address.url}; run "
                                f"this again when it has finished")
            if on_wait:
                on_wait()
            while not lock.acquire():
                time.sleep(base.LOCK_POLL * 5)
    except IndexError_:
        raise
    except Exception as error:  # noqa: BLE001
        raise cluster.unreachable(address, error) from None
    _HELD[address.url] = lock
    try:
        yield
    finally:
        _HELD.pop(address.url, None)
        lock.release()


def remote_of(location) -> str:
    """The URL of the cluster index at ``location``: a Remote's own; for a folder, the one its
    POINTER names, else a new one on the cluster of $ARCHIVE_OPENSEARCH_URL."""
    from archive.engines import Remote

    if isinstance(location, Remote):
        return location.url
    folder = Path(location)
    try:
        return (folder / POINTER).read_text("utf-8").strip()
    except FileNotFoundError:
        pass
    server = os.environ.get("ARCHIVE_OPENSEARCH_URL", "")
    parts = server.split("://", 1)
    if len(parts) != 2 or parts[0] not in ("http", "https"):
        raise IndexError_("an index folder on the opensearch engine needs ARCHIVE_OPENSEARCH_URL "
                          "(http://HOST:PORT); or give --index opensearch://HOST:PORT/NAME")
    name = "archive-folder-" + sha1(str(folder.resolve()).encode("utf-8")).hexdigest()[:16]
    scheme = "opensearchs" if parts[0] == "https" else "opensearch"
    return f"{scheme}://{parts[1].rstrip('/')}/{name}"


class Store(base.Store):
    """One OpenSearch index (an alias and its generations) on a cluster."""

    def __init__(self, location, readonly: bool = False):
        self.path = location  # a Remote or an index folder: what messages name
        self.address = cluster.parse(remote_of(location))
        self.client = cluster.client(self.address)
        self.readonly = readonly
        self._reader: Reader | None = None
        self._lock = threading.Lock()

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn what the client raises into IndexError_ naming the URL (not the credentials)."""
        try:
            yield
        except IndexError_:
            raise
        except Exception as error:  # noqa: BLE001
            if type(error).__module__.startswith(("opensearchpy", "urllib3")):
                raise cluster.unreachable(self.address, error) from None
            raise

    # -- generations ------------------------------------------------------------------------

    def current_index(self) -> str | None:
        """The concrete index the alias points at, or None if there is no alias."""
        from opensearchpy.exceptions import NotFoundError

        with self.errors():
            try:
                found = self.client.indices.get_alias(name=self.address.name)
            except NotFoundError:
                return None
        return sorted(found)[0] if found else None

    def generations(self) -> list[str]:
        """Every generation index of this name, current or not."""
        with self.errors():
            found = self.client.indices.get(index=f"{self.address.name}-gen-*",
                                            expand_wildcards="open,closed")
        return sorted(found)

    def drop_generations(self, keep: set) -> None:
        """Delete generations not in ``keep`` (retired ones, failed builds' leftovers)."""
        for index in self.generations():
            if index not in keep:
                try:
                    self.client.indices.delete(index=index, ignore_unavailable=True)
                except Exception:  # noqa: BLE001 - the next build tries again
                    pass

    def check_lock(self) -> None:
        """Before publishing: IndexBusy if this build lost its lock (it expired meanwhile)."""
        lock = _HELD.get(self.address.url)
        if lock is not None and lock.lost:
            raise IndexBusy(f"this build's lock on {self.address.url} expired and another build "
                            f"took it; nothing was published")

    # -- reading ----------------------------------------------------------------------------

    def reader(self) -> Reader:
        """A reader of the current generation, reused until the alias moves."""
        with self._lock:
            index = self.current_index()
            if index is None:
                raise IndexError_(f"no index at {self.address.url}")
            if self._reader is not None and self._reader.index == index:
                return self._reader
            with self.errors():
                hits = self.client.search(index=index, body={
                    "query": {"term": {"kind": "meta"}}, "size": 1,
                    "_source": {"excludes": NOT_STORED}})["hits"]["hits"]
            if not hits:
                raise base.damaged(self.path, ValueError("no meta document"))
            self._reader = Reader(self, index, hits[0]["_source"]["data"])
            return self._reader

    def settings(self) -> dict:
        """See ``archive.engines.base.Store.settings``."""
        return dict(self.reader().meta.get("settings", {}))

    def manifest(self) -> dict[str, ManifestEntry]:
        """See ``archive.engines.base.Store.manifest`` (the article documents)."""
        return {f["doc_id"]: ManifestEntry(f["hash"], f["origin"])
                for f in self.reader().documents("article")}

    def has_articles(self) -> bool:
        """See ``archive.engines.base.Store.has_articles``."""
        return self.reader().count({"term": {"kind": "article"}}) > 0

    def close(self) -> None:
        """Forget the cached reader."""
        self._reader = None

    def discard_debris(self) -> None:
        """Delete generations that neither the alias nor the one before it name (failed or
        interrupted builds)."""
        current = self.current_index()
        previous = self.reader().meta.get("previous") if current else None
        self.drop_generations({current, previous})

    # -- side documents (base.Store): one index NAME-side beside the generations, its documents
    # stored but not searched; they outlive generation switches, and their readers check them
    # against the manifest.

    @property
    def side_index(self) -> str:
        """The index holding this index's side documents."""
        return f"{self.address.name}-side"

    def _side(self, name: str, source: bool) -> dict | None:
        from opensearchpy.exceptions import NotFoundError

        with self.errors():
            try:
                return self.client.get(index=self.side_index, id=name, _source=source)
            except NotFoundError:
                return None

    def side_stamp(self, name: str) -> tuple | None:
        """See ``archive.engines.base.Store.side_stamp`` (the document's sequence number)."""
        found = self._side(name, source=False)
        if not found or not found.get("found"):
            return None
        return (found.get("_primary_term"), found.get("_seq_no"))

    def read_side(self, name: str) -> str | None:
        """See ``archive.engines.base.Store.read_side``."""
        found = self._side(name, source=True)
        if not found or not found.get("found"):
            return None
        text = found.get("_source", {}).get("text")
        return text if isinstance(text, str) else None

    def write_side(self, name: str, text: str) -> None:
        """See ``archive.engines.base.Store.write_side`` (one document write, visible at once)."""
        self._check_writable()
        with self.errors():
            if not self.client.indices.exists(index=self.side_index):
                self.client.indices.create(index=self.side_index, body={
                    "settings": {"number_of_shards": 1},
                    "mappings": {"dynamic": False, "properties": {}}}, ignore=400)
            self.client.index(index=self.side_index, id=name, body={"text": text}, refresh=True)

    # -- writing ----------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.readonly:
            raise IndexError_(f"the index at {self.address.url} was opened read-only")

    def write(self, articles: Iterable[tuple[dict, list[PassageDoc]]], delete: Iterable[str],
              entities: Callable[[], Iterable[dict]] = lambda: (), limitmb: int = 256,
              replace: dict | None = None) -> None:
        """See ``archive.engines.base.Store.write``: a new generation, published at once."""
        self._check_writable()
        generation = _Generation(self, delete, replace)
        try:
            bulk = Bulk(self.client, self.address)
            for article, passages in articles:
                bulk.add(generation.actions(article, passages))
            generation.commit(entities(), bulk)
        except BaseException:
            generation.cancel()
            raise
        self._reader = None

    def direct_build(self, delete: Iterable[str], replace: dict | None = None) -> DirectBuild:
        """See ``archive.engines.base.Store.direct_build``: the workers bulk-index into a new
        generation themselves; its tie keys number the articles in plan order, as ``write``
        does, so the index is the one ``write`` would make."""
        self._check_writable()
        return DirectBuild(self, delete, replace)

    def write_parallel(self, jobs: list, delete: Iterable[str],
                       entities: Callable[[], Iterable[dict]], summaries: list,
                       progress: Callable[[int], None] | None = None, limitmb: int = 256,
                       replace: dict | None = None) -> list:
        """``write`` with the analysis and the bulk requests spread over forked processes, one
        per job, each sending its own bulk requests to the new generation."""
        self._check_writable()
        generation = _Generation(self, delete, replace)
        context = multiprocessing.get_context("fork")
        counter = context.Value("i", 0)
        results = context.Queue()
        workers = [context.Process(target=_bulk_worker, daemon=True,
                                   args=(number, job, generation, counter, results))
                   for number, job in enumerate(jobs)]
        try:
            for worker in workers:
                worker.start()
            summaries[:] = base.gather_workers(workers, results, counter, progress)
            generation.commit(entities(), Bulk(self.client, self.address))
        except BaseException:
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()
            for worker in workers:
                if worker.pid is not None:
                    worker.join()
            generation.cancel()
            raise
        for worker in workers:
            worker.join()
        self._reader = None
        return summaries


@dataclass(frozen=True)
class Sink(base.Sink):
    """A generation's bulk target for a distributed build's workers: its address (no
    credentials) and index, and the build's number for the tie keys."""

    address: cluster.Address
    index: str
    build: int

    def send(self, first: int, articles: list[tuple[dict, list[PassageDoc]]]) -> None:
        """See ``archive.engines.base.Sink.send``: bulk requests from where it runs."""
        bulk = Bulk(_worker_client(self.address), self.address)
        for offset, (article, passages) in enumerate(articles):
            bulk.add(article_actions(self.index, article, passages, self.build, 0, first + offset))
        bulk.flush()


_CLIENTS: dict[cluster.Address, Any] = {}  # a worker process's clients, one per cluster


def _worker_client(address: cluster.Address):
    if address not in _CLIENTS:
        _CLIENTS[address] = cluster.client(address)
    return _CLIENTS[address]


class DirectBuild(base.DirectBuild):
    """A generation filled by a distributed build's workers (see ``Store.direct_build``)."""

    def __init__(self, store: Store, delete: Iterable[str], replace: dict | None):
        self.store = store
        self.generation = _Generation(store, delete, replace)
        self.sink = Sink(store.address, self.generation.index, self.generation.build)

    def commit(self, entities: Iterable[dict]) -> None:
        """See ``archive.engines.base.DirectBuild.commit``."""
        try:
            self.generation.commit(entities, Bulk(self.store.client, self.store.address))
        except BaseException:
            self.generation.cancel()
            raise
        self.store._reader = None

    def cancel(self) -> None:
        """See ``archive.engines.base.DirectBuild.cancel``."""
        self.generation.cancel()


def _bulk_worker(number: int, job, generation: _Generation, counter, results) -> None:
    """In a forked process: run one job, bulk-indexing its articles, then send its summary."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        bulk = Bulk(cluster.client(generation.address), generation.address)

        def add(article: dict, passages: list[PassageDoc]) -> None:
            bulk.add(generation.actions(article, passages, worker=number))

        def tick() -> None:
            with counter.get_lock():
                counter.value += 1

        summary = job(add, tick)
        bulk.flush()
        results.put((number, "done", summary))
    except BaseException:  # noqa: B902 - reported to the parent, which raises
        results.put((number, "error", traceback.format_exc(limit=3)))


class OpenSearchEngine(base.Engine):
    """OpenSearch: an archive spread over a cluster's machines, with replicas."""

    name = "opensearch"

    def exists(self, path) -> bool:
        """Whether the cluster holds the alias the URL (or the folder's POINTER) names."""
        from archive.engines import Remote

        if not isinstance(path, Remote) and not (Path(path) / POINTER).is_file():
            return False
        return Store(path).current_index() is not None

    def open(self, path, readonly: bool = False, check_version: bool = True) -> Store:
        """See ``archive.engines.base.Engine.open``."""
        store = Store(path, readonly)
        if store.current_index() is None:
            raise IndexError_(f"no index at {path}")
        settings = store.settings()  # reads the meta document: a damaged index says so here
        version = settings.get("format_version") if check_version else FORMAT_VERSION
        if version != FORMAT_VERSION:
            raise base.other_version(path, version, FORMAT_VERSION)
        return store

    def create(self, path, settings: dict) -> Store:
        """An empty first generation holding only ``settings``, behind the alias (for a folder,
        its POINTER first)."""
        from archive.engines import Remote

        if not isinstance(path, Remote):
            folder = Path(path)
            base.check_folder(folder)
            folder.mkdir(parents=True, exist_ok=True)
            url = remote_of(folder)
            temporary = folder / f"{POINTER}.{os.getpid()}.tmp"
            temporary.write_text(url + "\n", "utf-8")
            os.replace(temporary, folder / POINTER)
        store = Store(path)
        store.write(iter(()), delete=(), replace=dict(settings))
        return store

    def own_files(self, path: Path) -> set[str]:
        """The folder's POINTER, if it has one: the index itself is on the cluster."""
        return {POINTER} if (Path(path) / POINTER).is_file() else set()

    def write_lock(self, path, wait: bool = False, on_wait: Callable[[], None] | None = None):
        """The lock in the cluster (see ``write_lock``)."""
        return write_lock(path, wait=wait, on_wait=on_wait)
