"""Hostile inputs and concurrent use: a user's files are never deleted or moved, builds exclude
each other, searches survive rebuilds, huge articles finish, and every failure is a clear
message with exit 1, not a traceback."""

from __future__ import annotations

import ctypes
import json
import os
import pty
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive.analysis import mentions_by_span
from archive.indexer import MAX_ARTICLE_CHARS
from archive.engines.base import write_lock
from conftest import CORPUS, ROOT, run_cli, run_json

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _without_file_privileges() -> None:
    """In the child, before exec: as root, drop the capabilities that let root ignore file
    permissions, so a permission problem is one for this process too (CI runs as root)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def run_unprivileged(*args, cwd):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    for name in ("ARCHIVE_INDEX", "ARCHIVE_CORPUS"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "archive", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300,
                          preexec_fn=_without_file_privileges)


def _workspace(tmp_path: Path) -> Path:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return tmp_path


def _clean_failure(result, *needles: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


# 1. Never remove what we did not create -------------------------------------------------------

def test_builds_never_touch_sibling_folders_or_a_users_files_in_the_index_folder(tmp_path):
    work = _workspace(tmp_path)
    siblings = ["index.old", "index.building", "myidx.old", "myidx.building"]
    for name in siblings:
        (work / name).mkdir()
        (work / name / "notes.txt").write_text("mine", "utf-8")
    (work / "index").mkdir()
    (work / "index" / "README").write_text("keep me", "utf-8")
    # Named like an index file, but not one: Whoosh's own cleanup would delete it.
    (work / "index" / "archive_notes.txt").write_text("keep me too", "utf-8")

    assert run_json("search", "كورسك", cwd=work)["total"] > 0  # the first search builds ./index
    for _ in range(2):
        run_cli("index", "--rebuild", "--index", "myidx", "corpus", cwd=work, check=0)
        run_cli("index", "--rebuild", "corpus", cwd=work, check=0)

    for name in siblings:
        assert (work / name / "notes.txt").read_text("utf-8") == "mine"
    assert (work / "index" / "README").read_text("utf-8") == "keep me"
    assert (work / "index" / "archive_notes.txt").read_text("utf-8") == "keep me too"
    assert run_json("search", "كورسك", "--index", "myidx", cwd=work)["total"] > 0


# 2. --index at a file ------------------------------------------------------------------------

def test_an_index_path_that_is_a_file_is_refused_and_left_alone(tmp_path):
    work = _workspace(tmp_path)
    notes = work / "notes.txt"
    notes.write_text("my notes", "utf-8")
    before = sorted(p.name for p in work.iterdir())
    for args in (["index", "corpus", "--index", "notes.txt"],
                 ["index", "--rebuild", "corpus", "--index", "notes.txt"],
                 ["search", "كورسك", "--index", "notes.txt"]):
        _clean_failure(run_cli(*args, cwd=work), "notes.txt is a file")
    assert notes.read_text("utf-8") == "my notes"
    assert sorted(p.name for p in work.iterdir()) == before


# 3. Huge articles -----------------------------------------------------------------------------

def test_passage_mentions_by_bisection_equal_a_full_scan():
    class M:
        def __init__(self, start, end):
            self.start, self.end = start, end

    rng = random.Random(7)
    mentions = [M(s, s + rng.randint(1, 30)) for s in (rng.randint(0, 10_000) for _ in range(500))]
    inside = mentions_by_span(mentions)
    for _ in range(300):
        start = rng.randint(0, 10_000)
        end = start + rng.randint(0, 800)
        expected = {id(m) for m in mentions if start <= m.start and m.end <= end}
        assert {id(m) for m in inside(start, end)} == expected


def test_a_million_character_article_is_indexed_with_a_notice(tmp_path):
    rng = random.Random(1)
    paragraphs = [line for path in sorted(CORPUS.glob("*.txt"))
                  for line in path.read_text("utf-8").splitlines() if len(line) > 60]
    body, size, number = [], 0, 0
    while size < 1_000_000:
        paragraph = f"{rng.choice(paragraphs)} ({number})"
        body.append(paragraph)
        size, number = size + len(paragraph) + 2, number + 1
    body.append("وفي الختام زار الأمين العام مارك روته مدينة خاركيف.")
    (tmp_path / "huge.txt").write_text("مقال طويل جدا\n\n" + "\n\n".join(body), "utf-8")

    result = run_cli("index", "huge.txt", "--index", "ix", "--verbose", cwd=tmp_path, check=0)
    assert "a large article: huge" in result.stderr
    last = run_json("search", "خاركيف", "--person", "Rutte", "--index", "ix", cwd=tmp_path)
    assert any("وفي الختام" in hit["text"] for hit in last["results"])


def test_an_article_over_the_size_limit_is_reported_and_the_rest_indexed(tmp_path):
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "ok.txt").write_text("كورسك\n\nقصف في كورسك.", "utf-8")
    with open(tmp_path / "feed" / "enormous.txt", "w", encoding="utf-8") as out:
        out.write("عنوان\n")
        line = "كلمة " * 20 + "\n"
        out.write(line * (MAX_ARTICLE_CHARS // len(line) + 1))
    result = run_cli("index", "feed", "--index", "ix", cwd=tmp_path)
    _clean_failure(result, "enormous.txt", "over the limit")
    assert "1 new" in result.stdout
    assert run_json("search", "كورسك", "--index", "ix", cwd=tmp_path)["total"] == 1


# 4. Searches during rebuilds ------------------------------------------------------------------

def test_searchers_never_fail_while_the_index_is_rebuilt():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "concurrent_rebuilds.py"), "--searchers", "2",
         "--rebuilds", "3"], capture_output=True, text=True, encoding="utf-8", timeout=600)
    report = json.loads(result.stdout)
    assert report["searches"] > 0 and report["failures"] == 0, report["examples"]
    assert result.returncode == 0


# 5. One writer at a time ----------------------------------------------------------------------

def test_a_second_build_is_refused_clearly_and_destroys_nothing(tmp_path):
    work = _workspace(tmp_path)
    run_cli("index", "corpus", "--index", "ix", cwd=work, check=0)
    before = run_json("search", "كورسك", "--index", "ix", cwd=work)
    (work / "corpus" / "new.txt").write_text("خبر جديد\n\nقصف في كورسك اليوم.", "utf-8")
    with write_lock(work / "ix"):  # a build in progress
        for args in (["index", "corpus", "--index", "ix"],
                     ["index", "--rebuild", "corpus", "--index", "ix"]):
            _clean_failure(run_cli(*args, cwd=work), "another build is writing")
        assert run_json("search", "كورسك", "--index", "ix", cwd=work) == before
    result = run_cli("index", "corpus", "--index", "ix", cwd=work, check=0)
    assert "1 new" in result.stdout


# 6. Clear errors, nothing left behind ---------------------------------------------------------

@pytest.mark.local_files
def test_an_unwritable_index_is_a_clear_error(tmp_path):
    work = _workspace(tmp_path)
    run_cli("index", "corpus", "--index", "ix", cwd=work, check=0)
    (work / "corpus" / "new.txt").write_text("خبر جديد\n\nقصف في كورسك اليوم.", "utf-8")
    os.chmod(work / "ix", 0o555)
    try:
        _clean_failure(run_unprivileged("index", "corpus", "--index", "ix", cwd=work),
                       "Permission denied")
    finally:
        os.chmod(work / "ix", 0o755)
    assert run_json("search", "كورسك", "--index", "ix", cwd=work)["total"] > 0


def test_a_missing_optional_stemmer_is_a_clear_error_and_leaves_nothing(tmp_path):
    work = _workspace(tmp_path)
    blocker = work / "blocked"
    blocker.mkdir()
    (blocker / "Stemmer.py").write_text("raise ImportError('No module named Stemmer')\n", "utf-8")
    env = {"PYTHONPATH": str(blocker)}
    result = run_cli("index", "--rebuild", "--stemmer", "snowball", "--index", "new", "corpus",
                     cwd=work, env=env)
    _clean_failure(result, "PyStemmer")
    assert not (work / "new").exists()

    run_cli("index", "corpus", "--index", "ix", cwd=work, check=0)
    before = run_json("search", "كورسك", "--index", "ix", cwd=work)
    result = run_cli("index", "--rebuild", "--stemmer", "snowball", "--index", "ix", "corpus",
                     cwd=work, env=env)
    _clean_failure(result, "PyStemmer")
    assert run_json("search", "كورسك", "--index", "ix", cwd=work) == before


# Each engine's term dictionary files.
TERM_FILES = {"whoosh": "*.trm", "tantivy": ".tantivy/*.term"}


def _lose_the_meta_document(folder: Path) -> None:
    """Delete the meta document (settings, build number) of the cluster index ``folder`` stands
    for, as a half-restored snapshot or a careless delete-by-query would."""
    import urllib.request

    from conftest import OPENSEARCH

    name = (folder / "archive_OPENSEARCH").read_text("utf-8").strip().rsplit("/", 1)[1]
    request = urllib.request.Request(
        f"{OPENSEARCH.rstrip('/')}/{name}/_delete_by_query?refresh=true", method="POST",
        data=json.dumps({"query": {"term": {"kind": "meta"}}}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert json.loads(answer.read())["deleted"] == 1


def test_a_damaged_index_is_a_clear_error_and_a_rebuild_repairs_it(tmp_path, engine):
    work = _workspace(tmp_path)
    run_cli("index", "corpus", "--index", "ix", cwd=work, check=0)
    if engine == "opensearch":  # the cluster index loses the document that describes it
        _lose_the_meta_document(work / "ix")
    else:
        damaged_files = list((work / "ix").glob(TERM_FILES[engine]))
        assert damaged_files
        for damaged in damaged_files:
            damaged.write_bytes(b"\x00garbage" * 64)
    _clean_failure(run_cli("search", "كورسك", "--index", "ix", cwd=work), "damaged")
    run_cli("index", "--rebuild", "corpus", "--index", "ix", cwd=work, check=0)
    assert run_json("search", "كورسك", "--index", "ix", cwd=work)["total"] > 0


# 7. Unreadable folders ------------------------------------------------------------------------

def test_an_unreadable_subfolder_is_reported_with_exit_1(tmp_path):
    work = _workspace(tmp_path)
    locked = work / "corpus" / "locked"
    locked.mkdir()
    (locked / "hidden-news.txt").write_text("خبر\n\nنص.", "utf-8")
    os.chmod(locked, 0)
    try:
        result = run_unprivileged("index", "corpus", "--index", "ix", cwd=work)
    finally:
        os.chmod(locked, 0o755)
    _clean_failure(result, "locked", "cannot be read")
    assert "5 new" in result.stdout


# 8. Ids of .txt files -------------------------------------------------------------------------

def test_same_file_name_in_two_folders_gives_two_articles_and_a_path_twice_is_read_once(tmp_path):
    for year, text in (("2024", "تقرير\n\nقصف في كورسك."), ("2025", "تقرير\n\nقصف في خاركيف.")):
        (tmp_path / "news" / year).mkdir(parents=True)
        (tmp_path / "news" / year / "report.txt").write_text(text, "utf-8")
    (tmp_path / "news" / "2025" / "only.txt").write_text("وحيد\n\nنص وحيد.", "utf-8")
    report = run_json("index", "news", "news", "--index", "ix", cwd=tmp_path)
    assert report["added"] == 3 and report["errors"] == []
    ids = {hit["doc_id"] for query in ("كورسك", "خاركيف", "وحيد")
           for hit in run_json("search", query, "--index", "ix", cwd=tmp_path)["results"]}
    assert ids == {"2024/report", "2025/report", "only"}


# 9. A failed build does not block the first search --------------------------------------------

def test_a_failed_index_run_does_not_block_the_first_search_build(tmp_path):
    work = _workspace(tmp_path)
    _clean_failure(run_cli("index", "no-such-folder", cwd=work), "no such file or folder")
    result = run_cli("search", "كورسك", "--json", cwd=work, check=0)
    assert json.loads(result.stdout)["total"] > 0
    assert "building it from corpus/" in result.stderr


# 10. Names, suggestions, colours, grammar -----------------------------------------------------

def test_english_names_resolve_for_filters_and_entity_pages(seed_index):
    putin = run_json("search", "", "--person", "Putin", "--index", seed_index)
    assert putin["total"] > 0
    assert all(any(e["id"] == "person:vladimir-putin" for e in hit["entities"])
               for hit in putin["results"])
    kursk = run_json("search", "", "--place", "Kursk", "--index", seed_index)
    assert kursk["total"] > 0
    assert run_json("entity", "Putin", "--index", seed_index)["id"] == "person:vladimir-putin"


def test_an_ambiguous_name_lists_the_entities_it_could_be(seed_index):
    result = run_cli("search", "صواريخ", "--person", "كيم", "--index", seed_index)
    _clean_failure(result, "could be", "person:kim-jong-un", "person:kim-min-seok")


def test_every_example_of_search_help_runs(seed_index):
    help_text = run_cli("search", "--help", check=0).stdout
    examples = [line.split("archive ", 1)[1].split("  ")[0]
                for line in help_text.splitlines() if line.strip().startswith("archive search")]
    assert any("--person" in e for e in examples)
    import shlex

    for example in examples:  # a shell redirection (`> kursk.csv`) is the shell's, not ours
        run_cli(*shlex.split(example.split(" > ")[0]), "--index", seed_index, check=0)


def test_a_misspelled_query_with_no_hits_suggests_the_indexed_spelling(seed_index):
    found = run_json("search", "كورصك", "--index", seed_index)
    assert found["total"] == 0 and found["suggestions"] == ["كورسك"]
    text = run_cli("search", "كورصك", "--index", seed_index, check=0).stdout
    assert "Did you mean: كورسك" in text


def _on_a_terminal(*args, env) -> str:
    """What the CLI prints when its output is a terminal (where colours are on by default)."""
    master, slave = pty.openpty()
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **env}
    process = subprocess.Popen([sys.executable, "-m", "archive", *map(str, args)],
                               stdout=slave, stderr=slave, env=full_env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=120) == 0
    return b"".join(chunks).decode("utf-8")


def test_no_color_turns_colours_off_on_a_terminal(seed_index):
    coloured = _on_a_terminal("search", "كورسك", "--index", seed_index, env={})
    plain = _on_a_terminal("search", "كورسك", "--index", seed_index, env={"NO_COLOR": "1"})
    assert "\x1b[" in coloured
    assert "\x1b[" not in plain and "كورسك" in plain


def test_one_passage_is_counted_in_the_singular(seed_index):
    query = '"بموجب اتفاق دفاعي تاريخي"'
    assert run_json("search", query, "--index", seed_index)["total"] == 1
    text = run_cli("search", query, "--index", seed_index, check=0).stdout
    assert text.startswith("1 passage matches")
