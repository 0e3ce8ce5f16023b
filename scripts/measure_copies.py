"""Precision, recall and cost of re-published copy detection (archive.copies).

    python scripts/measure_copies.py [--write] [--arcd DIR] [--sweep]

The labelled set (deterministic, seed 25): the five seed articles of corpus/ and six
hand-written near misses (tests/data/copies/near_misses.jsonl: different stories on the same
events: NATO, Seoul's intelligence, the Kremlin, the Kursk front, sanctions, missiles; one of
them quotes a whole sentence of a seed article); for each of these 11 stories, re-published
copies as sites make them (1 word changed; 1 in 40, 1 in 15 and 1 in 8 words changed; a
sentence dropped; a line of boilerplate added; cut to its first 70%), which are copies of it
and of each other. Different stories are never copies. With ``--arcd`` (the ARCD docs folder,
../shared/eval/external/arcd/docs), its 460 Wikipedia paragraphs are added as background
stories, to see what LSH proposes at scale. ``--write`` saves the set to
tests/data/copies/labelled.jsonl; ``--sweep`` also reports other thresholds (exact Jaccard of
shingles, no MinHash). Cost: seconds to sign and look up the set, and 2,000 synthetic articles,
in one process.
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


def labelled_set(arcd: Path | None = None) -> list[dict]:
    rng = random.Random(25)
    stories = {p.stem: p.read_text("utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))}
    near = ROOT / "tests" / "data" / "copies" / "near_misses.jsonl"
    stories.update((r["id"], r["text"]) for r in map(json.loads, near.read_text("utf-8").splitlines()))
    items = []
    for doc_id, text in stories.items():
        items.append({"id": doc_id, "story": doc_id, "text": text})
        for name, changed in variants(text, rng).items():
            items.append({"id": f"{doc_id}~{name}", "story": doc_id, "text": changed})
    for path in sorted(arcd.glob("*.txt")) if arcd else ():
        items.append({"id": path.stem, "story": path.stem, "text": path.read_text("utf-8"),
                      "background": True})
    return items


def sweep(items: list[dict]) -> dict:
    """Exact shingle Jaccard per pair: precision and recall of connected groups at several
    thresholds, and the closest pairs of different stories."""
    runs = {i["id"]: copies.shingles(i["text"]) for i in items}
    story = {i["id"]: i["story"] for i in items}
    background = {i["id"] for i in items if i.get("background")}
    pairs = []
    for a, b in itertools.combinations(runs, 2):
        if runs[a] and runs[b] and not (a in background and b in background):
            shared = len(runs[a] & runs[b])
            if shared:
                pairs.append((shared / len(runs[a] | runs[b]), a, b))
    scored = [p for p in itertools.combinations(story, 2) if not set(p) <= background]
    truth = {frozenset(p) for p in scored if story[p[0]] == story[p[1]]}
    out = {}
    for threshold in (0.2, 0.25, 0.3, 0.4, 0.5):
        index = copies.CopyIndex()
        index.pairs = {(a, b): j for j, a, b in pairs if j >= threshold}
        found = {frozenset(p) for p in scored if p[1] in index.group(p[0])}
        out[str(threshold)] = {"precision": round(len(truth & found) / len(found), 3) if found else 1.0,
                               "recall": round(len(truth & found) / len(truth), 3)}
    closest = sorted((p for p in pairs if story[p[1]] != story[p[2]]), reverse=True)[:3]
    out["closest_different_stories"] = [[round(j, 3), a, b] for j, a, b in closest]
    lowest = sorted(p for p in pairs if story[p[1]] == story[p[2]])[:3]
    out["least_similar_copies"] = [[round(j, 3), a, b] for j, a, b in lowest]
    return out


def measure(items: list[dict]) -> dict:
    index = copies.CopyIndex()
    started = time.perf_counter()
    index.add((item["id"], str(n), None, item["text"]) for n, item in enumerate(items))
    seconds = time.perf_counter() - started
    story = {item["id"]: item["story"] for item in items}
    background = {item["id"] for item in items if item.get("background")}
    # two background paragraphs are not labelled (ARCD holds overlapping versions of some
    # paragraphs): their pairs are counted apart
    scored = [p for p in itertools.combinations(story, 2) if not set(p) <= background]
    truth = {frozenset(p) for p in scored if story[p[0]] == story[p[1]]}
    found = {frozenset(p) for p in scored if p[1] in index.group(p[0])}
    hits = len(truth & found)
    joined_background = sorted(tuple(sorted(p)) for p in itertools.combinations(sorted(background), 2)
                               if p[1] in index.group(p[0]))
    missed = sorted(tuple(sorted(p)) for p in truth - found)
    wrong = sorted(tuple(sorted(p)) for p in found - truth)
    return {"articles": len(items), "true_pairs": len(truth), "found_pairs": len(found),
            "precision": round(hits / len(found), 3) if found else 1.0,
            "recall": round(hits / len(truth), 3) if truth else 1.0,
            "seconds": round(seconds, 3), "missed": missed[:10], "wrong": wrong[:10],
            "background_pairs_joined": len(joined_background),
            "background_examples": joined_background[:5]}


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
    parser.add_argument("--arcd", type=Path, help="ARCD's docs folder: background paragraphs")
    parser.add_argument("--sweep", action="store_true", help="exact Jaccard at other thresholds")
    args = parser.parse_args()
    items = labelled_set(args.arcd)
    if args.write:
        target = ROOT / "tests" / "data" / "copies" / "labelled.jsonl"
        target.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    report = {"labelled": measure(items), "cost": synthetic_cost()}
    if args.sweep:
        report["sweep"] = sweep(items)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
