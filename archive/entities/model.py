"""The statistical tagger: the tagger's tokens in; person, place and organization spans (token
ranges with a confidence) out. A linear-chain CRF (CRFsuite, through python-crfsuite) over
features this project already computes: normalized form, form without the article, light stem,
affixes, word shape, Latin script, neighbours, and membership in the catalogue, the common-word
list and the context rules' trigger lists (titles, speech verbs, organization, place and media
heads).

The model file is made by ``scripts/train_ner.py`` (``data/ner/README.md`` says from what) and
used when it is installed as ``data/ner/model.crfsuite`` or named by ``$ARCHIVE_NER_MODEL``.
None ships: measured, it costs more build time than it is allowed (README, "Entities"). Without
one, the tagger runs on its catalogue and context rules alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

from archive.arabic import strip_suffixes
from archive.resources import data_path

MODEL_FILE = "ner/model.crfsuite"
LABELS = {"PER": "person", "LOC": "place", "ORG": "organization"}
WINDOW = 2  # neighbours on each side whose words are features


@dataclass(frozen=True)
class Span:
    first: int  # token indices, inclusive
    last: int
    type: str
    confidence: float


class Gazetteers:
    """Word lists a feature can ask about, built from what the tagger already holds."""

    def __init__(self, catalogue, rules):
        rank = {"person": 0, "organization": 1, "weapon": 2, "place": 3}
        self.words_of: dict[str, str] = {}  # a name word → the likeliest type of its names
        for word, ids in catalogue.by_word.items():
            types = {catalogue.entities[i].type for i in ids}
            self.words_of[word] = min(types, key=rank.__getitem__)
        self.common = rules.common
        self.triggers = {
            "title": {t[0] for t in rules.titles} | {t[-1] for t in rules.titles},
            "speech": rules.speech, "org_head": rules.org_heads, "media": rules.media_heads,
            "place_head": rules.place_heads, "qualifier": rules.qualifiers,
        }


def _shape(surface: str) -> str:
    if surface.isdigit():
        return "digit"
    if surface.isascii():
        return "latin-upper" if surface[:1].isupper() else "latin"
    if any(ch.isdigit() for ch in surface):
        return "mixed-digit"
    return "arabic"


def token_features(token, gazetteers: Gazetteers) -> list[str]:
    """The features of one token on its own (its neighbours add theirs, prefixed)."""
    form, core = token.form, token.core
    stem = strip_suffixes(core) if core.isalpha() else core
    features = [f"w={form}", f"c={core}", f"s={stem}", f"p2={core[:2]}", f"p3={core[:3]}",
                f"x2={core[-2:]}", f"x3={core[-3:]}", f"len={min(len(core), 8)}",
                f"shape={_shape(token.surface)}"]
    if form.startswith(("ال", "لل")):
        features.append("article")
    if len(token.readings) > 1 or form[:1] in "وفبكل" and core != form:
        features.append("clitic")
    if token.broken:
        features.append("broken")
    kind = gazetteers.words_of.get(core)
    if kind:
        features.append(f"gaz={kind}")
    if core in gazetteers.common:
        features.append("common")
    for name, words in gazetteers.triggers.items():
        if not token.cores.isdisjoint(words):
            features.append(f"trig={name}")
    return features


_NEIGHBOUR_KEEP = ("w=", "c=", "gaz=", "trig=", "common", "article", "shape=")
_FAR_KEEP = ("w=", "gaz=", "trig=")
OFFSETS = tuple(o for o in range(-WINDOW, WINDOW + 1) if o)
_EDGES = {offset: (f"{offset}:edge",) for offset in OFFSETS}  # past a sentence's ends
FEATURES_KEPT = 200_000  # distinct words whose features are remembered


class FeatureCache:
    """Per distinct word (surface form and whether punctuation precedes it): its own features
    and, for each neighbour offset, the features it lends its neighbours, built once. A row is
    then a concatenation of tuples: most of a sentence's words were seen before."""

    def __init__(self, gazetteers: Gazetteers):
        self.gazetteers = gazetteers
        self._known: dict[tuple, tuple] = {}

    def parts(self, token) -> tuple:
        key = (token.surface, token.broken)
        found = self._known.get(key)
        if found is None:
            own = token_features(token, self.gazetteers)
            lent = {offset: tuple(f"{offset}:{f}" for f in own
                                  if f.startswith(_NEIGHBOUR_KEEP if abs(offset) == 1 else _FAR_KEEP))
                    for offset in OFFSETS}
            found = ("bias", *own), lent
            if len(self._known) >= FEATURES_KEPT:
                self._known.clear()
            self._known[key] = found
        return found

    def rows(self, tokens: Sequence) -> list[tuple]:
        """Per token: its own features, and its neighbours' main ones, marked by offset."""
        parts = [self.parts(t) for t in tokens]
        rows = []
        for i, (own, _) in enumerate(parts):
            row = own
            for offset in OFFSETS:
                j = i + offset
                row = row + (parts[j][1][offset] if 0 <= j < len(parts) else _EDGES[offset])
            rows.append(row)
        return rows


class NerModel:
    def __init__(self, path: str | os.PathLike, gazetteers: Gazetteers):
        import pycrfsuite

        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(path))
        self.gazetteers = gazetteers
        self._features = FeatureCache(gazetteers)

    def spans(self, tokens: Sequence) -> list[Span]:
        """Entity spans in a sentence's tokens, each with the model's confidence: the mean
        marginal probability of its labels."""
        if not tokens:
            return []
        tagger = self._tagger
        labels = tagger.tag(self._features.rows(tokens))
        spans, i = [], 0
        while i < len(labels):
            label = labels[i]
            if label == "O":
                i += 1
                continue
            kind = label[2:]
            j = i + 1
            while j < len(labels) and labels[j] == f"I-{kind}":
                j += 1
            probability = sum(tagger.marginal(labels[k], k) for k in range(i, j)) / (j - i)
            spans.append(Span(i, j - 1, LABELS[kind], probability))
            i = j
        return spans


def model_file() -> str | None:
    """The model to use: ``$ARCHIVE_NER_MODEL`` if set (empty: none), else the packaged file
    if there is one. None: the tagger runs on its catalogue and rules alone."""
    chosen = os.environ.get("ARCHIVE_NER_MODEL")
    if chosen is not None:
        return chosen or None
    path = data_path(MODEL_FILE)
    return str(path) if path.is_file() else None


# -- training data -------------------------------------------------------------------------------

def read_conll(path: str | os.PathLike) -> list[list[tuple[str, str]]]:
    """Sentences of (token, tag) from a CoNLL-style file: a token and its BIO tag per line
    (tab or space separated; the tag is the last field), a blank line between sentences.
    Tags outside person, place and organization (MISC and the like) become O."""
    sentences, current = [], []
    with open(path, encoding="utf-8-sig") as lines:
        for line in lines:
            fields = line.split()
            if not fields:
                if current:
                    sentences.append(current)
                current = []
                continue
            token, tag = fields[0], fields[-1] if len(fields) > 1 else "O"
            current.append((token, _coarse(tag)))
    if current:
        sentences.append(current)
    return sentences


def _coarse(tag: str) -> str:
    prefix, _, kind = tag.partition("-")
    kind = {"PERS": "PER", "GPE": "LOC"}.get(kind, kind)
    return f"{prefix}-{kind}" if prefix in ("B", "I") and kind in LABELS else "O"


def sentence_text(sentence: list[tuple[str, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """The sentence as text (tokens joined by spaces) and each token's (start, end, tag)."""
    pieces, spans, offset = [], [], 0
    for token, tag in sentence:
        spans.append((offset, offset + len(token), tag))
        pieces.append(token)
        offset += len(token) + 1
    return " ".join(pieces), spans


def labels_for(tokens: Sequence, spans: list[tuple[int, int, str]]) -> list[str]:
    """The gold tag of each of our tokens: the tag of the gold token it starts in (a gold token
    our tokenizer splits gives its I- tag to the later parts)."""
    labels, k = [], 0
    for token in tokens:
        while k < len(spans) and spans[k][1] <= token.start:
            k += 1
        tag = spans[k][2] if k < len(spans) and spans[k][0] <= token.start else "O"
        if tag.startswith("B-") and labels and spans[k][0] < token.start:
            tag = "I-" + tag[2:]
        labels.append(tag)
    return labels
