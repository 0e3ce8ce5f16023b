#!/usr/bin/env python3
"""Relevance of `archive search` on judged queries: per-query and mean nDCG@10 and Recall@10.

    python scripts/evaluate.py [--judgements ../shared/eval/relevance.jsonl] [--corpus corpus]
                               [--stemmer light] [--json]

Builds a fresh index of the corpus in a temporary folder (so the numbers never depend on a
stale index), runs every judged query through the Python API and scores the top 10 passages.

A judged item is (article id, quoted text). A passage covers an item when it comes from that
article and contains the quote (both normalized: tashkeel, tatweel, hamza forms, ة/ه, ى/ي,
whitespace). Gains are binary per passage (covers at least one item); the ideal ranking puts
every passage of the index that covers an item first. Recall@10 is the share of items covered
by the top 10.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archive import Archive  # noqa: E402
from archive.arabic import normalize  # noqa: E402

DEFAULT_JUDGEMENTS = HERE.parent.parent / "shared" / "eval" / "relevance.jsonl"
K = 10


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", normalize(text)).strip()


def covered(items, doc_id: str, text: str) -> set[int]:
    folded = fold(text)
    return {i for i, (item_doc, quote) in enumerate(items) if item_doc == doc_id and fold(quote) in folded}


def all_passages(archive: Archive):
    reader = archive.store.reader()
    return [(p["doc_id"], p["text"]) for doc_id in sorted(archive.store.manifest())
            for p in reader.passages_of(doc_id)]


def evaluate(archive: Archive, judgements: list[dict]) -> list[dict]:
    passages = all_passages(archive)
    rows = []
    for judged in judgements:
        items = [tuple(item) for item in judged["relevant"]]
        hits = archive.search(judged["query"], limit=K).hits
        gains = [1.0 if covered(items, h.doc_id, h.text) else 0.0 for h in hits]
        found = set().union(*(covered(items, h.doc_id, h.text) for h in hits)) if hits else set()
        ideal = sum(1 for doc_id, text in passages if covered(items, doc_id, text))
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        idcg = sum(1 / math.log2(i + 2) for i in range(min(ideal, K)))
        rows.append({
            "id": judged["id"], "query": judged["query"],
            "ndcg": dcg / idcg if idcg else 0.0,
            "recall": len(found) / len(items) if items else 0.0,
            "missed": [items[i][1] for i in range(len(items)) if i not in found],
        })
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judgements", type=Path, default=DEFAULT_JUDGEMENTS)
    parser.add_argument("--corpus", type=Path, default=HERE.parent / "corpus")
    parser.add_argument("--stemmer", default="light")
    parser.add_argument("--engine", default="whoosh", help="whoosh or tantivy")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    judgements = [json.loads(line) for line in args.judgements.read_text("utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        with Archive.open(Path(tmp) / "index", create=True, stemmer=args.stemmer,
                          engine=args.engine) as archive:
            archive.index([args.corpus])
            rows = evaluate(archive, judgements)
    mean_ndcg = sum(r["ndcg"] for r in rows) / len(rows)
    mean_recall = sum(r["recall"] for r in rows) / len(rows)
    if args.json:
        print(json.dumps({"stemmer": args.stemmer, "ndcg@10": mean_ndcg, "recall@10": mean_recall,
                          "queries": rows}, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        print(f"{r['id']:>4}  nDCG@10 {r['ndcg']:.3f}  Recall@10 {r['recall']:.3f}  {r['query']}")
        for quote in r["missed"]:
            print(f"        missed: {quote}")
    print(f"mean  nDCG@10 {mean_ndcg:.3f}  Recall@10 {mean_recall:.3f}  "
          f"({len(rows)} queries, stemmer={args.stemmer}, engine={args.engine})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
