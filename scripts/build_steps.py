#!/usr/bin/env python3
"""Where a build's time goes, step by step: articles in, CPU milliseconds per article for each
step of ``archive index`` out (one process, as one build worker runs them).

    python scripts/build_steps.py [--articles 300] [--corpus FILE.jsonl] [--json]

The articles are the benchmark's synthetic ones (``scripts/synthetic.py``) unless ``--corpus``
names a JSON Lines file. Each is taken through a new index's two passes as the build takes it
(the learning pass: ``first_stage``; the analysis pass: ``analyse_article`` over the kept stage),
then signed for the copies file. The steps are timed by wrapping the functions that do them, in
this process only (CPU time: the machine may be shared); "model: features" and "model: CRF"
are parts of "model pass". The engine's writing is not included (``scripts/bench.py`` times
whole builds).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SPENT: dict[str, float] = defaultdict(float)


def timed(name: str, function):
    """``function``, adding its CPU time to SPENT[name]."""
    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[name] += time.process_time() - started
    return wrapper


def wrap(owner, attribute: str, name: str) -> None:
    """Replace ``owner.attribute`` by its timed version."""
    setattr(owner, attribute, timed(name, getattr(owner, attribute)))


class _TimedCrf:
    """The CRFsuite tagger with its calls timed."""

    def __init__(self, inner):
        self.inner = inner

    def tag(self, rows):
        return timed("model: CRF", self.inner.tag)(rows)

    def marginal(self, label, k):
        return timed("model: CRF", self.inner.marginal)(label, k)


def instrument(tagger) -> None:
    """Wrap the steps of a build (this process only)."""
    import archive.analysis as analysis
    import archive.copies as copies
    from archive.arabic import Analyzer
    from archive.entities.model import FeatureCache
    from archive.entities.tagger import Tagger

    for attribute, name in (("_tokens", "tagger: tokens"), ("_catalogue_pass", "catalogue pass"),
                            ("_context_pass", "context pass"),
                            ("_coreference_pass", "coreference passes"),
                            ("_model_pass", "model pass"), ("_collection_pass", "collection pass")):
        wrap(Tagger, attribute, name)
    wrap(FeatureCache, "rows", "model: features")
    wrap(Analyzer, "article_context", "analysis: article context")
    wrap(Analyzer, "analyse", "analysis: passages")
    wrap(analysis, "split_passages", "passages: split")  # as analyse_article calls it
    wrap(copies, "signature", "copies: signature")
    model = tagger.model
    if hasattr(FeatureCache, "scores"):  # the CRF tagged in numpy (archive/entities/crf.py)
        wrap(FeatureCache, "scores", "model: features")
        wrap(model.chain, "decode", "model: CRF")
    elif model is not None:  # through CRFsuite (before issue 24's second round)
        model._tagger = _TimedCrf(model._tagger)


def measure(corpus: Path, count: int) -> dict:
    """CPU ms per article for each step over the first ``count`` articles of ``corpus``."""
    import archive.copies as copies
    from archive.analysis import analyse_article
    from archive.analyzers import shared_analyzer
    from archive.cleaning import clean
    from archive.entities.once import first_stage
    from archive.entities.tagger import default_tagger
    from archive.intake import iter_articles
    from archive.records import ReadResult

    tagger = default_tagger().fresh()
    analyzer = shared_analyzer()
    instrument(tagger)
    SPENT.clear()
    started = time.process_time()
    read = timed("reading", lambda: list(zip(range(count), iter_articles([corpus], ReadResult()))))
    cleaned = [timed("cleaning", clean)(article) for _, article in read()]
    stages = {a.id: timed("learning pass (all)", first_stage)(tagger, a.text) for a in cleaned}

    class Kept:
        def get(self, doc_id, content_hash):
            return stages.get(doc_id)

    analysed = timed("analysis pass (all)", analyse_article)
    for article in cleaned:
        analysed(article, analyzer, tagger, "hash", Kept())
        copies.signature(article.text)
    total = time.process_time() - started
    per_article = {name: 1000 * spent / len(cleaned) for name, spent in SPENT.items()}
    per_article["total"] = 1000 * total / len(cleaned)
    return per_article


def main() -> int:
    """Measure and print (or ``--json``) the steps' CPU ms per article."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--corpus", type=Path, help="a JSON Lines file (default: synthetic)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corpus = args.corpus
    if corpus is None:
        import tempfile

        import synthetic

        corpus = synthetic.write(args.articles, Path(tempfile.mkdtemp()) / "corpus.jsonl",
                                 HERE.parent / "corpus")
    from archive.entities.tagger import default_tagger

    assert default_tagger().model is not None  # loaded before the clock starts
    import datasketch  # noqa: F401  (imported once per build)

    result = measure(corpus, args.articles)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for name, ms in sorted(result.items(), key=lambda item: -item[1]):
            print(f"{name:32}{ms:8.2f} ms/article")
    return 0


if __name__ == "__main__":
    sys.exit(main())
