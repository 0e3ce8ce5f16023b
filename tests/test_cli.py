"""The CLI as a user runs it: first-run build, JSON contract, errors and help."""

import json
import shutil

from conftest import run_cli, run_json


def test_first_search_builds_the_default_index_from_the_corpus(tmp_path, corpus):
    shutil.copytree(corpus, tmp_path / "corpus")
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / ".gitkeep").touch()  # as in a fresh clone
    first = run_cli("search", "كورسك", cwd=tmp_path, check=0)
    assert "building it from corpus" in first.stderr
    assert "كورسك" in first.stdout and "passages match" in first.stdout
    assert (tmp_path / "index" / ".gitkeep").exists()  # the build kept what was there
    second = run_cli("search", "كورسك", cwd=tmp_path, check=0)
    assert "building" not in second.stderr and second.stdout == first.stdout


def test_json_contract(seed_index):
    data = run_json("search", "مارك روتي", "--index", seed_index, "--limit", "3")
    assert data["query"] == "مارك روتي" and isinstance(data["total"], int)
    assert len(data["results"]) == 3
    for rank, hit in enumerate(data["results"], start=1):
        assert {"rank", "score", "doc_id", "title", "date", "source", "text", "highlights"} <= set(hit)
        assert hit["rank"] == rank and isinstance(hit["score"], float)
        for start, end in hit["highlights"]:
            assert 0 <= start < end <= len(hit["text"])
    scores = [hit["score"] for hit in data["results"]]
    assert scores == sorted(scores, reverse=True)


def test_json_keeps_arabic_as_text(seed_index):
    out = run_cli("search", "كورسك", "--index", seed_index, "--json", check=0).stdout
    assert "كورسك" in out and "\\u0643" not in out
    json.loads(out)


def test_missing_explicit_index_is_a_clear_error(tmp_path):
    result = run_cli("search", "كورسك", "--index", tmp_path / "nowhere", cwd=tmp_path, check=1)
    assert "no index at" in result.stderr and "archive index" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_broken_query_on_the_command_line(seed_index):
    for query in ['"كورسك', "-كورسك", "OR"]:
        result = run_cli("search", query, "--index", seed_index, check=0)
        assert "Traceback" not in result.stderr


def test_usage_errors_exit_2_and_help_teaches(seed_index):
    assert run_cli("search", "كورسك", "--index", seed_index, "--limit", "0").returncode == 2
    help_text = run_cli("search", "--help", check=0).stdout
    for taught in ('"مدينة كورسك"', "OR", "-أوكرانيا", "--json"):
        assert taught in help_text


def test_index_json_report(tmp_path, corpus):
    report = run_json("index", corpus, "--index", tmp_path / "ix")
    assert report["added"] == 5 and report["errors"] == [] and report["passages"] > 50
