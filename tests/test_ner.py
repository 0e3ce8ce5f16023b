"""The statistical tagger's tooling, end to end with real files: train a model with
scripts/train_ner.py on CoNLL data, use it through $ARCHIVE_NER_MODEL in `archive tag`, and score
the tagger with scripts/evaluate_ner.py."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
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


def test_a_clean_install_tags_with_the_shipped_model(tmp_path):
    """The wheel carries the model as package data and `Tagger()` uses it, with nothing named
    or installed by hand: built from this checkout, installed into an empty folder, imported from
    there (not from the checkout) in a process with no $ARCHIVE_NER_MODEL."""
    import os

    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "-q", "-w", str(wheel_dir), str(ROOT)], capture_output=True, text=True,
                           timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheel_dir.glob("*.whl")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                                "--target", str(target), str(wheel)], capture_output=True, text=True,
                               timeout=600)
    assert installed.returncode == 0, installed.stderr
    probe = ("import archive, json\n"
             "from archive.entities.tagger import Tagger\n"
             "t = Tagger()\n"
             "text = 'وصل ماركوس فيرنانديز إلى مدريد أمس.'\n"
             "print(json.dumps({'file': archive.__file__, 'model': t.model is not None,\n"
             "  'found': [(m.text, m.rule) for m in t.tag(text) if m.type == 'person']}))\n")
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVE_NER_MODEL"}
    env["PYTHONPATH"] = str(target)
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         encoding="utf-8", cwd=tmp_path, env=env, timeout=300)
    assert ran.returncode == 0, ran.stderr
    import json

    result = json.loads(ran.stdout)
    assert result["file"].startswith(str(target)) and result["model"] is True
    assert result["found"] == [["ماركوس فيرنانديز", "model"]]  # no rule knows him


# -- what the archive teaches: the collection pass ------------------------------------------

FULL_NAME = "وقال المتحدث باسم الشركة كريستوفر هانسن إن المحادثات مستمرة منذ أسابيع."
BARE = "وأكد هانسن أن الصفقة لم تكتمل بعد، وأن الشركة تنتظر موافقة الجهات الرقابية."


def _people(mentions) -> list[tuple[str, str, str]]:
    return [(m.text, m.entity_id, m.rule) for m in mentions if m.type == "person"]


def test_a_surname_in_one_article_resolves_through_another():
    from archive.entities.tagger import Tagger

    tagger = Tagger()
    full, bare, zoo = tagger.fresh().tag_many([
        FULL_NAME, BARE, "وشاهد الأطفال الأسد في حديقة الحيوان."])
    ((_, hansen, _),) = _people(full)
    assert _people(bare) == [("هانسن", hansen, "collection")]
    # alone, هانسن is not Christopher Hansen (at most a person of its own)
    assert hansen not in {e for _, e, _ in _people(tagger.fresh().tag(BARE))}
    # الأسد is Bashar al-Assad's (catalogue) name, and also "the lion": as a common word here
    assert _people(zoo) == []
    # after a speech verb it is the person (found by the model or the collection pass)
    assert [m[:2] for m in _people(tagger.fresh().tag_many(["وقال الأسد إن الحرب لن تتوقف."])[0])] == [
        ("الأسد", "person:bashar-al-assad")]


def test_a_surname_two_people_share_resolves_to_neither():
    from archive.entities.tagger import Tagger

    other = "وقال المتحدث باسم الوزارة بيتر هانسن إن الاجتماع تأجل."
    mentions = Tagger().tag_many([FULL_NAME, other, BARE])
    two = {e for _, e, _ in _people(mentions[0]) + _people(mentions[1])}
    assert len(two) == 2
    assert two.isdisjoint(e for _, e, _ in _people(mentions[2]))


def test_ala_is_no_person_however_it_is_written():
    from archive.entities.tagger import Tagger

    tagger = Tagger()
    for text in ("وشدد الرئيس على ضرورة الحوار.", "وشدد الرئيس علي ضرورة الحوار.",
                 "وصل الوفد علي متن طائرة خاصة.", "وحصل علي أحدث الأجهزة."):
        assert _people(tagger.fresh().tag(text)) == [], text
    assert [m[0] for m in _people(tagger.fresh().tag("وقال علي حسن إن الوفد وصل."))] == ["علي حسن"]


def test_an_incremental_build_retags_older_articles_a_later_one_teaches(tmp_path):
    """A real index: the bare surname is indexed first, the full name in a later build; the
    later build tags the older article again, so a filter on the person finds both."""
    from archive import Archive
    from archive.api import ArchiveError

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "older.txt").write_text("خبر قديم\n" + BARE, "utf-8")
    with Archive.open(tmp_path / "ix", create=True) as archive:
        assert archive.index([docs]).added == 1
        ((_, hansen, _),) = _people(archive.tag(FULL_NAME))
        with pytest.raises(ArchiveError):  # nobody of that name in the archive yet
            archive.search("", filters={"person": [hansen]})

        (docs / "newer.txt").write_text("خبر جديد\n" + FULL_NAME, "utf-8")
        report = archive.index([docs])
        # both contain هانسن: the older one for the name it now resolves, the newer one as well
        assert (report.added, report.unchanged, report.retagged) == (1, 1, 2)
        hits = archive.search("", filters={"person": [hansen]}).hits
        assert sorted(h.doc_id for h in hits) == ["newer", "older"]
        # the article view, which tags again, agrees with the index
        assert [m.entity_id for m in archive.article("older").passages[-1].entities
                if m.type == "person"] == [hansen]

        again = archive.index([docs])  # nothing new to learn: nothing tagged again
        assert (again.added, again.unchanged, again.retagged) == (0, 2, 0)


def test_a_new_index_learns_its_names_before_tagging_and_a_later_build_retags_on_workers(tmp_path):
    """A new index learns the names its articles establish first, so a surname in an article
    read before the full name is tagged with the person in one pass. A later build that
    teaches a name tags the older articles again, on the build's workers when there are many
    (80 here); one worker or two, the indexes agree."""
    from archive import Archive

    bare = [{"id": f"bare{i:02d}", "text": f"خبر رقم {i}\n" + BARE} for i in range(80)]
    full = {"id": "full", "text": "خبر أخير\n" + FULL_NAME}
    found = {}
    for workers in (1, 2):
        new = tmp_path / f"new{workers}.jsonl"
        new.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in [*bare, full]) + "\n", "utf-8")
        with Archive.open(tmp_path / f"new{workers}", create=True) as archive:
            report = archive.index([new], workers=workers)
            assert (report.added, report.retagged) == (81, 0)  # learned first: tagged once
            ((_, hansen, _),) = _people(archive.tag(FULL_NAME))
            hits = archive.search("", filters={"person": [hansen]}, limit=1000).hits
            assert sorted(h.doc_id for h in hits) == sorted(d["id"] for d in [*bare, full])

        feed = tmp_path / f"feed{workers}.jsonl"
        feed.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in bare) + "\n", "utf-8")
        with Archive.open(tmp_path / f"ix{workers}", create=True) as archive:
            assert archive.index([feed], workers=workers).added == 80  # nobody named yet
            with feed.open("a", encoding="utf-8") as more:
                more.write(json.dumps(full, ensure_ascii=False) + "\n")
            report = archive.index([feed], workers=workers)
            assert (report.added, report.retagged) == (1, 81)
            hits = archive.search("", filters={"person": [hansen]}, limit=1000).hits
            found[workers] = sorted(h.doc_id for h in hits)
            with feed.open("a", encoding="utf-8") as more:  # one more article, of nothing else
                more.write(json.dumps({"id": "other", "text": "خبر عن الطقس اليوم."}) + "\n")
            again = archive.index([feed], workers=workers)  # the names were applied: no retag
            assert (again.added, again.retagged) == (1, 0)
    assert found[1] == found[2] == sorted(d["id"] for d in [*bare, full])
