"""Reliability, round 2 (issue 26), on both engines: a month or day 00 is an unreadable date and
takes no page down; a TAB in an article id counts like any other character; no URL but http(s)
is stored or handed out (the build reports what it dropped); the OpenAPI schema says what the
server answers; builds in threads and forked processes at once all land."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import threading
import time

import pytest
from conftest import run_cli, run_json, write_jsonl
from fastapi.testclient import TestClient

from archive import Archive
from archive.dates import iso_day
from archive.errors import IndexBusy
from archive.server import create_app
from archive.wording import human_date

KURSK = "كورسك"
KURSK_ID = "place:city:538560"


@pytest.fixture()
def served(tmp_path):
    """A test client over a read-only archive of ``records`` (built with the CLI)."""
    clients = []

    def serve(records, name="feed.jsonl"):
        feed = write_jsonl(tmp_path / name, records)
        report = run_json("index", "--index", tmp_path / "ix", feed)
        archive = Archive.open(tmp_path / "ix", readonly=True)
        client = TestClient(create_app(archive))
        clients.append((client, archive))
        return client, report

    yield serve
    for client, archive in clients:
        client.close()
        archive.close()


# -- 1. a month or day 00 -----------------------------------------------------------------------

@pytest.mark.parametrize("written", ["2024-00-19", "5/0/2024", "١٩/٠٠/٢٠٢٤", "2024-00",
                                     "2024-10-00", "0/10/2024", "2024/00/05",
                                     "Sat, 00 Nov 2024 10:00:00 +0000"])
def test_a_month_or_day_00_is_no_date(written):
    assert iso_day(written) is None
    assert human_date(written) == written  # shown as written, as any unreadable date


def test_month_00_is_reported_counted_nowhere_and_every_page_answers(served, tmp_path):
    client, report = served([
        {"id": "d1", "text": "كورسك مدينة روسية", "date": "2024-00-19"},
        {"id": "d2", "text": "كورسك مدينة روسية أخرى", "date": "5/0/2024"},
        {"id": "d3", "text": "كورسك مرة ثالثة", "date": "2024-05-03"},
    ])
    assert {(d["id"], d["date"]) for d in report["unreadable_dates"]} == {
        ("d1", "2024-00-19"), ("d2", "5/0/2024")}
    ix = tmp_path / "ix"
    found = run_json("search", KURSK, "--months", "--index", ix)
    assert found["months"] == [{"month": "2024-05", "count": 1}]
    may = run_json("search", KURSK, "--from", "2024-05", "--to", "2024-05", "--index", ix)
    assert [hit["doc_id"] for hit in may["results"]] == ["d3"]
    for sort in ("relevance", "date", "oldest"):
        page = client.get("/", params={"q": KURSK, "sort": sort})
        assert page.status_code == 200 and "2024-00-19" in page.text
    assert client.get("/articles/d1").status_code == 200
    assert client.get(f"/entities/{KURSK_ID}").status_code == 200
    assert client.get("/api/search", params={"q": KURSK, "months": "true"}).status_code == 200


# -- 2. a TAB in an article id -------------------------------------------------------------------

def test_a_tab_in_an_id_counts_like_any_other_character(tmp_path):
    feed = write_jsonl(tmp_path / "feed.jsonl", [
        {"id": "a\tb", "text": "قال مارك روتي الأمين العام لحلف الناتو إن الحلف مستعد.",
         "date": "2025-01-05"},
        {"id": "plain", "text": "قال مارك روتي الأمين العام لحلف الناتو إن الحلف مستعد مرة "
                                "أخرى.", "date": "2025-01-06"},
    ])
    ix = tmp_path / "ix"
    run_json("index", "--index", ix, feed)
    found = run_json("search", "روتي", "--index", ix)
    nato = {f["id"]: f["count"] for f in found["facets"]["organization"]}
    assert nato["org:nato"] == 2
    filtered = run_json("search", "روتي", "--org", "org:nato", "--index", ix)
    assert {hit["doc_id"] for hit in filtered["results"]} == {"a\tb", "plain"}
    january = run_json("search", "روتي", "--from", "2025-01", "--to", "2025-01", "--index", ix)
    assert january["total"] == 2
    assert {f["id"]: f["count"] for f in january["facets"]["organization"]}["org:nato"] == 2


# -- 3. only http(s) urls are kept ---------------------------------------------------------------

BAD_URLS = [
    {"id": "x1", "text": "كورسك مرة أولى", "url": "javascript:alert(1)"},
    {"id": "x2", "text": "كورسك مرة ثانية", "url": " JavaScript:alert(1)", "date": 20240105},
    {"id": "x3", "text": "كورسك مرة ثالثة", "url": {"a": 1}},
    {"id": "x4", "text": "كورسك مرة رابعة", "url": "data:text/html,<script>alert(1)</script>"},
    {"id": "ok", "text": "كورسك مرة خامسة", "url": "https://example.org/a?b=1"},
]


def _nothing_but_web_addresses(client) -> None:
    for doc_id in ("x1", "x2", "x3", "x4"):
        assert client.get(f"/api/articles/{doc_id}").json()["url"] is None
    assert client.get("/api/articles/ok").json()["url"] == "https://example.org/a?b=1"
    exported = client.get("/api/search", params={"q": KURSK, "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {row["doc_id"]: row["url"] for row in rows} == {
        "x1": "", "x2": "", "x3": "", "x4": "", "ok": "https://example.org/a?b=1"}
    lines = client.get("/api/search", params={"q": KURSK, "format": "jsonl"}).text.splitlines()
    assert {json.loads(line)["url"] for line in lines} == {None, "https://example.org/a?b=1"}
    found = client.get("/api/search", params={"q": KURSK}).json()["results"]
    assert {hit["url"] for hit in found} == {None, "https://example.org/a?b=1"}
    for text in (exported, "\n".join(lines), client.get("/api/articles/x1").text):
        assert "javascript" not in text.lower() and "data:" not in text


def test_json_lines_urls_not_http_are_dropped_and_reported(served):
    client, report = served(BAD_URLS)
    dropped = {(d["id"], d["field"]): d for d in report["dropped_values"]}
    assert set(dropped) == {("x1", "url"), ("x2", "url"), ("x2", "date"), ("x3", "url"),
                            ("x4", "url")}
    assert dropped[("x1", "url")]["value"] == "javascript:alert(1)"
    assert dropped[("x2", "date")]["value"] == "20240105"
    assert "not text" in dropped[("x3", "url")]["reason"]
    assert client.get("/api/articles/x2").json()["date"] is None  # a number is no date
    _nothing_but_web_addresses(client)


def test_csv_urls_not_http_are_dropped_and_named_on_stderr(tmp_path):
    rows = [("id", "text", "url")] + [(r["id"], r["text"], r["url"]) for r in BAD_URLS
                                      if isinstance(r["url"], str)]
    path = tmp_path / "feed.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    result = run_cli("index", "--index", tmp_path / "ix", path, check=0)
    assert "article 'x1': the url 'javascript:alert(1)' is not an http(s) address" in result.stderr
    assert "3 values not kept" in result.stdout + result.stderr  # the summary line
    with Archive.open(tmp_path / "ix", readonly=True) as archive, \
            TestClient(create_app(archive)) as client:
        for doc_id in ("x1", "x2", "x4"):
            assert client.get(f"/api/articles/{doc_id}").json()["url"] is None
        exported = client.get("/api/search", params={"q": KURSK, "format": "jsonl"}).text
        assert "javascript" not in exported.lower() and "https://example.org/a?b=1" in exported


def test_an_unchanged_article_with_a_dropped_url_is_not_reported_again(tmp_path):
    feed = write_jsonl(tmp_path / "feed.jsonl", BAD_URLS[:1])
    assert len(run_json("index", "--index", tmp_path / "ix", feed)["dropped_values"]) == 1
    again = run_json("index", "--index", tmp_path / "ix", feed)
    assert again["unchanged"] == 1 and again["dropped_values"] == []


# -- 4. the OpenAPI schema -----------------------------------------------------------------------

def test_openapi_says_what_the_server_answers(served):
    client, _ = served(BAD_URLS)
    paths = client.get("/openapi.json").json()["paths"]
    search = paths["/api/search"]["get"]["responses"]
    assert {"200", "400"} <= set(search)
    assert {"application/json", "text/csv", "application/x-ndjson"} <= set(search["200"]["content"])
    assert "404" in paths["/api/articles/{doc_id}"]["get"]["responses"]
    assert "404" in paths["/api/entities/{entity_id}"]["get"]["responses"]
    assert "413" in paths["/api/tag"]["post"]["responses"]
    assert all("422" not in operation["responses"]
               for operations in paths.values() for operation in operations.values())
    # and the server does what it says
    assert client.get("/api/search", params={"page": "0"}).status_code == 400
    assert client.get("/api/articles/nothing-here").status_code == 404
    assert client.get("/api/entities/person:nobody-at-all").status_code == 404
    exported = client.get("/api/search", params={"q": KURSK, "format": "jsonl"})
    assert exported.headers["content-type"].startswith("application/x-ndjson")


def test_a_405_says_which_methods_are_allowed(served):
    client, _ = served(BAD_URLS)
    for method, path in (("POST", "/api/search"), ("DELETE", "/api/articles/x1"),
                         ("GET", "/api/tag"), ("PUT", "/articles/x1")):
        response = client.request(method, path)
        assert response.status_code == 405
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed and method not in allowed


# -- 5. builds in threads and forked processes at once ---------------------------------------------

WRITERS = 3


def _build(ix, feed, failures: list) -> None:
    """Index ``feed`` into ``ix``, again while another build holds the index (IndexBusy)."""
    for _ in range(2000):
        try:
            with Archive.open(ix, create=True) as archive:
                archive.index([feed], workers=1)
            return
        except IndexBusy:
            time.sleep(0.02)
        except Exception as error:  # noqa: BLE001 - the test reports what escaped
            failures.append(f"{type(error).__name__}: {error}")
            return
    failures.append("never got the index")


def _build_in_child(ix, feed) -> None:
    failures: list = []
    _build(ix, feed, failures)
    raise SystemExit(1 if failures else 0)


def test_builds_in_threads_and_processes_forked_after_them_all_land(tmp_path):
    ix = tmp_path / "ix"
    feeds = [write_jsonl(tmp_path / f"feed{n}.jsonl",
                         [{"id": f"a{n}", "text": f"كورسك مدينة روسية، الخبر رقم {n}"}])
             for n in range(2 * WRITERS + 1)]
    _build(ix, feeds[-1], [])  # the index exists before the race
    failures: list = []
    threads = [threading.Thread(target=_build, args=(ix, feeds[n], failures))
               for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    context = multiprocessing.get_context("fork")  # forked while the threads are writing
    children = [context.Process(target=_build_in_child, args=(ix, feeds[WRITERS + n]))
                for n in range(WRITERS)]
    for child in children:
        child.start()
    for thread in threads:
        thread.join(120)
    for child in children:
        child.join(120)
        if child.is_alive():  # a hang fails the test instead of stalling the suite
            child.kill()
            child.join()
    assert not any(thread.is_alive() for thread in threads)
    assert failures == [] and [child.exitcode for child in children] == [0] * WRITERS
    with Archive.open(ix) as archive:
        assert archive.stats().articles == 2 * WRITERS + 1
