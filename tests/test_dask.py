"""`archive index --dask ADDRESS` (issue 24) against a real `dask scheduler` and two `dask worker`
processes on 127.0.0.1: the same index as a build without Dask, and a worker lost mid-build
leaves the previous index searchable and the rerun completes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, run_cli, run_json, write_jsonl
from test_build_once import _records

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers without nannies (a killed worker stays
    dead), importing this checkout; stopped by PID."""
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    started = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                 "--no-dashboard"], env=env, cwd=logs,
                                stdout=subprocess.DEVNULL, stderr=(logs / "scheduler.log").open("w"))]
    try:
        for number in range(2):
            started.append(subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                 "--no-dashboard", "--name", f"w{number}"], env=env, cwd=logs,
                stdout=subprocess.DEVNULL, stderr=(logs / f"worker{number}.log").open("w")))
        _wait_for_workers(address, 2)
        yield address, started[1:]
    finally:
        for process in reversed(started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(count, timeout=60)


def _corpus(folder: Path, articles: int) -> Path:
    """Synthetic articles (scripts/synthetic.py) and ones that teach a name."""
    synthetic = folder / "synthetic.jsonl"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synthetic.py"), "--articles", str(articles),
                    "--out", str(synthetic)], check=True, capture_output=True, cwd=ROOT)
    records = [json.loads(line) for line in synthetic.read_text("utf-8").splitlines()]
    return write_jsonl(folder / "feed.jsonl", [*_records(), *records])


def _content(index: Path) -> dict:
    """What a user sees: counts, every entity's name, passages and article count, and rankings,
    totals and facets of a few searches."""
    from archive import Archive

    out: dict = {}
    with Archive.open(index, readonly=True) as archive:
        out["stats"] = {k: v for k, v in archive.stats().to_dict().items() if k != "path"}
        counts = archive.entities(limit=100_000).to_dict()
        out["counts"] = {kind: sorted((r["id"], r["name"], r["count"]) for r in rows)
                         for kind, rows in counts.items()}
        for kind, rows in counts.items():
            for row in rows:
                hits = archive.iter_hits("", filters={kind: [row["id"]]}, highlight=False)
                out[row["id"]] = sorted((h.doc_id, h.position) for h in hits)
        for query in ("في", "روسيا", "بوتين كيم", "الرئيس"):
            results = archive.search(query, limit=30, facets=20).to_dict()
            out[query] = (results["total"],
                          [(h["doc_id"], h["score"], h["text"], [e["id"] for e in h["entities"]])
                           for h in results["results"]],
                          {kind: [(f["id"], f["name"], f["count"]) for f in facets]
                           for kind, facets in results["facets"].items()})
    return out


def test_a_build_on_the_cluster_is_the_build_without_it(tmp_path, cluster):
    address, _ = cluster
    feed = _corpus(tmp_path, 60)
    here = run_json("index", feed, "--index", tmp_path / "here", "--engine", "tantivy")  # as many workers as cores
    there = run_json("index", feed, "--index", tmp_path / "there", "--engine", "tantivy",
                     "--dask", address)
    assert there["added"] == here["added"] > 100 and there["passages"] == here["passages"]
    assert there["retagged"] == here["retagged"]
    assert _content(tmp_path / "there") == _content(tmp_path / "here")
    # an update on the cluster: only the new article is analysed, as without it
    write_jsonl(tmp_path / "more.jsonl", [{"id": "more", "text": "وقال هانسن إن روسيا ستفاوض."}])
    for name in ("here", "there"):
        extra = ["--dask", address] if name == "there" else []
        update = run_json("index", feed, tmp_path / "more.jsonl", "--index", tmp_path / name, *extra)
        assert (update["added"], update["unchanged"]) == (1, here["added"])
    assert _content(tmp_path / "there") == _content(tmp_path / "here")


def test_an_unreachable_scheduler_is_a_clear_error_and_loses_nothing(tmp_path):
    port = _free_port()  # nobody listens there
    result = run_cli("index", CORPUS, "--index", tmp_path / "ix", "--dask", f"tcp://127.0.0.1:{port}",
                     check=1)
    assert "cannot reach the Dask scheduler" in result.stderr and "Traceback" not in result.stderr
    assert run_cli("index", CORPUS, "--index", tmp_path / "ix2", "--dask", "local:x", check=None).returncode != 0


def test_a_worker_lost_mid_build_leaves_the_previous_index_and_the_rerun_completes(tmp_path, cluster):
    address, workers = cluster
    previous = run_json("index", CORPUS, "--index", tmp_path / "ix", "--engine", "tantivy",
                        "--dask", address)
    assert previous["added"] == 5
    before = run_json("search", "كورسك", "--index", tmp_path / "ix")
    feed = _corpus(tmp_path, 150)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    build = subprocess.Popen([sys.executable, "-m", "archive", "index", feed, "--index",
                              tmp_path / "ix", "--rebuild", "--dask", address, "--verbose", "--json"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, encoding="utf-8")
    assert build.stderr is not None
    seen = []
    for line in build.stderr:  # the learning pass is running on the workers: lose one
        seen.append(line)
        if "learning" in line:
            break
    workers[0].send_signal(signal.SIGKILL)
    workers[0].wait(timeout=30)
    assert run_json("search", "كورسك", "--index", tmp_path / "ix")["results"]  # still searchable
    _, err = build.communicate(timeout=600)
    if build.returncode != 0:  # nothing was committed: the previous index answers
        assert run_json("search", "كورسك", "--index", tmp_path / "ix") == before
    rerun = run_json("index", feed, "--index", tmp_path / "ix", "--rebuild", "--dask", address)
    assert rerun["errors"] == []
    here = run_json("index", feed, "--index", tmp_path / "here", "--engine", "tantivy",
                    "--workers", "1")
    assert _content(tmp_path / "ix") == _content(tmp_path / "here"), (seen, err[-2000:])
