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


ENGINES: tuple[str, ...] = ("whoosh", "tantivy")
# The OpenSearch engine joins when a test cluster answers at $ARCHIVE_TEST_OPENSEARCH
# (`scripts/opensearch start --nodes 2`, as .ci/run does): index folders of the tests then stand
# for indexes of that cluster (archive/engines/opensearch/store.py, POINTER), all deleted when
# the session ends. It runs every test of ENGINE_MODULES but those marked ``local_files``
# (a test of an index folder's own files: a full disk, permissions, sibling folders).
OPENSEARCH = os.environ.get("ARCHIVE_TEST_OPENSEARCH", "")


def _cluster_answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/_cluster/health", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


if OPENSEARCH and _cluster_answers(OPENSEARCH):
    ENGINES = (*ENGINES, "opensearch")
else:  # tests/test_opensearch.py needs the cluster: collected only with it (.ci/run starts it)
    collect_ignore = ["test_opensearch.py"]
# Test modules whose tests touch an index: each of their tests runs once per engine (new indexes
# get the engine through $ARCHIVE_ENGINE, in this process and in the CLI subprocesses). Tests of
# pure analysis run once. ``@pytest.mark.whoosh_only``: a test of Whoosh's own internals.
ENGINE_MODULES = {
    "test_article", "test_cli", "test_data_safety", "test_engines", "test_entities", "test_export",
    "test_indexing", "test_reliability", "test_search", "test_search_order", "test_server",
    "test_browser", "test_ranking", "test_desk", "test_serving", "test_issue26",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "whoosh_only: tests the Whoosh engine's internals")
    config.addinivalue_line("markers", "local_files: tests an index folder's own files (not "
                                       "run on an index on a cluster)")


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rpartition(".")[2]
    if module in ENGINE_MODULES and not metafunc.definition.get_closest_marker("whoosh_only"):
        local = metafunc.definition.get_closest_marker("local_files")
        engines = [e for e in ENGINES if e != "opensearch" or not local]
        metafunc.parametrize("engine", engines, indirect=True, scope="module")


@pytest.fixture(scope="session", autouse=True)
def opensearch_cleanup(tmp_path_factory):
    """Delete the cluster indexes this session's folders stood for, when the session ends
    (only those: another session may be using the same cluster)."""
    yield
    if "opensearch" in ENGINES:
        for pointer in tmp_path_factory.getbasetemp().rglob("archive_OPENSEARCH"):
            name = pointer.read_text("utf-8").strip().rsplit("/", 1)[1]
            opensearch_delete(f"{name}-gen-*,{name}-lock,{name}-side")


def opensearch_delete(pattern: str) -> None:
    """Delete the test cluster's indexes matching ``pattern``."""
    import urllib.request

    request = urllib.request.Request(
        f"{OPENSEARCH.rstrip('/')}/{pattern}?expand_wildcards=all&ignore_unavailable=true",
        method="DELETE")
    try:
        urllib.request.urlopen(request, timeout=60).close()
    except OSError:
        pass


@pytest.fixture(autouse=True, scope="module")
def engine(request):
    """The engine new indexes get in these tests (whoosh unless they run per engine)."""
    name = getattr(request, "param", "whoosh")
    before = os.environ.get("ARCHIVE_ENGINE")
    os.environ["ARCHIVE_ENGINE"] = name
    if name == "opensearch":
        os.environ["ARCHIVE_OPENSEARCH_URL"] = OPENSEARCH
    yield name
    if before is None:
        os.environ.pop("ARCHIVE_ENGINE", None)
    else:
        os.environ["ARCHIVE_ENGINE"] = before


@pytest.fixture(scope="session")
def seed_indexes(tmp_path_factory, corpus):
    """Engine name → an index of the bundled corpus, each built once, on first use."""
    from archive import Archive

    built: dict[str, Path] = {}

    def index_for(engine: str) -> Path:
        if engine not in built:
            path = tmp_path_factory.mktemp(f"seed-{engine}") / "index"
            with Archive.open(path, create=True, engine=engine) as archive:
                report = archive.index([corpus])
            assert report.ok and report.added == 5
            built[engine] = path
        return built[engine]

    return index_for


@pytest.fixture(scope="module")
def seed_index(seed_indexes, engine) -> Path:
    """An index of the bundled corpus on this test's engine; tests must not change it."""
    return seed_indexes(engine)


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
