"""The analysis and tagging of a build on a Dask cluster (``archive index --dask ADDRESS``).

The articles are read where the build runs (both passes of ``archive.indexer``, as for any
build) and sent in batches to the cluster's workers, which tag them (the learning pass of a new
index, whose first stages stay on the workers, in Dask's memory, until the analysis needs them)
and analyse them; the analysed articles come back in plan order and the engine writes them here
in one commit, as a build of one process would (with an engine whose index lives on a cluster,
OpenSearch, the workers bulk-index into the new generation themselves, ``Store.direct_build``,
and only passage counts and discovered entities come back; the commit is still here). So the
index is the same as without Dask, and
so are the guarantees: until the commit the previous index answers; a worker lost mid-way costs
only the recomputation of its batches, which Dask schedules on the others; a build that fails
commits nothing.

``ADDRESS`` is a scheduler's (``tcp://host:port``) or ``local:N`` for a LocalCluster of N
processes on this machine. The workers must be able to import this version of ``archive``.
Needs the ``dask`` extra (``pip install '.[dask]'``: dask and distributed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from archive.analysis import analyse_article, established_records, merge_in_order
from archive.analyzers import shared_analyzer
from archive.engines.base import DirectBuild, PassageDoc, Sink, Store
from archive.entities.catalogue import Entity
from archive.entities.once import FirstStage, changed_words, first_stage
from archive.entities.tagger import Lexicon, Tagger, default_tagger
from archive.errors import ArchiveError
from archive.records import Article, ReadError

BATCH = 16  # articles per task: big enough that a task's overhead (~1 ms) is small
CONNECT_SECONDS = 10


@contextmanager
def cluster(address: str) -> Iterator[Any]:
    """A ``distributed.Client`` of the cluster at ``address`` (``local:N``: a LocalCluster of N
    worker processes on 127.0.0.1, closed afterwards)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise ArchiveError("--dask needs dask and distributed: pip install '.[dask]'") from error
    if address.startswith("local:"):
        count = address.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise ArchiveError(f"--dask: expected a scheduler's address or local:N with N ≥ 1, "
                               f"not {address!r}")
        with LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as local, Client(local) as client:
            yield client
        return
    try:
        client = Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as error:
        raise ArchiveError(f"cannot reach the Dask scheduler at {address}: {error}") from error
    with client:
        yield client


class _Stages:
    """First stages kept in memory for one batch, as ``KeptStages`` offers them to
    ``analyse_article``: a stage that read a changed word is refused."""

    def __init__(self, stages: dict[str, FirstStage], changed: frozenset[str]):
        self.stages, self.changed = stages, changed

    def get(self, doc_id: str, content_hash: str) -> FirstStage | None:
        stage = self.stages.get(doc_id)
        return stage if stage is not None and stage.consulted.isdisjoint(self.changed) else None

    def model_result(self, doc_id: str, content_hash: str) -> tuple | None:
        stage = self.stages.get(doc_id)
        return stage.model if stage is not None else None


# -- on the workers ----------------------------------------------------------------------------

def learn_batch(batch: list[tuple[Article, str]]) -> tuple[tuple[list[dict], list[Entity]], list,
                                                            dict[str, FirstStage]]:
    """A learning task: the names the batch establishes (entity records) and every entity its
    tagging discovered, in the order found; and the batch with its articles' first stages, kept
    on the worker for ``analyse_batch``."""
    tagger = default_tagger().fresh()
    stages: dict[str, FirstStage] = {}
    records: dict[str, dict] = {}
    for article, _ in batch:
        stage = stages[article.id] = first_stage(tagger, article.text)
        records.update(established_records(tagger, stage.mentions))
    return (list(records.values()), list(tagger.discovered.values())), batch, stages


def found_by(learned: tuple) -> tuple[list[dict], list[Entity]]:
    """A learning task's names and discovered entities (the only part that travels to the
    client)."""
    return learned[0]


def analyse_batch(work: tuple | list, lexicon: Lexicon, known: dict[str, Entity], stemmer: str,
                  changed: frozenset[str]) -> list[tuple[dict, list[PassageDoc], list[dict]]]:
    """An analysis task: each article of the batch (``work``: a learning task's result, or the
    articles themselves) analysed and tagged with the archive's names ``lexicon``; ``known``:
    the discovered entities as the whole learning pass first found them (their names)."""
    if isinstance(work, tuple):
        _, batch, stages = work
        kept: _Stages | None = _Stages(stages, changed)
    else:
        batch, kept = work, None
    tagger = default_tagger().fresh()
    tagger.discovered.update(known)
    tagger.learn(lexicon)
    analyzer = shared_analyzer(stemmer)
    out = []
    for article, planned_hash in batch:
        result = analyse_article(article, analyzer, tagger, planned_hash, kept)
        out.append((result.fields, result.passages, result.discovered))
    return out


def analyse_and_send(work: tuple | list, lexicon: Lexicon, known: dict[str, Entity], stemmer: str,
                     changed: frozenset[str], sink: Sink, first: int) -> list[tuple[int, list[dict]]]:
    """``analyse_batch``, its articles then written by this worker into the new generation
    through ``sink`` (``first``: the batch's place in the plan); only each article's passage
    count and discovered entities travel back."""
    analysed = analyse_batch(work, lexicon, known, stemmer, changed)
    sink.send(first, [(fields, passages) for fields, passages, _ in analysed])
    return [(len(passages), records) for _, passages, records in analysed]


# -- where the build runs ----------------------------------------------------------------------

def build_on_dask(address: str, store: Store, plan, analyzer, tagger: Tagger | None, learn: bool,
                  phases, report, replace: dict | None) -> Tagger | None:
    """Analyse and tag ``plan``'s articles on the cluster at ``address`` and write them to
    ``store`` in one commit (``learn``: a new index, which learns its names first). Returns the
    tagger with the names the articles were tagged with (for the re-tagging pass)."""
    skipped: list[tuple[str, ReadError]] = []
    with cluster(address) as client:
        batches = _batches(plan.articles(skipped=skipped))
        changed: frozenset[str] = frozenset()
        known: dict[str, Entity] = {}
        if learn and tagger is not None:
            phases.enter("learning", len(plan.todo))
            work = [client.submit(learn_batch, batch, pure=False) for batch in batches]
            found: dict[str, dict] = {}
            for records, entities in client.gather([client.submit(found_by, w) for w in work]):
                merge_in_order(found, records)
                for entity in entities:  # as one tagger over the whole build names them
                    known.setdefault(entity.id, entity)
            for entity_id, record in found.items():  # a name's words are those of that name
                if entity_id in known:
                    found[entity_id] = {**record, "name": known[entity_id].name}
            learner = tagger.fresh()
            tagger.learn(Lexicon.from_entities(found.values(), tagger))
            changed = changed_words(learner, tagger)
        else:
            work = batches  # each sent with its task
        lexicon = client.scatter(tagger.learned if tagger is not None else Lexicon(), broadcast=True)
        (known_future,) = client.scatter([known], broadcast=True)  # one object, not one per key
        if plan.todo:
            phases.enter("analysing", len(plan.todo))
        direct = store.direct_build(plan.delete, replace)
        if direct is not None:  # the workers write into the index themselves
            firsts = [sum(len(b) for b in batches[:n]) for n in range(len(batches))]
            sent = [client.submit(analyse_and_send, w, lexicon, known_future, analyzer.stemmer,
                                  changed, direct.sink, first, pure=False)
                    for w, first in zip(work, firsts)]
            del work
            _finish_direct(direct, sent, len(plan.todo), phases, report)
            report.count_skipped(plan.delete, skipped)
            return tagger
        analysed = [client.submit(analyse_batch, w, lexicon, known_future, analyzer.stemmer, changed,
                                  pure=False) for w in work]
        del work
        discovered: dict[str, dict] = {}

        def in_order() -> Iterator[tuple[dict, list[PassageDoc]]]:
            done = 0
            for number, future in enumerate(analysed):
                for fields, passages, records in future.result():
                    report.passages += len(passages)
                    merge_in_order(discovered, records)  # as one process meets them
                    yield fields, passages
                    done += 1
                    phases.tick(done, len(plan.todo))
                analysed[number] = None  # its results are written: Dask may forget them

        def entities() -> list[dict]:
            phases.committing()
            return list(discovered.values())

        store.write(in_order(), delete=plan.delete, entities=entities, replace=replace)
    report.count_skipped(plan.delete, skipped)
    return tagger


def _finish_direct(direct: DirectBuild, sent: list, todo: int, phases, report) -> None:
    """Wait for the workers' writes in plan order (the discovered entities merged as one
    process meets them), then commit; any failure drops the new generation."""
    discovered: dict[str, dict] = {}
    done = 0
    try:
        for number, future in enumerate(sent):
            for passages, records in future.result():
                report.passages += passages
                merge_in_order(discovered, records)
                done += 1
                phases.tick(done, todo)
            sent[number] = None  # written: Dask may forget it
        phases.committing()
        direct.commit(discovered.values())
    except BaseException:
        direct.cancel()
        raise


def _batches(articles) -> list[list[tuple[Article, str]]]:
    """The planned articles, read and cleaned, in batches of BATCH, in plan order."""
    batches: list[list[tuple[Article, str]]] = [[]]
    for item in articles:
        if len(batches[-1]) >= BATCH:
            batches.append([])
        batches[-1].append(item)
    return [b for b in batches if b]
