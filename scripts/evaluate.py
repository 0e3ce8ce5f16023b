#!/usr/bin/env python3
"""Relevance of the archive's search on judged queries: MRR@10, nDCG@10, Recall@10 and
Recall@100, strict and doc level, per engine, with the time each query takes.

    python scripts/evaluate.py [BENCHMARK ...] [--engine whoosh] [--no-seed]
                               [--judgements ../shared/eval/relevance.jsonl] [--corpus corpus]
                               [--stemmer light] [--ranks FILE] [--json]

    nice -n 10 python scripts/evaluate.py ../shared/eval/external/arcd

Two kinds of judged sets:

* The seed judgements (``--judgements``, default ``../shared/eval/relevance.jsonl``, skipped with
  ``--no-seed``) over ``--corpus``: a fresh index is built in a temporary folder through the API,
  every query is searched, and the top 10 scored as before (per-passage binary nDCG@10 and
  Recall@10; the regression bar is nDCG@10 ≥ 0.95), plus the item metrics below.
* A benchmark folder (ARCD's shape): ``docs/`` (one document per file), ``judgements.jsonl``
  (strict: ``{"id", "query", "relevant": [[doc_id, answer], ...]}``, a passage is relevant when it
  is from the doc and holds the answer) and ``judgements_doc.jsonl`` (doc level: any passage of
  the doc). The index is built as a user builds one, ``archive index DOCS --index DIR`` (a
  subprocess; for another engine the empty index is created with ``Archive.open(DIR,
  create=True, engine=...)`` first), and each query searched with ``Archive.search(query,
  limit=100, facets=0)``.

Item metrics: each judged (doc, text) pair is an item; a returned passage covers the items it is
relevant to, and a passage covering k new items takes k ranks (an item found again later counts
nothing). MRR@10 is 1/rank of the first relevant rank within 10; nDCG@10 uses binary gains
against all items ranked first; Recall@k is the share of items found within k ranks. Texts are
compared folded the way the judgements' README says (tashkeel, tatweel removed, أ إ آ ٱ → ا,
ة → ه, ى → ي, Arabic-Indic digits → ASCII, whitespace folded, lower case), independently of the
archive's own normalization.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archive import Archive  # noqa: E402



def _shared_eval() -> Path:
    """``shared/eval`` beside the repository (or beside a folder holding it, e.g. worktrees)."""
    for folder in HERE.parents:
        if (folder / "shared" / "eval").is_dir():
            return folder / "shared" / "eval"
    return HERE.parent.parent / "shared" / "eval"


DEFAULT_JUDGEMENTS = _shared_eval() / "relevance.jsonl"
K = 10
DEPTH = 100  # results asked for per query on a benchmark
ENGINES = ("whoosh", "tantivy")
# needs a cluster (scripts/opensearch start; ARCHIVE_OPENSEARCH_URL=http://127.0.0.1:9200): only
# when asked for by name, never in "all"
CLUSTER_ENGINES = ("opensearch",)

_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FOLD_TABLE = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي",
                             **{chr(0x0660 + d): str(d) for d in range(10)},
                             **{chr(0x06F0 + d): str(d) for d in range(10)}})


def fold(text: str) -> str:
    """The judgements' comparison form (their README's rule, not the archive's analyzer)."""
    return re.sub(r"\s+", " ", _MARKS.sub("", text).translate(_FOLD_TABLE)).strip().lower()


Item = tuple[str, str]  # (doc id, folded text; "" for any passage of the doc)


def covered(items: Sequence[Item], doc_id: str, folded_text: str) -> set[int]:
    return {i for i, (item_doc, quote) in enumerate(items)
            if item_doc == doc_id and quote in folded_text}


@dataclass
class Scores:
    mrr: float
    ndcg: float
    recall10: float
    recall100: float
    first: int | None  # the first relevant rank (1-based), None if not in the list


def item_scores(items: Sequence[Item], hits: Iterable[tuple[str, str]]) -> Scores:
    """Item metrics of one ranked list of (doc id, folded passage text)."""
    gains: list[int] = []  # one entry per rank: 1 relevant, 0 not
    found: set[int] = set()
    for doc_id, text in hits:
        new = covered(items, doc_id, text) - found
        found |= new
        gains.extend([1] * len(new) if new else [0])
    first = next((r + 1 for r, g in enumerate(gains) if g), None)
    dcg = sum(g / math.log2(r + 2) for r, g in enumerate(gains[:K]))
    idcg = sum(1 / math.log2(r + 2) for r in range(min(len(items), K)))
    n = len(items) or 1
    return Scores(mrr=1 / first if first and first <= K else 0.0,
                  ndcg=dcg / idcg if idcg else 0.0,
                  recall10=sum(gains[:K]) / n, recall100=sum(gains[:DEPTH]) / n, first=first)


def mean_scores(rows: list[Scores]) -> dict[str, float]:
    if not rows:
        return {}
    return {name: sum(getattr(r, name) for r in rows) / len(rows)
            for name in ("mrr", "ndcg", "recall10", "recall100")}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def items_of(judged: dict) -> list[Item]:
    return [(doc_id, fold(text)) for doc_id, text in judged["relevant"]]


# -- building ----------------------------------------------------------------------------------

def engine_supported(engine: str) -> bool:
    return engine == "whoosh" or "engine" in inspect.signature(Archive.open).parameters


def open_new(path: Path, engine: str, stemmer: str) -> Archive:
    if engine == "whoosh" and "engine" not in inspect.signature(Archive.open).parameters:
        return Archive.open(path, create=True, stemmer=stemmer)
    return Archive.open(path, create=True, stemmer=stemmer, engine=engine)  # type: ignore[call-arg]


def build_with_cli(docs: Path, index: Path, engine: str, stemmer: str) -> float:
    """``archive index DOCS --index DIR`` in a subprocess; seconds it took."""
    if engine != "whoosh" or stemmer != "light":
        open_new(index, engine, stemmer).close()  # the CLI then adds to this empty index
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "archive", "index", str(docs), "--index", str(index)],
                   check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    return time.perf_counter() - started


# -- running -----------------------------------------------------------------------------------

@dataclass
class Run:
    name: str
    engine: str
    levels: dict[str, dict[str, float]] = field(default_factory=dict)  # level → means
    times_ms: list[float] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def timing(self) -> dict[str, float]:
        if not self.times_ms:
            return {}
        ordered = sorted(self.times_ms)
        return {"median_ms": statistics.median(ordered),
                "p90_ms": ordered[int(0.9 * (len(ordered) - 1))], "queries": len(ordered)}


def search_all(archive: Archive, queries: list[str], limit: int) -> tuple[list[list], list[float]]:
    archive.search(queries[0], limit=limit, facets=0)  # warm-up: loads caches, not timed
    ranked, times = [], []
    for query in queries:
        started = time.perf_counter()
        results = archive.search(query, limit=limit, facets=0)
        times.append((time.perf_counter() - started) * 1000)
        ranked.append([(h.doc_id, fold(h.text), h.text) for h in results.hits])
    return ranked, times


def run_benchmark(folder: Path, engine: str, stemmer: str, ranks_out) -> Run:
    strict = read_jsonl(folder / "judgements.jsonl")
    doc_level = {j["id"]: j for j in read_jsonl(folder / "judgements_doc.jsonl")}
    run = Run(folder.name, engine)
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        run.extra["build_s"] = build_with_cli(folder / "docs", index, engine, stemmer)
        with Archive.open(index) as archive:
            ranked, run.times_ms = search_all(archive, [j["query"] for j in strict], DEPTH)
    rows: dict[str, list[Scores]] = {"strict": [], "doc": []}
    for judged, hits, ms in zip(strict, ranked, run.times_ms):
        pairs = [(doc_id, folded) for doc_id, folded, _ in hits]
        s = item_scores(items_of(judged), pairs)
        d = item_scores(items_of(doc_level.get(judged["id"], judged)), pairs)
        rows["strict"].append(s)
        rows["doc"].append(d)
        if ranks_out is not None:
            ranks_out.write(json.dumps({
                "benchmark": folder.name, "engine": engine, "id": judged["id"],
                "query": judged["query"], "strict": s.first, "doc": d.first, "ms": round(ms, 2),
                "gold": judged["relevant"][0][0] if judged["relevant"] else None,
                "top": [doc_id for doc_id, _, _ in hits[:10]]}, ensure_ascii=False) + "\n")
    run.levels = {level: mean_scores(r) for level, r in rows.items()}
    return run


def seed_passage_scores(archive: Archive, judgements: list[dict]) -> list[dict]:
    """Today's seed metric: per-passage binary gains, ideal = every indexed passage covering an
    item, top 10."""
    reader = archive.store.reader()  # any engine: every indexed passage, article by article
    passages = [(p["doc_id"], fold(p["text"])) for doc_id in sorted(archive.store.manifest())
                for p in reader.passages_of(doc_id)]
    rows = []
    for judged in judgements:
        items = items_of(judged)
        hits = [(h.doc_id, fold(h.text)) for h in archive.search(judged["query"], limit=K).hits]
        gains = [1.0 if covered(items, d, t) else 0.0 for d, t in hits]
        found = set().union(*(covered(items, d, t) for d, t in hits)) if hits else set()
        ideal = sum(1 for d, t in passages if covered(items, d, t))
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        idcg = sum(1 / math.log2(i + 2) for i in range(min(ideal, K)))
        rows.append({"id": judged["id"], "query": judged["query"],
                     "ndcg": dcg / idcg if idcg else 0.0,
                     "recall": len(found) / len(items) if items else 0.0,
                     "missed": [judged["relevant"][i][1] for i in range(len(items)) if i not in found]})
    return rows


def run_seed(judgements_path: Path, corpus: Path, engine: str, stemmer: str) -> Run:
    judgements = read_jsonl(judgements_path)
    run = Run("seed", engine)
    with tempfile.TemporaryDirectory() as tmp:
        with open_new(Path(tmp) / "index", engine, stemmer) as archive:
            archive.index([corpus])
            per_query = seed_passage_scores(archive, judgements)
            ranked, run.times_ms = search_all(archive, [j["query"] for j in judgements], DEPTH)
    items = [item_scores(items_of(j), [(d, t) for d, t, _ in hits])
             for j, hits in zip(judgements, ranked)]
    run.levels = {"strict": mean_scores(items)}
    run.extra = {"passage_ndcg@10": sum(r["ndcg"] for r in per_query) / len(per_query),
                 "passage_recall@10": sum(r["recall"] for r in per_query) / len(per_query),
                 "queries": per_query}
    return run


# -- printing ----------------------------------------------------------------------------------

def print_run(run: Run, verbose: bool) -> None:
    timing = run.timing()
    print(f"\n{run.name} · engine {run.engine} · {timing.get('queries', 0)} queries · "
          f"median {timing.get('median_ms', 0):.1f} ms, p90 {timing.get('p90_ms', 0):.1f} ms"
          + (f" · build {run.extra['build_s']:.1f} s" if "build_s" in run.extra else ""))
    print(f"  {'level':<7} {'MRR@10':>7} {'nDCG@10':>8} {'R@10':>6} {'R@100':>6}")
    for level, means in run.levels.items():
        print(f"  {level:<7} {means['mrr']:>7.3f} {means['ndcg']:>8.3f} "
              f"{means['recall10']:>6.3f} {means['recall100']:>6.3f}")
    if run.name == "seed":
        if verbose:
            for r in run.extra["queries"]:
                print(f"  {r['id']:>4}  nDCG@10 {r['ndcg']:.3f}  Recall@10 {r['recall']:.3f}  {r['query']}")
                for quote in r["missed"]:
                    print(f"          missed: {quote}")
        print(f"  passage nDCG@10 {run.extra['passage_ndcg@10']:.3f}  "
              f"Recall@10 {run.extra['passage_recall@10']:.3f} (today's seed metric; bar 0.95)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("benchmarks", nargs="*", type=Path,
                        help="benchmark folders (docs/, judgements.jsonl, judgements_doc.jsonl)")
    parser.add_argument("--engine", action="append", choices=ENGINES + CLUSTER_ENGINES + ("all",),
                        help="engine to measure (repeatable; 'all': every engine this version "
                             "has; default whoosh)")
    parser.add_argument("--judgements", type=Path, default=DEFAULT_JUDGEMENTS,
                        help="seed judgements over --corpus")
    parser.add_argument("--corpus", type=Path, default=HERE.parent / "corpus")
    parser.add_argument("--no-seed", action="store_true", help="skip the seed judgements")
    parser.add_argument("--stemmer", default="light")
    parser.add_argument("--ranks", type=argparse.FileType("w", encoding="utf-8"),
                        help="write each benchmark query's first relevant ranks (JSON Lines)")
    parser.add_argument("--verbose", "-v", action="store_true", help="per-query seed lines")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    wanted = args.engine or ["whoosh"]
    engines = [e for e in ENGINES if ("all" in wanted and engine_supported(e)) or e in wanted]
    engines += [e for e in CLUSTER_ENGINES if e in wanted]
    for engine in engines:
        if not engine_supported(engine):
            parser.error(f"engine {engine!r} is not available in this version of archive")
    runs: list[Run] = []
    for engine in engines:
        if not args.no_seed:
            runs.append(run_seed(args.judgements, args.corpus, engine, args.stemmer))
            if not args.json:
                print_run(runs[-1], args.verbose)
        for folder in args.benchmarks:
            runs.append(run_benchmark(folder, engine, args.stemmer, args.ranks))
            if not args.json:
                print_run(runs[-1], args.verbose)
    if args.json:
        print(json.dumps([{"benchmark": r.name, "engine": r.engine, **r.levels, **r.timing(),
                           **{k: v for k, v in r.extra.items() if k != "queries"}} for r in runs],
                         ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
