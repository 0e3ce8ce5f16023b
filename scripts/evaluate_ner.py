"""Per-type precision, recall and F1 of the whole tagger (catalogue, model, context rules,
coreference, the collection pass) on CoNLL-style gold data, as a user's archive would meet it:
the sentences are fed in article-sized pieces of 20, joined as text, all pieces through one
``Tagger.tag_many`` call (names established in one piece resolve bare surnames in another).

    python scripts/evaluate_ner.py FILE.conll [FILE ...] [--split dev] [--no-model]

FILE: a token and its BIO tag per line (tab or space separated), a blank line between sentences;
PER/PERS, LOC/GPE and ORG are scored, other tags are ignored. --split dev scores only the dev
split of scripts/train_ner.py (for the data the model was trained on). Two scores per type:
lenient (a found mention counts when it overlaps a gold one of the same type) and exact (it
covers the same gold tokens; a clitic the tagger leaves out of a mention, لكورسك → كورسك, still
counts as the same tokens).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.entities.model import LABELS, read_conll, sentence_text  # noqa: E402
from archive.entities.tagger import Tagger  # noqa: E402

PIECE = 20  # sentences per article-sized piece


def gold_spans(sentences: list) -> tuple[str, list[tuple[int, int]], list[tuple[int, int, str]]]:
    """A piece's text, its tokens' character spans, and its gold mentions as
    (first token, last token, type)."""
    texts, token_spans, gold, offset, base = [], [], [], 0, 0
    for sentence in sentences:
        text, spans = sentence_text(sentence)
        open_kind = None
        for k, (start, end, tag) in enumerate(spans):
            index = base + k
            token_spans.append((offset + start, offset + end))
            kind = LABELS.get(tag[2:]) if tag != "O" else None
            if tag.startswith("I-") and open_kind == kind and gold:
                gold[-1] = (gold[-1][0], index, kind)
            elif kind:
                gold.append((index, index, kind))
            open_kind = kind
        texts.append(text)
        offset += len(text) + 1
        base += len(spans)
    return "\n".join(texts), token_spans, gold


def predicted_spans(mentions, token_spans) -> list[tuple[int, int, str]]:
    """The tagger's mentions as (first token, last token, type) over the gold tokens."""
    found = []
    for mention in mentions:
        if mention.type not in LABELS.values():
            continue
        inside = [k for k, (start, end) in enumerate(token_spans)
                  if start < mention.end and mention.start < end]
        if inside:
            found.append((inside[0], inside[-1], mention.type))
    return found


def score(pieces, tagger: Tagger) -> dict:
    counts = {kind: {"lenient": [0, 0, 0], "exact": [0, 0, 0], "gold": 0} for kind in LABELS.values()}
    pieces = [gold_spans(sentences) for sentences in pieces]
    tagged = tagger.tag_many(text for text, _, _ in pieces)  # the whole set is one archive
    for (_, token_spans, gold), mentions in zip(pieces, tagged, strict=True):
        found = predicted_spans(mentions, token_spans)
        for kind in counts:
            g = [s for s in gold if s[2] == kind]
            p = [s for s in found if s[2] == kind]
            for mode, same in (("lenient", _overlap), ("exact", _same)):
                row = counts[kind][mode]
                row[0] += sum(any(same(x, y) for y in g) for x in p)  # precise predictions
                row[1] += len(p)
                row[2] += sum(any(same(x, y) for x in p) for y in g)  # recalled gold
            counts[kind]["gold"] += len(g)
    return counts


def _overlap(a, b) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _same(a, b) -> bool:
    return a[0] == b[0] and a[1] == b[1]


def report(counts: dict) -> None:
    print(f"{'type':<14}{'mode':<9}{'precision':>10}{'recall':>8}{'F1':>7}{'gold':>7}{'found':>7}")
    for kind, modes in counts.items():
        for mode in ("lenient", "exact"):
            right, found, recalled = modes[mode]
            gold = modes["gold"]
            precision = right / found if found else 0.0
            recall = recalled / gold if gold else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            print(f"{kind:<14}{mode:<9}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}{gold:>7}{found:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--split", choices=["all", "dev"], default="all")
    parser.add_argument("--no-model", action="store_true", help="catalogue and rules only")
    args = parser.parse_args()
    if args.split == "dev":
        from train_ner import load

        sentences = load(args.files, "dev")
    else:
        sentences = [s for path in args.files for s in read_conll(path)]
    pieces = [sentences[i:i + PIECE] for i in range(0, len(sentences), PIECE)]
    tagger = Tagger(model=not args.no_model)
    if not args.no_model and tagger.model is None:
        print("no model installed (archive/data/ner/model.crfsuite); scoring without it")
    print(f"{len(sentences)} sentences in {len(pieces)} pieces of {PIECE}")
    report(score(pieces, tagger))


if __name__ == "__main__":
    main()
