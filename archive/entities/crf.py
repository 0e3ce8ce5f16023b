"""Tagging with a trained linear-chain CRF in numpy: a CRFsuite model file in, per sentence the
best label sequence (Viterbi) and every token's label probabilities (forward-backward) out.

The model file is the one ``scripts/train_ner.py`` writes with python-crfsuite (CRFsuite's
"CRF1d" format: a header, the features with their weights, and two string tables, labels and
attributes). It is read as CRFsuite reads it and the scores are CRFsuite's: a token's score
for a label is the sum of the weights of its attributes for that label, a sequence's the sum of
its tokens' scores and of the transitions between consecutive labels. Why not CRFsuite's own
tagger: it takes every token's features as strings, one sentence per call, and spends most of
a build's model time converting them; here a word's scores are summed once (``score``) and the
sentences of an article are decoded together, one numpy step per token position
(``decode``). ``tests/test_crf.py`` checks the labels and probabilities against CRFsuite's.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_HEADER = struct.Struct("<4sI4sIIIIIIIII")  # magic, size, type, version, … offsets
_CHUNK = struct.Struct("<4sII")  # a feature chunk: its id, size and count
_CQDB = struct.Struct("<4sIIIII")  # a string table: id, size, flag, byte order, ids, offset
_FEATURE = np.dtype([("type", "<u4"), ("source", "<u4"), ("target", "<u4"), ("weight", "<f8")])
_STATE, _TRANSITION = 0, 1


@dataclass
class Decoded:
    """One sentence tagged: the best labels (indices into ``LinearChain.labels``) and, per
    token, the probability of each label (``marginals[t][label]``)."""

    labels: list[int]
    marginals: list[list[float]]


class LinearChain:
    """A CRFsuite model's weights: per attribute (a feature string) and label, and per pair of
    consecutive labels."""

    def __init__(self, path: str | os.PathLike):
        """Read the model at ``path``; ValueError if it is no CRFsuite CRF1d model."""
        try:
            self._read(Path(path).read_bytes())
        except (struct.error, IndexError, UnicodeDecodeError) as error:
            raise ValueError(f"a damaged CRFsuite model ({error})") from None
        self._exp_transitions = np.exp(self.transitions)

    def _read(self, data: bytes) -> None:
        if len(data) < _HEADER.size:
            raise ValueError("too short for a CRFsuite model")
        (magic, _, kind, _, _, num_labels, num_attrs, off_features, off_labels, off_attrs,
         _, _) = _HEADER.unpack_from(data, 0)
        if magic != b"lCRF" or kind != b"FOMC":
            raise ValueError("not a CRFsuite CRF1d model")
        label_ids = _strings(data, off_labels)
        self.labels = sorted(label_ids, key=label_ids.__getitem__)
        self.attributes = _strings(data, off_attrs)
        if len(self.labels) != num_labels or len(self.attributes) != num_attrs:
            raise ValueError("the model's string tables do not match its header")
        chunk, _, count = _CHUNK.unpack_from(data, off_features)
        if chunk != b"FEAT":
            raise ValueError("the model has no feature chunk")
        features = np.frombuffer(data, _FEATURE, count, off_features + _CHUNK.size)
        self.state = np.zeros((num_attrs, num_labels))
        self.transitions = np.zeros((num_labels, num_labels))
        for table, kind_of in ((self.state, _STATE), (self.transitions, _TRANSITION)):
            chosen = features[features["type"] == kind_of]
            table[chosen["source"], chosen["target"]] = chosen["weight"]

    def known(self, features: Iterable[str]) -> list[int]:
        """The attribute ids of those of ``features`` the model knows, in order."""
        return [i for i in map(self.attributes.get, features) if i is not None]

    def score(self, features: Iterable[str]) -> np.ndarray:
        """The summed weights per label of these features (unknown ones weigh nothing), added
        in their order, as CRFsuite adds them."""
        ids = self.known(features)
        if not ids:
            return np.zeros(len(self.labels))
        return self.state[ids].sum(axis=0)

    def decode(self, scores: Sequence[np.ndarray]) -> list[Decoded]:
        """Per sentence (its token scores, an array of shape (tokens, labels)): the Viterbi
        labels and the forward-backward probabilities, all sentences a numpy step at a time."""
        if not scores:
            return []
        order = sorted(range(len(scores)), key=lambda k: -len(scores[k]))
        lengths = np.array([len(scores[k]) for k in order])
        longest, count, labels = int(lengths[0]), len(order), len(self.labels)
        state = np.zeros((count, longest, labels))
        for row, k in enumerate(order):
            state[row, :lengths[row]] = scores[k]
        # active[t]: the sentences (a prefix of the rows, longest first) with a token at t
        active = np.searchsorted(-lengths, -np.arange(longest + 1), side="left")
        best = self._viterbi(state, lengths, active)
        marginals = self._marginals(state, active)
        out: list[Decoded | None] = [None] * count
        for row, k in enumerate(order):
            size = int(lengths[row])
            out[k] = Decoded(best[row][:size], marginals[row, :size].tolist())
        return out  # type: ignore[return-value]

    def _viterbi(self, state: np.ndarray, lengths: np.ndarray, active: np.ndarray) -> list[list[int]]:
        """The best label sequence of each row (CRFsuite's recursion; ties go to the lower label)."""
        count, longest, labels = state.shape
        current = state[:, 0].copy()
        back = np.zeros((count, longest, labels), dtype=np.intp)
        for t in range(1, longest):
            k = active[t]
            paths = current[:k, :, None] + self.transitions  # [row, previous, next]
            back[:k, t] = paths.argmax(axis=1)
            current[:k] = paths.max(axis=1) + state[:k, t]
        last = current.argmax(axis=1).tolist()
        steps = back.tolist()
        best = []
        for row in range(count):
            label, path = last[row], [0] * int(lengths[row])
            for t in range(int(lengths[row]) - 1, -1, -1):
                path[t] = label
                label = steps[row][t][label]
            best.append(path)
        return best

    def _marginals(self, state: np.ndarray, active: np.ndarray) -> np.ndarray:
        """P(label at t | sentence) for each row, by CRFsuite's scaled forward-backward."""
        count, longest, labels = state.shape
        exp_state, exp_trans = np.exp(state), self._exp_transitions
        alpha = np.zeros_like(state)
        beta = np.zeros_like(state)
        scale = np.zeros((count, longest))
        for t in range(longest):
            k = active[t]
            forward = exp_state[:k, 0] if t == 0 else (alpha[:k, t - 1] @ exp_trans) * exp_state[:k, t]
            scale[:k, t] = 1.0 / forward.sum(axis=1)
            alpha[:k, t] = forward * scale[:k, t, None]
        for t in range(longest - 1, -1, -1):
            k, inner = active[t], active[t + 1]
            beta[inner:k, t] = scale[inner:k, t, None]  # a sentence's last token
            if inner:
                following = beta[:inner, t + 1] * exp_state[:inner, t + 1]
                beta[:inner, t] = (following @ exp_trans.T) * scale[:inner, t, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            return alpha * beta / scale[:, :, None]


def _strings(data: bytes, offset: int) -> dict[str, int]:
    """A CRFsuite string table (a CQDB chunk) as string → id, through its id → record array."""
    chunk, _, _, _, size, backward = _CQDB.unpack_from(data, offset)
    if chunk != b"CQDB":
        raise ValueError("a string table of the model is damaged")
    records = struct.unpack_from(f"<{size}I", data, offset + backward)
    out = {}
    for record in records:
        if record:
            number, length = struct.unpack_from("<II", data, offset + record)
            start = offset + record + 8
            out[data[start:start + length - 1].decode("utf-8")] = number
    return out
