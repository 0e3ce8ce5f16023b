"""Data files shipped in ``archive/data`` (stopwords, boilerplate, patterns, catalogue): path in,
lines or parsed records out. Data lives in files so it can be read and edited without code."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


def data_path(name: str):
    """The packaged data file ``name`` (archive/data/…), as an importlib resource."""
    return resources.files("archive") / "data" / name


@cache
def data_lines(name: str) -> tuple[str, ...]:
    """Non-empty lines of a data file, with ``#`` comment lines and surrounding spaces dropped."""
    text = data_path(name).read_text(encoding="utf-8")
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )


def data_json(name: str) -> Any:
    """A packaged JSON data file, parsed."""
    return json.loads(data_path(name).read_text(encoding="utf-8"))
