"""The command line as a researcher reads it and scripts it: every hit as CSV or JSON Lines,
--format on search, entities and entity, names in Latin letters, passages wrapped to the
terminal, entity types in colours on a real terminal, notices and hints on stderr, progress by
phase in a log, `archive stats`. Real subprocess runs (and a real pseudo-terminal)."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import unicodedata

from conftest import run_cli, run_json, write_jsonl

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _all_hits(seed_index, query="كورسك"):
    first = run_json("search", query, "--index", seed_index, "--limit", "1")
    return run_json("search", query, "--index", seed_index, "--limit", str(first["total"]))


def test_search_as_csv_is_every_hit_under_a_header(seed_index):
    expected = _all_hits(seed_index)
    out = run_cli("search", "كورسك", "--format", "csv", "--limit", "2", "--index", seed_index,
                  check=0).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0].startswith("doc_id,title,date,day,source,url,rank,score,position,text")
    assert len(rows) == expected["total"] > 2  # every hit, not the page of 2
    assert [(r["doc_id"], r["text"]) for r in rows] == [
        (h["doc_id"], h["text"]) for h in expected["results"]]


def test_search_as_json_lines_is_one_object_per_hit(seed_index):
    expected = _all_hits(seed_index)
    out = run_cli("search", "كورسك", "-f", "jsonl", "--index", seed_index, check=0).stdout
    lines = out.splitlines()
    assert len(lines) == expected["total"]
    records = [json.loads(line) for line in lines]
    assert [r["rank"] for r in records] == list(range(1, len(records) + 1))
    assert [r["text"] for r in records] == [h["text"] for h in expected["results"]]
    assert "كورسك" in out and "\\u0643" not in out


def test_json_is_an_alias_of_format_json_and_both_must_agree(seed_index):
    alias = run_cli("search", "كورسك", "--json", "--index", seed_index, check=0).stdout
    assert alias == run_cli("search", "كورسك", "--format", "json", "--index", seed_index,
                            check=0).stdout
    clash = run_cli("search", "كورسك", "--json", "--format", "csv", "--index", seed_index)
    assert clash.returncode == 2 and "different outputs" in clash.stderr


def test_entities_and_entity_in_every_format(seed_index):
    top = run_json("entities", "--limit", "3", "--index", seed_index)
    rows = list(csv.DictReader(io.StringIO(run_cli(
        "entities", "--limit", "3", "-f", "csv", "--index", seed_index, check=0).stdout)))
    assert [(r["type"], r["id"], int(r["count"])) for r in rows] == [
        (kind, e["id"], e["count"]) for kind, items in top.items() for e in items]
    lines = run_cli("entities", "--type", "person", "-f", "jsonl", "--index", seed_index,
                    check=0).stdout.splitlines()
    assert all(json.loads(line)["type"] == "person" for line in lines) and lines
    page = run_json("entity", "بوتين", "--index", seed_index)
    passages = [json.loads(line) for line in run_cli(
        "entity", "بوتين", "-f", "jsonl", "--index", seed_index, check=0).stdout.splitlines()]
    mentioning = run_json("search", "", "--person", "person:vladimir-putin", "--limit", "500",
                          "--index", seed_index)
    assert len(passages) == mentioning["total"] > len(page["passages"])
    assert all("person:vladimir-putin" in {e["id"] for e in p["entities"]} for p in passages)


def test_keys_are_always_in_the_json(seed_index):
    data = run_json("search", "كورسك", "--facets", "0", "--index", seed_index)
    assert data["facets"] == {"person": [], "place": [], "organization": [], "weapon": []}
    assert data["months"] == [] and data["notices"] == [] and data["suggestions"] == []


def test_a_name_in_latin_letters_searches_for_that_entity(seed_index):
    arabic = run_json("search", "كورسك", "--index", seed_index)
    latin = run_cli("search", "Kursk", "--index", seed_index, "--json", check=0)
    found = json.loads(latin.stdout)
    assert found["total"] == arabic["total"] > 0 and found["query"] == "Kursk"
    assert [h["text"] for h in found["results"]] == [h["text"] for h in arabic["results"]]
    assert "'Kursk' is searched as كورسك" in latin.stderr
    text = run_cli("search", "Kursk", "--index", seed_index, check=0).stdout
    assert "passages match 'Kursk'" in text
    assert run_json("search", "Zzyzx", "--index", seed_index)["total"] == 0  # no such entity


def test_passages_are_wrapped_at_the_terminal_width(seed_index):
    out = run_cli("search", "كورسك", "--index", seed_index, env={"COLUMNS": "50"},
                  check=0).stdout
    body = [line for line in out.splitlines() if line.startswith("   ") and "score" not in line]
    assert body
    assert max(sum(1 for c in line if not unicodedata.combining(c)) for line in body) <= 50
    words = " ".join(line.strip() for line in body).split()
    unwrapped = run_cli("search", "كورسك", "--index", seed_index, check=0).stdout
    passages = [line for line in unwrapped.splitlines() if line.startswith("   ") and "score" not in line]
    assert words == " ".join(line.strip() for line in passages).split()  # no word cut or lost
    assert max(len(line) for line in passages) > 50  # into a pipe: one line per paragraph


def _on_a_terminal(*args, stdin_text: str | None = None, columns: int = 80):
    """Run the CLI with stdout, stderr (and stdin when ``stdin_text`` is given) on a real
    pseudo-terminal; what the terminal showed."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": str(columns), "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "archive", *map(str, args)],
                               stdin=slave if stdin_text is not None else subprocess.DEVNULL,
                               stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    shown = b""
    if stdin_text is not None:
        os.write(master, stdin_text.encode("utf-8") + b"\n\x04")
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=120)
    os.close(master)
    return process.returncode, shown.decode("utf-8", "replace")


def test_an_article_on_a_terminal_marks_each_entity_type_in_its_own_colour(seed_index):
    doc_id = run_json("search", "بوتين", "--index", seed_index)["results"][0]["doc_id"]
    article = run_json("article", doc_id, "--index", seed_index)
    code, shown = _on_a_terminal("article", doc_id, "--index", seed_index)
    assert code == 0
    colour_of: dict[str, set[str]] = {}
    for passage in article["passages"]:
        for mention in passage["entities"]:
            for colour in re.findall(r"((?:\x1b\[[0-9;]*m)+)" + re.escape(mention["text"]), shown):
                colour_of.setdefault(mention["type"], set()).add(colour)
    assert {"person", "place"} <= set(colour_of)
    assert not colour_of["person"] & colour_of["place"]  # a person never looks like a place
    assert "People" in ANSI.sub("", shown) and "Weapons" in ANSI.sub("", shown)  # the legend


def test_tag_waiting_on_a_terminal_says_so(tmp_path):
    code, shown = _on_a_terminal("tag", stdin_text="زار بوتين كورسك")
    assert code == 0
    assert "Reading the text to tag from the terminal" in shown and "Ctrl-D" in shown
    assert "person:vladimir-putin" in shown
    piped = run_cli("tag", input="زار بوتين كورسك", check=0)
    assert "Ctrl-D" not in piped.stderr  # a pipe needs no hint


def test_a_stemmer_an_existing_index_cannot_take_is_a_notice(tmp_path, corpus):
    run_cli("index", corpus, "--index", tmp_path / "ix", check=0)
    again = run_cli("index", corpus, "--index", tmp_path / "ix", "--stemmer", "none", check=0)
    assert "built with the 'light' stemmer" in again.stderr and "--rebuild" in again.stderr
    same = run_cli("index", corpus, "--index", tmp_path / "ix", "--stemmer", "light", check=0)
    assert "notice" not in same.stderr
    rebuilt = run_cli("index", corpus, "--index", tmp_path / "ix", "--stemmer", "none",
                      "--rebuild", check=0)
    assert "notice" not in rebuilt.stderr
    assert run_json("stats", "--index", tmp_path / "ix")["stemmer"] == "none"


def test_progress_in_a_log_is_one_line_per_phase(tmp_path):
    records = [{"id": f"a{i}", "text": f"خبر رقم {i} عن كورسك وبوتين. " * 5} for i in range(120)]
    feed = write_jsonl(tmp_path / "feed.jsonl", records)
    result = run_cli("index", feed, "--index", tmp_path / "ix", "--verbose", "--workers", "2",
                     check=0)
    lines = result.stderr.splitlines()
    assert len(lines) == len(set(lines)), "a progress line printed twice"
    phases = [line.split(": ", 1)[1].split()[0] for line in lines if line.startswith("indexing: ")
              and not line.startswith("indexing: analysed")]
    assert phases == ["reading", "learning", "analysing", "writing", "committing"]
    assert "indexing: analysing 120 articles" in lines
    assert len([line for line in lines if "analysed" in line]) <= 11
    quiet = run_cli("index", feed, "--index", tmp_path / "ix2", check=0)
    assert quiet.stderr == ""  # without --verbose a log stays clean


def test_stats(seed_index):
    data = run_json("stats", "--index", seed_index)
    assert data["articles"] == 5 and data["passages"] > 50
    assert data["entities"] == sum(data["entities_by_type"].values()) > 0
    text = run_cli("stats", "--index", seed_index, check=0).stdout
    assert "5 articles" in text and "People" in text


def test_sort_by_date_and_exclude_an_entity(tmp_path):
    feed = write_jsonl(tmp_path / "feed.jsonl", [
        {"id": "old", "date": "2 أيلول 2024", "text": "قصف على كورسك في الصباح."},
        {"id": "new", "date": "Sat, 02 Nov 2024 08:30:00 +0300", "text": "قصف جديد على كورسك."},
        {"id": "mid", "date": "2024-10-02", "text": "بوتين يتحدث عن كورسك."},
        {"id": "undated", "text": "كورسك مرة أخرى وكورسك."},
    ])
    run_cli("index", feed, "--index", tmp_path / "ix", check=0)
    order = lambda *args: [h["doc_id"] for h in run_json(  # noqa: E731
        "search", "كورسك", "--index", tmp_path / "ix", *args)["results"]]
    assert order("--sort", "date") == ["new", "mid", "old", "undated"]
    assert order("--sort", "oldest") == ["old", "mid", "new", "undated"]
    assert set(order()) == {"old", "new", "mid", "undated"}
    assert "mid" not in order("--exclude-person", "بوتين")
    kept = run_json("search", "كورسك", "--exclude-person", "بوتين", "--index", tmp_path / "ix")
    assert kept["total"] == 3 and not any(
        "person:vladimir-putin" in {e["id"] for e in h["entities"]} for h in kept["results"])
    assert kept["facets"]["person"] == []  # facets count what is left
    rows = run_cli("search", "كورسك", "--sort", "date", "--format", "csv", "--index",
                   tmp_path / "ix", check=0).stdout
    assert [r["doc_id"] for r in csv.DictReader(io.StringIO(rows))] == ["new", "mid", "old", "undated"]
