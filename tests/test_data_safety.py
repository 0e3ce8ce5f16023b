"""Issue 14, row by row: no bad record aborts a build, a changing corpus loses nothing, a damaged
or interrupted index repairs itself, no article can run script, and no query costs more than
its size allows. Real files, real indexes, the real CLI in subprocesses, a real server and a
real Chromium; each test names the row of the issue's table it answers."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By

from archive import Archive
from archive.server import create_app
from conftest import CORPUS, indexed, run_cli, run_json, write_jsonl
from test_browser import browser, server  # noqa: F401 - fixtures: Chromium, `archive serve`
from test_reliability import run_unprivileged

GOOD = "خبر جيد\n\nقصف في كورسك اليوم وتقدم القوات."


def _index(*args, cwd: Path):
    """`archive index ARGS --json` in ``cwd``: (exit status, report, stderr)."""
    result = run_cli("index", *args, "--json", cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def _ids(index: Path, *queries: str) -> set[str]:
    return {hit["doc_id"] for query in queries
            for hit in run_json("search", query, "--index", index, "--limit", "100")["results"]}


# -- reading: a bad record or file is reported with file, line and reason; the rest is indexed --

def test_row1_a_lone_surrogate_is_replaced_reported_with_its_line_and_the_build_goes_on(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "g1", "text": "قصف في كورسك اليوم"}\n'
                    '{"id": "s1", "title": "عنوان \\udc80", "text": "تقدم في خاركيف \\ud800"}\n'
                    '{"id": "g2", "text": "هجوم على بيلغورود"}\n', "utf-8")
    status, report, stderr = _index("feed.jsonl", "--index", "ix", cwd=tmp_path)
    assert status == 1 and report["added"] == 3
    assert any(e.startswith("feed.jsonl:2:") and "surrogate" in e and "U+FFFD" in e
               for e in report["errors"]), report["errors"]
    assert "feed.jsonl:2" in stderr
    article = run_json("article", "s1", "--index", tmp_path / "ix")
    assert article["title"] == "عنوان \ufffd"
    assert article["passages"][0]["text"] == "تقدم في خاركيف \ufffd"
    assert _ids(tmp_path / "ix", "كورسك", "خاركيف", "بيلغورود") == {"g1", "s1", "g2"}


def test_row2_a_symlink_loop_is_reported_and_the_good_file_indexed(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    (news / "good.txt").write_text(GOOD, "utf-8")
    os.symlink("loop.txt", news / "loop.txt")
    os.symlink("b.txt", news / "a.txt")  # a loop of two links
    os.symlink("a.txt", news / "b.txt")
    os.symlink(".", news / "again")  # a link to a folder, which would loop if followed
    status, report, _ = _index("news", "--index", "ix", cwd=tmp_path)
    assert status == 1 and report["added"] == 1
    looped = sorted(e.split(":")[0] for e in report["errors"] if "loop" in e)
    assert looped == ["news/a.txt", "news/b.txt", "news/loop.txt"], report["errors"]
    _, direct, _ = _index("news/loop.txt", "--index", "ix", cwd=tmp_path)  # named directly
    assert any("loop" in e for e in direct["errors"]), direct["errors"]
    assert _ids(tmp_path / "ix", "كورسك") == {"good"}


def test_row3_a_folder_nested_1500_levels_deep_is_read_without_recursion(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "top.txt").write_text(GOOD, "utf-8")
    deep = str(folder)
    for _ in range(1500):  # os.makedirs recurses once per level: build it a level at a time
        deep = os.path.join(deep, "d")
        os.mkdir(deep)
    Path(deep, "deep.txt").write_text("خبر عميق\n\nهجوم على بيلغورود.", "utf-8")
    try:
        status, report, _ = _index("news", "--index", "ix", cwd=tmp_path)
        assert (status, report["added"], report["errors"]) == (0, 2, [])
        assert _ids(tmp_path / "ix", "بيلغورود") == {"deep"}
    finally:  # shutil.rmtree (pytest's clean-up of old runs) recurses a level at a time
        os.remove(os.path.join(deep, "deep.txt"))
        while deep != str(folder):
            os.rmdir(deep)
            deep = os.path.dirname(deep)


def test_row4_a_nul_byte_in_line_50_loses_that_line_only_and_says_so(tmp_path):
    lines = [json.dumps({"id": f"n{i}", "text": f"خبر رقم {i} عن كورسك"}, ensure_ascii=False)
             .encode("utf-8") for i in range(1, 101)]
    lines[49] = lines[49][:12] + b"\x00" + lines[49][12:]
    (tmp_path / "feed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    status, report, stderr = _index("feed.jsonl", "--index", "ix", cwd=tmp_path)
    assert status == 1 and report["added"] == 99
    (error,) = report["errors"]
    assert error.startswith("feed.jsonl:50:") and "NUL" in error and "rest of the file" in error
    assert "feed.jsonl:50" in stderr
    assert run_json("article", "n100", "--index", tmp_path / "ix")["doc_id"] == "n100"
    assert run_cli("article", "n50", "--index", tmp_path / "ix").returncode == 1


def test_unreadable_files_are_reported_by_name_and_the_others_indexed(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    (news / "good.txt").write_text(GOOD, "utf-8")
    (news / "secret.txt").write_text("سري\n\nنص سري.", "utf-8")
    write_jsonl(news / "secret.jsonl", [{"id": "j", "text": "نص"}])
    for name in ("secret.txt", "secret.jsonl"):
        os.chmod(news / name, 0)
    try:
        result = run_unprivileged("index", "news", "--index", "ix", "--json", cwd=tmp_path)
    finally:
        for name in ("secret.txt", "secret.jsonl"):
            os.chmod(news / name, 0o644)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 1
    assert sorted(report["errors"]) == ["news/secret.jsonl: Permission denied",
                                        "news/secret.txt: Permission denied"]


# -- the web: no article runs script, headers everywhere, /docs offline, no 500, no paths -------

SCRIPT_URLS = ["javascript:alert(document.domain)", "JavaScript:alert(1)", " javascript:alert(1)",
               "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>",
               "vbscript:msgbox(1)", "//evil.example/x", "https://ok.example/a b"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """An archive whose articles carry script URLs (and one plain https one), served in
    process."""
    folder = tmp_path_factory.mktemp("hostile")
    records = [{"id": f"u{i}", "text": f"خبر {i} عن كورسك", "url": url}
               for i, url in enumerate(SCRIPT_URLS)]
    records.append({"id": "ok", "text": "خبر سليم عن كورسك", "url": "https://example.org/news?id=1&x=2"})
    with indexed(folder, records) as archive:
        with TestClient(create_app(archive), raise_server_exceptions=False) as client:
            yield client, archive.path


def test_row8_only_http_urls_become_links_and_others_are_not_kept(hostile):
    client, _ = hostile
    for i, url in enumerate(SCRIPT_URLS):
        page = client.get(f"/articles/u{i}").text
        hrefs = re.findall(r'href="([^"]*)"', page)
        assert not [h for h in hrefs if not h.startswith("/")], (url, hrefs)
        shown = html.escape(url.strip(), quote=False).split("\t")[-1]
        if url.startswith("https://"):  # kept, but no valid address: shown as text
            assert shown in page
        else:  # not http(s): not stored, so neither shown nor handed out (issue 26)
            assert shown not in page
            assert client.get(f"/api/articles/u{i}").json()["url"] is None
    page = client.get("/articles/ok").text
    assert 'href="https://example.org/news?id=1&amp;x=2"' in page


def test_row8_every_response_carries_the_security_headers(hostile):
    client, _ = hostile
    responses = [client.get("/"), client.get("/?q=كورسك"), client.get("/articles/ok"),
                 client.get("/articles/missing"), client.get("/api/search?q=كورسك"),
                 client.get("/api/search?page=0"), client.get("/api/entities/nobody"),
                 client.post("/api/tag", json={"text": "بوتين"}), client.get("/openapi.json"),
                 client.get("/docs"), client.get("/docs/assets/swagger-ui-bundle.js"),
                 client.get("/no/such/page"), client.post("/api/search")]
    for response in responses:
        headers = response.headers
        csp = headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, response.url
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert headers.get("x-content-type-options") == "nosniff", response.url
        assert headers.get("referrer-policy") == "no-referrer", response.url


def test_row9_no_input_reaches_a_500(hostile):
    client, _ = hostile
    tagged = client.post("/api/tag", content='{"text": "\\ud800 بوتين"}'.encode(),
                         headers={"content-type": "application/json"})
    assert tagged.status_code == 200, tagged.text
    (putin,) = tagged.json()["entities"]
    assert (putin["id"], putin["start"], putin["end"]) == ("person:vladimir-putin", 2, 7)
    assert client.post("/api/tag", content=b'{"text": "\\udfff\\ud800"}',
                       headers={"content-type": "application/json"}).status_code == 200
    assert client.post("/api/tag", content="\ud800".encode("utf-8", "surrogatepass"),
                       headers={"content-type": "text/plain"}).status_code == 400
    hostile_values = ["%ED%A0%80", "%ED%A0%80%20%D8%A8%D9%88%D8%AA%D9%8A%D9%86", "%FF%FE", "%00",
                      "%C0%AF", "-1", "99999999999999999999", "%22%22%22", "NOT", "OR"]
    for value in hostile_values:
        for url in (f"/api/search?q={value}", f"/?q={value}", f"/api/search?person={value}",
                    f"/api/search?q=x&from={value}", f"/api/search?limit={value}",
                    f"/api/entities?type={value}", f"/api/entities/{value}",
                    f"/api/articles/{value}", f"/articles/{value}", f"/entities/{value}",
                    f"/?q=x&page={value}"):
            response = client.get(url)
            assert response.status_code < 500, (url, response.status_code, response.text[:200])


def test_row9_error_messages_never_disclose_server_paths(hostile, tmp_path):
    client, path = hostile
    forms = {str(path), str(path.resolve()), str(Path(path).parent)}
    for response in (client.get("/api/articles/missing"), client.get("/articles/missing"),
                     client.get("/api/entities/nobody"), client.get("/api/search?place=x")):
        assert response.status_code in (400, 404)
        assert not any(form in response.text for form in forms), response.text
    assert "missing" in client.get("/api/articles/missing").json()["error"]


def test_row11_docs_are_served_from_this_server_only(hostile):
    client, _ = hostile
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/docs/assets/") for a in assets), assets
    assert "<script>" not in page.text  # no inline script: the CSP allows none
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 10, asset
    assert client.get("/docs/assets/../../server.py").status_code == 404
    assert client.get("/docs/assets/index.html").status_code == 404


def test_row11_docs_render_in_chromium_without_internet(server, browser):  # noqa: F811
    browser.get(server + "/docs")
    browser.implicitly_wait(20)
    operations = browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    paths = {op.text.replace("\u200b", "") for op in operations}
    assert {"/api/search", "/api/tag", "/api/articles/{doc_id}"} <= paths, paths
    errors = [entry for entry in browser.get_log("browser")
              if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]]
    assert errors == []


# -- the cost of a query is bounded by its size --------------------------------------------------

def test_row10_a_very_long_query_is_cut_with_a_notice(seed_index):
    from archive.search import MAX_QUERY_CHARS, MAX_QUERY_WORDS

    one_word = run_cli("search", "ك" * 10_000, "--index", seed_index, "--json", check=0)
    results = json.loads(one_word.stdout)
    assert len(results["query"]) <= MAX_QUERY_CHARS and results["notices"]
    assert "notice: the query was cut" in one_word.stderr
    words = " ".join(["كورسك"] * 40 + ["خاركيف"] * 10)
    results = run_json("search", words, "--index", seed_index)
    assert results["query"].split() == ["كورسك"] * MAX_QUERY_WORDS
    assert any(f"{MAX_QUERY_WORDS} words" in n for n in results["notices"])
    assert results["total"] == run_json("search", "كورسك", "--index", seed_index)["total"]
    assert run_json("search", "كورسك", "--index", seed_index)["notices"] == []


def test_row10_no_did_you_mean_for_words_too_long_to_be_words(tmp_path):
    long_word = "كورسكخاركيفبيلغورودسومي"  # 23 letters: still looked up
    longer = long_word + "ديو"  # 26: not
    with indexed(tmp_path, [{"id": "a", "text": f"{long_word} و{longer} كورسك"}]) as archive:
        assert archive.search(long_word[:-1] + "ا").suggestions == [long_word]
        assert archive.search(longer[:-1] + "ز").suggestions == []
        assert archive.search("كورصك").suggestions == ["كورسك"]
    words = ["كورسك", "خاركيف", "بيلغورود", "موسكو"]
    (tmp_path / "four").mkdir()
    with indexed(tmp_path / "four", [{"id": "b", "text": " ".join(words)}]) as archive:
        typed = ["كورصك", "خاركيب", "بيلغوروت", "موسقو"]
        (suggested,) = archive.search(" ".join(typed)).suggestions
        assert suggested.split() == words[:3] + typed[3:]  # the first three words looked up


# -- a build indexes exactly what it planned, whatever happens to the files meanwhile ------------

def test_row5_a_corpus_changing_between_the_passes_loses_nothing_and_doubles_nothing(tmp_path):
    """The first pass plans a1 and b2 (both edited); after a1 is written, and before the
    second pass opens b.jsonl, a feed inserts a record at its top (every later article moves
    one place) and b2 is edited again. Planning by position would index b1 twice and lose b2;
    by id and hash, b2 is reported and left for the next build, which indexes it."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    record = lambda i, text: {"id": i, "text": f"{text} عن كورسك"}  # noqa: E731
    write_jsonl(a, [record("a1", "خبر أول")])
    write_jsonl(b, [record("b1", "خبر ثان"), record("b2", "خبر ثالث")])
    with Archive.open(tmp_path / "ix", create=True) as archive:
        archive.index([tmp_path], workers=1)
        write_jsonl(a, [record("a1", "خبر أول منقح")])
        write_jsonl(b, [record("b1", "خبر ثان"), record("b2", "خبر ثالث منقح")])

        def meanwhile(done: int, total: int) -> None:
            if done == 1:  # a1 is written; b.jsonl is not open yet
                write_jsonl(b, [record("b0", "خبر جديد"), record("b1", "خبر ثان"),
                                record("b2", "خبر ثالث منقح مرة أخرى")])

        report = archive.index([tmp_path], workers=1, progress=meanwhile)
        assert _doc_ids(archive) == ["a1", "b1"]  # b1 once; b2's old text is gone, not mixed up
        (error,) = report.errors
        assert error.path.endswith("b.jsonl") and "'b2' changed while this build" in error.reason
        assert (report.updated, report.removed, report.unchanged) == (1, 1, 1)
        assert archive.article("a1").passages[0].text.startswith("خبر أول منقح")

        report = archive.index([tmp_path], workers=1)  # the next build takes what was left
        assert (report.added, report.errors) == (2, [])
        assert _doc_ids(archive) == ["a1", "b0", "b1", "b2"]
        assert "مرة أخرى" in archive.article("b2").passages[0].text


def test_row5_an_article_that_vanishes_between_the_passes_is_reported(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_jsonl(a, [{"id": "a1", "text": "خبر أول عن كورسك"}])
    write_jsonl(b, [{"id": "b1", "text": "خبر ثان عن كورسك"}])
    with Archive.open(tmp_path / "ix", create=True) as archive:
        report = archive.index([tmp_path], workers=1,
                               progress=lambda done, total: done == 1 and b.unlink())
        assert (report.added, [e.reason for e in report.errors]) == (
            1, ["article 'b1' vanished while this build was reading it; it is left for the next "
                "`archive index`"])
        assert _doc_ids(archive) == ["a1"]


def _doc_ids(archive) -> list[str]:
    """The article of every passage found (one passage per article here): an article indexed
    twice shows twice."""
    return sorted(hit.doc_id for hit in archive.search("كورسك", limit=100).hits)


# -- durability and recovery ---------------------------------------------------------------------

def _build(tmp_path: Path, corpus: Path = CORPUS, index: str = "ix") -> Path:
    run_cli("index", corpus, "--index", index, cwd=tmp_path, check=0)
    return tmp_path / index


def _own_files(index: Path) -> list[str]:
    """Every file and folder in an index folder but the lock."""
    return sorted(name for name in os.listdir(index) if name != "archive_WRITELOCK")


def _one_line_error(result, *needles: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("damage", ["empty toc", "truncated toc", "empty segment file",
                                    "garbage segment file"])
@pytest.mark.whoosh_only  # Whoosh's TOC and segment files
def test_row6_a_damaged_index_is_a_one_line_error_and_rebuild_repairs_it(tmp_path, damage):
    index = _build(tmp_path)
    (toc,) = index.glob("_archive_*.toc")
    postings = next(index.glob("archive_*.pst"))
    {"empty toc": lambda: toc.write_bytes(b""),
     "truncated toc": lambda: toc.write_bytes(toc.read_bytes()[:120]),
     "empty segment file": lambda: postings.write_bytes(b""),
     "garbage segment file": lambda: postings.write_bytes(b"\x00garbage" * 64)}[damage]()
    for command in (["search", "كورسك"], ["index", CORPUS], ["entities"], ["article", "x"]):
        _one_line_error(run_cli(*command, "--index", index, cwd=tmp_path),
                        "damaged", f"archive index --rebuild --index {index}")
    run_cli("index", "--rebuild", CORPUS, "--index", index, cwd=tmp_path, check=0)
    assert run_json("search", "كورسك", "--index", index)["total"] > 0
    assert len(list(index.glob("_archive_*.toc"))) == 1
    segments = {name.split(".")[0] for name in _own_files(index)
                if re.match(r"archive_[0-9a-z]{16}[.]", name)}
    assert len(segments) == 1 and not (index / "archive.tmp").exists(), _own_files(index)


@pytest.mark.whoosh_only  # Whoosh's TOC and segment files
def test_row6_every_file_a_commit_publishes_is_fsynced_before_the_toc_is_renamed(tmp_path):
    """The fsync hook on Whoosh's storage: if Whoosh stopped writing segments or the TOC
    through the storage's create_file, or publishing through rename_file, this fails."""
    write_jsonl(tmp_path / "feed.jsonl", [{"id": f"a{i}", "text": f"خبر {i} عن كورسك"}
                                          for i in range(5)])
    with Archive.open(tmp_path / "ix", create=True) as archive:
        for _ in range(2):  # an update after the first build: a new segment, a new TOC
            write_jsonl(tmp_path / "more.jsonl", [{"id": f"m{_}", "text": "خبر آخر عن خاركيف"}])
            archive.index([tmp_path], workers=1)
            journal = archive.store._ix.storage.last_publish
            (toc,) = [n for n in _own_files(tmp_path / "ix") if n.endswith(".toc")]
            assert journal[-1] == ("rename", toc)
            synced = {name for event, name in journal if event == "fsync"}
            assert any(name.startswith(toc + ".") for name in synced)  # the TOC's bytes
            segment_files = [n for n in _own_files(tmp_path / "ix")
                             if n.startswith("archive_") and not n.endswith(".fpairs")]
            new = [n for n in segment_files if n.split(".")[0] in
                   {name.split(".")[0] for name in synced}]
            assert new and set(new) <= synced, (segment_files, journal)


@pytest.mark.whoosh_only  # Whoosh's TOC and segment files
def test_row12_the_next_build_removes_what_interrupted_builds_left_and_nothing_else(tmp_path):
    index = _build(tmp_path)
    before = _own_files(index)
    (toc,) = [n for n in before if n.endswith(".toc")]
    generation = int(toc.split("_")[2].split(".")[0])
    leftovers = {  # what kill -9 at a bad moment leaves
        f"_archive_{generation + 1}.toc.1764620000.123456": b"\x01\x02 partial",
        f"_archive_{generation - 1}.toc": b"an old generation",
        "archive_0a1b2c3d4e5f6g7h.pst": b"", "archive_0a1b2c3d4e5f6g7h.trm": b"",
        "archive_0a1b2c3d4e5f6g7h._stored.col": b"half a segment",
        "archive_zzzzzzzzzzzzzzzz.fpairs.4242.tmp": b"",
        "archive.tmp/abcdefghijklmnopqrstuvwxyz01.ctmp": b"x" * 1000,
        "archive.tmp/abcdefghijklmnopqrstuvwxyz02.run": b"",
    }
    users = {"archive_notes.txt": b"mine", "_archive_notes": b"mine", "README": b"mine",
             "notes.toc.txt": b"mine"}
    (index / "archive.tmp").mkdir()
    for name, data in {**leftovers, **users}.items():
        (index / name).write_bytes(data)
    result = run_cli("index", CORPUS, "--index", index, cwd=tmp_path, check=0)  # nothing to do
    assert "0 new, 0 changed, 5 unchanged" in result.stdout
    assert _own_files(index) == sorted(before + list(users))
    assert all((index / name).read_bytes() == data for name, data in users.items())
    assert run_json("search", "كورسك", "--index", index)["total"] > 0

    (index / "archive.tmp").mkdir()
    (index / "archive.tmp" / "abcdefghijklmnopqrstuvwxyz03.ctmp").write_bytes(b"")
    run_cli("index", "--rebuild", CORPUS, "--index", index, cwd=tmp_path, check=0)
    assert not (index / "archive.tmp").exists()
    assert all((index / name).read_bytes() == data for name, data in users.items())


@pytest.mark.whoosh_only  # Whoosh's TOC and segment files
def test_row12_a_build_killed_while_writing_leaves_nothing_after_the_next_one(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    corpus = tmp_path / "many.jsonl"
    write_jsonl(corpus, [{"id": f"a{i}", "text": ("قصف في كورسك وتقدم في خاركيف. " * 40) + str(i)}
                         for i in range(400)])
    index = _build(tmp_path, CORPUS)
    before = _own_files(index)
    build = subprocess.Popen([sys.executable, "-m", "archive", "index", "--rebuild", str(corpus),
                              "--index", str(index), "--workers", "2"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (index / "archive.tmp").exists() or len(_own_files(index)) <= len(before) + 2:
        assert build.poll() is None and time.monotonic() < deadline, "the build ended first"
        time.sleep(0.01)
    children = _children(build.pid)
    for child in children:
        os.kill(child, signal.SIGKILL)
    build.kill()
    build.wait()
    while any(Path(f"/proc/{child}").exists() and "(Z)" not in _state(child) for child in children):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert len(_own_files(index)) > len(before)  # debris, as a power cut or kill -9 leaves it
    assert run_json("search", "كورسك", "--index", index)["total"] > 0  # the old index answers
    run_cli("index", CORPUS, "--index", index, cwd=tmp_path, check=0)
    assert _own_files(index) == before


def _state(pid: int) -> str:
    try:
        return "(" + Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] + ")"
    except OSError:
        return "(Z)"


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry))
    return found


FULL_DISK_DRIVER = r"""
import json, os, shutil, subprocess, sys
mount, corpus, big = sys.argv[1:4]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount], check=True)
def cli(*args):
    return subprocess.run([sys.executable, "-m", "archive", *args], capture_output=True,
                          text=True, encoding="utf-8")
index = os.path.join(mount, "ix")
built = cli("index", corpus, "--index", index)
free = shutil.disk_usage(mount).free
with open(os.path.join(mount, "filler"), "wb") as filler:  # leave 150 KB: less than a rebuild needs
    filler.write(b"\0" * (free - 150 * 1024))
listing = lambda: sorted(os.path.relpath(os.path.join(folder, name), index)
                         for folder, _, names in os.walk(index) for name in names)
before, free_before = listing(), shutil.disk_usage(mount).free
runs = []
for workers in ("1", "2"):
    failed = cli("index", "--rebuild", big, "--index", index, "--workers", workers)
    runs.append({"status": failed.returncode, "stderr": failed.stderr, "files": listing(),
                 "free": shutil.disk_usage(mount).free})
search = cli("search", "كورسك", "--index", index, "--json")
print(json.dumps({"built": built.returncode, "before": before, "free_before": free_before,
                  "runs": runs, "search": json.loads(search.stdout)["total"]}))
"""


@pytest.mark.local_files
def test_row7_a_rebuild_on_a_full_disk_fails_clearly_and_removes_what_it_wrote(tmp_path):
    """A real full disk: a 3 MB tmpfs in a private mount namespace (root's CI; `unshare -r`
    maps an ordinary user to root in a namespace of its own)."""
    import subprocess
    import sys

    big = write_jsonl(tmp_path / "big.jsonl", [
        {"id": f"a{i}", "text": ("قصف في كورسك وتقدم في خاركيف. " * 30) + f"خبر رقم {i}"}
        for i in range(300)])
    (tmp_path / "mnt").mkdir()
    namespace = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    result = subprocess.run([*namespace, sys.executable, "-c", FULL_DISK_DRIVER,
                             str(tmp_path / "mnt"), str(CORPUS), str(big)],
                            capture_output=True, text=True, encoding="utf-8", timeout=600)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["built"] == 0
    for run in outcome["runs"]:
        assert run["status"] == 1 and "No space left on device" in run["stderr"], run
        assert "Traceback" not in run["stderr"], run["stderr"]
        assert run["files"] == outcome["before"]  # the old index, and nothing it wrote
        assert run["free"] == outcome["free_before"]
    assert outcome["search"] > 0
