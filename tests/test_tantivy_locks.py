"""Tantivy's own locks (issue 26, point 5): a writer lock held outside our write lock is
IndexBusy, never Tantivy's ValueError; a process forked while a writer is open does not keep
that writer's lock."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest
from conftest import write_jsonl

from archive import Archive
from archive.errors import IndexBusy

HOLD_WRITER = """
import sys, tantivy
writer = tantivy.Index.open(sys.argv[1]).writer(heap_size=15_000_000, num_threads=1)
print("held", flush=True)
sys.stdin.read()
"""


def _index(tmp_path, name: str):
    feed = write_jsonl(tmp_path / f"{name}.jsonl", [{"id": name, "text": f"كورسك مدينة {name}"}])
    with Archive.open(tmp_path / "ix", create=True, engine="tantivy") as archive:
        return archive.index([feed], workers=1)


def test_a_writer_lock_held_by_another_program_is_index_busy(tmp_path):
    _index(tmp_path, "first")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITER, str(tmp_path / "ix" / ".tantivy")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusy, match="another program is writing"):
            _index(tmp_path, "second")
    finally:
        holder.communicate("")
    assert _index(tmp_path, "second").added == 1  # and once it is gone, the build goes through


def test_a_child_forked_while_a_writer_is_open_does_not_keep_its_lock(tmp_path):
    import tantivy

    _index(tmp_path, "first")
    writer = tantivy.Index.open(str(tmp_path / "ix" / ".tantivy")).writer(
        heap_size=15_000_000, num_threads=1)  # as a build on another thread holds it
    context = multiprocessing.get_context("fork")
    release = context.Event()
    child = context.Process(target=release.wait, args=(120,))
    child.start()  # alive, with whatever it inherited
    try:
        del writer  # the parent's writer ends: its lock must end with it
        assert _index(tmp_path, "second").added == 1
    finally:
        release.set()
        child.join()
