#!/usr/bin/env python3
"""Entity accuracy of the tagger: per-type precision, recall and F1 of the set of entities each
article gets, against gold entities (default ../shared/eval/entities.jsonl).

    python scripts/evaluate_entities.py [--gold PATH] [--corpus DIR] [--json]

A predicted entity matches a gold one of the same type when one of its names, aliases or the
spellings it was found under in that article equals one of the gold names after normalization
(tashkeel, hamza forms, ة/ه, ى/ي, the article ال); each gold entity matches at most one
prediction. Also printed: the distinct facet values the corpus yields, and every prediction that
matches nothing in gold (the precision errors), so they can be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archive.cleaning import clean  # noqa: E402
from archive.entities.catalogue import TYPES, Catalogue, catalogue_rows  # noqa: E402
from archive.entities.keys import exact_key, name_tokens  # noqa: E402
from archive.entities.tagger import Tagger  # noqa: E402
from archive.intake import read_paths  # noqa: E402

DEFAULT_GOLD = HERE.parent.parent / "shared" / "eval" / "entities.jsonl"


def key(name: str) -> str:
    return exact_key(name_tokens(name))


def predicted_entities(tagger: Tagger, article) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for mention in tagger.tag_article(article):
        entity = tagger.entity(mention.entity_id)
        record = found.setdefault(mention.entity_id, {
            "id": mention.entity_id, "type": mention.type, "name": mention.name,
            "keys": {key(n) for n in entity.names}, "seen": set(), "rules": set()})
        record["keys"].add(key(mention.text))
        record["seen"].add(mention.text)
        record["rules"].add(mention.rule)
    return found


def score(gold_docs: dict, predictions: dict) -> tuple[dict, list, list]:
    counts = {t: {"tp": 0, "pred": 0, "gold": 0} for t in TYPES}
    errors, misses = [], []
    for doc_id, gold in gold_docs.items():
        predicted = list(predictions.get(doc_id, {}).values())
        used: set[int] = set()
        for g in gold:
            counts[g["type"]]["gold"] += 1
            gold_keys = {key(n) for n in g["names"]}
            match = next((i for i, p in enumerate(predicted) if i not in used
                          and p["type"] == g["type"] and p["keys"] & gold_keys), None)
            if match is None:
                misses.append((doc_id, g["type"], g["label"], " / ".join(g["names"])))
            else:
                used.add(match)
                counts[g["type"]]["tp"] += 1
        for i, p in enumerate(predicted):
            counts[p["type"]]["pred"] += 1
            if i not in used:
                errors.append((doc_id, p["type"], p["id"], p["name"], " / ".join(sorted(p["seen"])),
                               ",".join(sorted(p["rules"]))))
    return counts, errors, misses


def prf(c: dict) -> tuple[float, float, float]:
    p = c["tp"] / c["pred"] if c["pred"] else 0.0
    r = c["tp"] / c["gold"] if c["gold"] else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--corpus", type=Path, default=HERE.parent / "corpus")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--exclude", default="", metavar="ID,ID",
                        help="catalogue entries to leave out, to see what the context rules and "
                             "variant keys find without them (a stand-in for unseen names)")
    args = parser.parse_args(argv)
    gold_docs = {}
    for line in args.gold.read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            gold_docs[record["doc"]] = record["entities"]
    excluded = {i for i in args.exclude.split(",") if i}
    tagger = Tagger(Catalogue((e, tolerant) for e, tolerant in catalogue_rows() if e.id not in excluded))
    articles = {a.id: clean(a) for a in read_paths([args.corpus]).articles}
    predictions = {doc_id: predicted_entities(tagger, articles[doc_id])
                   for doc_id in gold_docs if doc_id in articles}
    counts, errors, misses = score(gold_docs, predictions)
    facet_values = defaultdict(set)
    for found in predictions.values():
        for p in found.values():
            facet_values[p["type"]].add(p["id"])
    table = {t: dict(zip(("precision", "recall", "f1"), prf(counts[t])), **counts[t]) for t in TYPES}
    if args.json:
        print(json.dumps({"types": table, "facet_values": {t: len(v) for t, v in facet_values.items()},
                          "false_positives": errors, "misses": misses}, ensure_ascii=False, indent=1))
        return 0
    print("predicted entities matching nothing in gold (precision errors):")
    for doc_id, kind, entity_id, name, seen, rules in errors:
        print(f"  {doc_id[:3]} {kind:<12} {name} [{entity_id}] as «{seen}» ({rules})")
    print("gold entities not found (recall errors):")
    for doc_id, kind, label, names in misses:
        print(f"  {doc_id[:3]} {kind:<12} {label}: {names}")
    print("distinct facet values over the corpus: " +
          ", ".join(f"{t} {len(facet_values[t])}" for t in TYPES))
    print(f"{'type':<13}{'precision':>10}{'recall':>8}{'F1':>7}{'gold':>6}{'pred':>6}")
    for t in TYPES:
        row = table[t]
        print(f"{t:<13}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>7.3f}"
              f"{row['gold']:>6}{row['pred']:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
