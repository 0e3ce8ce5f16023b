"""Searches that run through rebuilds: N searcher processes query one index while `archive index
--rebuild` replaces it R times; every search must answer, and answer the same.

    python scripts/concurrent_rebuilds.py                   # 4 searchers, 5 rebuilds of corpus/
    python scripts/concurrent_rebuilds.py --searchers 8 --rebuilds 10 --corpus more-news/

Each searcher keeps one Archive open (as a server or an embedding tool does) and loops over a
few queries (words, a phrase, an entity filter, facets), checking that every query returns as
many passages as it did before the first rebuild. A failure is an exception or a different
total. Prints a JSON report; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [("كورسك", {}), ('"كوريا الشمالية"', {}), ("صواريخ", {"place": ["بيونغ يانغ"]}),
           ("روسيا OR أوكرانيا", {}), ("", {"person": ["بوتين"]})]


def _search_all(archive) -> list[int]:
    return [archive.search(q, limit=5, filters=f, facets=5).total for q, f in QUERIES]


def searcher(index: str, expected: list[int], stop, results) -> None:
    from archive import Archive

    searches, failures, examples = 0, 0, []
    with Archive.open(index) as archive:
        while not stop.is_set():
            try:
                totals = _search_all(archive)
                if totals != expected:
                    raise AssertionError(f"totals {totals}, expected {expected}")
            except Exception:  # noqa: BLE001 - every failure is counted and shown
                failures += 1
                if len(examples) < 3:
                    examples.append(traceback.format_exc(limit=4))
            searches += len(QUERIES)
    results.put({"searches": searches, "failures": failures, "examples": examples})


def rebuild(index: str, corpus: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "archive", "index", "--rebuild", "--index", index,
                    corpus], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searchers", type=int, default=4)
    parser.add_argument("--rebuilds", type=int, default=5)
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    args = parser.parse_args()

    from archive import Archive

    with tempfile.TemporaryDirectory() as folder:
        index = str(Path(folder) / "index")
        archive, _ = Archive.rebuild(index, [args.corpus])
        expected = _search_all(archive)
        archive.close()
        context = multiprocessing.get_context("spawn")
        stop, results = context.Event(), context.Queue()
        processes = [context.Process(target=searcher, args=(index, expected, stop, results))
                     for _ in range(args.searchers)]
        for process in processes:
            process.start()
        time.sleep(1.0)  # let every searcher open the index before the first rebuild
        seconds = [rebuild(index, args.corpus) for _ in range(args.rebuilds)]
        stop.set()
        reports = [results.get(timeout=120) for _ in processes]
        for process in processes:
            process.join()
    failures = sum(r["failures"] for r in reports)
    print(json.dumps({
        "searchers": args.searchers, "rebuilds": args.rebuilds,
        "rebuild_seconds": [round(s, 2) for s in seconds],
        "searches": sum(r["searches"] for r in reports), "failures": failures,
        "examples": [e for r in reports for e in r["examples"]][:3],
    }, ensure_ascii=False, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
