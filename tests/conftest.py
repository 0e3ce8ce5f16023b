"""Shared fixtures: the bundled corpus, a real index built from it once per session, and a
helper that runs the real `archive` CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def run_cli(*args, cwd=None, env=None, input=None, check=None):
    """Run `python -m archive ARGS` (the installed package when cwd is elsewhere)."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    full_env.pop("ARCHIVE_INDEX", None)
    full_env.pop("ARCHIVE_CORPUS", None)
    result = subprocess.run(
        [sys.executable, "-m", "archive", *map(str, args)], cwd=cwd, env=full_env, input=input,
        capture_output=True, text=True, encoding="utf-8", timeout=300)
    if check is not None:
        assert result.returncode == check, (result.returncode, result.stdout, result.stderr)
    return result


def run_json(*args, **kwargs):
    result = run_cli(*args, "--json", check=0, **kwargs)
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, corpus) -> Path:
    """An index of the bundled corpus, built once; tests must not change it."""
    from archive import Archive

    path = tmp_path_factory.mktemp("seed") / "index"
    with Archive.open(path, create=True) as archive:
        report = archive.index([corpus])
    assert report.ok and report.added == 5
    return path


@pytest.fixture()
def seed_archive(seed_index):
    from archive import Archive

    with Archive.open(seed_index) as archive:
        yield archive


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


@contextmanager
def indexed(folder: Path, records):
    """An open archive in ``folder/ix`` holding ``records`` (written to ``folder/feed.jsonl``)."""
    from archive import Archive

    feed = write_jsonl(folder / "feed.jsonl", records)
    with Archive.open(folder / "ix", create=True) as archive:
        archive.index([feed])
        yield archive
