#!/usr/bin/env python3
"""Measure the stemmer candidates on the judged queries: one table of mean nDCG@10 and
Recall@10 per stemmer, each over a fresh index of the corpus.

    pip install '.[eval]'   # PyStemmer (Snowball), Tashaphyne, NLTK (ISRI)
    python scripts/compare_stemmers.py [--judgements PATH] [--corpus DIR]

Every candidate gets the same normalization and the same clitic resolution for the exact field;
only the stem field differs: ``light`` is ours (suffixes and broken plurals after clitic
resolution), the others receive the whole normalized word and strip prefixes their own way.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archive.stemmers import STEMMERS  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judgements", type=Path)
    parser.add_argument("--corpus", type=Path)
    args = parser.parse_args(argv)
    extra = []
    if args.judgements:
        extra += ["--judgements", str(args.judgements)]
    if args.corpus:
        extra += ["--corpus", str(args.corpus)]
    print(f"{'stemmer':<12} {'nDCG@10':>8} {'Recall@10':>10}")
    for name in STEMMERS:
        # A process each: every stemmer gets its own analyzer and caches.
        run = subprocess.run([sys.executable, str(HERE / "evaluate.py"), "--stemmer", name,
                              "--json", *extra], capture_output=True, text=True)
        if run.returncode != 0:
            reason = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "failed"
            print(f"{name:<12} {'-':>8} {'-':>10}  ({reason})")
            continue
        seed = json.loads(run.stdout)[0]  # evaluate.py's seed run comes first
        print(f"{name:<12} {seed['passage_ndcg@10']:>8.3f} {seed['passage_recall@10']:>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
