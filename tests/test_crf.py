"""The model's tagging in numpy (archive/entities/crf.py) against CRFsuite's own tagger on real
sentences: the same feature rows weigh the same, the same labels come out, with the same
probabilities; and a file that is no model is a clear error."""

from __future__ import annotations

import numpy as np
import pycrfsuite
import pytest
from conftest import CORPUS


@pytest.fixture(scope="module")
def sentences():
    """Every sentence of the sample corpus's articles, as the tagger cuts them."""
    from archive.entities.model_pass import sentence_ranges
    from archive.entities.tagger import default_tagger

    tagger = default_tagger()
    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text("utf-8")
        tokens = tagger._tokens(text)
        out += [tokens[first:last] for first, last in sentence_ranges(text, tokens)]
    assert len(out) > 150
    return out


@pytest.fixture(scope="module")
def model():
    from archive.entities.tagger import default_tagger

    found = default_tagger().model
    assert found is not None
    return found


@pytest.fixture(scope="module")
def reference():
    from archive.entities.model import model_file

    tagger = pycrfsuite.Tagger()
    tagger.open(model_file())
    return tagger


def test_the_weights_read_from_the_file_are_crfsuites(model, reference):
    info = reference.info()  # CRFsuite's dump of the model (weights printed to 6 decimals)
    chain = model.chain
    assert chain.labels == sorted(info.labels, key=lambda label: int(info.labels[label]))
    assert chain.attributes == {name: int(number) for name, number in info.attributes.items()}
    state = np.zeros_like(chain.state)
    for (attribute, label), weight in info.state_features.items():
        state[chain.attributes[attribute], chain.labels.index(label)] = weight
    assert np.abs(state - chain.state).max() < 1e-6
    for (first, second), weight in info.transitions.items():
        assert abs(chain.transitions[chain.labels.index(first), chain.labels.index(second)] - weight) < 1e-6


def test_a_sentences_scores_are_the_weights_of_its_feature_rows(model, sentences):
    features, chain = model._features, model.chain
    for tokens in sentences:
        expected = np.array([chain.score(row) for row in features.rows(tokens)])
        assert np.abs(features.scores(tokens) - expected).max() < 1e-9
    row = features.rows(sentences[0])[0]
    assert row[0] == "bias" and any(f.startswith("1:") for f in row)  # the rows the model learned


def test_labels_and_probabilities_are_crfsuites(model, reference, sentences):
    tagged = model.tag_sentences(sentences)  # all at once, as the tagger's model pass does
    labels = model.chain.labels
    entities = 0
    for tokens, sentence in zip(sentences, tagged, strict=True):
        rows = model._features.rows(tokens)
        expected = reference.tag(rows)
        spans = [(s.first, s.last, s.type) for s in sentence.spans]
        assert spans == _spans(expected)
        for k in range(len(tokens)):
            for label in labels:
                assert abs(sentence.marginals[k][labels.index(label)] - reference.marginal(label, k)) < 1e-9
        for span in sentence.spans:
            mean = sum(reference.marginal(expected[k], k) for k in range(span.first, span.last + 1))
            assert abs(span.confidence - mean / (span.last - span.first + 1)) < 1e-9
        entities += len(sentence.spans)
    assert entities > 100
    one = model.tag_sentences([sentences[3]])[0]  # alone or among others: the same
    assert [(s.first, s.last, s.type) for s in one.spans] == [(s.first, s.last, s.type) for s in tagged[3].spans]
    assert np.abs(np.array(one.marginals) - np.array(tagged[3].marginals)).max() < 1e-12


def _spans(labels: list[str]) -> list[tuple[int, int, str]]:
    from archive.entities.model import LABELS

    out, i = [], 0
    while i < len(labels):
        if labels[i] == "O":
            i += 1
            continue
        kind, j = labels[i][2:], i + 1
        while j < len(labels) and labels[j] == f"I-{kind}":
            j += 1
        out.append((i, j - 1, LABELS[kind]))
        i = j
    return out


@pytest.mark.parametrize("content", [b"", b"not a model at all", b"lCRF" + bytes(60),
                                     b"lCRF\x00\x00\x00\x00FOMC" + bytes(36) + b"\xff" * 8])
def test_a_file_that_is_no_model_is_a_clear_error(tmp_path, content):
    from archive.entities.crf import LinearChain

    path = tmp_path / "model.crfsuite"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        LinearChain(path)
