"""The statistical tagger's tooling, end to end with real files: train a model with
scripts/train_ner.py on CoNLL data, use it through $ARCHIVE_NER_MODEL in `archive tag`, and score
the tagger with scripts/evaluate_ner.py."""

from __future__ import annotations

import random
import subprocess
import sys

from conftest import ROOT, run_json

SYLLABLES = ["كا", "رو", "مي", "زو", "تا", "لي", "نو", "سا", "فو", "دي", "با", "جو"]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(2)) + "ن"


def _write_conll(path, rng: random.Random, sentences: int) -> None:
    """Sentences where the two words after صديقنا are a person's name, nothing else is."""
    lines = []
    for _ in range(sentences):
        first, last = _name(rng), _name(rng)
        words = [("التقى", "O"), ("صديقنا", "O"), (first, "B-PER"), (last, "I-PER"),
                 ("في", "O"), ("المقهى", "O"), ("أمس", "O"), (".", "O")]
        lines += [f"{w}\t{t}" for w, t in words] + [""]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _run(script: str, *args, env=None):
    import os

    return subprocess.run([sys.executable, str(ROOT / "scripts" / script), *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8", timeout=300,
                          env={**os.environ, **(env or {})})


def test_a_trained_model_finds_unseen_names_and_says_how_sure_it_is(tmp_path):
    _write_conll(tmp_path / "train.conll", random.Random(3), 300)
    model = tmp_path / "model.crfsuite"
    trained = _run("train_ner.py", "--data", tmp_path / "train.conll", "--out", model)
    assert trained.returncode == 0, trained.stderr
    assert model.stat().st_size > 0 and "dev, tokens" in trained.stdout

    text = "التقى صديقنا بارولين كاسامين في المقهى أمس."
    (tmp_path / "news.txt").write_text(text, "utf-8")
    with_model = run_json("tag", tmp_path / "news.txt", env={"ARCHIVE_NER_MODEL": str(model)})
    found = [m for m in with_model["entities"] if m["rule"] == "model"]
    assert [(m["type"], m["text"]) for m in found] == [("person", "بارولين كاسامين")]
    assert 0.6 <= found[0]["confidence"] <= 1.0
    assert text[found[0]["start"]:found[0]["end"]] == found[0]["text"]

    without = run_json("tag", tmp_path / "news.txt", env={"ARCHIVE_NER_MODEL": ""})
    assert not any(m["rule"] == "model" for m in without["entities"])


def test_evaluate_ner_scores_lenient_and_exact_spans(tmp_path):
    gold = ["وقال\tO", "الرئيس\tO", "الروسي\tO", "فلاديمير\tB-PER", "بوتين\tI-PER", "إن\tO",
            "قوات\tO", "من\tO", "كوريا\tB-LOC", "الشمالية\tI-LOC", "وصلت\tO", "إلى\tO",
            "لكورسك\tB-LOC", ".\tO", ""]
    (tmp_path / "gold.conll").write_text("\n".join(gold) + "\n", "utf-8")
    result = _run("evaluate_ner.py", tmp_path / "gold.conll", "--no-model",
                  env={"ARCHIVE_NER_MODEL": ""})
    assert result.returncode == 0, result.stderr
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in result.stdout.splitlines()[2:]}
    assert rows[("person", "lenient")][:3] == ["1.000", "1.000", "1.000"]
    assert rows[("place", "lenient")][:3] == ["1.000", "1.000", "1.000"]
    # لكورسك is tagged as كورسك, without its clitic: still the same gold token, exactly.
    assert rows[("place", "exact")][:3] == ["1.000", "1.000", "1.000"]
    assert rows[("organization", "lenient")][3:] == ["0", "0"]
