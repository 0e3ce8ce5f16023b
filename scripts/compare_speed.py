#!/usr/bin/env python3
"""Query time of this checkout against another version of archive on a benchmark's questions,
measured fairly on a shared machine: paired and interleaved.

    nice -n 10 python scripts/compare_speed.py --against /path/to/other/checkout \\
        ../shared/eval/external/arcd [--queries 300] [--rounds 3] [--limit 100]

Each version builds its own index of the benchmark's ``docs/`` (``archive index``), then the
versions take turns, ``--rounds`` times each, running the same sample of questions in a process
of their own (``Archive.search(query, limit, facets=0)``, one untimed warm-up). A question's time
is its fastest round (load from other processes only ever adds time); the report is the median
and 90th percentile over questions for each version, and the median of the per-question ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

TIMER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from archive import Archive
queries = json.load(open(sys.argv[3], encoding="utf-8"))
limit = int(sys.argv[4])
with Archive.open(sys.argv[2]) as archive:
    archive.search(queries[0], limit=limit, facets=0)
    times = []
    for query in queries:
        started = time.perf_counter()
        archive.search(query, limit=limit, facets=0)
        times.append((time.perf_counter() - started) * 1000)
print(json.dumps(times))
"""


def build(checkout: Path, docs: Path, index: Path) -> None:
    subprocess.run([sys.executable, "-m", "archive", "index", str(docs), "--index", str(index)],
                   check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(checkout)}, cwd=checkout)


def timed(checkout: Path, index: Path, queries_file: Path, limit: int) -> list[float]:
    run = subprocess.run([sys.executable, "-c", TIMER, str(checkout), str(index), str(queries_file),
                          str(limit)], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(checkout)}, cwd=checkout)
    return json.loads(run.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("benchmark", type=Path)
    parser.add_argument("--against", type=Path, required=True, help="the other checkout")
    parser.add_argument("--queries", type=int, default=300, help="questions sampled (seed 0)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args(argv)
    args.benchmark = args.benchmark.resolve()  # each version's build runs in its own checkout
    judged = [json.loads(line) for line in
              (args.benchmark / "judgements.jsonl").read_text("utf-8").splitlines() if line.strip()]
    queries = [j["query"] for j in judged]
    random.Random(0).shuffle(queries)
    queries = queries[:args.queries]
    versions = {"this": HERE.parent, "other": args.against.resolve()}
    best: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        queries_file = Path(tmp) / "queries.json"
        queries_file.write_text(json.dumps(queries, ensure_ascii=False), "utf-8")
        for name, checkout in versions.items():
            build(checkout, args.benchmark / "docs", Path(tmp) / name)
        for _ in range(args.rounds):
            for name, checkout in versions.items():
                times = timed(checkout, Path(tmp) / name, queries_file, args.limit)
                best[name] = [min(a, b) for a, b in zip(best[name], times)] if name in best else times
    for name, times in best.items():
        ordered = sorted(times)
        print(f"{name:<6} median {statistics.median(ordered):7.1f} ms   p90 "
              f"{ordered[int(0.9 * (len(ordered) - 1))]:7.1f} ms   ({versions[name]})")
    ratios = [a / b for a, b in zip(best["this"], best["other"]) if b > 0]
    print(f"median per-question ratio this/other: {statistics.median(ratios):.3f} "
          f"({len(queries)} questions, fastest of {args.rounds} rounds, limit {args.limit})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
