#!/usr/bin/env python3
"""A deterministic synthetic Arabic news corpus for benchmarks: N articles as JSON Lines.

    python scripts/synthetic.py --articles 10000 --out bench-out/corpus.jsonl [--seed 7]

Articles are built from the sentences of the sample corpus, so the language and its statistics
are real, with two kinds of variation so posting lists are not all dense:

* vocabulary: about one word in eight is replaced by a word of a synthetic vocabulary drawn
  with a Zipf distribution (Arabic-letter strings built from the corpus's own letter
  frequencies), so there are rare words and a long tail as in real news;
* entities: names from the catalogue (people, places, organizations, weapons) are put into
  sentences, with their usual spellings and clitics (و، ب، ل), Zipf-distributed too.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SENTENCE_END = re.compile(r"(?<=[.!؟?])\s+")
VOCABULARY = 50_000
ZIPF_S = 1.1
REPLACE_EVERY = 8  # one word in this many is replaced by a synthetic word
CLITICS = ("", "", "", "و", "ب", "ل", "ال")


def seed_sentences(corpus: Path) -> list[str]:
    from archive.cleaning import clean
    from archive.intake import read_paths

    sentences = []
    for article in read_paths([corpus]).articles:
        for line in clean(article).text.splitlines():
            sentences.extend(s for s in SENTENCE_END.split(line) if len(s.split()) >= 4)
    return sentences


def zipf_sampler(rng: random.Random, n: int):
    weights = [1 / (rank ** ZIPF_S) for rank in range(1, n + 1)]
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]
    return lambda: bisect.bisect_left(cumulative, rng.random() * total)


def synthetic_vocabulary(rng: random.Random, sentences: list[str]) -> list[str]:
    letters = [ch for s in sentences for ch in s if "\u0621" <= ch <= "\u064a"]
    words = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 8))))
    return sorted(words)


def entity_names() -> list[str]:
    from archive.entities.catalogue import default_catalogue

    catalogue = default_catalogue()
    curated = [e for e in catalogue.entities.values() if not e.id.startswith("place:city:")]
    cities = sorted((e for e in catalogue.entities.values() if e.id.startswith("place:city:")),
                    key=lambda e: -int(e.attributes.get("population", 0)))[:2000]
    return [name for e in curated + cities for name in e.names if not name.isascii()]


def articles(count: int, corpus: Path, seed: int):
    rng = random.Random(seed)
    sentences = seed_sentences(corpus)
    vocabulary = synthetic_vocabulary(rng, sentences)
    names = entity_names()
    rng.shuffle(names)
    pick_word, pick_name = zipf_sampler(rng, len(vocabulary)), zipf_sampler(rng, len(names))
    for number in range(count):
        paragraphs = []
        for _ in range(rng.randint(4, 9)):
            chosen = [rng.choice(sentences) for _ in range(rng.randint(1, 4))]
            words = " ".join(chosen).split()
            for i in range(0, len(words), REPLACE_EVERY):
                j = i + rng.randrange(REPLACE_EVERY)
                if j < len(words):
                    words[j] = vocabulary[pick_word()]
            for _ in range(rng.randint(0, 2)):
                words.insert(rng.randrange(len(words) + 1), rng.choice(CLITICS) + names[pick_name()])
            paragraphs.append(" ".join(words))
        title = " ".join(paragraphs[0].split()[:10])
        yield {"id": f"s{number:07d}", "title": title, "text": "\n".join(paragraphs),
               "date": f"2024-{1 + number % 12:02d}-{1 + number % 28:02d}", "source": "synthetic"}


def write(count: int, out: Path, corpus: Path, seed: int = 7) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for record in articles(count, corpus, seed):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("bench-out/corpus.jsonl"))
    parser.add_argument("--corpus", type=Path, default=HERE.parent / "corpus")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    write(args.articles, args.out, args.corpus, args.seed)
    print(f"wrote {args.articles} articles to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
