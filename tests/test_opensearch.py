"""The OpenSearch engine on a real test cluster (``scripts/opensearch start --nodes 2``, at
$ARCHIVE_TEST_OPENSEARCH; conftest collects this module only when it answers): indexes named by
URL give the answers of a local Tantivy index, builds publish whole generations behind an alias,
one build at a time through the lock in the cluster, credentials never shown, and a node lost
between searches or during a build costs no answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import OPENSEARCH, ROOT, opensearch_delete, run_cli, run_json, write_jsonl
from test_dask import _content
from test_dask import cluster as dask_cluster  # noqa: F401 - a fixture: real scheduler, two workers

HOST = OPENSEARCH.split("://", 1)[1].rstrip("/")
UNSEEN = [
    {"id": "unseen-1", "date": "2024-11-03", "title": "بوتين يزور كورسك",
     "text": "زار الرئيس الروسي فلاديمير بوتين منطقة كورسك الحدودية. وقال بوتين إن القوات "
             "الروسية ستستعيد كورسك قريبا. وتحدث بوتين عن الحرب في أوكرانيا."},
    {"id": "unseen-2", "date": "2024-12-01", "title": "خاركيف تحت القصف",
     "text": "تعرضت مدينة خاركيف الأوكرانية لقصف صاروخي جديد. وأعلنت أوكرانيا أن روسيا "
             "أطلقت صواريخ على خاركيف وكييف."},
    {"id": "unseen-3", "date": "2025-01-15", "title": "كوريا الشمالية وروسيا",
     "text": "قالت كوريا الشمالية إن جنودها في روسيا. وأكد حلف شمال الأطلسي أن قوات كورية "
             "شمالية تقاتل في كورسك إلى جانب روسيا."},
]
QUERIES = [["كورسك"], ["روسيا أوكرانيا"], ['"كوريا الشمالية"'], ["كورسك OR خاركيف"],
           ["", "--person", "بوتين"]]


def url(name: str) -> str:
    return f"opensearch://{HOST}/archive-test-{name}"


def http(method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{OPENSEARCH.rstrip('/')}/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read() or b"{}")


def generations(name: str) -> dict[str, bool]:
    """Generation index → whether the alias points at it."""
    found = http("GET", f"archive-test-{name}-gen-*/_alias")
    return {index: bool(entry["aliases"]) for index, entry in found.items()}


def answers(index: str | Path, query: list[str]) -> tuple:
    """What a search answers that must not depend on the engine: the total, the top articles in
    order, the facet counts and the months."""
    found = run_json("search", *query, "--index", index, "--limit", "10", "--months")
    top = list(dict.fromkeys(r["doc_id"] for r in found["results"]))
    facets = {kind: sorted((e["id"], e["count"]) for e in entries)
              for kind, entries in found["facets"].items()}
    return found["total"], top, facets, found["months"]


@pytest.fixture(scope="module", autouse=True)
def fresh_cluster_indexes():
    """The indexes of this module (archive-test-*) are new for each run, and removed after."""
    opensearch_delete("archive-test-*")
    yield
    opensearch_delete("archive-test-*")


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("unseen")
    return [ROOT / "corpus", write_jsonl(folder / "unseen.jsonl", UNSEEN)]


@pytest.fixture(scope="module")
def tantivy_index(tmp_path_factory, sources) -> Path:
    path = tmp_path_factory.mktemp("tantivy") / "index"
    run_cli("index", *sources, "--index", path, "--engine", "tantivy", check=0)
    return path


@pytest.fixture(scope="module")
def parity_url(sources) -> str:
    run_cli("index", *sources, "--index", url("parity"), check=0)
    return url("parity")


@pytest.mark.parametrize("query", QUERIES, ids=["word", "words", "phrase", "or", "person"])
def test_answers_match_tantivy(parity_url, tantivy_index, query):
    assert answers(parity_url, query) == answers(tantivy_index, query)


def test_scores_do_not_depend_on_shards(parity_url):
    """Two shards, dfs_query_then_fetch: the same passage text scores the same wherever it is."""
    found = run_json("search", "كورسك", "--index", parity_url, "--limit", "20")
    by_text: dict[str, set] = {}
    for result in found["results"]:
        by_text.setdefault(result["text"], set()).add(result["score"])
    assert any(len(scores) == 1 for text, scores in by_text.items())
    assert all(len(scores) == 1 for scores in by_text.values())
    settings = http("GET", "archive-test-parity/_settings")
    assert {s["settings"]["index"]["number_of_shards"] for s in settings.values()} == {"2"}


def test_rebuild_and_incremental_builds_switch_generations(tmp_path, sources):
    name = "generations"
    first = run_json("index", *sources, "--index", url(name))
    assert first["added"] == 8
    # the alias names one generation; the one before it (here the empty one the index was
    # created with) is kept for readers still holding it
    assert sorted(generations(name).values()) == [False, True]
    again = run_json("index", *sources, "--index", url(name))
    assert (again["added"], again["unchanged"]) == (0, 8)
    changed = [dict(UNSEEN[0], text=UNSEEN[0]["text"] + " وزار بوتين بلدة زنجبيلستان.")]
    feed = write_jsonl(tmp_path / "unseen.jsonl", changed + UNSEEN[1:])
    third = run_json("index", ROOT / "corpus", feed, "--index", url(name))
    assert (third["updated"], third["unchanged"]) == (1, 7)
    # the current generation and the one before it remain; older ones are gone
    held = generations(name)
    assert len(held) == 2 and sum(held.values()) == 1
    found = run_json("search", "زنجبيلستان", "--index", url(name))
    assert {r["doc_id"] for r in found["results"]} == {"unseen-1"}
    rebuilt = run_json("index", "--rebuild", ROOT / "corpus", "--index", url(name))
    assert rebuilt["added"] == 5
    assert run_json("stats", "--index", url(name))["articles"] == 5


def test_a_failed_build_leaves_the_previous_generation(tmp_path, sources):
    name = "failed"
    run_cli("index", *sources, "--index", url(name), check=0)
    before = answers(url(name), ["كورسك"])
    held = generations(name)
    # a record over OpenSearch's limits: the cluster refuses it, the build fails cleanly
    huge = write_jsonl(tmp_path / "huge.jsonl", [{"id": "x" * 600, "text": "كورسك " * 10}])
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.jsonl").write_bytes(huge.read_bytes())
    result = run_cli("index", "--rebuild", broken, "--index", url(name))
    if result.returncode == 0:  # the id fits after all: the index holds just that article
        assert run_json("stats", "--index", url(name))["articles"] == 1
        return
    assert "Traceback" not in result.stderr
    assert generations(name) == held
    assert answers(url(name), ["كورسك"]) == before


def test_one_build_at_a_time_and_an_expired_lock_is_taken(sources):
    name = "locked"
    run_cli("index", ROOT / "corpus", "--index", url(name), check=0)
    lock = f"archive-test-{name}-lock/_doc/lock"
    held_elsewhere = {"holder": "another-machine:1234", "expires": time.time() + 600}
    http("PUT", f"{lock}?refresh=true", held_elsewhere)
    busy = run_cli("index", *sources, "--index", url(name))
    assert busy.returncode == 1 and "another build is writing" in busy.stderr
    assert run_json("stats", "--index", url(name))["articles"] == 5
    # a killed build stops renewing its lock: once expired, the next build takes it
    http("PUT", f"{lock}?refresh=true", dict(held_elsewhere, expires=time.time() - 1))
    assert run_json("index", *sources, "--index", url(name))["added"] == 3
    with pytest.raises(urllib.error.HTTPError):  # released when the build ended
        http("GET", lock)


def test_credentials_never_appear(sources):
    secret = "s3cr3t-Pa55word"
    env = {"ARCHIVE_OPENSEARCH_USER": "editor", "ARCHIVE_OPENSEARCH_PASSWORD": secret}
    result = run_cli("index", ROOT / "corpus", "--index", "opensearch://127.0.0.1:9209/x", env=env)
    assert result.returncode == 1 and "opensearch://127.0.0.1:9209/x" in result.stderr
    assert secret not in result.stderr + result.stdout
    in_url = run_cli("search", "كورسك", "--index", f"opensearch://editor:{secret}@{HOST}/x")
    assert in_url.returncode == 1 and "holds no credentials" in in_url.stderr
    assert secret not in in_url.stderr + in_url.stdout
    with_key = run_cli("stats", "--index", url("nothing"), env={"ARCHIVE_OPENSEARCH_API_KEY": secret})
    assert with_key.returncode == 1 and secret not in with_key.stderr


def test_a_bad_url_is_a_clear_error():
    result = run_cli("search", "كورسك", "--index", f"opensearch://{HOST}/Not A Name")
    assert result.returncode == 1 and "opensearch://HOST:PORT/NAME" in result.stderr
    other = run_cli("search", "كورسك", "--index", f"http://{HOST}/news")
    assert other.returncode == 1 and "is not an index" in other.stderr
    missing = run_cli("search", "كورسك", "--index", url("never-built"))
    assert missing.returncode == 1 and "no index at" in missing.stderr


def _nodes() -> int:
    return int(http("GET", "_cluster/health")["number_of_nodes"])


def _script(*args: str) -> None:
    subprocess.run([str(ROOT / "scripts" / "opensearch"), *args], check=True, timeout=300,
                   capture_output=True)


def test_a_node_lost_between_searches_and_during_a_build(tmp_path, sources, parity_url):
    """Stop node 1 (the cluster's second node) between two searches, then during a build: the
    answers stay, the build fails cleanly or completes, the next one completes; node 1 is
    started again afterwards."""
    assert _nodes() == 2, "the failover test needs the two-node test cluster"
    before = [answers(parity_url, query) for query in QUERIES]
    _script("stop", "--node", "1")
    try:
        assert _nodes() == 1
        assert [answers(parity_url, query) for query in QUERIES] == before
        # a build while node 1 comes back and goes again
        feed = write_jsonl(tmp_path / "many.jsonl", [
            {"id": f"many-{i}", "text": f"خبر رقم {i} عن روسيا وأوكرانيا وكورسك. " * 20}
            for i in range(400)])
        build = subprocess.Popen(
            [sys.executable, "-m", "archive", "index", "--rebuild",
             *map(str, sources), feed, "--index", url("failover")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _script("start", "--node", "1")
        _script("stop", "--node", "1")
        _, errors = build.communicate(timeout=600)
        assert "Traceback" not in errors
        finished = run_json("index", *map(str, sources), feed, "--index", url("failover"))
        assert finished["added"] + finished["unchanged"] + finished["updated"] == 408
        assert run_json("stats", "--index", url("failover"))["articles"] == 408
        assert [answers(parity_url, query) for query in QUERIES] == before
    finally:
        if _nodes() < 2:
            _script("start", "--node", "1")
    assert _nodes() == 2


def _task_prefixes(address: str) -> set[str]:
    """The names of the kinds of task the Dask scheduler has run."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        return set(client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes)))


def test_a_build_on_dask_bulk_indexes_from_the_workers(sources, parity_url, dask_cluster):
    """Issue 24 on a cluster index: the Dask workers bulk-index themselves, and the index is
    the one a build without Dask makes."""
    address, _ = dask_cluster
    there = run_json("index", *sources, "--index", url("dask"), "--dask", address)
    without = run_json("stats", "--index", parity_url)
    assert (there["added"], there["passages"]) == (without["articles"], without["passages"])
    assert "analyse_and_send" in _task_prefixes(address)  # the workers wrote, not this process
    assert _content(url("dask")) == _content(parity_url)
