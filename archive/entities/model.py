"""The statistical tagger: the tagger's tokens in; person, place and organization spans (token
ranges with a confidence) out. A linear-chain CRF (trained with CRFsuite through python-crfsuite, tagged by
``archive.entities.crf``) over
features this project already computes: normalized form, form without the article, light stem,
affixes, word shape, Latin script, neighbours, and membership in the catalogue, the common-word
list and the context rules' trigger lists (titles, speech verbs, organization, place and media
heads).

The model ships as ``data/ner/model.crfsuite`` (made by ``scripts/train_ner.py``;
``data/ner/README.md`` says from what) and is on by default; ``$ARCHIVE_NER_MODEL`` names
another file, or none when empty (the tagger then runs on its catalogue and rules alone).
Features also ask arabnamer's name words and the words the training sets annotate.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archive.arabic import strip_suffixes
from archive.entities.crf import Decoded, LinearChain
from archive.resources import data_path

MODEL_FILE = "ner/model.crfsuite"
LABELS = {"PER": "person", "LOC": "place", "ORG": "organization"}
WINDOW = 2  # neighbours on each side whose words are features


@dataclass(frozen=True)
class Span:
    """An entity the model found: tokens ``first`` to ``last``, its type and the model's confidence."""

    first: int  # token indices, inclusive
    last: int
    type: str
    confidence: float


NAME_WORDS_FILE = "ner/name_words.txt"  # arabnamer's name words (CC BY 4.0), normalized


class Gazetteers:
    """Word lists a feature can ask about: the catalogue's name words, the context rules'
    trigger lists, the common words, arabnamer's person-name words and the words the training
    sets annotate as persons, places or organizations (``annotated``: core → its features,
    see ``annotated_features``). Features, not matches: the model weighs them in context."""

    def __init__(self, catalogue, rules, annotated: dict[str, tuple[str, ...]] | None = None,
                 name_words: frozenset | None = None):
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
        self.name_words = _packaged_lines(NAME_WORDS_FILE) if name_words is None else name_words
        self.annotated = {} if annotated is None else annotated


def _packaged_lines(name: str) -> frozenset:
    path = data_path(name)
    return frozenset(path.read_text("utf-8").split()) if path.is_file() else frozenset()


def words_file(model: str | os.PathLike) -> Path:
    """The annotated-words file trained with a model: beside it, ``NAME.words.tsv``."""
    model = Path(model)
    return model.with_name(model.stem + ".words.tsv")


def read_annotated(path: str | os.PathLike) -> dict[str, tuple[str, ...]]:
    """A words file (per line: a word, a tab, its features separated by spaces) as word → features;
    {} if there is no such file."""
    path = Path(path)
    if not path.is_file():
        return {}
    rows = (line.split("\t") for line in path.read_text("utf-8").splitlines() if line)
    return {word: tuple(features.split()) for word, features in rows}


def write_annotated(path: str | os.PathLike, annotated: dict[str, tuple[str, ...]]) -> None:
    """Write ``annotated`` as a words file, sorted by word (what ``read_annotated`` reads)."""
    Path(path).write_text("".join(f"{w}\t{' '.join(f)}\n" for w, f in sorted(annotated.items())),
                          "utf-8")


def annotated_features(counts: dict[str, list[int]]) -> dict[str, tuple[str, ...]]:
    """Per word core, from [occurrences, as person, as place, as organization]: ``ann=TYPE`` when
    at least half its occurrences are inside a TYPE span, ``ann?TYPE`` when at least a tenth."""
    out = {}
    for word, (total, *by_type) in counts.items():
        features = []
        for label, n in zip(LABELS, by_type, strict=True):
            if n and n * 2 >= total:
                features.append(f"ann={label}")
            elif n and n * 10 >= total:
                features.append(f"ann?{label}")
        if features:
            out[word] = tuple(features)
    return out


def count_annotated(examples) -> dict[str, list[int]]:
    """[occurrences, as PER, as LOC, as ORG] per token core over (tokens, labels) examples."""
    counts: dict[str, list[int]] = {}
    index = {label: k + 1 for k, label in enumerate(LABELS)}
    for tokens, labels in examples:
        for token, label in zip(tokens, labels, strict=True):
            row = counts.setdefault(token.core, [0, 0, 0, 0])
            row[0] += 1
            if label != "O":
                row[index[label[2:]]] += 1
    return counts


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
                f"shape={_shape(token.surface)}", f"last={token.surface[-1:]}"]
    # last=: the last letter as written, for what normalization merges (على is no علي)
    if form.startswith(("ال", "لل")):
        features.append("article")
    if len(token.readings) > 1 or form[:1] in "وفبكل" and core != form:
        features.append("clitic")
    if token.broken:
        features.append("broken")
    kind = gazetteers.words_of.get(core)
    if kind:
        features.append(f"gaz={kind}")
    if core in gazetteers.name_words:
        features.append("namer")
    features.extend(gazetteers.annotated.get(core, ()))
    if core in gazetteers.common:
        features.append("common")
    for name, words in gazetteers.triggers.items():
        if not token.cores.isdisjoint(words):
            features.append(f"trig={name}")
    return features


_NEIGHBOUR_KEEP = ("w=", "c=", "gaz=", "trig=", "common", "article", "shape=", "namer", "ann")
_FAR_KEEP = ("w=", "gaz=", "trig=", "ann=")
OFFSETS = tuple(o for o in range(-WINDOW, WINDOW + 1) if o)
_EDGES = {offset: (f"{offset}:edge",) for offset in OFFSETS}  # past a sentence's ends
FEATURES_KEPT = 200_000  # distinct words whose features are remembered


class FeatureCache:
    """Per distinct word (surface form and whether punctuation precedes it): its own features
    and, for each neighbour offset, the features it lends its neighbours, built once. A row is
    then a concatenation of tuples: most of a sentence's words were seen before.

    With a model (``chain``), each distinct word's features are also summed once into label
    scores (its own, and what it lends at each offset), so a sentence's scores (``scores``) are
    five table look-ups per token instead of its feature strings: the same sums as the strings
    of ``rows`` weigh in the model (``tests/test_crf.py``)."""

    def __init__(self, gazetteers: Gazetteers, chain: LinearChain | None = None):
        self.gazetteers = gazetteers
        self._known: dict[tuple, tuple] = {}
        self.chain = chain
        self._row_of: dict[tuple, int] = {}  # word key → its row in the score tables
        self._own: np.ndarray = np.zeros((0, 0))  # [row, label]: a word's own features
        self._lent: np.ndarray = np.zeros((0, 0, 0))  # [offset, row, label]: what it lends
        if chain is not None:
            self._reset_tables()

    def parts(self, token) -> tuple:
        """A token's (own features with the bias, the features it lends at each offset in OFFSETS),
        computed once per distinct word."""
        key = (token.surface, token.broken)
        found = self._known.get(key)
        if found is None:
            own = token_features(token, self.gazetteers)
            lent = tuple(tuple(f"{offset}:{f}" for f in own
                               if f.startswith(_NEIGHBOUR_KEEP if abs(offset) == 1 else _FAR_KEEP))
                         for offset in OFFSETS)  # what it lends at each offset, in OFFSETS order
            found = ("bias", *own), lent
            if len(self._known) >= FEATURES_KEPT:
                self._known.clear()
            self._known[key] = found
        return found

    def rows(self, tokens: Sequence) -> list[list[str]]:
        """Per token: its own features, and its neighbours' main ones, marked by offset (one
        list built per token from cached tuples). What the model was trained on."""
        parts = [self.parts(t) for t in tokens]
        last = len(parts) - 1
        edge2, edge1, edge_1, edge_2 = (_EDGES[o] for o in OFFSETS)
        rows = []
        for i, (own, _) in enumerate(parts):
            rows.append([*own,
                         *(parts[i - 2][1][0] if i >= 2 else edge2),
                         *(parts[i - 1][1][1] if i >= 1 else edge1),
                         *(parts[i + 1][1][2] if i < last else edge_1),
                         *(parts[i + 2][1][3] if i < last - 1 else edge_2)])
        return rows

    def scores(self, tokens: Sequence) -> np.ndarray:
        """Per token and label, the summed weights of ``rows(tokens)``'s features (shape
        (tokens, labels)): own features, then those lent at offsets -2, -1, +1, +2 (row 0 of
        the tables lends the edge features past a sentence's ends). Needs a model."""
        rows = [0, 0, *map(self._row, tokens), 0, 0]
        table, lent = self._own, self._lent
        n = len(rows) - 4
        index = np.array(rows)
        return (table[index[2:n + 2]] + lent[0][index[:n]] + lent[1][index[1:n + 1]]
                + lent[2][index[3:n + 3]] + lent[3][index[4:n + 4]])

    def _row(self, token) -> int:
        key = (token.surface, token.broken)
        row = self._row_of.get(key)
        if row is None:
            if len(self._row_of) >= FEATURES_KEPT:
                self._reset_tables()
            row = self._add_row(*self.parts(token))
            self._row_of[key] = row
        return row

    def _add_row(self, own: tuple, lent: tuple) -> int:
        assert self.chain is not None
        row = len(self._row_of) + 1  # row 0: the edges
        if row >= len(self._own):  # grow the tables (doubling)
            self._own = np.concatenate([self._own, np.zeros_like(self._own)])
            self._lent = np.concatenate([self._lent, np.zeros_like(self._lent)], axis=1)
        groups = [self.chain.known(own), *(self.chain.known(features) for features in lent)]
        if all(groups):  # one gather and one sum per group (a word's first sight costs this)
            starts = np.cumsum([0, *map(len, groups[:-1])])
            sums = np.add.reduceat(self.chain.state[[i for g in groups for i in g]], starts, axis=0)
            self._own[row], self._lent[:, row] = sums[0], sums[1:]
        else:
            self._own[row] = self.chain.score(own)
            for k, features in enumerate(lent):
                self._lent[k, row] = self.chain.score(features)
        return row

    def _reset_tables(self) -> None:
        assert self.chain is not None
        labels = len(self.chain.labels)
        self._row_of = {}
        self._own = np.zeros((1024, labels))
        self._lent = np.zeros((len(OFFSETS), 1024, labels))
        for k, offset in enumerate(OFFSETS):
            self._lent[k, 0] = self.chain.score(_EDGES[offset])


@dataclass
class Tagged:
    """One sentence through the model: its entity spans and each token's label probabilities."""

    spans: list[Span]
    marginals: list[list[float]]  # [token][label index]
    outside_label: int  # the index of label O

    def outside(self, k: int) -> float:
        """The probability that token k is no entity."""
        return self.marginals[k][self.outside_label]


class NerModel:
    """The trained CRF (a ``.crfsuite`` file, tagged by ``archive.entities.crf``) with the
    gazetteers its features ask: sentences' tokens in, entity spans out."""

    def __init__(self, path: str | os.PathLike, gazetteers: Gazetteers):
        self.chain = LinearChain(path)
        self.gazetteers = gazetteers
        self._features = FeatureCache(gazetteers, self.chain)
        self._outside_label = self.chain.labels.index("O")
        self._last: Tagged | None = None

    def tag_sentences(self, sentences: Sequence[Sequence]) -> list[Tagged]:
        """Each sentence's spans and label probabilities, the sentences decoded together."""
        decoded = self.chain.decode([self._features.scores(tokens) for tokens in sentences])
        return [Tagged(self._spans(d), d.marginals, self._outside_label) for d in decoded]

    def _spans(self, decoded: Decoded) -> list[Span]:
        """Entity spans from a sentence's labels, each with the model's confidence: the mean
        probability of its labels."""
        names = self.chain.labels
        labels = [names[k] for k in decoded.labels]
        marginals = decoded.marginals
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
            probability = sum(marginals[k][decoded.labels[k]] for k in range(i, j)) / (j - i)
            spans.append(Span(i, j - 1, LABELS[kind], probability))
            i = j
        return spans

    def spans(self, tokens: Sequence) -> list[Span]:
        """Entity spans in one sentence's tokens, each with the model's confidence: the mean
        marginal probability of its labels."""
        if not tokens:
            return []
        self._last = self.tag_sentences([tokens])[0]
        return self._last.spans

    def outside(self, k: int) -> float:
        """The probability that token k of the sentence ``spans`` last tagged is no entity."""
        assert self._last is not None
        return self._last.outside(k)


def model_file() -> str | None:
    """The model to use: ``$ARCHIVE_NER_MODEL`` if set (empty: none), else the shipped file.
    None: the tagger runs on its catalogue and rules alone."""
    chosen = os.environ.get("ARCHIVE_NER_MODEL")
    if chosen is not None:
        return chosen or None
    path = data_path(MODEL_FILE)
    return str(path) if path.is_file() else None


# -- training data -------------------------------------------------------------------------------

def read_conll(path: str | os.PathLike) -> list[list[tuple[str, str]]]:
    """Sentences of (token, tag) from a CoNLL-style file, or from every ``*.txt`` file of a
    folder in name order (AQMAR ships one file per article): a token and its BIO tags per line
    (tab or space separated), a blank line between sentences. A token may carry several tags,
    one per nesting level (Wojood: ``الأسد I-ORG B-PERS``); see ``flatten``. Tags outside
    person, place and organization (MISC, OCC, DATE and the like) become O. Wojood's paragraph
    marker ``$#$`` is no token."""
    path = Path(path)
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    sentences: list[list[tuple[str, str]]] = []
    for file in files:
        current: list[tuple[str, list[str]]] = []
        with open(file, encoding="utf-8-sig") as lines:
            for line in lines:
                fields = line.split()
                if not fields:
                    if current:
                        sentences.append(flatten(current))
                    current = []
                elif fields[0] != "$#$":
                    current.append((fields[0], fields[1:] or ["O"]))
        if current:
            sentences.append(flatten(current))
    return sentences


def flatten(tokens: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """One BIO tag per token from nested tags: the spans of each type are rebuilt (B-X opens
    one, I-X continues it), mapped to PER/LOC/ORG (PERS → PER, GPE → LOC; other types are
    transparent: an occupation span does not hide the organization inside it), and where kept
    spans nest or cross the outermost (longest, then first) wins: «مجلس الأمن ضد الأسد» is one
    organization, not a person inside one."""
    spans: list[tuple[int, int, str]] = []
    open_spans: dict[str, int] = {}  # type → first token of its open span
    for i, (_, tags) in enumerate(tokens + [("", [])]):
        seen = {}
        for tag in tags:
            prefix, _, kind = tag.partition("-")
            if prefix in ("B", "I") and kind:
                seen[kind] = prefix
        for kind in list(open_spans):
            if seen.get(kind) != "I":
                spans.append((open_spans.pop(kind), i - 1, kind))
        for kind in seen:
            if kind not in open_spans:
                open_spans[kind] = i
    kept: list[tuple[int, int, str]] = []
    for first, last, kind in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        label = _COARSE.get(kind, kind)
        if label in LABELS and all(last < a or b < first for a, b, _ in kept):
            kept.append((first, last, label))
    out = [(token, "O") for token, _ in tokens]
    for first, last, label in kept:
        for k in range(first, last + 1):
            out[k] = (tokens[k][0], ("B-" if k == first else "I-") + label)
    return out


_COARSE = {"PERS": "PER", "GPE": "LOC"}


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
    labels: list[str] = []
    k = 0
    for token in tokens:
        while k < len(spans) and spans[k][1] <= token.start:
            k += 1
        tag = spans[k][2] if k < len(spans) and spans[k][0] <= token.start else "O"
        if tag.startswith("B-") and labels and spans[k][0] < token.start:
            tag = "I-" + tag[2:]
        labels.append(tag)
    return labels
