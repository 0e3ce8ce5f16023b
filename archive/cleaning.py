"""Raw Article in, clean Article out: site chrome removed, metadata the text states about itself
moved into fields, empty and repeated lines dropped.

Rules live in data files: ``data/boilerplate.txt`` (lines to drop, footers to cut) and
``data/metadata.json`` (publication date and source written in the text). The article keeps its
original letters; matching happens on a length-preserving fold so values are cut from the
original line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from archive.records import Article
from archive.resources import data_json, data_lines

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
# One character for one character, so offsets in the fold are offsets in the original.
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y",
                "%Y/%m/%d")
FOOTER_ZONE = 2 / 3  # a "cut" rule applies only in the last third of the article
CHROME_MAX_WORDS = 30  # longer lines are paragraphs, never site chrome or metadata


@dataclass(frozen=True)
class Rules:
    """The cleaning rules, compiled: patterns of lines to drop, of footer lines to cut the article
    at, and per metadata field (date, source) the patterns that find its value in a line."""

    drop: tuple[re.Pattern, ...]
    cut: tuple[re.Pattern, ...]
    metadata: dict[str, tuple[re.Pattern, ...]]


@lru_cache(maxsize=1)
def rules() -> Rules:
    """The rules of data/boilerplate.txt and data/metadata.json, compiled once."""
    drop: list[re.Pattern[str]] = []
    cut: list[re.Pattern[str]] = []
    for line in data_lines("boilerplate.txt"):
        kind, pattern = line.split(" ", 1)
        {"drop": drop, "cut": cut}[kind].append(re.compile(pattern))
    metadata = {
        name: tuple(re.compile(p) for p in patterns)
        for name, patterns in data_json("metadata.json").items()
        if not name.startswith("_")
    }
    return Rules(tuple(drop), tuple(cut), metadata)


def fold(line: str) -> str:
    """``line`` lowercased, with the hamza forms of alef, ta marbuta and alef maqsura folded, one
    character for one: offsets in the fold are offsets in ``line``."""
    return line.translate(_FOLD).lower()


def tidy_line(line: str) -> str:
    """Invisible direction marks and runs of spaces (no-break ones too) out, ends trimmed."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()


def clean(article: Article) -> Article:
    """``article`` cleaned: lines tidied, site chrome dropped, a footer cut, repeated lines removed;
    a date or source the text states fills the field if the article has none."""
    lines = [tidy_line(line) for line in article.text.splitlines()]
    lines = [line for line in lines if line]
    found: dict[str, str] = {}
    kept: list[str] = []
    for index, line in enumerate(lines):
        if len(line.split()) > CHROME_MAX_WORDS:
            kept.append(line)
            continue
        folded = fold(line)
        field_value = _metadata(line, folded)
        if field_value:
            found.setdefault(*field_value)
            continue
        if any(p.search(folded) for p in rules().drop):
            continue
        if index >= len(lines) * FOOTER_ZONE and any(p.search(folded) for p in rules().cut):
            break
        kept.append(line)
    kept = _without_repeats(kept)
    return article.with_changes(
        title=tidy_line(article.title),
        text="\n".join(kept),
        date=article.date or _as_date(found.get("date")),
        source=article.source or _as_source(found.get("source")),
    )


def _metadata(line: str, folded: str) -> tuple[str, str] | None:
    for name, patterns in rules().metadata.items():
        for pattern in patterns:
            match = pattern.search(folded)
            if match:
                start, end = match.span("value")
                return name, line[start:end].strip()
    return None


def _without_repeats(lines: list[str]) -> list[str]:
    """First occurrence of each line only (captions printed twice, a title repeated)."""
    seen: set[str] = set()
    kept = []
    for line in lines:
        key = fold(line)
        if key not in seen:
            seen.add(key)
            kept.append(line)
    return kept


def _as_date(value: str | None) -> str | None:
    """ISO 8601 when the format is recognised, else the text as written."""
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.isoformat() if ("%H" in fmt) else parsed.date().isoformat()
    return value


def _as_source(value: str | None) -> str | None:
    if not value:
        return None
    value = re.sub(r"^(https?://)?(www\.)?", "", value, flags=re.IGNORECASE)
    return value.rstrip("/") or None
