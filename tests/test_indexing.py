"""Building the index: incremental by content hash, deletions, bad files, interruptions."""

import signal
import subprocess
import sys
import time

import pytest

from archive import Archive
from conftest import ROOT, run_cli, write_jsonl

KURSK = "وصلت القوات إلى كورسك الروسية."


def ids(archive):
    return sorted(archive.store.manifest())


def test_reindexing_only_touches_what_changed(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a", "b", "c"):
        (docs / f"{name}.txt").write_text(f"عنوان {name}\n{KURSK}", "utf-8")
    with Archive.open(tmp_path / "ix", create=True) as archive:
        first = archive.index([docs])
        assert (first.added, first.unchanged) == (3, 0)
        again = archive.index([docs])
        assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 3, 0)

        (docs / "b.txt").write_text("عنوان b\nخبر جديد عن خاركيف.", "utf-8")
        (docs / "c.txt").unlink()
        update = archive.index([docs])
        assert (update.added, update.updated, update.unchanged, update.removed) == (0, 1, 1, 1)
        assert ids(archive) == ["a", "b"]
        assert {h.doc_id for h in archive.search("كورسك").hits} == {"a"}
        assert [h.doc_id for h in archive.search("خاركيف").hits] == ["b"]


def test_a_record_removed_from_a_jsonl_file_is_removed(tmp_path):
    feed = write_jsonl(tmp_path / "feed.jsonl", [{"id": "x", "text": KURSK}, {"id": "y", "text": KURSK}])
    with Archive.open(tmp_path / "ix", create=True) as archive:
        archive.index([feed])
        write_jsonl(feed, [{"id": "y", "text": KURSK}])
        assert archive.index([feed]).removed == 1
        assert ids(archive) == ["y"]


def test_indexing_another_folder_keeps_what_is_already_there(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "a.txt").write_text(KURSK, "utf-8")
    (tmp_path / "two" / "b.txt").write_text(KURSK, "utf-8")
    with Archive.open(tmp_path / "ix", create=True) as archive:
        archive.index([tmp_path / "one"])
        archive.index([tmp_path / "two"])
        assert ids(archive) == ["a", "b"]


def test_a_file_that_breaks_keeps_its_indexed_articles(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text(KURSK, "utf-8")
    with Archive.open(tmp_path / "ix", create=True) as archive:
        archive.index([story])
        story.write_bytes(b"\x00\xff" * 50)
        report = archive.index([story])
        assert not report.ok and report.removed == 0
        assert ids(archive) == ["story"]


def test_duplicate_record_ids_are_reported_not_merged(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"id": "same", "text": KURSK}])
    write_jsonl(tmp_path / "b.jsonl", [{"id": "same", "text": "نص آخر تماما"}])
    with Archive.open(tmp_path / "ix", create=True) as archive:
        report = archive.index([tmp_path])
    assert report.added == 1
    assert "duplicate article id 'same'" in str(report.errors[0])
    assert "b.jsonl" in str(report.errors[0])


def test_cli_reports_broken_files_on_stderr_indexes_the_rest_and_exits_1(tmp_path):
    (tmp_path / "good.txt").write_text(KURSK, "utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00" * 10)
    result = run_cli("index", tmp_path, "--index", tmp_path / "ix", cwd=tmp_path, check=1)
    assert "bad.txt" in result.stderr and "binary" in result.stderr
    assert "1 failed" in result.stdout and "1 new" in result.stdout
    found = run_cli("search", "كورسك", "--index", tmp_path / "ix", "--json", cwd=tmp_path, check=0)
    assert '"doc_id": "good"' in found.stdout


def _start_long_build(tmp_path, index):
    """A build of many articles, stopped as soon as it reports progress (mid-build)."""
    big = tmp_path / "big.jsonl"
    text = (ROOT / "corpus" / "001_b75fb6d3b10de464.txt").read_text("utf-8")
    write_jsonl(big, [{"id": f"big{i}", "text": f"مقال {i}\n{text}"} for i in range(600)])
    return subprocess.Popen(
        [sys.executable, "-m", "archive", "index", big, "--index", index, "--verbose"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tmp_path)


def _wait_for_progress(process):
    deadline = time.time() + 120
    while time.time() < deadline:
        line = process.stderr.readline()
        if "indexing:" in line:
            return
        assert line, "the build ended before reporting progress"
    raise AssertionError("no progress reported")


def test_interrupted_builds_leave_the_previous_index_searchable(tmp_path):
    index = tmp_path / "ix"
    (tmp_path / "old.txt").write_text(KURSK, "utf-8")
    run_cli("index", tmp_path / "old.txt", "--index", index, cwd=tmp_path, check=0)

    for stop in (signal.SIGINT, signal.SIGKILL):  # Ctrl-C, then a hard kill
        process = _start_long_build(tmp_path, index)
        _wait_for_progress(process)
        process.send_signal(stop)
        process.communicate(timeout=120)
        assert process.returncode == (130 if stop == signal.SIGINT else -signal.SIGKILL)
        found = run_cli("search", "كورسك", "--index", index, "--json", cwd=tmp_path, check=0)
        assert '"total": 1' in found.stdout and '"doc_id": "old"' in found.stdout

    # and the index is not left locked: the next build goes through
    (tmp_path / "new.txt").write_text("خبر عن خاركيف", "utf-8")
    run_cli("index", tmp_path / "new.txt", "--index", index, cwd=tmp_path, check=0)
    assert '"total": 1' in run_cli("search", "خاركيف", "--index", index, "--json", check=0).stdout


def _contents(archive):
    """Everything a user can see of an index: passages with text and entities, articles."""
    reader = archive.store.reader()
    ids = sorted(archive.store.manifest())
    passages = sorted((p["pid"], p["text"], tuple(p["entities"]), p["start"], p["end"])
                      for doc_id in ids for p in reader.passages_of(doc_id))
    articles = sorted((doc_id, a["hash"], a["passages"], a["mentions"])
                      for doc_id, a in ((d, reader.article(d)) for d in ids))
    return passages, articles


def test_parallel_build_gives_the_same_index_as_one_process(tmp_path, engine):
    text = (ROOT / "corpus" / "001_b75fb6d3b10de464.txt").read_text("utf-8")
    lines = text.splitlines()
    feed = write_jsonl(tmp_path / "feed.jsonl", [
        {"id": f"a{i}", "text": "\n".join(lines[i % 7:i % 7 + 12])} for i in range(150)])
    built = {}
    for workers in (1, 2):
        with Archive.open(tmp_path / f"ix{workers}", create=True) as archive:
            report = archive.index([feed], workers=workers)
            assert report.ok and report.added == 150
            results = archive.search("روسيا", limit=1000, facets=5)  # every hit
            hits = [(round(h.score, 4), h.doc_id, h.text) for h in results.hits]
            built[workers] = (_contents(archive), report.passages, results.total,
                              results.facets, hits, archive.entities(limit=50))
    assert built[1] == built[2]
    assert built[2][0][0]  # passages were written
