"""Date filters and the month histogram: articles keep their dates as written; --from/--to and
"months" read them as days."""

from __future__ import annotations

from archive.dates import iso_day
from conftest import run_cli, run_json, write_jsonl

ARTICLES = [
    {"id": "sep", "date": "2024-09-30T22:00:00", "text": "قصف في كورسك في أيلول."},
    {"id": "oct", "date": "2024-10-15", "text": "قصف في كورسك في تشرين الأول."},
    {"id": "nov", "date": "19/11/2024", "text": "قصف في كورسك في تشرين الثاني."},
    {"id": "undated", "text": "قصف في كورسك في يوم ما."},
]


def _ids(*args, folder):
    found = run_json("search", "كورسك", "--index", folder / "ix", *args)
    return sorted(hit["doc_id"] for hit in found["results"]), found


def test_dates_as_written_are_read_as_days():
    assert iso_day("2024-10-19T09:10:13") == "2024-10-19"
    assert iso_day("19/10/2024") == "2024-10-19"
    assert iso_day("٢٠٢٤-١٠-١٩") == "2024-10-19"
    assert iso_day("2024-13-01") is None and iso_day("الأحد") is None


def test_from_and_to_keep_the_articles_of_those_days_inclusive(tmp_path):
    write_jsonl(tmp_path / "feed.jsonl", ARTICLES)
    run_cli("index", tmp_path / "feed.jsonl", "--index", tmp_path / "ix", check=0)
    assert _ids(folder=tmp_path)[0] == ["nov", "oct", "sep", "undated"]
    assert _ids("--from", "2024-10", "--to", "2024-10", folder=tmp_path)[0] == ["oct"]
    assert _ids("--to", "2024-10", folder=tmp_path)[0] == ["oct", "sep"]
    assert _ids("--from", "2024-11-19", folder=tmp_path)[0] == ["nov"]
    assert _ids("--from", "2025", folder=tmp_path)[1]["total"] == 0
    # The dates are shown as the articles wrote them.
    shown = {hit["doc_id"]: hit["date"] for hit in _ids(folder=tmp_path)[1]["results"]}
    assert shown["nov"] == "19/11/2024" and shown["undated"] is None


def test_months_count_the_matching_articles_published_each_month(tmp_path):
    write_jsonl(tmp_path / "feed.jsonl", ARTICLES + [
        {"id": "oct2", "date": "2024-10-02", "text": "كورسك مرة أخرى."}])
    run_cli("index", tmp_path / "feed.jsonl", "--index", tmp_path / "ix", check=0)
    found = run_json("search", "كورسك", "--months", "--index", tmp_path / "ix")
    assert run_json("search", "كورسك", "--index", tmp_path / "ix")["months"] == []  # not asked
    assert found["months"] == [{"month": "2024-09", "count": 1}, {"month": "2024-10", "count": 2},
                               {"month": "2024-11", "count": 1}]
    narrowed = run_json("search", "كورسك", "--from", "2024-10", "--months", "--index",
                        tmp_path / "ix")
    assert [m["month"] for m in narrowed["months"]] == ["2024-10", "2024-11"]


def test_a_malformed_date_is_a_clear_error(tmp_path):
    write_jsonl(tmp_path / "feed.jsonl", ARTICLES)
    run_cli("index", tmp_path / "feed.jsonl", "--index", tmp_path / "ix", check=0)
    result = run_cli("search", "كورسك", "--from", "10/2024", "--index", tmp_path / "ix", check=1)
    assert "YYYY-MM-DD" in result.stderr and "Traceback" not in result.stderr
