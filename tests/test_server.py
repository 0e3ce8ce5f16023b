"""The HTTP API and pages, in process (the framework's test client) over a real index opened
read-only: the same JSON as the CLI, every endpoint's bad inputs, escaping, read-only."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import socket
import subprocess
import sys

import pytest
from conftest import ROOT, indexed, run_json
from fastapi.testclient import TestClient

from archive import Archive
from archive.server import MAX_QUERY_CHARS, MAX_TAG_BYTES, create_app


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
        typed = 'كورسك "><img src=x onerror=alert(3)> <script>alert(4)</script>'
        pages += [client.get(path, params=params).text for path, params in (
            ("/", {"q": typed}), ("/facets/place", {"q": typed}), ("/entities", {"name": typed}),
            ("/", {"q": "كورسك", "sort": "relevance", "group": typed}))]
        grouped = client.get("/api/search", params={"q": "كورسك", "group": "article"}).json()
    archive.close()
    assert grouped["results"][0]["hits"][0]["text"] == attack  # JSON keeps the text as it is
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


# -- the search page a journalist expects --------------------------------------------------------

DATED = [  # months with a gap (2024-02 has nothing), one article without a date
    {"id": "jan", "title": "يناير", "date": "2024-01-10", "text": "صواريخ على كورسك في يناير."},
    {"id": "mar1", "title": "مارس أول", "date": "2024-03-02T10:00:00",
     "text": "صواريخ جديدة قرب كورسك.\n\nثم صواريخ أخرى في الليل.\n\nوصواريخ ثالثة.\n\nوصواريخ رابعة."},
    {"id": "mar2", "title": "مارس ثان", "date": "2024-03-20", "text": "صواريخ في مارس."},
    {"id": "undated", "title": "بلا تاريخ", "text": "صواريخ بلا تاريخ."},
]


@pytest.fixture(scope="module")
def dated_client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dated")
    with indexed(folder, DATED):
        pass
    archive = Archive.open(folder / "ix", readonly=True)
    with TestClient(create_app(archive)) as test_client:
        yield test_client
    archive.close()


def test_api_groups_by_article_when_asked(client):
    flat = client.get("/api/search", params={"q": "كورسك", "limit": 100}).json()
    grouped = client.get("/api/search", params={"q": "كورسك", "group": "article"}).json()
    ids = [r["doc_id"] for r in grouped["results"]]
    assert len(ids) == len(set(ids)) == grouped["articles"] == len({h["doc_id"] for h in flat["results"]})
    assert sum(r["passages"] for r in grouped["results"]) == flat["total"] == grouped["total"]
    assert ids == list(dict.fromkeys(h["doc_id"] for h in flat["results"]))  # best passage first
    for group in grouped["results"]:
        assert 1 <= len(group["hits"]) <= 3 and {h["doc_id"] for h in group["hits"]} == {group["doc_id"]}
    second = client.get("/api/search", params={"q": "كورسك", "group": "article", "limit": 1,
                                                "page": 2}).json()
    assert [r["doc_id"] for r in second["results"]] == ids[1:2]  # paging counts articles
    assert "results" in flat and "passages" not in flat["results"][0]  # passages stay as they were


def test_search_page_shows_one_card_per_article_with_its_best_passages(client):
    html = client.get("/", params={"q": "كورسك"}).text
    docs = re.findall(r'<article class="card" data-doc="([^"]+)"', html)
    assert docs and len(docs) == len(set(docs))
    assert "3 مقالات (6 مقاطع)" in html  # number agreement in the summary
    assert "1 مقطع آخر في هذا المقال" in html  # the article with 4 passages shows 3


def test_dates_are_for_people_and_months_are_all_there(dated_client):
    html = dated_client.get("/", params={"q": "صواريخ"}).text
    assert '<time datetime="2024-03-02T10:00:00">2 مارس 2024</time>' in html
    assert "2024-03-02T10:00:00<" not in html  # never the raw form as text
    months = re.findall(r'data-month="([\d-]+)" data-count="(\d+)"', html)
    assert months == [("2024-01", "1"), ("2024-02", "0"), ("2024-03", "2")]  # the gap shown
    assert '<span class="n">2</span>' in html  # counts written, not only on hover
    assert '<select name="from">' in html and '<select name="to">' in html  # a range to choose
    ranged = dated_client.get("/", params={"q": "صواريخ", "from": "2024-02", "to": "2024-03"}).text
    assert "مارس أول" in ranged and "يناير</a>" not in ranged
    assert "فبراير 2024 – مارس 2024" in ranged  # the date chip, in words


def test_sort_links_and_sorted_results(dated_client):
    html = dated_client.get("/", params={"q": "صواريخ"}).text
    assert 'href="/?q=%D8%B5%D9%88%D8%A7%D8%B1%D9%8A%D8%AE&amp;sort=date"' in html
    assert 'href="/?q=%D8%B5%D9%88%D8%A7%D8%B1%D9%8A%D8%AE&amp;sort=oldest"' in html
    assert '<strong aria-current="true">الأكثر صلة</strong>' in html


def test_facet_values_can_be_excluded_and_have_more(client):
    html = client.get("/", params={"q": "كورسك"}).text
    assert 'class="not" href="/?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83&amp;exclude_person=person%3Avladimir-putin"' in html
    assert 'href="/facets/place?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83"' in html  # "more"
    more = client.get("/facets/place", params={"q": "كورسك"}).text
    assert "أوكرانيا" in more and "كييف" in more and 'name="name"' in more
    named = client.get("/facets/place", params={"q": "كورسك", "name": "كيي"}).text
    listed = named[named.index('id="facet-more"'):]
    assert "كييف" in listed and "أوكرانيا" not in listed


def test_the_entity_browser_lists_filters_and_pages(client):
    html = client.get("/entities").text
    assert "بوتين" in html and 'href="/entities/person%3Avladimir-putin"' in html
    assert "/entities?type=person" in html and 'name="name"' in html
    people = client.get("/entities", params={"type": "person", "name": "بوتين"}).text
    assert people.count('<tr><td>') == 1 and "1 كيان" in people
    by_latin = client.get("/entities", params={"name": "putin"}).text
    assert "فلاديمير بوتين" in by_latin
    total = int(re.search(r'<p id="summary" class="meta">(\d+)', html).group(1))
    assert total > 50 and 'rel="next" ' not in html and 'href="/entities?page=2"' in html
    pages = -(-total // 50)
    last = client.get("/entities", params={"page": pages}).text
    assert last.count("<tr><td>") == total - 50 * (pages - 1) and 'rel="next"' not in last
    assert client.get("/entities", params={"type": "city"}).status_code == 400


def test_the_entity_page_draws_its_co_mentions_and_marks_it(client):
    html = client.get("/entities/person:vladimir-putin").text
    svg = html[html.index('<svg class="graph"'):html.index("</svg>")]
    links = re.findall(r'<a href="(/entities/[^"]+)" data-entity', svg)
    assert len(links) >= 5 and "/entities/person%3Akim-jong-un" in links  # a person among places
    assert "<script" not in html
    assert '<mark class="entity-mark">بوتين</mark>' in html
    assert '<mark class="entity-mark">فلاديمير بوتين</mark>' in html


def test_only_the_search_pages_take_the_keyboard(client):
    assert " autofocus>" in client.get("/").text
    assert " autofocus>" in client.get("/", params={"q": "كورسك"}).text
    hit = client.get("/api/search", params={"q": "كورسك"}).json()["results"][0]
    for path in (f"/articles/{hit['doc_id']}", "/entities/person:vladimir-putin", "/entities"):
        assert "autofocus" not in client.get(path).text, path


def test_the_stylesheet_is_served_and_keeps_underlines_off_the_dots(client):
    css = client.get("/static/archive.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "text-underline-offset" in css.text and "Noto Naskh Arabic" in css.text


def test_api_sorts_newest_or_oldest_first_undated_last(dated_client):
    def days(sort):
        hits = dated_client.get("/api/search", params={"q": "صواريخ", "sort": sort,
                                                       "limit": 100}).json()["results"]
        return [h["date"][:10] if h["date"] else None for h in hits]

    newest, oldest = days("date"), days("oldest")
    assert [d for d in newest if d] == sorted((d for d in newest if d), reverse=True)
    assert [d for d in oldest if d] == sorted(d for d in oldest if d)
    assert newest[0] == "2024-03-20" and oldest[0] == "2024-01-10"
    assert newest[-1] is None and oldest[-1] is None  # no date: last either way
    assert "sort" in _error(dated_client.get("/api/search", params={"q": "x", "sort": "size"}), 400)
    page = dated_client.get("/", params={"q": "صواريخ", "sort": "date"}).text
    titles = re.findall(r'<h2><a href="/articles/[^"]+">([^<]+)</a></h2>', page)
    assert titles == ["مارس ثان", "مارس أول", "يناير", "بلا تاريخ"]
    assert '<strong aria-current="true">الأحدث أولًا</strong>' in page


def test_api_excludes_entities_and_counts_facets_over_what_is_left(client):
    everything = client.get("/api/search", params={"q": "كورسك"}).json()
    without = client.get("/api/search", params={"q": "كورسك", "exclude_person": "بوتين"}).json()
    assert 0 < without["total"] < everything["total"]
    assert all("person:vladimir-putin" not in {e["id"] for e in h["entities"]}
               for h in without["results"])
    assert "person:vladimir-putin" not in {r["id"] for r in without["facets"].get("person", [])}
    rows = client.get("/api/search", params={"q": "كورسك", "exclude_person": "بوتين",
                                             "format": "jsonl"}).text.splitlines()
    assert len(rows) == without["total"]  # the export follows the exclusion
    assert "nobody" in _error(client.get("/api/search", params={"q": "x", "exclude_place": "nobody"}), 400)


def test_an_exclusion_is_a_struck_through_chip_that_lifts_it(client):
    html = client.get("/", params={"q": "كورسك", "exclude_person": "person:vladimir-putin"}).text
    chip = re.search(r'<a class="chip chip-exclude_person excluded" href="([^"]+)"[^>]*>(.*?)</a>', html)
    assert chip and "فلاديمير بوتين" in chip.group(2) and "ليس" in chip.group(2)
    assert chip.group(1) == "/?q=%D9%83%D9%88%D8%B1%D8%B3%D9%83"
    assert "exclude_person=person%3Avladimir-putin&amp;format=csv" in html
