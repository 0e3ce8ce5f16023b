"""Cleaning: boilerplate out, repeats out, what the text says about itself kept as fields."""

from archive.cleaning import clean
from archive.passages import MAX_WORDS, split_passages
from archive.intake import read_paths
from archive.records import Article


def article(text: str, **kw) -> Article:
    return Article(id="t", title=text.strip().splitlines()[0], text=text, origin="t.txt", **kw)


def test_boilerplate_repeats_and_blank_lines_are_dropped():
    raw = ("عنوان الخبر\n\u00a0\n\nفقرة أولى عن كورسك.\nصورة من الحدث\nصورة من الحدث\n"
           "عنوان الخبر\nفقرة ثانية.\nشاركها.\nاترك رد\n© 2024 خليجي 247. جميع الحقوق محفوظة.\n"
           "تم نشر الخبر مترجم عبر خدمة غوغل\n")
    cleaned = clean(article(raw))
    assert cleaned.text.splitlines() == [
        "عنوان الخبر", "فقرة أولى عن كورسك.", "صورة من الحدث", "فقرة ثانية."]
    assert cleaned.source == "خليجي 247"


def test_date_and_site_written_in_the_text_become_fields():
    raw = ("عنوان\nنص الخبر.\nالمصدر\nالموقع : www.aljazeera.com\n"
           "نشر الخبر اول مرة بتاريخ : 2024-10-19 09:10:13\n")
    cleaned = clean(article(raw))
    assert (cleaned.date, cleaned.source) == ("2024-10-19T09:10:13", "aljazeera.com")
    assert cleaned.text == "عنوان\nنص الخبر."


def test_given_metadata_wins_over_the_text():
    cleaned = clean(article("عنوان\nالموقع : www.aljazeera.com\n", source="bbc.com"))
    assert cleaned.source == "bbc.com"


def test_related_articles_footer_is_cut_only_near_the_end():
    body = "\n".join(f"فقرة رقم {i} من الخبر." for i in range(6))
    cleaned = clean(article(f"عنوان\n{body}\nقد يهمك:\nخبر آخر لا علاقة له\nخبر ثالث"))
    assert cleaned.text.splitlines()[-1] == "فقرة رقم 5 من الخبر."
    early = clean(article("عنوان\nقد يهمك:\n" + body))
    assert "فقرة رقم 5 من الخبر." in early.text


def test_seed_footers_are_removed(corpus):
    texts = {a.id: clean(a) for a in read_paths([corpus]).articles}
    every_line = "\n".join(a.text for a in texts.values())
    for chrome in ("اترك رد", "شاركها", "جميع الحقوق محفوظة", "اشترك للحصول", "خدمة غوغل"):
        assert chrome not in every_line
    assert texts["001_b75fb6d3b10de464"].date == "2024-10-19T09:10:13"


def test_passages_cover_the_text_with_exact_spans(corpus):
    for raw in read_paths([corpus]).articles:
        cleaned = clean(raw)
        passages = split_passages(cleaned)
        assert passages and [p.position for p in passages] == list(range(len(passages)))
        for p in passages:
            assert cleaned.text[p.start:p.end] == p.text
            assert len(p.text.split()) <= MAX_WORDS


def test_long_paragraph_splits_at_sentence_ends_and_heading_joins_its_paragraph():
    sentence = "هذه جملة من عشر كلمات تصف ما جرى في كورسك أمس."
    text = "عنوان فرعي\n" + " ".join([sentence] * 20)
    passages = split_passages(Article("t", "عنوان فرعي", text, "t.txt"))
    assert len(passages) == 3
    assert passages[0].text.startswith("عنوان فرعي\nهذه جملة")
    assert all(p.text.endswith("أمس.") for p in passages)
