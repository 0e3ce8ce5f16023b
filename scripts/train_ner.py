"""Trains the statistical tagger (archive/entities/model.py) and writes
archive/data/ner/model.crfsuite.

    pip install '.[train]'
    python scripts/train_ner.py --data AQMAR_Arabic_NER_corpus-1.0.txt [--data more.conll ...]

Each --data file (or folder of *.txt files, one set) is CoNLL-style (a token and its BIO tag per line, a blank line between
sentences); person, place and organization tags are learned (PER/PERS, LOC/GPE, ORG), others are
O. Each set's sentences are cut into blocks of 20 (an article-sized piece); every tenth block
is that set's dev split (held out from training, for scripts/evaluate_ner.py --split dev), the rest is trained on.
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

from archive.arabic import normalize, tokenize  # noqa: E402
from archive.entities.keys import article_core  # noqa: E402
from archive.entities.model import (  # noqa: E402
    MODEL_FILE,
    NAME_WORDS_FILE,
    FeatureCache,
    Gazetteers,
    NerModel,
    annotated_features,
    count_annotated,
    labels_for,
    read_annotated,
    read_conll,
    sentence_text,
    words_file,
    write_annotated,
)
from archive.entities.tagger import Tagger  # noqa: E402

BLOCK = 20  # sentences in an article-sized piece
DEV_EVERY = 10  # every tenth block is dev
FOLDS = 5  # for the annotated-word features of training sentences
PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 200, "feature.possible_transitions": True}


def split(sentences: list, part: str) -> list:
    """The "train" or "dev" sentences, by blocks (nearby sentences share names: a random split
    would leak them from train to dev)."""
    dev = [(i // BLOCK) % DEV_EVERY == DEV_EVERY - 1 for i in range(len(sentences))]
    return [s for s, is_dev in zip(sentences, dev, strict=True) if is_dev == (part == "dev")]


def load(paths: list[str], part: str) -> list:
    """The ``part`` ("train" or "dev") of every training set, each split on its own (a set's
    dev split does not depend on which other sets are trained with it)."""
    return [s for path in paths for s in split(read_conll(path), part)]


def examples(sentences: list, tagger: Tagger):
    for sentence in sentences:
        text, spans = sentence_text(sentence)
        tokens = tagger._tokens(text)
        if tokens:
            yield tokens, labels_for(tokens, spans)


def train(sentences: list, out: Path) -> None:
    """Trains on ``sentences`` and writes the model and, beside it, its annotated-words file.
    A sentence's ``ann`` features come from the annotations of the other FOLDS folds (blocks of
    20 sentences, dealt round), so the model learns how far a word seen annotated elsewhere can
    be trusted, not that every training name is in the list; at run time the list is whole."""
    import pycrfsuite

    tagger = Tagger(model=False)
    data, folds = [], []
    for i, sentence in enumerate(sentences):
        for example in examples([sentence], tagger):
            data.append(example)
            folds.append((i // BLOCK) % FOLDS)
    by_fold = [count_annotated(e for e, f in zip(data, folds, strict=True) if f == k) for k in range(FOLDS)]
    whole = _sum_counts(by_fold)
    trainer = pycrfsuite.Trainer(verbose=False)
    caches = []
    for k in range(FOLDS):
        others = _sum_counts([c for j, c in enumerate(by_fold) if j != k])
        caches.append(FeatureCache(Gazetteers(tagger.catalogue, tagger.rules, annotated_features(others))))
    for (tokens, labels), k in zip(data, folds, strict=True):
        trainer.append(caches[k].rows(tokens), labels)
    trainer.set_params(PARAMS)
    out.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(out))
    write_annotated(words_file(out), annotated_features(whole))


def _sum_counts(parts: list[dict]) -> dict[str, list[int]]:
    total: dict[str, list[int]] = {}
    for part in parts:
        for word, row in part.items():
            into = total.setdefault(word, [0] * len(row))
            for k, n in enumerate(row):
                into[k] += n
    return total


def write_name_words(source: Path, out: Path) -> int:
    """arabnamer's Latin→Arabic name pairs (``dict_FINAL.json``, read from the package's wheel
    or the file itself) → their Arabic name words, normalized, article removed, one a line;
    particles (عبد، بن، أبو …) and stopwords left out. Returns how many."""
    import json
    import zipfile

    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            pairs = json.loads(wheel.read("arabnamer/data/dict_FINAL.json"))
    else:
        pairs = json.loads(source.read_text("utf-8"))
    rules = Tagger(model=False).rules
    words = set()
    for arabic in pairs.values():
        for word in tokenize(arabic):
            core = article_core(normalize(word.surface))
            if (len(core) >= 2 and core.isalpha() and core not in rules.compound_heads
                    and core not in rules.stopwords):
                words.add(core)
    out.write_text("".join(f"{w}\n" for w in sorted(words)), "utf-8")
    return len(words)


def token_scores(sentences: list, model_path: Path) -> dict:
    """Token-level precision, recall and F1 of the model alone on the dev split, per type."""
    tagger = Tagger(model=False)
    model = NerModel(model_path, Gazetteers(tagger.catalogue, tagger.rules,
                                            read_annotated(words_file(model_path))))
    counts: dict[str, list[int]] = {}
    for tokens, labels in examples(sentences, tagger):
        predicted = ["O"] * len(tokens)
        for span in model.spans(tokens):
            for k in range(span.first, span.last + 1):
                predicted[k] = span.type
        gold = [{"PER": "person", "LOC": "place", "ORG": "organization"}.get(tag[2:], "O") for tag in labels]
        for g, p in zip(gold, predicted, strict=True):
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
    parser.add_argument("--names", type=Path, help="arabnamer's wheel (or its dict_FINAL.json): "
                        f"rewrites archive/data/{NAME_WORDS_FILE} before training")
    args = parser.parse_args()
    if args.names:
        count = write_name_words(args.names, ROOT / "archive" / "data" / NAME_WORDS_FILE)
        print(f"{count} name words from {args.names}")
    sentences = load(args.data, "train")
    started = time.perf_counter()
    train(sentences, Path(args.out))
    print(f"trained on {len(sentences)} sentences in "
          f"{time.perf_counter() - started:.0f} s; model: {args.out} "
          f"({Path(args.out).stat().st_size / 1e6:.1f} MB)")
    for path in args.data:
        for kind, row in token_scores(load([path], "dev"), Path(args.out)).items():
            print(f"dev, tokens, model alone: {Path(path).name}: {kind:<13} {row}")


if __name__ == "__main__":
    main()
