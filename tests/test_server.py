"""The HTTP API and pages, in process (the framework's test client) over a real index opened
read-only: the same JSON as the CLI, every endpoint's bad inputs, escaping, read-only."""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from archive import Archive
from archive.server import MAX_QUERY_CHARS, MAX_TAG_BYTES, create_app
from conftest import ROOT, indexed, run_json


@pytest.fixture(scope="module")
def client(seed_index):
    archive = Archive.open(seed_index, readonly=True)
    with TestClient(create_app(archive)) as test_client:
        yield test_client
    archive.close()


def _error(response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status and body["error"]
    return body["error"]


# -- API: the CLI's contracts -------------------------------------------------------------------

def test_search_answers_what_the_cli_answers(client, seed_index):
    params = [("q", "صواريخ"), ("place", "بيونج يانج"), ("limit", "3"), ("facets", "4")]
    api = client.get("/api/search", params=params).json()
    cli = run_json("search", "صواريخ", "--place", "بيونج يانج", "--limit", "3", "--facets", "4",
                   "--index", seed_index)
    assert api == cli and api["total"] > 0


def test_search_filters_repeat_and_dates_apply(client):
    both = client.get("/api/search", params=[("q", ""), ("person", "Putin"),
                                              ("place", "Kursk")]).json()
    putin = client.get("/api/search", params={"person": "Putin"}).json()
    assert 0 < both["total"] <= putin["total"]
    dated = client.get("/api/search", params={"q": "كورسك", "from": "2024-10", "to": "2024-10"})
    assert dated.json()["total"] < client.get("/api/search", params={"q": "كورسك"}).json()["total"]


def test_search_bad_inputs_are_json_errors(client):
    assert "page" in _error(client.get("/api/search", params={"q": "كورسك", "page": "0"}), 400)
    assert "page" in _error(client.get("/api/search", params={"q": "كورسك", "page": "x"}), 400)
    _error(client.get("/api/search", params={"q": "ك" * (MAX_QUERY_CHARS + 1)}), 400)
    assert "بيونغيان" in _error(client.get("/api/search", params={"place": "بيونغيان"}), 400)
    assert "YYYY" in _error(client.get("/api/search", params={"q": "x", "from": "10/2024"}), 400)
    # A broken query is still searched as text.
    assert client.get("/api/search", params={"q": '"كورسك OR -'}).status_code == 200


def test_search_exports_every_hit_as_csv(client):
    total = client.get("/api/search", params={"q": "كورسك", "limit": 1}).json()["total"]
    response = client.get("/api/search", params={"q": "كورسك", "format": "csv", "limit": 1})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert {"doc_id", "title", "date", "source", "url", "rank", "score", "text",
            "entities"} <= set(rows[0])
    assert len(rows) == total > 1  # every hit, whatever the limit
    pages = client.get("/api/search", params={"q": "كورسك", "limit": 100}).json()["results"]
    assert [(r["doc_id"], r["text"]) for r in rows] == [(h["doc_id"], h["text"]) for h in pages]


def test_search_exports_json_lines_with_the_filters_and_dates(client):
    params = {"q": "", "person": "بوتين", "from": "2024", "format": "jsonl"}
    response = client.get("/api/search", params=params)
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines
    expected = client.get("/api/search", params={**params, "format": "json", "limit": 100}).json()
    assert [(r["doc_id"], r["position"]) for r in lines] == [
        (h["doc_id"], h["position"]) for h in expected["results"]]
    assert all("person:vladimir-putin" in {e["id"] for e in r["entities"]} for r in lines)
    assert "بوتين" in response.text  # Arabic as text
    bad = client.get("/api/search", params={"q": "كورسك", "person": "nobody", "format": "csv"})
    assert "nobody" in _error(bad, 400)  # an error before the download starts, not a broken file
    assert "format" in _error(client.get("/api/search", params={"q": "x", "format": "xml"}), 400)


def test_entities_list_and_entity_page(client, seed_index):
    listed = client.get("/api/entities", params={"type": "person", "limit": 3}).json()
    assert list(listed) == ["person"] and len(listed["person"]) == 3
    page = client.get("/api/entities/person:vladimir-putin").json()
    assert page == run_json("entity", "person:vladimir-putin", "--index", seed_index)
    assert "type" in _error(client.get("/api/entities", params={"type": "city"}), 400)
    assert "nobody" in _error(client.get("/api/entities/nobody"), 404)


def test_article_and_missing_article(client, seed_index):
    hit = client.get("/api/search", params={"q": "كورسك"}).json()["results"][0]
    article = client.get(f"/api/articles/{hit['doc_id']}").json()
    assert article == run_json("article", hit["doc_id"], "--index", seed_index)
    assert "no-such" in _error(client.get("/api/articles/no-such"), 404)


def test_tag_takes_json_or_plain_text_and_bounds_its_size(client):
    text = "زار بوتين كورسك"
    as_json = client.post("/api/tag", json={"text": text}).json()
    plain = client.post("/api/tag", content=text.encode("utf-8"),
                        headers={"content-type": "text/plain"}).json()
    assert as_json == plain
    assert {e["id"] for e in as_json["entities"]} == {"person:vladimir-putin", "place:city:538560"}
    _error(client.post("/api/tag", content=b"x" * (MAX_TAG_BYTES + 1),
                       headers={"content-type": "text/plain"}), 413)
    _error(client.post("/api/tag", content=b"\xff\xfe\xfa", headers={"content-type": "text/plain"}), 400)


def test_openapi_documents_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/search", "/api/entities", "/api/entities/{entity_id}",
            "/api/articles/{doc_id}", "/api/tag"} <= set(paths)
    assert client.get("/docs").status_code == 200


# -- pages --------------------------------------------------------------------------------------

def test_search_page_is_rtl_with_facet_links_and_chips(client):
    html = client.get("/", params={"q": "كورسك"}).text
    assert '<html lang="ar" dir="rtl">' in html and "<mark>كورسك</mark>" in html
    assert "person=person%3Avladimir-putin" in html  # a facet adds a filter to the URL
    narrowed = client.get("/", params={"q": "كورسك", "person": "person:vladimir-putin"}).text
    assert 'class="chip chip-person"' in narrowed and "فلاديمير بوتين" in narrowed
    assert 'href="/?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83"' in narrowed  # the chip removes it
    export = "/api/search?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83&amp;person=person%3Avladimir-putin"
    assert f'href="{export}&amp;format=csv"' in narrowed  # all hits of this search, filters too
    assert f'href="{export}&amp;format=jsonl"' in narrowed


def test_article_and_entity_pages(client):
    hit = client.get("/api/search", params={"q": "كورسك"}).json()["results"][0]
    article = client.get(f"/articles/{hit['doc_id']}").text
    assert 'class="ent ent-place"' in article and "/entities/place%3Acity%3A538560" in article
    entity = client.get("/entities/person:vladimir-putin").text
    assert "فلاديمير بوتين" in entity and "Vladimir Putin" in entity
    missing = client.get("/articles/no-such")
    assert missing.status_code == 404 and "no-such" in missing.text and "<html" in missing.text


def test_article_text_is_escaped_everywhere(tmp_path):
    attack = 'كورسك <script>alert(1)</script> "><img src=x onerror=alert(2)> بوتين'
    with indexed(tmp_path, [{"id": "evil", "title": "<b>عنوان</b>", "text": attack}]):
        pass
    archive = Archive.open(tmp_path / "ix", readonly=True)
    with TestClient(create_app(archive)) as client:
        pages = [client.get("/", params={"q": "كورسك"}).text, client.get("/articles/evil").text,
                 client.get("/entities/person:vladimir-putin").text]
    archive.close()
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>عنوان" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1]


def test_the_server_never_writes_to_the_index(tmp_path, seed_index):
    copy = tmp_path / "ix"
    shutil.copytree(seed_index, copy)
    for facets_file in copy.glob("*.fpairs"):
        facets_file.unlink()
    before = sorted(p.name for p in copy.iterdir())
    archive = Archive.open(copy, readonly=True)
    with TestClient(create_app(archive)) as client:
        assert client.get("/api/search", params={"q": "كورسك"}).json()["facets"]["place"]
    archive.close()
    assert sorted(p.name for p in copy.iterdir()) == before


# -- the real server ----------------------------------------------------------------------------

def test_fifty_concurrent_searches_all_succeed(seed_index):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "serve_load.py"), "--index",
                             str(seed_index), "--concurrent", "50", "--timed", "0"],
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stdout)
    assert report["concurrent"] == {**report["concurrent"], "requests": 50, "failures": 0}
    assert result.returncode == 0


def test_listening_beyond_loopback_warns_that_there_is_no_authentication(seed_index):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "archive", "serve", "--index",
                                str(seed_index), "--host", "0.0.0.0", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        warning, served = process.stderr.readline(), process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "no authentication" in warning and f":{port}/" in served


def test_months_restrict_the_search_and_the_date_chip_lifts_it(client):
    html = client.get("/", params={"q": "كورسك"}).text
    assert 'href="/?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83&amp;from=2024-10&amp;to=2024-10"' in html
    dated = client.get("/", params={"q": "كورسك", "from": "2024-10", "to": "2024-10"}).text
    assert 'class="chip chip-date" href="/?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83"' in dated
    assert "1 مقطع" in dated
