#!/usr/bin/env python3
"""What a user sees first in the entity facets of a news set turned into an archive (issue 27's
measure), on the dev splits of the training sets (never the held-out test sets):

    python scripts/facet_quality.py SET [SET ...] [--split dev|all] [--limit 25] [--show] [--json]

Each SET (a CoNLL file or folder, as for scripts/train_ner.py) is scored on its own: its (dev)
sentences become articles of 20 sentences, a JSON Lines file is indexed with the default
settings (``Archive.rebuild``: default engine, stemmer and workers, the shipped model), and the
``--limit`` most mentioned person, place and organization facet values are checked against
the names the annotators marked in that set: a catalogue entity counts by any of its names, a
discovered one by the name it shows (normalized: tashkeel, hamza forms, ة/ه, the article).
Also printed: person values that are another person value plus trailing words (one person
split over two values by a span that ran on), and lenient and exact mention F1 per type
(scripts/evaluate_ner.py's score, all articles through one ``Tagger.tag_many``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from archive.api import Archive  # noqa: E402
from archive.entities.keys import exact_key, name_tokens  # noqa: E402
from archive.entities.model import LABELS, read_conll  # noqa: E402
from archive.entities.tagger import Tagger  # noqa: E402

PIECE = 20  # sentences per article
TYPES = ("person", "place", "organization")


def key(name: str) -> str:
    """A name's comparison key (as scripts/evaluate_entities.py compares names)."""
    return exact_key(name_tokens(name))


def marked_names(sentences: list) -> dict[str, set[str]]:
    """type → the keys of every name the annotators marked with that type."""
    names: dict[str, set[str]] = {t: set() for t in TYPES}
    for sentence in sentences:
        words: list[str] = []
        kind = None
        for token, tag in [*sentence, ("", "O")]:
            label = LABELS.get(tag[2:]) if tag != "O" else None
            if words and (label != kind or tag.startswith("B-")):
                names[kind].add(key(" ".join(words)))  # type: ignore[index]
                words = []
            if label:
                words.append(token)
            kind = label
    return names


def write_articles(sentences: list, folder: Path) -> Path:
    """The sentences as articles of PIECE sentences, one JSON Lines file."""
    path = folder / "articles.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n, i in enumerate(range(0, len(sentences), PIECE)):
            text = "\n".join(" ".join(token for token, _ in s) for s in sentences[i:i + PIECE])
            out.write(json.dumps({"id": f"a{n:04d}", "title": f"article {n}", "text": text},
                                 ensure_ascii=False) + "\n")
    return path


def facet_values(sentences: list, limit: int) -> tuple[dict, Tagger]:
    """type → [(name, names that count, count)] of the top ``limit`` values of a fresh archive."""
    with tempfile.TemporaryDirectory() as tmp:
        source = write_articles(sentences, Path(tmp))
        archive, _ = Archive.rebuild(Path(tmp) / "index", [str(source)])
        top = archive.entities(limit=limit)
        tagger = archive._tagger if hasattr(archive, "_tagger") else Tagger()
        out = {}
        for kind in TYPES:
            rows = []
            for row in top.get(kind, []):
                listed = tagger.catalogue.entities.get(row.id)
                names = list(listed.names) if listed is not None else [row.name]
                rows.append((row.name, names, row.count))
            out[kind] = rows
    return out, tagger


def split_people(rows: list) -> list[tuple[str, str]]:
    """(shorter, longer) person values where the longer is the shorter plus trailing words."""
    names = [name_tokens(name) for name, _, _ in rows]
    return [(rows[a][0], rows[b][0]) for a, short in enumerate(names) for b, long in enumerate(names)
            if a != b and len(long) > len(short) and long[:len(short)] == short]


def mention_scores(sentences: list) -> dict:
    """type → {"lenient": (P, R, F1), "exact": (P, R, F1)}, evaluate_ner's way."""
    from evaluate_ner import score

    pieces = [sentences[i:i + PIECE] for i in range(0, len(sentences), PIECE)]
    counts = score(pieces, Tagger())
    out = {}
    for kind in TYPES:
        modes = counts[kind]
        out[kind] = {}
        for mode in ("lenient", "exact"):
            right, found, recalled = modes[mode]
            p = right / found if found else 0.0
            r = recalled / modes["gold"] if modes["gold"] else 0.0
            out[kind][mode] = (round(p, 3), round(r, 3), round(2 * p * r / (p + r) if p + r else 0.0, 3))
    return out


def measure(path: str, part: str, limit: int) -> dict:
    """The facet check and mention scores of one set."""
    if part == "dev":
        from train_ner import load

        sentences = load([path], "dev")
    else:
        sentences = read_conll(path)
    marked = marked_names(sentences)
    values, _ = facet_values(sentences, limit)
    result: dict = {"set": Path(path).name, "sentences": len(sentences),
                    "articles": -(-len(sentences) // PIECE), "facets": {}}
    for kind in TYPES:
        rows = [{"name": name, "count": count, "marked": any(key(n) in marked[kind] for n in names)}
                for name, names, count in values[kind]]
        result["facets"][kind] = {"marked": sum(r["marked"] for r in rows), "of": len(rows), "values": rows}
    result["split_people"] = split_people(values["person"])
    result["mentions"] = mention_scores(sentences)
    return result


def report(result: dict, show: bool) -> None:
    """The human-readable form of ``measure``'s result."""
    print(f"{result['set']}: {result['sentences']} sentences, {result['articles']} articles")
    for kind in TYPES:
        facet = result["facets"][kind]
        print(f"  top {facet['of']} {kind} values marked by the annotators: {facet['marked']}")
        if show:
            for row in facet["values"]:
                print(f"      {'+' if row['marked'] else '-'} {row['count']:>4}  {row['name']}")
    for short, long in result["split_people"]:
        print(f"  person split by trailing words: «{short}» / «{long}»")
    for kind in TYPES:
        lenient, exact = result["mentions"][kind]["lenient"], result["mentions"][kind]["exact"]
        print(f"  {kind:<13} lenient P/R/F1 {lenient[0]:.3f} / {lenient[1]:.3f} / {lenient[2]:.3f}"
              f"   exact F1 {exact[2]:.3f}")


def main(argv=None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+")
    parser.add_argument("--split", choices=["dev", "all"], default="dev")
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--show", action="store_true", help="list the values, + marked, - not")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = [measure(path, args.split, args.limit) for path in args.sets]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return 0
    for result in results:
        report(result, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
