"""`archive serve --workers N`: real worker processes on loopback (ports 8700-8799), each with
its own read-only searcher; concurrent requests, a rebuild under the server, a commit seen by
every worker."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlencode

from conftest import ROOT, run_cli, run_json, write_jsonl

PORTS = range(8700, 8800)
STARTUP_SECONDS = 120  # two workers import and open the index on a shared, loaded machine


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8700-8799")


def _get(port: int, params: dict) -> tuple[int, str, dict]:
    """(status, worker PID, JSON) of one /api/search on a connection of its own."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/api/search?" + urlencode(params))
        response = connection.getresponse()
        body = response.read()
        return response.status, response.getheader("x-archive-worker", ""), json.loads(body)
    finally:
        connection.close()


@contextmanager
def serving(index, workers: int = 2):
    """`archive serve --index INDEX --workers N` on a free loopback port, until it answers;
    stopped (by its PID) afterwards."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "archive", "serve", "--index", str(index),
                                "--port", str(port), "--workers", str(workers)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                if _get(port, {"q": ""})[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not answer in time"
            time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _every_worker(port: int, params: dict, workers: int = 2, tries: int = 400) -> dict[str, dict]:
    """Worker PID → its answer to ``params``, asking concurrently until ``workers`` different
    processes have answered (each answer must be a 200)."""
    answers: dict[str, dict] = {}
    with ThreadPoolExecutor(8) as pool:
        for _ in range(tries // 8):
            for status, worker, data in pool.map(lambda _: _get(port, params), range(8)):
                assert status == 200, data
                answers.setdefault(worker, data)
            if len(answers) >= workers:
                break
    return answers


def _copy(seed_index, tmp_path):
    copy = tmp_path / "ix"
    shutil.copytree(seed_index, copy)
    return copy


def test_two_workers_answer_concurrent_requests_as_the_cli_does(seed_index, tmp_path):
    index = _copy(seed_index, tmp_path)
    expected = run_json("search", "كورسك", "--facets", "4", "--index", index)
    with serving(index) as port:
        answers = _every_worker(port, {"q": "كورسك", "facets": 4})
    assert len(answers) == 2 and all(pid.isdigit() for pid in answers)
    for data in answers.values():
        assert data == expected


def test_a_commit_becomes_visible_to_every_worker(seed_index, tmp_path):
    index = _copy(seed_index, tmp_path)
    feed = write_jsonl(tmp_path / "new.jsonl", [
        {"id": "new-1", "title": "خبر جديد", "text": "وصلت قافلة زمردية إلى المدينة صباح اليوم."}])
    with serving(index) as port:
        before = _every_worker(port, {"q": "زمردية"})  # each worker has the old generation open
        assert len(before) == 2 and all(data["total"] == 0 for data in before.values())
        run_cli("index", feed, "--index", index, check=0)
        after = _every_worker(port, {"q": "زمردية"})
    assert len(after) == 2
    for data in after.values():
        assert [hit["doc_id"] for hit in data["results"]] == ["new-1"]


def test_searches_keep_answering_during_a_rebuild(seed_index, tmp_path):
    index = _copy(seed_index, tmp_path)
    expected = run_json("search", "كورسك", "--index", index)["total"]
    with serving(index) as port:
        rebuild = subprocess.Popen([sys.executable, "-m", "archive", "index", "--rebuild",
                                    str(ROOT / "corpus"), "--index", str(index)], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        answered_during = 0
        try:
            while rebuild.poll() is None:
                status, _, data = _get(port, {"q": "كورسك"})
                assert status == 200 and data["total"] == expected, data
                answered_during += rebuild.poll() is None
        finally:
            rebuild.wait(timeout=300)
        assert rebuild.returncode == 0, rebuild.stderr.read()
        after = _every_worker(port, {"q": "كورسك"})
    assert answered_during > 0
    assert {data["total"] for data in after.values()} == {expected}


def test_workers_must_be_a_positive_number(seed_index):
    result = run_cli("serve", "--index", seed_index, "--workers", "0")
    assert result.returncode == 2 and "--workers" in result.stderr
