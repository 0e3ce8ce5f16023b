"""The inputs newsrooms have: saved HTML pages, RSS and Atom feeds, CSV exports, each indexed
with its title, date, source and address; dates as Arabic news writes them; and the build report
naming the articles whose date cannot be read. Real files in tests/data/formats, real indexes,
the real CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from archive.dates import iso_day
from archive.intake import read_paths
from conftest import run_cli, run_json

FORMATS = Path(__file__).resolve().parent / "data" / "formats"


def _articles(*names: str):
    result = read_paths([FORMATS / name for name in names])
    return {a.id: a for a in result.articles}, result.errors


def test_an_html_page_gives_its_main_text_title_date_address_and_site():
    articles, errors = _articles("kursk.html")
    assert errors == []
    page = articles["kursk"]  # named after the file, like a .txt file
    assert page.title == "كوريا الشمالية ترسل جنودا إلى كورسك"
    assert page.date == "2024-11-02"
    assert page.url == "https://news.example.com/2024/11/kursk"
    assert page.source == "موقع الأخبار"
    assert "آلاف الجنود من كوريا الشمالية" in page.text
    # Menus, "read also" boxes and footers are not the article.
    for chrome in ("الرئيسية", "أسعار النفط اليوم", "جميع الحقوق محفوظة"):
        assert chrome not in page.text


def test_an_rss_feed_gives_one_article_per_item():
    articles, errors = _articles("feed.rss")
    assert errors == [] and len(articles) == 3
    visit = articles["news-1001"]  # the guid
    assert visit.title == "بوتين يلتقي كيم جونغ أون في بيونغ يانغ"
    assert visit.date == "Sat, 02 Nov 2024 08:30:00 +0300"  # kept as written
    assert iso_day(visit.date) == "2024-11-02"
    assert visit.source == "أخبار العالم" and visit.url == "https://news.example.com/world/1001"
    # The full content (content:encoded), as text with its paragraphs, not the short summary.
    assert visit.text.splitlines() == ["وصل الرئيس الروسي فلاديمير بوتين إلى بيونغ يانغ في زيارة نادرة.",
                                       "وبحث الزعيمان التعاون العسكري بين البلدين."]
    strike = articles["https://news.example.com/world/1002"]
    assert strike.text == "تعرضت مدينة خاركيف الأوكرانية لقصف صاروخي عنيف ليلة الاثنين."
    # A link that is not http(s) is not kept: article links are shown to readers.
    assert articles["news-1003"].url is None


def test_an_atom_feed_gives_its_entries_with_published_dates():
    articles, errors = _articles("feed.atom")
    assert errors == []
    (entry,) = articles.values()
    assert entry.id == "tag:agency.example.org,2024:kursk-troops"
    assert entry.title == "جنود كوريون شماليون في كورسك" and entry.source == "وكالة الأنباء"
    assert iso_day(entry.date) == "2024-11-05"
    assert entry.url == "https://agency.example.org/2024/11/05/kursk"
    assert "ونفت موسكو ذلك." in entry.text and "ملخص قصير" not in entry.text


def test_a_csv_file_with_a_header_row():
    articles, errors = _articles("articles.csv")
    assert errors == [] and sorted(articles) == ["csv-1", "csv-2", "csv-3"]
    first = articles["csv-1"]
    assert (first.title, first.date, first.source, first.url) == (
        "اتفاقية دفاع مشترك", "٢ تشرين الثاني ٢٠٢٤", "وكالة", "https://x.example/1")
    assert first.text == "وقعت روسيا وكوريا الشمالية اتفاقية الدفاع المشترك.\nودخلت الاتفاقية حيز التنفيذ."
    assert articles["csv-2"].url is None  # an empty cell is no value
    assert "," in articles["csv-2"].text  # a quoted comma is text


def test_csv_columns_under_other_names_are_mapped_on_the_command_line(tmp_path):
    shutil.copy(FORMATS / "semicolons.csv", tmp_path / "export.csv")
    unmapped = run_cli("index", tmp_path / "export.csv", "--index", tmp_path / "ix", check=1)
    assert "export.csv:1" in unmapped.stderr and "--csv-map" in unmapped.stderr
    assert "story_id, headline, published, body" in unmapped.stderr
    report = run_json("index", tmp_path / "export.csv", "--index", tmp_path / "ix2",
                      "--csv-map", "id=story_id,title=headline", "--csv-map", "date=published",
                      "--csv-map", "text=body")
    assert report["added"] == 1 and report["errors"] == []
    article = run_json("article", "b-1", "--index", tmp_path / "ix2")
    assert (article["title"], article["date"]) == ("خبر من جدول", "2024-11-03")
    wrong = run_cli("index", tmp_path / "export.csv", "--index", tmp_path / "ix3",
                    "--csv-map", "body=text")
    assert wrong.returncode == 2 and "'body' is no article field" in wrong.stderr


def test_a_csv_row_that_does_not_fit_is_reported_with_its_line_and_the_rest_indexed(tmp_path):
    (tmp_path / "rows.csv").write_text(
        'id,text\na,"نص أول\nفي سطرين"\nb,نص,زائد\nc,نص ثالث\n', "utf-8")
    result = read_paths([tmp_path / "rows.csv"])
    assert [a.id for a in result.articles] == ["a", "c"]
    (error,) = result.errors
    assert error.line == 4 and "3 fields" in error.reason  # the line the row starts on


def test_broken_pages_and_feeds_are_reported_and_the_rest_is_indexed(tmp_path):
    for name in ("kursk.html", "feed.rss"):
        shutil.copy(FORMATS / name, tmp_path / name)
    (tmp_path / "empty.html").write_text("<html><head><title>عنوان</title></head><body></body></html>",
                                         "utf-8")
    (tmp_path / "sitemap.xml").write_text('<?xml version="1.0"?><urlset><url>x</url></urlset>',
                                          "utf-8")
    (tmp_path / "binary.rss").write_bytes(b"\x00\x01\x02" * 50)
    result = run_cli("index", tmp_path, "--index", tmp_path / "ix", "--json", check=1)
    report = json.loads(result.stdout)
    assert report["added"] == 4
    problems = "\n".join(report["errors"])
    assert "empty.html: no article text found in the page" in problems
    assert "sitemap.xml: not an RSS or Atom feed" in problems
    assert "binary.rss: binary file" in problems
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("written, day", [
    ("2 نوفمبر 2024", "2024-11-02"),
    ("٢ تشرين الثاني ٢٠٢٤", "2024-11-02"),
    ("السبت 2 نوفمبر/تشرين الثاني 2024", "2024-11-02"),
    ("الخميس، ٧ آذار ٢٠٢٤ - ١٠:٣٠", "2024-03-07"),
    ("15 إبريل 2023", "2023-04-15"), ("15 أبريل 2023", "2023-04-15"),
    ("1 كانون الثاني 2025", "2025-01-01"), ("1 كانون الأول 2025", "2025-12-01"),
    ("3 جانفي 2025", "2025-01-03"),  # the Maghreb's names
    ("أيلول 2024", "2024-09"),
    ("Sat, 02 Nov 2024 23:30:00 -0500", "2024-11-02"),  # RFC 2822: the day as written
    ("November 2, 2024", "2024-11-02"),
    ("2024-11-02T10:00:00+03:00", "2024-11-02"), ("2024/11/02", "2024-11-02"),
    ("نشر يوم 19/10/2024", "2024-10-19"), ("١٩/١٠/٢٠٢٤", "2024-10-19"),
    ("31 نوفمبر 2024", None), ("30/02/2024", None), ("يوم الأحد الماضي", None), ("قريبا", None),
])
def test_dates_as_arabic_news_writes_them(written, day):
    assert iso_day(written) == day


def test_feeds_pages_and_csv_index_and_filter_by_date_and_unreadable_dates_are_reported(tmp_path):
    for name in ("kursk.html", "feed.rss", "feed.atom", "articles.csv"):
        shutil.copy(FORMATS / name, tmp_path / name)
    result = run_cli("index", tmp_path, "--index", tmp_path / "ix", "--json", check=0)
    report = json.loads(result.stdout)
    assert report["added"] == 8 and report["errors"] == [] and report["undated"] == 0
    assert sorted((d["id"], d["date"]) for d in report["unreadable_dates"]) == [
        ("csv-3", "قريبا"), ("news-1003", "يوم الأحد الماضي")]
    assert "warning:" in result.stderr and "cannot read the date 'قريبا'" in result.stderr
    text = run_cli("index", tmp_path, "--index", tmp_path / "ix2", check=0)
    assert "2 with a date that cannot be read" in text.stdout
    november = run_json("search", "", "--index", tmp_path / "ix", "--from", "2024-11",
                        "--to", "2024-11", "--limit", "50", "--months")
    assert {h["doc_id"] for h in november["results"]} == {
        "kursk", "news-1001", "https://news.example.com/world/1002",
        "tag:agency.example.org,2024:kursk-troops", "csv-1"}
    assert november["months"] == [{"month": "2024-11", "count": 5}]
    hits = run_json("search", "كورسك", "--index", tmp_path / "ix")["results"]
    assert {"kursk", "csv-3", "news-1003"} <= {h["doc_id"] for h in hits}
    # each source writes its dates its own way; `day` gives them all as ISO 8601
    rows = list(csv.DictReader(io.StringIO(run_cli(
        "search", "", "--index", tmp_path / "ix", "--from", "2024-11", "--to", "2024-11",
        "--format", "csv", check=0).stdout)))
    assert {row["doc_id"]: row["day"][:7] for row in rows} == dict.fromkeys(
        {h["doc_id"] for h in november["results"]}, "2024-11")
    assert any(not row["date"].startswith("2024-11") for row in rows)  # as written, kept
    undated = {h["doc_id"]: (h["date"], h["day"]) for h in hits}
    assert undated["csv-3"] == ("قريبا", None)
