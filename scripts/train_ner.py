"""Trains the statistical tagger (archive/entities/model.py) and writes
archive/data/ner/model.crfsuite.

    pip install '.[train]'
    python scripts/train_ner.py --data AQMAR_Arabic_NER_corpus-1.0.txt [--data more.conll ...]

Each --data file is CoNLL-style (a token and its BIO tag per line, a blank line between
sentences); person, place and organization tags are learned (PER/PERS, LOC/GPE, ORG), others are
O. Sentences are cut into blocks of 20 (an article-sized piece); every tenth block is the dev
split (held out from training, for scripts/evaluate_ner.py --split dev), the rest is trained on.
The split, the features and CRFsuite's training are deterministic: the same data gives the same
model file. Prints the dev scores of the model alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.entities.model import (  # noqa: E402
    FeatureCache, MODEL_FILE, Gazetteers, NerModel, labels_for, read_conll, sentence_text)
from archive.entities.tagger import Tagger  # noqa: E402

BLOCK = 20  # sentences in an article-sized piece
DEV_EVERY = 10  # every tenth block is dev
PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 200, "feature.possible_transitions": True}


def split(sentences: list, part: str) -> list:
    """The "train" or "dev" sentences, by blocks (nearby sentences share names: a random split
    would leak them from train to dev)."""
    dev = [(i // BLOCK) % DEV_EVERY == DEV_EVERY - 1 for i in range(len(sentences))]
    return [s for s, is_dev in zip(sentences, dev) if is_dev == (part == "dev")]


def load(paths: list[str]) -> list:
    sentences = []
    for path in paths:
        sentences.extend(read_conll(path))
    return sentences


def examples(sentences: list, tagger: Tagger):
    for sentence in sentences:
        text, spans = sentence_text(sentence)
        tokens = tagger._tokens(text)
        if tokens:
            yield tokens, labels_for(tokens, spans)


def train(sentences: list, out: Path) -> None:
    import pycrfsuite

    tagger = Tagger()
    gazetteers = Gazetteers(tagger.catalogue, tagger.rules)
    trainer = pycrfsuite.Trainer(verbose=False)
    features = FeatureCache(gazetteers)
    for tokens, labels in examples(split(sentences, "train"), tagger):
        trainer.append(features.rows(tokens), labels)
    trainer.set_params(PARAMS)
    out.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(out))


def token_scores(sentences: list, model_path: Path) -> dict:
    """Token-level precision, recall and F1 of the model alone on the dev split, per type."""
    tagger = Tagger()
    model = NerModel(model_path, Gazetteers(tagger.catalogue, tagger.rules))
    counts: dict[str, list[int]] = {}
    for tokens, labels in examples(split(sentences, "dev"), tagger):
        predicted = ["O"] * len(tokens)
        for span in model.spans(tokens):
            for k in range(span.first, span.last + 1):
                predicted[k] = span.type
        gold = [{"PER": "person", "LOC": "place", "ORG": "organization"}.get(l[2:], "O") for l in labels]
        for g, p in zip(gold, predicted):
            for kind in {g, p} - {"O"}:
                row = counts.setdefault(kind, [0, 0, 0])  # true positive, predicted, gold
                row[0] += g == p
                row[1] += p == kind
                row[2] += g == kind
    scores = {}
    for kind, (tp, predicted, gold) in sorted(counts.items()):
        precision, recall = tp / predicted if predicted else 0.0, tp / gold if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[kind] = {"precision": round(precision, 3), "recall": round(recall, 3),
                        "f1": round(f1, 3)}
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", action="append", required=True, help="a CoNLL file (repeatable)")
    parser.add_argument("--out", default=str(ROOT / "archive" / "data" / MODEL_FILE))
    args = parser.parse_args()
    sentences = load(args.data)
    started = time.perf_counter()
    train(sentences, Path(args.out))
    print(f"trained on {len(split(sentences, 'train'))} sentences in "
          f"{time.perf_counter() - started:.0f} s; model: {args.out} "
          f"({Path(args.out).stat().st_size / 1e6:.1f} MB)")
    for kind, row in token_scores(sentences, Path(args.out)).items():
        print(f"dev, tokens, model alone: {kind:<13} {row}")


if __name__ == "__main__":
    main()
