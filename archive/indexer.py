"""The build: paths in, an updated index and an IndexReport out.

    read → clean → split into passages → analyse (with the article as context) → tag → store

Incremental by content hash: an article is (re)analysed only when it is new or its content
changed; an indexed article disappears when its file is gone, or when its file was read again
without it. A file that fails to read keeps what it had in the index.

Two streaming passes keep memory flat however large the corpus: the first reads every article
only to hash it and decide what to do (keeping ids and hashes, not texts); the second reads the
files again and cleans, analyses and writes the chosen articles one at a time, in each worker
process its own contiguous share. The second pass knows an article by its id and the content
hash the first pass saw, never by its position in the files: the corpus may change between the
passes (a feed appends, an editor saves), and an article that changed or vanished meanwhile is
reported and left for the next build, so what is written is exactly what was planned and each id
is in the index at most once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from archive import copies
from archive.analysis import Analysed, analyse_article, established_records, merge_entities, merge_in_order
from archive.arabic import Analyzer
from archive.cleaning import clean
from archive.dates import iso_day
from archive.engines.base import ManifestEntry, PassageDoc, Store, die_with_parent
from archive.entities.once import KeptStages, changed_words, first_stage
from archive.entities.tagger import Lexicon
from archive.formats import ReadOptions
from archive.intake import iter_articles, real_path
from archive.records import Article, ReadError, ReadResult, web_address

Progress = Callable[[int, int], None]  # (articles done, articles to do)
# A build's phases, in order. A progress callback with a ``phase(name, total)`` method is told
# as each begins (``total``: the articles to analyse): "reading" (the first pass, hashing every
# article), "analysing" (the second pass: clean, split, analyse, tag; the (done, total) calls
# come then), "writing" (the last segments written), "committing" (the one commit).
PHASES = ("reading", "learning", "analysing", "writing", "committing")  # learning: new indexes
GIVEN_ORIGIN = "archive.add"  # the origin of articles given in Python: no file; kept until deleted
log = logging.getLogger("archive")

# An article this long (a book, a whole feed pasted as one text) gets a notice before it is
# analysed: it is processed in linear time, 8-10 s per million characters on one core
# (scripts/large_article.py).
LARGE_ARTICLE_CHARS = 1_000_000
# Over this, an article is reported and skipped: it would take about 8 minutes and 3 GB of memory
# (measured: 20 million characters, 201 s and 1.3 GB peak).
MAX_ARTICLE_CHARS = 50_000_000


@dataclass(frozen=True)
class UnreadableDate:
    """An article (re)indexed with a date archive.dates cannot read: it is left out by date
    filters and counted under no month until its date is fixed."""

    id: str
    path: str
    date: str

    def __str__(self) -> str:
        return f"{self.path}: article {self.id!r}: cannot read the date {self.date!r}"

    def to_dict(self) -> dict:
        """``{"id", "path", "date"}``."""
        return {"id": self.id, "path": self.path, "date": self.date}


@dataclass(frozen=True)
class DroppedValue:
    """A value of an article (re)indexed without it: a url that is not http(s), a date or
    source that is not text. The article is indexed all the same."""

    id: str
    path: str
    field: str
    value: str  # as the source gave it (JSON for a value that is not text)
    reason: str

    def __str__(self) -> str:
        return (f"{self.path}: article {self.id!r}: the {self.field} {self.value!r} "
                f"{self.reason}; it was not kept")

    def to_dict(self) -> dict:
        """``{"id", "path", "field", "value", "reason"}``."""
        return {"id": self.id, "path": self.path, "field": self.field, "value": self.value,
                "reason": self.reason}


@dataclass
class IndexReport:
    """What a build did: articles added, updated, removed and left unchanged, passages written,
    the time it took, the files or records that could not be read (``errors``), and, among the
    articles it (re)indexed, those with no date (``undated``) or a date that cannot be read
    (``unreadable_dates``), and the values they were indexed without (``dropped_values``)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    retagged: int = 0  # older articles tagged again with names this build taught
    passages: int = 0
    seconds: float = 0.0
    errors: list[ReadError] = field(default_factory=list)
    undated: int = 0
    unreadable_dates: list[UnreadableDate] = field(default_factory=list)
    dropped_values: list[DroppedValue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No file or record failed to read (an unreadable date is indexed, so it is no
        failure)."""
        return not self.errors

    def summary(self) -> str:
        """One line for people: counts, time, and what failed."""
        articles = self.added + self.updated
        text = (f"indexed {articles} article{'s' if articles != 1 else ''} "
                f"({self.passages} passages) in {self.seconds:.1f} s: {self.added} new, "
                f"{self.updated} changed, {self.unchanged} unchanged, {self.removed} removed")
        if self.retagged:
            text += f"; {self.retagged} tagged again with names learned from the new ones"
        if self.unreadable_dates:
            count = len(self.unreadable_dates)
            text += f"; {count} with a date that cannot be read (left out by date filters)"
        if self.dropped_values:
            count = len(self.dropped_values)
            text += f"; {count} value{'s' if count != 1 else ''} not kept (see the warnings)"
        if self.errors:
            text += f"; {len(self.errors)} failed (see above)"
        return text

    def to_dict(self) -> dict:
        """The JSON of ``archive index --json``."""
        return {
            "added": self.added, "updated": self.updated, "removed": self.removed,
            "unchanged": self.unchanged, "retagged": self.retagged, "passages": self.passages,
            "seconds": round(self.seconds, 3), "errors": [str(e) for e in self.errors],
            "undated": self.undated,
            "unreadable_dates": [d.to_dict() for d in self.unreadable_dates],
            "dropped_values": [d.to_dict() for d in self.dropped_values],
        }

    def count_skipped(self, replaced: Iterable[str], skipped: list[tuple[str, ReadError]]) -> None:
        """Articles the second pass left out (``replaced``: the ids the build deletes before
        writing): reported; a new one is not added, a changed one's old version went with the
        deletions (its file no longer holds it), so it counts as removed."""
        deleted = set(replaced)
        for doc_id, error in skipped:
            self.errors.append(error)
            if doc_id in deleted:
                self.updated -= 1
                self.removed += 1
            else:
                self.added -= 1


# -- parallel builds ---------------------------------------------------------------------------

PARALLEL_MIN_ARTICLES = 64  # below this, starting processes costs more than it saves


def default_workers() -> int:
    """The processes a build uses unless told: one per core this process may run on (its CPU
    affinity, which a container or ``taskset`` narrows; else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether this platform can fork worker processes (a parallel build needs it)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _index_share(plan: Plan, share: list[Planned], analyzer: Analyzer, tagger, add, tick,
                 sign: bool = False):
    """A worker's share of the planned articles: read, clean, analyse, tag and ``add`` them (to
    the worker's own segment). Returns (passages, discovered entities, articles skipped as
    changed, their copies signatures: ``signed_entry`` of each if ``sign``, else none)."""
    passages = 0
    discovered: dict[str, dict] = {}
    skipped: list[tuple[str, ReadError]] = []
    signed = []
    for result in plan.analysed(analyzer, tagger, share, skipped):
        add(result.fields, result.passages)
        passages += len(result.passages)
        merge_entities(discovered, result.discovered)
        if sign:
            signed.append(signed_entry(result))
        tick()
    return passages, list(discovered.values()), skipped, signed


def signed_entry(result: Analysed) -> tuple[tuple[str, str], tuple[str | None, str | None]]:
    """An analysed article's entry for the copies file, ((doc_id, hash), (source, signature)),
    signed from its passages as ``copies.update`` reads them back from the index: computed
    where the article was analysed (a build's worker) instead of after the commit."""
    fields = result.fields
    text = "\n".join(passage.text for passage in result.passages)
    return (fields["doc_id"], fields["hash"]), (fields["source"], copies.encoded_signature(text))


def _chunks(items: list, count: int) -> list[list]:
    """``count`` contiguous, nearly equal slices, in order."""
    size, extra = divmod(len(items), count)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [items[bounds[i]:bounds[i + 1]] for i in range(count)]


@dataclass(frozen=True)
class Planned:
    """An article the first pass chose: its id, the hash of its content then, and its file."""

    id: str
    hash: str
    origin: str


@dataclass
class Plan:
    """What a build will do, from the first pass: the articles to analyse, in read order, and
    the ids to delete. No article text is kept."""

    paths: list[str]
    todo: list[Planned] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    options: ReadOptions | None = None  # how the files are read (both passes alike)
    given: list[Article] | None = None  # articles given in Python (Archive.add), not read
    kept: KeptStages | None = None  # the learning pass's first stages (a new index)

    def read(self, result: ReadResult) -> Iterator[Article]:
        """The articles of this build, in the same order on every pass."""
        if self.given is not None:
            return iter(self.given)
        return iter_articles(self.paths, result, self.options)

    def articles(self, share: list[Planned] | None = None,
                 skipped: list[tuple[str, ReadError]] | None = None) -> Iterator[tuple[Article, str]]:
        """Second pass: the planned articles of ``share`` (default: all), read again and
        cleaned one at a time, each with its planned hash. An article is taken only with the id
        and content hash planned, once; one that is found changed, or not at all, is added to
        ``skipped`` with the reason."""
        wanted = {p.id: p for p in (self.todo if share is None else share)}
        changed: dict[str, str] = {}  # id -> the file where it was found with other content
        if wanted:
            for raw in self.read(ReadResult()):
                planned = wanted.get(raw.id)
                if planned is None:
                    continue
                if raw.content_hash != planned.hash:
                    changed.setdefault(raw.id, raw.origin)
                    continue
                del wanted[raw.id]
                changed.pop(raw.id, None)
                if len(raw.text) >= LARGE_ARTICLE_CHARS:
                    log.info("a large article: %s (%s, %.1f million characters); about %d s",
                             raw.id, raw.origin, len(raw.text) / 1e6, len(raw.text) * 8 // 10**6)
                yield clean(raw), planned.hash
                if not wanted:
                    break
        for planned in wanted.values():
            what = "changed" if planned.id in changed else "vanished"
            error = ReadError(changed.get(planned.id, planned.origin),
                              f"article {planned.id!r} {what} while this build was reading it; "
                              f"it is left for the next `archive index`")
            if skipped is not None:
                skipped.append((planned.id, error))

    def analysed(self, analyzer: Analyzer, tagger, share: list[Planned] | None = None,
                 skipped: list[tuple[str, ReadError]] | None = None) -> Iterator[Analysed]:
        """The planned articles of ``share`` (``articles``), analysed and tagged."""
        for article, planned_hash in self.articles(share, skipped):
            yield analyse_article(article, analyzer, tagger, planned_hash, self.kept)


def plan_build(paths: list[str], manifest: dict[str, ManifestEntry],
               report: IndexReport, options: ReadOptions | None = None,
               given: list[Article] | None = None) -> Plan:
    """First pass: read and hash every article and compare with the manifest. Counts and
    errors (files, records, duplicate ids: the first article with an id wins, later ones are
    reported, not silently merged) go into ``report``, and so do the articles to (re)index
    that have no readable date. With ``given`` (articles from Python), those are the build's
    articles, and nothing else is removed."""
    read = ReadResult()
    plan = Plan(paths, options=options, given=given)
    origins: dict[str, str] = {}  # id -> the file it was first read from
    for article in plan.read(read):
        first = origins.get(article.id)
        if first is not None:
            read.errors.append(ReadError(article.origin, f"duplicate article id {article.id!r} "
                                                         f"(already read from {first}); skipped"))
            continue
        origins[article.id] = article.origin
        if len(article.text) > MAX_ARTICLE_CHARS:
            read.errors.append(ReadError(article.origin, f"article {article.id!r} has "
                                         f"{len(article.text):,} characters, over the limit of "
                                         f"{MAX_ARTICLE_CHARS:,}; split it into smaller articles"))
            continue
        entry = manifest.get(article.id)
        content_hash = article.content_hash
        if entry is None or entry.hash != content_hash:
            plan.todo.append(Planned(article.id, content_hash, article.origin))
            _check_date(article, report)
            _check_values(article, report)
            report.updated += entry is not None
            report.added += entry is None
            if entry is not None:
                plan.delete.append(article.id)
        else:
            report.unchanged += 1
    report.errors.extend(read.errors)
    if given is not None:
        return plan
    failed_files = {read.real.get(e.path) or real_path(e.path) for e in read.errors}
    read_ok = {read.real[f] for f in read.files} - failed_files
    stale = stale_ids(manifest, origins.keys(), read_ok)
    report.removed = len(stale)
    plan.delete.extend(stale)
    return plan


def _check_date(article: Article, report: IndexReport) -> None:
    """Count an article with no date, list one whose date (given, or written in its text and
    found by cleaning) cannot be read."""
    written = article.date or clean(article).date
    if not written:
        report.undated += 1
    elif iso_day(written) is None:
        report.unreadable_dates.append(UnreadableDate(article.id, article.origin, written))


def _check_values(article: Article, report: IndexReport) -> None:
    """List the values the reader did not keep, and a url given in code that is not http(s)
    (the store keeps only web addresses: see ``analyse_article``)."""
    dropped = list(article.dropped)
    if article.url and web_address(article.url) is None:
        dropped.append(("url", article.url, "is not an http(s) address"))
    report.dropped_values.extend(DroppedValue(article.id, article.origin, name, value, reason)
                                 for name, value, reason in dropped)


def stale_ids(manifest: dict[str, ManifestEntry], current: Container[str],
              read_ok: set[str]) -> list[str]:
    """Indexed articles that are no more: their file is gone, or it was read cleanly this time
    and no longer holds them."""
    return [doc_id for doc_id, entry in manifest.items()
            if doc_id not in current and entry.origin != GIVEN_ORIGIN
            and (entry.origin in read_ok or not Path(entry.origin).exists())]


def build(store: Store, paths: Iterable[str], analyzer: Analyzer, tagger=None,
          progress: Progress | None = None, workers: int | None = None,
          replace: dict | None = None, options: ReadOptions | None = None,
          given: list[Article] | None = None, dask: str | None = None) -> IndexReport:
    """Update the index from ``paths``; with ``replace`` (the new settings), rebuild it: every
    article is analysed again and the commit drops all the index held. ``options``: how to
    read the files (a CSV column map). ``given``: articles to index instead of reading
    ``paths`` (nothing else is removed). ``dask``: the address of a Dask scheduler (or
    ``local:N``) whose workers analyse and tag (archive/dask_build.py). The caller holds the
    store's write lock."""
    started = time.perf_counter()
    report = IndexReport()
    store.discard_debris()  # what interrupted builds left, even if this one has nothing to do
    phases = _Phases(progress)
    phases.enter("reading")
    manifest = {} if replace is not None else store.manifest()
    plan = plan_build([str(p) for p in paths], manifest, report, options, given)
    pool_size = default_workers() if workers is None else workers
    parallel = pool_size > 1 and len(plan.todo) >= PARALLEL_MIN_ARTICLES and can_fork()
    if dask is not None and plan.todo:
        _build_on_cluster(dask, store, plan, analyzer, tagger, bool(manifest), pool_size, phases,
                          report, replace)
        copies.refresh(store)  # re-published copies among what the index now holds
        report.seconds = time.perf_counter() - started
        return report
    scratch = None
    try:
        if tagger is not None:  # new articles resolve bare surnames through the names known so far
            tagger = tagger.fresh()
            if manifest or not plan.todo:
                tagger.learn(applied_lexicon(store, tagger))
            else:  # a new index or a rebuild: learn its names first, tag every article once
                phases.enter("learning", len(plan.todo))
                scratch = tempfile.mkdtemp(prefix="archive-stages-")
                plan.kept = KeptStages(scratch)
                learner = tagger.fresh()
                tagger.learn(collect_names(plan, learner, pool_size if parallel else 1))
                plan.kept.changed = changed_words(learner, tagger)
        signed: dict = {}  # the new articles' copies signatures, made by the workers
        _analyse_and_write(store, plan, analyzer, tagger, pool_size, parallel, phases, report,
                           replace, options, given, signed)
    finally:
        if plan.kept is not None:
            plan.kept.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    copies.refresh(store, signed)  # re-published copies among what the index now holds
    report.seconds = time.perf_counter() - started
    return report


def _build_on_cluster(address: str, store: Store, plan: Plan, analyzer: Analyzer, tagger,
                      incremental: bool, pool_size: int, phases: _Phases, report: IndexReport,
                      replace: dict | None) -> None:
    """The build's analysis and tagging on the Dask cluster at ``address`` (a new index learns
    its names there first), then the re-tagging pass here, on ``pool_size`` processes."""
    from archive.dask_build import build_on_dask

    if tagger is not None:
        tagger = tagger.fresh()
        if incremental:
            tagger.learn(applied_lexicon(store, tagger))
    tagger = build_on_dask(address, store, plan, analyzer, tagger, not incremental, phases, report,
                           replace)
    if tagger is not None:
        retag_taught(store, Plan(plan.paths, options=plan.options, given=plan.given), analyzer,
                     tagger, report, pool_size)


def _analyse_and_write(store: Store, plan: Plan, analyzer: Analyzer, tagger, pool_size: int,
                       parallel: bool, phases: _Phases, report: IndexReport, replace: dict | None,
                       options: ReadOptions | None, given: list[Article] | None,
                       signed: dict | None = None) -> None:
    """The build after its plan (and learning pass): analyse, tag and write the planned
    articles in one commit, then tag again the indexed articles the new names concern.
    ``signed``: filled with the planned articles' copies signatures (``signed_entry``)."""
    if plan.todo:
        phases.enter("analysing", len(plan.todo))
    if parallel:
        _build_parallel(store, plan, analyzer, tagger, pool_size, phases.tick, report, replace,
                        phases.committing, signed=signed)
    elif plan.todo or plan.delete or replace is not None:
        _build_serial(store, plan, analyzer, tagger, phases.tick, report, replace,
                      before_commit=phases.committing, signed=signed)
    if tagger is not None and (plan.todo or replace is not None):
        # the articles tagged again keep the model's reading their learning pass made
        readings = plan.kept.models_only() if plan.kept is not None else None
        try:
            retag_taught(store, Plan(plan.paths, options=options, given=given, kept=readings),
                         analyzer, tagger, report, pool_size)
        finally:
            if readings is not None:
                readings.close()


# -- what the archive teaches ------------------------------------------------------------------

def applied_lexicon(store: Store, tagger, applied_only: bool = True) -> Lexicon:
    """The names the index's articles were tagged with: its established discovered people
    (marked ``applied`` once every article was re-tagged with them; all of them if not
    ``applied_only``)."""
    records = [e for e in store.discovered_entities()
               if not applied_only or e.get("attributes", {}).get("applied")]
    return Lexicon.from_entities(records, tagger)


def collect_names(plan: Plan, tagger, workers: int = 1) -> Lexicon:
    """The names a new index's articles establish (what its re-tagging pass would learn from
    them after a first commit): read and tagged before the build, so that the build tags every
    article with all of them and has (almost) nothing to tag again. What the tagging found
    before the collection pass is kept in ``plan.kept`` when it is set, so the build runs only
    that last pass (archive/entities/once.py). ``workers`` > 1: that many forked processes."""
    global _LEARNING
    shares = [share for share in _chunks(plan.todo, workers) if share]
    if len(shares) > 1:
        # forked workers inherit the job (a tagger holds its model, which does not pickle)
        _LEARNING = (plan, tagger, shares)
        try:
            with multiprocessing.get_context("fork").Pool(len(shares), die_with_parent) as pool:
                found = pool.map(_learn_share, range(len(shares)))
        finally:
            _LEARNING = None
    else:
        found = [_established_records(plan, tagger, share, number) for number, share in enumerate(shares)]
    records: dict[str, dict] = {}
    for part in found:
        merge_in_order(records, part)  # in share order, as one process meets them
    return Lexicon.from_entities(records.values(), tagger)


_LEARNING: tuple | None = None  # (plan, tagger, shares) of collect_names, for its workers


def _learn_share(number: int) -> list[dict]:
    """In a forked worker of ``collect_names``: the records of share ``number``."""
    assert _LEARNING is not None
    plan, tagger, shares = _LEARNING
    return _established_records(plan, tagger, shares[number], number)


def _established_records(plan: Plan, tagger, share: list[Planned], number: int = 0) -> list[dict]:
    """The discovered people a share of the planned articles establishes, as entity records
    (what ``analyse_article`` would store for them); each article's first stage is kept in
    ``plan.kept`` (file ``number``) when it is set. The collection pass is left out: it
    establishes no name."""
    tagger = tagger.fresh()
    records: dict[str, dict] = {}
    writer = plan.kept.writer(number) if plan.kept is not None else None
    try:
        for article, planned_hash in plan.articles(share):
            stage = first_stage(tagger, article.text)
            if writer is not None:
                writer.keep(article.id, planned_hash, stage)
            records.update(established_records(tagger, stage.mentions))
    finally:
        if writer is not None:
            writer.close()
    return list(records.values())


def retag_taught(store: Store, inputs: Plan, analyzer: Analyzer, tagger, report: IndexReport,
                 workers: int = 1) -> None:
    """After a build's commit: the words whose person the build's new names changed (a new
    surname, or one now shared by two people) are looked for in every indexed article this
    build can read again (``inputs``: its files, or the articles it was given), old or new; the
    articles that contain one are tagged again with the whole archive's names and replace their
    earlier version in a second commit. That commit marks the names applied only if every
    indexed article was read: otherwise (an interrupted commit, articles added from Python or
    from other folders) they stay pending, and a later build that reads them does it again."""
    records = store.discovered_entities()
    pending = [e for e in records if e.get("attributes", {}).get("established")
               and not e["attributes"].get("applied")]
    if not pending:
        return
    retagger = tagger.fresh()
    retagger.learn(applied_lexicon(store, tagger, applied_only=False))
    changed = tagger.learned.changed(retagger.learned)
    indexed, seen = store.manifest(), set()
    for article in inputs.read(ReadResult()):
        if article.id in seen or article.id not in indexed:
            continue
        seen.add(article.id)
        if changed and retagger.mentions_any(article.text, changed):
            inputs.todo.append(Planned(article.id, article.content_hash, article.origin))
            inputs.delete.append(article.id)
    complete = seen >= indexed.keys()
    if not inputs.todo and not complete:
        return
    applied = [{**e, "attributes": {**e["attributes"], "applied": True}} for e in pending]
    if workers > 1 and len(inputs.todo) >= PARALLEL_MIN_ARTICLES and can_fork():
        # often most of the archive (a surname learned late is in many earlier articles)
        _build_parallel(store, inputs, analyzer, retagger, workers, None, IndexReport(), None,
                        applied=applied if complete else None)
    else:
        _build_serial(store, inputs, analyzer, retagger, None, IndexReport(), None,
                      applied=applied if complete else None)
    report.retagged = len(inputs.todo)


class _Phases:
    """Tells a progress callback that has a ``phase`` method each phase once, as it begins,
    and forwards the (done, total) calls, each done count once (workers report in batches)."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.on_phase = getattr(progress, "phase", None)
        self.current: str | None = None
        self.total = 0
        self.done = -1

    def enter(self, name: str, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        if name != self.current:
            self.current = name
            if self.on_phase is not None:
                self.on_phase(name, self.total)

    def tick(self, done: int, total: int) -> None:
        if done == self.done:
            return
        self.done = done
        if self.progress is not None:
            self.progress(done, total)
        if done >= total:
            self.enter("writing", total)

    def committing(self) -> None:
        self.enter("committing")


def _build_serial(store, plan: Plan, analyzer, tagger, progress, report, replace,
                  applied: list[dict] | None = None,
                  before_commit: Callable[[], None] = lambda: None,
                  signed: dict | None = None) -> None:
    """``applied``: the re-tagging pass's, which records these entities and marks every
    established one it finds applied. ``before_commit`` is called right before the commit.
    ``signed``: filled with each article's ``signed_entry``."""
    discovered: dict[str, dict] = {e["id"]: e for e in applied or ()}
    skipped: list[tuple[str, ReadError]] = []

    def analysed() -> Iterator[tuple[dict, list[PassageDoc]]]:
        for done, result in enumerate(plan.analysed(analyzer, tagger, skipped=skipped), start=1):
            report.passages += len(result.passages)
            merge_entities(discovered, result.discovered)
            if signed is not None:
                key, entry = signed_entry(result)
                signed[key] = entry
            yield result.fields, result.passages
            if progress:
                progress(done, len(plan.todo))

    def entities() -> list[dict]:  # asked for right before the commit
        before_commit()
        return _marked_applied(applied, discovered)

    store.write(analysed(), delete=plan.delete, entities=entities, replace=replace)
    report.count_skipped(plan.delete, skipped)


def _marked_applied(applied: list[dict] | None, discovered: dict[str, dict]) -> list[dict]:
    """The entity records a commit writes: as found, or (the re-tagging pass, ``applied``
    given) every established one marked applied."""
    if applied is None:
        return list(discovered.values())
    return [{**e, "attributes": {**e["attributes"], "applied": True}}
            if e.get("attributes", {}).get("established") else e for e in discovered.values()]


def _build_parallel(store, plan: Plan, analyzer, tagger, workers, progress, report,
                    replace, before_commit: Callable[[], None] = lambda: None,
                    applied: list[dict] | None = None, signed: dict | None = None) -> None:
    """Segment per worker: each forked process reads, analyses, tags and writes a contiguous
    share of the planned articles into a segment of its own; the commit takes them all at
    once. ``applied``, ``signed``: as in ``_build_serial``."""
    if signed is not None:
        copies.load_library()  # before the fork: the workers sign with it
    jobs = [partial(_index_share, plan, share, analyzer, tagger, sign=signed is not None)
            for share in _chunks(plan.todo, workers) if share]
    summaries: list = []

    def entities() -> list[dict]:  # asked for right before the commit
        before_commit()
        found: dict[str, dict] = {}
        for _, share_found, _, _ in summaries:  # in share order, as one process meets them
            merge_in_order(found, share_found)
        merged: dict[str, dict] = {e["id"]: e for e in applied or ()}
        merge_entities(merged, found.values())
        return _marked_applied(applied, merged)

    def on_progress(done: int) -> None:
        if progress:
            progress(done, len(plan.todo))

    summaries[:] = store.write_parallel(jobs, delete=plan.delete, entities=entities,
                                        summaries=summaries, progress=on_progress,
                                        replace=replace)
    report.passages += sum(passages for passages, _, _, _ in summaries)
    report.count_skipped(plan.delete, [item for _, _, skipped, _ in summaries for item in skipped])
    if signed is not None:
        for *_, entries in summaries:
            signed.update(entries)
