"""Precision, recall and cost of re-published copy detection (archive.copies).

    python scripts/measure_copies.py [--write]

The labelled set is built from the seed articles of corpus/ (deterministic, seed 25): for each
article, re-published copies as sites make them (1, 1 in 40, 1 in 15 and 1 in 8 words changed;
a sentence dropped; a line of boilerplate added; a paragraph-level cut to the first 70%), which
are copies of it and of each other; near misses are the other seed articles (different stories on
the same events: North Korean troops in Russia, Kursk) and articles stitched from the first half of
one story and the second half of another. ``--write`` saves the set to
tests/data/copies/labelled.jsonl. Cost: seconds to sign and look up the set, and 2,000 synthetic
articles, in one process.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from pathlib import Path

from archive import copies

ROOT = Path(__file__).resolve().parent.parent
FILLER = ["وقال", "وأضاف", "كما", "في", "من", "على", "إلى", "أن", "الذي", "هذا"]


def variants(text: str, rng: random.Random) -> dict[str, str]:
    words = text.split(" ")
    out = {}
    for name, every in (("one-word", None), ("1-in-40", 40), ("1-in-15", 15), ("1-in-8", 8)):
        changed = list(words)
        positions = [rng.randrange(len(words))] if every is None else range(rng.randrange(every), len(words), every)
        for i in positions:
            changed[i] = rng.choice(FILLER)
        out[name] = " ".join(changed)
    sentences = text.split(".")
    drop = rng.randrange(len(sentences))
    out["sentence-dropped"] = ".".join(s for i, s in enumerate(sentences) if i != drop)
    out["boilerplate"] = "تابعونا على مواقع التواصل الاجتماعي. " + text + " جميع الحقوق محفوظة."
    out["cut-70"] = " ".join(words[:int(len(words) * 0.7)])
    return out


def labelled_set() -> list[dict]:
    rng = random.Random(25)
    seeds = {p.stem: p.read_text("utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))}
    items = []
    for doc_id, text in seeds.items():
        items.append({"id": doc_id, "story": doc_id, "text": text})
        for name, changed in variants(text, rng).items():
            items.append({"id": f"{doc_id}~{name}", "story": doc_id, "text": changed})
    for first, second in itertools.permutations(seeds, 2):
        a, b = seeds[first].split(" "), seeds[second].split(" ")
        items.append({"id": f"{first}+{second}", "story": f"{first}+{second}",
                      "text": " ".join(a[:len(a) // 2] + b[len(b) // 2:])})
    return items


def measure(items: list[dict]) -> dict:
    index = copies.CopyIndex()
    started = time.perf_counter()
    index.add((item["id"], str(n), None, item["text"]) for n, item in enumerate(items))
    seconds = time.perf_counter() - started
    story = {item["id"]: item["story"] for item in items}
    truth = {frozenset(p) for p in itertools.combinations(story, 2) if story[p[0]] == story[p[1]]}
    found = {frozenset(p) for p in itertools.combinations(story, 2) if p[1] in index.group(p[0])}
    hits = len(truth & found)
    missed = sorted(tuple(sorted(p)) for p in truth - found)
    wrong = sorted(tuple(sorted(p)) for p in found - truth)
    return {"articles": len(items), "true_pairs": len(truth), "found_pairs": len(found),
            "precision": round(hits / len(found), 3) if found else 1.0,
            "recall": round(hits / len(truth), 3) if truth else 1.0,
            "seconds": round(seconds, 3), "missed": missed[:10], "wrong": wrong[:10]}


def synthetic_cost(count: int = 2000) -> dict:
    rng = random.Random(7)
    vocabulary = [w for p in (ROOT / "corpus").glob("*.txt") for w in p.read_text("utf-8").split()]
    texts = [" ".join(rng.choices(vocabulary, k=400)) for _ in range(count)]
    index = copies.CopyIndex()
    started = time.perf_counter()
    index.add((f"s{i}", str(i), None, t) for i, t in enumerate(texts))
    added = time.perf_counter() - started
    started = time.perf_counter()
    index.add([("one-more", "x", None, texts[0] + " كلمة")])
    incremental = time.perf_counter() - started
    return {"articles": count, "words_each": 400, "seconds": round(added, 2),
            "ms_per_article": round(1000 * added / count, 2),
            "one_more_article_s": round(incremental, 3),
            "file_bytes": len(json.dumps(index.to_json()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="save the labelled set")
    args = parser.parse_args()
    items = labelled_set()
    if args.write:
        target = ROOT / "tests" / "data" / "copies" / "labelled.jsonl"
        target.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    print(json.dumps({"labelled": measure(items), "cost": synthetic_cost()}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
