"""Normalization, tokenization and stemming: what makes a query word find its text."""

from collections import Counter

import pytest

from archive.analyzers import shared_analyzer
from archive.arabic import CountContext, normalize, tokenize


@pytest.fixture(scope="module")
def analyzer():
    return shared_analyzer()


@pytest.mark.parametrize("raw, expected", [
    ("أُوكْرَانِيَا", "اوكرانيا"),       # tashkeel out, hamza-alef folded
    ("إيران", "ايران"),
    ("آسيا", "اسيا"),
    ("ٱلله", "الله"),                 # alef wasla
    ("مدينة", "مدينه"),               # ta marbuta
    ("على", "علي"),                   # alef maqsura
    ("مسؤول", "مسوول"),               # hamza on waw, tasheel method
    ("ذخائر", "ذخاير"),               # hamza on yeh
    ("كـــورسك", "كورسك"),             # tatweel
    ("٢٠٢٤", "2024"),                 # Arabic-Indic digits
    ("Hwasong-11", "hwasong-11"),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_tokenize_keeps_model_names_whole_and_drops_punctuation():
    text = "صواريخ Hwasong-11 وKN-23، ومنظومة S-400 (كوفيد-19)."
    assert [s.surface for s in tokenize(text)] == [
        "صواريخ", "Hwasong-11", "وKN-23", "ومنظومة", "S-400", "كوفيد-19"]
    for span in tokenize(text):
        assert text[span.start:span.end] == span.surface


def test_tokenize_keeps_marked_words_whole():
    assert [s.surface for s in tokenize("بَيْنَ كـــورسك")] == ["بَيْنَ", "كـــورسك"]


@pytest.mark.parametrize("word, exact", [
    ("الدفاع", "دفاع"), ("والدفاع", "دفاع"), ("بالصواريخ", "صواريخ"), ("للغارديان", "غارديان"),
    ("وقال", "قال"), ("وبيونغ", "بيونغ"),
])
def test_definite_article_and_waw_are_stripped_by_rule(analyzer, word, exact):
    assert analyzer.term(word).exact == exact


@pytest.mark.parametrize("word", ["كورسك", "بيونغ", "باليستي", "فرنسا", "لبنان", "كييف", "بيان"])
def test_real_first_letters_are_kept(analyzer, word):
    assert analyzer.term(word).exact == normalize(word)


def test_bare_clitic_is_stripped_when_the_article_attests_the_word(analyzer):
    article = "دخلت القوات كورسك. وفي كورسك قتال. وصلت التعزيزات بكورسك أمس."
    context = analyzer.article_context(article)
    assert analyzer.term("بكورسك", context=context).exact == "كورسك"
    assert analyzer.term("لعقوبات", context=analyzer.article_context("العقوبات لعقوبات")).exact == "عقوبات"


def test_bare_clitic_is_kept_without_evidence(analyzer):
    # بيونغ twice, يونغ once: the ب is a letter of بيونغ, not a preposition.
    context = CountContext(Counter({"بيونغ": 2, "يونغ": 1}))
    assert analyzer.term("بيونغ", context=context).exact == "بيونغ"
    assert analyzer.term("بمدينة").exact == "بمدينه"


@pytest.mark.parametrize("a, b", [
    ("الصواريخ", "صاروخ"),         # broken plural فواعيل / فاعول
    ("الذخائر", "ذخيرة"),          # فعائل / فعيلة
    ("قذائف", "قذيفة"),
    ("مدافع", "المدفعية"),
    ("روتي", "روته"),              # final ي / ه
    ("اتفاقية", "اتفاق"),
    ("الباليستية", "باليستي"),
    ("دفاعي", "للدفاع"),
])
def test_variants_share_a_stem(analyzer, a, b):
    assert analyzer.term(a).stem == analyzer.term(b).stem


def test_unrelated_words_do_not_share_a_stem(analyzer):
    assert analyzer.term("الدفاع").stem != analyzer.term("المدفعية").stem
    assert analyzer.term("كورسك").stem != analyzer.term("ورسك").stem


def test_stopwords_stay_exact_but_have_no_stem(analyzer):
    analysis = analyzer.analyse("في منطقة كورسك")
    assert analysis.exact == ["في", "منطقه", "كورسك"]
    assert analysis.stems == ["منطق", "كورسك"]


def test_index_and_query_analysis_agree(analyzer):
    text = "أرسلت كوريا الشمالية صواريخ باليستية إلى روسيا"
    indexed = analyzer.analyse(text, analyzer.article_context(text)).stems
    for span in tokenize(text):
        stem = analyzer.term(span.surface).stem
        assert stem is None or stem in indexed
