#!/usr/bin/env python3
"""Entity tagging cost per article, with and without the shipped model: articles in,
milliseconds per article out (one process, warm caches, as in a long build).

    python scripts/bench_tagging.py [--articles 600] [--conll FILE ...] [--json]

Articles: the benchmark's synthetic ones (scripts/synthetic.py, from the sample corpus) and, for
each --conll file, its sentences in pieces of 20 (real news text such as the ANERcorp train
split). Each tagger first tags a fifth of the articles (caches filled, as after a build's first
minutes), then the rest are timed (CPU time of this process), each through ``Tagger.tag`` (a
build's per-article call).
``scripts/bench.py`` calls ``measure`` for its report.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

PIECE = 20


def _synthetic(count: int) -> list[str]:
    from synthetic import articles

    return [a["text"] for a in articles(count, HERE.parent / "corpus", seed=7)]


def _conll(path: str) -> list[str]:
    from archive.entities.model import read_conll, sentence_text

    sentences = [sentence_text(s)[0] for s in read_conll(path)]
    return ["\n".join(sentences[i:i + PIECE]) for i in range(0, len(sentences), PIECE)]


def _ms_per_article(tagger, texts: list[str]) -> float:
    warm = max(1, len(texts) // 5)
    for text in texts[:warm]:
        tagger.fresh().tag(text)
    timed = texts[warm:] or texts
    started = time.process_time()  # CPU time: the machine may be shared
    for text in timed:
        tagger.fresh().tag(text)
    return (time.process_time() - started) * 1000 / len(timed)


def measure(articles: int = 600, conll: list[str] | None = None) -> dict:
    """{set: {"articles", "chars", "rules_ms", "model_ms", "ratio"}} per article set."""
    from archive.entities.tagger import Tagger

    sets = {"synthetic": _synthetic(articles)}
    for path in conll or ():
        sets[Path(path).name] = _conll(path)
    rules, model = Tagger(model=False), Tagger()
    if model.model is None:
        raise SystemExit("no model installed: nothing to compare")
    out = {}
    for name, texts in sets.items():
        rules_ms, model_ms = _ms_per_article(rules, texts), _ms_per_article(model, texts)
        out[name] = {"articles": len(texts), "chars": sum(map(len, texts)) // len(texts),
                     "rules_ms": round(rules_ms, 2), "model_ms": round(model_ms, 2),
                     "ratio": round(model_ms / rules_ms, 2)}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--conll", action="append", default=[])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = measure(args.articles, args.conll)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'articles':<32}{'n':>6}{'chars':>7}{'rules ms':>10}{'model ms':>10}{'ratio':>7}")
    for name, r in results.items():
        print(f"{name:<32}{r['articles']:>6}{r['chars']:>7}{r['rules_ms']:>10.2f}"
              f"{r['model_ms']:>10.2f}{r['ratio']:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
