"""Issue 25, the desk's habits, through the real CLI and the real app: batch search, a search
as an Atom feed, re-published copies shown once. The index: the seed corpus, two unseen
articles and a re-published copy of one seed article (a few words changed, another source)."""

from __future__ import annotations

import csv
import io
import json

import feedparser
import pytest
from fastapi.testclient import TestClient

from archive import Archive
from archive.server import create_app
from conftest import CORPUS, run_cli, run_json, write_jsonl

ORIGINAL = "003_cc5a21bc2bd10a71"
COPY = "wire-copy"


def _copy_text() -> str:
    words = (CORPUS / f"{ORIGINAL}.txt").read_text("utf-8").split(" ")
    for i in range(30, len(words), 80):  # a word changed every 80, as sites do
        words[i] = "وقال"
    return " ".join(words)


UNSEEN = [
    {"id": "unseen-1", "title": "قصف في كورسك <b>&</b>", "date": "2024-12-01", "source": "موقع <أ>",
     "url": "javascript:alert(1)",
     "text": "قالت وزارة الدفاع الروسية إن قواتها صدت هجوما أوكرانيا في منطقة كورسك الحدودية "
             "ليلة الأحد، وإن الطائرات المسيرة أسقطت فوق بلدات عدة قرب الحدود."},
    {"id": "unseen-2", "title": "مساعدات", "date": "2024-12-02", "source": "وكالة",
     "text": "أعلنت الأمم المتحدة وصول قافلة مساعدات إلى مدينة خاركيف بعد أسبوع من القصف."},
]


@pytest.fixture(scope="module")
def desk_index(tmp_path_factory, engine):
    folder = tmp_path_factory.mktemp(f"desk-{engine}")
    write_jsonl(folder / "unseen.jsonl", UNSEEN)
    write_jsonl(folder / "copy.jsonl", [{"id": COPY, "title": "نشر حلف الأطلسي", "source": "وكالة أخرى",
                                         "date": "2024-11-05", "text": _copy_text()}])
    index = folder / "ix"
    run_cli("index", CORPUS, folder / "unseen.jsonl", folder / "copy.jsonl", "--index", index,
            check=0)
    return index


def test_batch_csv_has_a_row_per_line_with_the_search_totals(desk_index, tmp_path):
    lines = ["كورسك", "بوتين", "person:vladimir-putin", 'صواريخ --place "بيونج يانج"',
             "--person كيم", "خاركيف --from 2024-12", "كلمة_لا_توجد", "#كورسك"]
    listing = tmp_path / "names.txt"
    listing.write_text("\n".join(lines) + "\n", "utf-8")
    result = run_cli("batch", listing, "--index", desk_index, "--format", "csv", check=0)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["query"].removeprefix("'") for row in rows] == lines  # "-…": a formula, neutralized
    assert {"query", "passages", "articles", "first_day", "last_day", "top_person",
            "error"} <= set(rows[0])
    for row, line in zip(rows, lines):
        if row["error"]:
            continue
        words = line.split(" --")[0] if not line.startswith("--") else ""
        options = ["--" + part for part in line.split(" --")[1:]] if " --" in line else []
        args = [arg for option in options for arg in option.split(" ", 1)]
        args = [arg.strip('"') for arg in args]
        if line.startswith("person:"):
            words, args = "", ["--person", line]
        total = run_json("search", words, *args, "--index", desk_index)["total"]
        assert int(row["passages"]) == total, line
    kursk = rows[0]
    assert int(kursk["articles"]) >= 4 and kursk["first_day"] <= kursk["last_day"] == "2024-12-01"
    assert "كيم" in rows[4]["error"] and "could be" in rows[4]["error"]  # ambiguous, not fatal
    assert rows[5]["passages"] == "1" and rows[5]["first_day"] == "2024-12-02"
    assert rows[6]["passages"] == "0" and not rows[6]["error"]
    assert rows[7]["passages"] == kursk["passages"]  # a hashtag is a search, not a comment
    assert rows[1]["top_person"] and "بوتين" not in rows[1]["top_person"]  # not co-mentioned with itself


def test_batch_of_the_api_streams_the_same_rows(desk_index):
    with Archive.open(desk_index, readonly=True) as archive, TestClient(create_app(archive)) as client:
        rows = client.post("/api/batch", json={"queries": ["كورسك", "--person كيم"]}).json()["rows"]
        assert rows[0]["passages"] == archive.search("كورسك").total and rows[1]["error"]
        lines = client.post("/api/batch", params={"format": "jsonl"}, content="كورسك\n\nبوتين".encode(),
                            headers={"content-type": "text/plain"}).text.splitlines()
        assert [json.loads(line)["line"] for line in lines] == [1, 3]
        too_many = client.post("/api/batch", content=("كورسك\n" * 10_001).encode(),
                               headers={"content-type": "text/plain"})
        assert too_many.status_code == 413


def test_collapse_never_shows_an_article_and_its_copy(desk_index):
    plain = run_json("search", "كورسك", "--index", desk_index, "--limit", "50")
    shown = {hit["doc_id"] for hit in plain["results"]}
    assert {ORIGINAL, COPY} <= shown and not plain["collapsed"]
    collapsed = run_json("search", "كورسك", "--index", desk_index, "--limit", "50", "--collapse")
    shown = [hit["doc_id"] for hit in collapsed["results"]]
    assert (ORIGINAL in shown) != (COPY in shown)
    kept, other = (ORIGINAL, COPY) if ORIGINAL in shown else (COPY, ORIGINAL)
    for hit in collapsed["results"]:
        expected = [{"doc_id": other, "source": hit["copies"][0]["source"]}] if hit["doc_id"] == kept else []
        assert hit["copies"] == expected
    assert collapsed["collapsed"] and collapsed["facets_count"] == "stories"
    assert collapsed["total"] == plain["total"]
    by_article = {e["id"]: e["count"] for e in plain["facets"]["place"]}
    by_story = {e["id"]: e["count"] for e in collapsed["facets"]["place"]}
    assert by_story["place:city:538560"] == by_article["place:city:538560"] - 1  # كورسك


def test_copies_follow_the_index_as_articles_come_and_go(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"id": ORIGINAL, "source": "كتاكيت",
                                        "text": (CORPUS / f"{ORIGINAL}.txt").read_text("utf-8")}])
    with Archive.open(tmp_path / "ix", create=True) as archive:
        archive.index([tmp_path / "a.jsonl"])
        assert archive.copies_of(ORIGINAL) == []
        archive.add([{"id": COPY, "source": "وكالة أخرى", "text": _copy_text()},
                     {"id": "other", "text": UNSEEN[0]["text"]}])
        assert archive.copies_of(ORIGINAL) == [{"doc_id": COPY, "source": "وكالة أخرى"}]
        assert archive.copies_of("other") == []
        archive.delete(COPY)
        assert archive.copies_of(ORIGINAL) == []


def test_a_search_as_an_atom_feed(desk_index):
    with Archive.open(desk_index, readonly=True) as archive, TestClient(create_app(archive)) as client:
        response = client.get("/feed.atom", params={"q": "كورسك"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo and parsed.version == "atom10"
        links = [entry.link for entry in parsed.entries]
        assert links and all(link.startswith("http://testserver/articles/") for link in links)
        assert not ({f"http://testserver/articles/{ORIGINAL}", f"http://testserver/articles/{COPY}"}
                    <= set(links))  # one story once
        first = parsed.entries[0]
        assert first.title == "قصف في كورسك <b>&</b>" and first.author == "موقع <أ>"  # text, escaped
        assert b"<b>" not in response.content and "javascript" not in response.text
        assert first.updated.startswith("2024-12-01") and "كورسك" in first.summary
        filtered = feedparser.parse(client.get("/feed.atom", params={"q": "كورسك", "from": "2024-12"}).content)
        assert [e.link for e in filtered.entries] == ["http://testserver/articles/unseen-1"]
        page = client.get("/", params={"q": "كورسك"}).text
        assert 'href="/feed.atom?q=' in page and 'type="application/atom+xml"' in page
