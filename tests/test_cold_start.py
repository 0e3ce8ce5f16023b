"""A cold `archive search` imports only what a search needs: no web stack, no NER model (a
search tags nothing), no other engine, no batch or copy (story) machinery. Checked with `python -X importtime` on the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

NEVER_FOR_A_SEARCH = ("fastapi", "starlette", "uvicorn", "jinja2", "archive.server",
                      "archive.serving", "pycrfsuite", "archive.entities.model", "trafilatura",
                      "feedparser", "pandas", "archive.batch", "archive.collapsing",
                      "archive.copies")  # the last three: only batches and collapsed searches


def _imported(*args: str) -> tuple[set[str], dict]:
    """The modules a `python -X importtime -m archive ARGS --json` run imports, and its JSON."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "archive", *args, "--json"],
                         capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    modules = {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    assert "archive.api" in modules  # the listing is real
    return modules, json.loads(run.stdout)


@pytest.mark.parametrize("engine_name", ["whoosh", "tantivy"])
def test_a_search_loads_no_web_stack_no_model_and_no_other_engine(seed_indexes, engine_name):
    modules, found = _imported("search", "كورسك", "--person", "بوتين", "--index",
                               str(seed_indexes(engine_name)))
    assert found["total"] > 0 and found["facets"]["place"]
    assert not {m for m in modules if m.split(".")[0] in NEVER_FOR_A_SEARCH
                or m in NEVER_FOR_A_SEARCH}
    other = "tantivy" if engine_name == "whoosh" else "whoosh"
    assert not {m for m in modules if m.split(".")[0] == other}


def test_tagging_still_loads_the_model(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("قال وزير الخارجية الروسي سيرغي لافروف إن موسكو سترد.", "utf-8")
    modules, tagged = _imported("tag", str(text))
    assert "archive.entities.model" in modules and "archive.entities.crf" in modules
    assert tagged["entities"]
