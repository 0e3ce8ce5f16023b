"""Exports: Archive.iter_hits walks every hit once, in the order of the pages; write_csv and
write_jsonl write them as UTF-8 text a spreadsheet or a script reads back as they were."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import indexed

from archive import ArchiveError
from archive.export import EXPORT_FIELDS, hit_record, write_csv, write_jsonl

QUERY = "صواريخ الحدود"


@pytest.fixture(scope="module")
def deep_archive(tmp_path_factory):
    """350 passages of two words: 280 short ones with the words apart, 70 with them side by
    side; more hits than the ranking re-scores for proximity (RERANK_DEPTH)."""
    pad = "وكان الطقس باردا في المساء"
    records = [{"id": f"a{i}", "title": f"خبر {i}", "url": f"https://example.org/{i}",
                "text": "\n\n".join([f"صواريخ {i}{j} وقعت الليلة وبعد ساعات طويلة وصلت إلى الحدود."
                                     for j in range(4)] + [f"{pad} ثم صواريخ الحدود {i} {pad}"])}
               for i in range(70)]
    with indexed(tmp_path_factory.mktemp("deep"), records) as archive:
        yield archive


def _keys(hits):
    return [(hit.doc_id, hit.position) for hit in hits]


def test_iter_hits_yields_every_hit_once_in_page_order(deep_archive):
    everything = deep_archive.search(QUERY, limit=1000, facets=0)
    assert everything.total == 350
    walked = _keys(deep_archive.iter_hits(QUERY, page_size=7))
    assert walked == _keys(everything.hits)
    pages = [key for page in range(1, 51)
             for key in _keys(deep_archive.search(QUERY, limit=7, page=page, facets=0).hits)]
    assert pages == walked  # paging past the re-scored head neither repeats nor skips a hit


def test_iter_hits_applies_filters_and_raises_for_bad_ones(seed_archive):
    narrowed = list(seed_archive.iter_hits("", filters={"person": ["بوتين"]}, page_size=3))
    assert len(narrowed) == seed_archive.search("", filters={"person": ["بوتين"]}).total > 3
    assert all("person:vladimir-putin" in {e["id"] for e in hit.entities} for hit in narrowed)
    with pytest.raises(ArchiveError, match="nobody"):
        next(seed_archive.iter_hits("كورسك", filters={"person": ["nobody"]}))
    with pytest.raises(TypeError):
        next(seed_archive.iter_hits("كورسك", limit=3))


def test_a_record_has_every_export_field(deep_archive):
    hit = next(deep_archive.iter_hits(QUERY))
    record = hit_record(hit)
    assert tuple(record) == EXPORT_FIELDS
    assert record["url"].startswith("https://example.org/") and record["title"].startswith("خبر")
    assert record == hit_record(hit.to_dict())


def test_csv_and_jsonl_read_back_as_written(seed_archive):
    hits = list(seed_archive.iter_hits("كورسك"))
    text = io.StringIO(newline="")
    assert write_csv(hits, text) == len(hits) > 0
    rows = list(csv.DictReader(io.StringIO(text.getvalue(), newline="")))
    assert list(rows[0]) == list(EXPORT_FIELDS)
    assert [r["text"] for r in rows] == [h.text for h in hits]  # multi-line passages too
    assert "كورسك" in rows[0]["entities"] and "\\u" not in text.getvalue()
    lines = io.StringIO()
    assert write_jsonl(hits, lines) == len(hits)
    assert [json.loads(line) for line in lines.getvalue().splitlines()] == [
        json.loads(json.dumps(hit_record(h))) for h in hits]
    assert "كورسك" in lines.getvalue()  # Arabic as text, not \u escapes


def test_csv_cells_never_run_as_formulas(tmp_path):
    title = '=HYPERLINK("http://evil.example","كورسك")'
    with indexed(tmp_path, [{"id": "f", "title": title, "text": "+1 كورسك -2 @x"}]) as archive:
        hits = list(archive.iter_hits("كورسك"))
    text = io.StringIO(newline="")
    write_csv(hits, text)
    row = next(csv.DictReader(io.StringIO(text.getvalue(), newline="")))
    assert row["title"] == "'" + title and row["text"] == "'+1 كورسك -2 @x"
    lines = io.StringIO()
    write_jsonl(hits, lines)
    assert json.loads(lines.getvalue())["title"] == title  # JSON Lines keeps values exactly


def test_grouping_pages_articles_and_says_when_counts_are_a_lower_bound(deep_archive):
    from archive.grouping import group_by_article

    full = group_by_article(deep_archive.iter_hits(QUERY), page=1, limit=10, scan=400)
    assert full.exact and full.total == 70 and full.last_page == 7
    assert all(g.passages == 5 and len(g.hits) == 3 and g.more == 2 for g in full.articles)
    third = group_by_article(deep_archive.iter_hits(QUERY), page=3, limit=10, scan=400)
    assert [g.rank for g in third.articles] == list(range(21, 31))
    early = group_by_article(deep_archive.iter_hits(QUERY), page=1, limit=10, scan=20)
    assert not early.exact and early.has_next and early.total > 10
