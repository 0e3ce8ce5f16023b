"""Ranking for natural questions: question and function words, the benchmark evaluation script.
Real small indexes on disk, searched through the API."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from archive.arabic import Analyzer
from conftest import ROOT, indexed


def doc_ids(results):
    return [h.doc_id for h in results.hits]


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer()


@pytest.mark.parametrize("word", ["متى", "متي", "أين", "كم", "ماهو", "والتي", "وأين", "ومتى",
                                  "بماذا", "والذي"])
def test_question_and_function_words_have_no_stem(analyzer, word):
    assert analyzer.term(word).stem is None


@pytest.mark.parametrize("word, stem", [("والي", None), ("ولد", "ولد"), ("والد", "والد"),
                                        ("فلم", "فلم"), ("وهم", "وهم")])
def test_content_words_that_look_like_clitic_and_function_word_keep_theirs(analyzer, word, stem):
    # والي is a stopword already (وإلى); the others must not lose their stem to a reading of
    # و/ف + a function word: ولد is not و + لد, فلم is not ف + لم.
    assert analyzer.term(word).stem == stem


def test_a_question_word_does_not_outrank_the_content_words(tmp_path):
    with indexed(tmp_path, [
        {"id": "answer", "title": "ت", "text": "ولد الكاتب نجيب محفوظ في القاهرة عام 1911."},
        {"id": "when", "title": "ت", "text": "متى؟ متى يعود السلام؟ متى ينتهي الانتظار؟"},
        {"id": "where", "title": "ت", "text": "وأين المفر؟ وأين الأمان؟"},
    ]) as archive:
        assert doc_ids(archive.search("متى ولد نجيب محفوظ؟")) == ["answer"]
        assert doc_ids(archive.search("وأين ولد نجيب محفوظ")) == ["answer"]
        # Nothing but question words: they are searched as written.
        assert doc_ids(archive.search("متى")) == ["when"]


def test_kilometres_are_not_how_many(tmp_path):
    with indexed(tmp_path, [
        {"id": "distance", "title": "ت", "text": "تبعد المدينة 40 كم عن الحدود و12 كم عن البحر."},
        {"id": "population", "title": "ت", "text": "يبلغ عدد سكان المدينة مليون نسمة."},
    ]) as archive:
        assert doc_ids(archive.search("كم سكان المدينة؟")) == ["population", "distance"]


# -- scripts/evaluate.py on a benchmark folder -----------------------------------------------

def _benchmark(folder: Path) -> Path:
    docs = folder / "docs"
    docs.mkdir(parents=True)
    (docs / "d1.txt").write_text("ولد نجيب محفوظ في القاهرة عام 1911 وكتب الثلاثية.\n", "utf-8")
    (docs / "d2.txt").write_text("تقع مدينة الإسكندرية على ساحل البحر المتوسط.\n", "utf-8")
    (docs / "d3.txt").write_text("فاز نجيب محفوظ بجائزة نوبل للآداب عام 1988.\n", "utf-8")
    judged = [("q1", "أين تقع الإسكندرية؟", "d2", "البحر المتوسط"),
              ("q2", "متى فاز نجيب محفوظ بجائزة نوبل؟", "d3", "1988"),
              ("q3", "ماذا كتب نجيب محفوظ؟", "d1", "الروايات")]  # the answer is in no passage
    with open(folder / "judgements.jsonl", "w", encoding="utf-8") as strict, \
            open(folder / "judgements_doc.jsonl", "w", encoding="utf-8") as doc:
        for qid, query, doc_id, answer in judged:
            strict.write(json.dumps({"id": qid, "query": query, "relevant": [[doc_id, answer]]},
                                    ensure_ascii=False) + "\n")
            doc.write(json.dumps({"id": qid, "query": query, "relevant": [[doc_id, ""]]},
                                 ensure_ascii=False) + "\n")
    return folder


def test_evaluate_scores_a_benchmark_folder_strict_and_doc(tmp_path):
    folder = _benchmark(tmp_path / "bench")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate.py"), str(folder),
                          "--no-seed", "--json", "--ranks", str(tmp_path / "ranks.jsonl")],
                         capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)
    assert result["benchmark"] == "bench" and result["engine"] == "whoosh"
    assert result["queries"] == 3
    # Strict: q1 and q2 find their answer first, q3's answer is nowhere; doc level: all three.
    assert result["strict"]["mrr"] == pytest.approx(2 / 3)
    assert result["strict"]["recall100"] == pytest.approx(2 / 3)
    assert result["doc"]["mrr"] == pytest.approx(1.0)
    assert result["doc"]["ndcg"] == pytest.approx(1.0)
    ranks = {r["id"]: r for r in map(json.loads, (tmp_path / "ranks.jsonl").read_text("utf-8").splitlines())}
    assert ranks["q3"]["strict"] is None and ranks["q3"]["doc"] == 1
    assert ranks["q2"]["top"][0] == "d3"


def test_evaluate_item_metrics():
    sys.path.insert(0, str(ROOT / "scripts"))
    from evaluate import item_scores

    items = [("a", "x"), ("a", "y"), ("b", "")]
    # a passage covering two items takes two ranks; an item found again counts nothing
    scores = item_scores(items, [("z", ""), ("a", "x y"), ("a", "x"), ("b", "w")])
    assert scores.first == 2 and scores.mrr == 0.5
    assert scores.recall10 == 1.0  # ranks: 0, 1, 1, 0, 1
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert scores.ndcg == pytest.approx((1 / math.log2(3) + 1 / math.log2(4) + 1 / math.log2(6)) / ideal)
    none = item_scores(items, [("z", "x")])
    assert none.first is None and none.mrr == 0.0 and none.recall100 == 0.0


# -- passages with their article's evidence ----------------------------------------------------

SPREAD = [
    # The question's name is in the article's first passage, its other words in the second.
    {"id": "bio", "title": "ت", "text": "نجيب محفوظ روائي مصري حائز على جائزة نوبل للآداب.\n"
                                         "ولد في حي الجمالية بالقاهرة عام 1911."},
    # Another article repeats one of the words and holds a second one.
    {"id": "other", "title": "ت", "text": "ولد الشاعر في القاهرة، وفي القاهرة ولد ابنه، "
                                           "وعاش في القاهرة حتى وفاته."},
    {"id": "far", "title": "ت", "text": "تقع الجمالية في قلب القاهرة الفاطمية."},
]


def test_a_passage_ranks_with_the_evidence_of_its_article(tmp_path):
    with indexed(tmp_path, SPREAD) as archive:
        hits = archive.search("أين ولد نجيب محفوظ في القاهرة؟").hits
        # Alone, "other" holds more of the words (ولد and القاهرة, twice and thrice); with its
        # article, each passage of "bio" holds all three.
        assert [(h.doc_id, h.position) for h in hits[:3]] == [("bio", 0), ("bio", 1), ("other", 0)]
        # The result is still the passage, with its own words highlighted.
        answer = hits[1]
        assert answer.text == "ولد في حي الجمالية بالقاهرة عام 1911."
        assert [answer.text[s:e] for s, e in answer.highlights] == ["ولد", "بالقاهرة"]


def test_more_distinct_words_outrank_one_word_repeated(tmp_path):
    with indexed(tmp_path, [
        {"id": "repeat", "title": "ت", "text": "القاهرة القاهرة القاهرة القاهرة."},
        {"id": "distinct", "title": "ت", "text": "يمر نهر النيل العظيم بمدن كثيرة في مصر والسودان "
                                                 "منها القاهرة وأسوان والخرطوم وغيرها من المدن الكبيرة."},
        {"id": "nile", "title": "ت", "text": "النيل نهر طويل."},
        {"id": "flood", "title": "ت", "text": "فيضان النيل."},
    ]) as archive:
        # BM25 alone puts the short passage saying القاهرة four times first.
        assert doc_ids(archive.search("النيل القاهرة"))[:2] == ["distinct", "repeat"]


# -- a quoted phrase that matches nothing ----------------------------------------------------

NOVELS = [
    {"id": "austen", "title": "ت", "text": "رواية الكبرياء والتحامل من تأليف الكاتبة جين أوستن."},
    {"id": "owner", "title": "ت", "text": "صاحب المكتبة رجل طيب."},
    {"id": "story", "title": "ت", "text": "قصة قصيرة عن الحب."},
]


def test_a_quoted_phrase_that_matches_nothing_is_searched_as_its_words(tmp_path):
    with indexed(tmp_path, NOVELS) as archive:
        results = archive.search('من صاحب "قصة كبرياء وتحامل"؟')
        assert doc_ids(results)[0] == "austen"
        assert results.notices == ['no passage has the phrase "قصة كبرياء وتحامل": its words '
                                   'were searched instead']
        assert results.to_dict()["notices"] == results.notices
        hit = results.hits[0]
        assert [hit.text[s:e] for s, e in hit.highlights] == ["الكبرياء", "والتحامل"]


def test_a_quoted_phrase_that_matches_stays_a_phrase(tmp_path):
    with indexed(tmp_path, NOVELS) as archive:
        results = archive.search('"الكبرياء والتحامل"')
        assert doc_ids(results) == ["austen"] and results.notices == []
        # A negative phrase matching nothing excludes nothing, and is not reported.
        results = archive.search('قصة -"قصة طويلة"')
        assert doc_ids(results) == ["story"] and results.notices == []
        # Words in the wrong order are no phrase: searched as words, said so.
        results = archive.search('"والتحامل الكبرياء"')
        assert doc_ids(results) == ["austen"] and len(results.notices) == 1


def test_the_cli_prints_the_notice(tmp_path):
    from conftest import run_cli, write_jsonl

    write_jsonl(tmp_path / "novels.jsonl", NOVELS)
    run_cli("index", tmp_path / "novels.jsonl", "--index", tmp_path / "ix", check=0)
    result = run_cli("search", '"قصة كبرياء"', "--index", tmp_path / "ix", check=0)
    assert "austen" in result.stdout or "الكبرياء" in result.stdout
    assert 'no passage has the phrase "قصة كبرياء"' in result.stderr


# -- clitic readings that respect the vocabulary -----------------------------------------------

NAMES = [
    {"id": "bundy", "title": "ت", "text": "تيد بندي قاتل متسلسل أمريكي.\n"
                                           "أعدم بندي في فلوريدا عام 1989."},
    # The stem ند (of ندي) is in as many passages as بند (of بندي): the stems alone would
    # read بندي as ب + ندي.
    {"id": "dew", "title": "ت", "text": "قطرات الندى على الزهور في الصباح."},
    {"id": "rival", "title": "ت", "text": "وقف الند أمام الند في المباراة."},
    {"id": "loudoun", "title": "ت", "text": "مقاطعة لودون في ولاية فرجينيا.\nتنمو لودون بسرعة."},
    {"id": "love", "title": "ت", "text": "بينهما ود قديم.\nسيبقى الود بينهما."},
    {"id": "kursk", "title": "ت", "text": "معارك في كورسك. وصلت التعزيزات إلى كورسك."},
]


def test_a_name_the_archive_holds_whole_keeps_its_first_letter(tmp_path):
    with indexed(tmp_path, NAMES) as archive:
        # بندي is in two passages as a whole form, ندي (الندى) in one: not ب + ندي.
        assert set(doc_ids(archive.search("بندي"))) == {"bundy"}
        assert doc_ids(archive.search("من هو تيد بندي؟"))[:2] == ["bundy", "bundy"]
        # لودون is not ل + ودون (stem ود).
        assert set(doc_ids(archive.search("لودون"))) == {"loudoun"}
        # A clitic before a word the archive knows better is still stripped.
        assert set(doc_ids(archive.search("بكورسك"))) == {"kursk"}
        assert doc_ids(archive.search("للندى"))[0] == "dew"


def test_pages_of_re_ranked_results_continue_each_other(tmp_path):
    words = ["كورسك", "خاركيف", "الجبهة", "المسيرات", "القوات"]
    records = [{"id": f"a{i}", "title": "ت",
                "text": "\n".join(" ".join(words[(i + k) % 5: (i + k) % 5 + 1 + (i * k) % 3]) + " تقرير."
                                  for k in range(4))} for i in range(12)]
    with indexed(tmp_path, records) as archive:
        whole = [(h.doc_id, h.position) for h in archive.search("كورسك خاركيف القوات", limit=30).hits]
        paged = [(h.doc_id, h.position) for page in (1, 2, 3)
                 for h in archive.search("كورسك خاركيف القوات", limit=10, page=page).hits]
        assert len(whole) > 20 and paged == whole[:30]
