"""The tagger's tokens: a word of the text in (its surface and offsets), its normalized
form, article-less core, clitic readings and their cores out; and the small helpers every pass
uses on them (which reading matches a word list, how many letters a clitic takes)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from archive.arabic import normalize, prefix_readings
from archive.entities.keys import article_core


@dataclass(slots=True)
class Token:
    """One word of a text as the passes read it."""

    start: int
    end: int
    surface: str
    form: str  # normalized
    core: str  # normalized, article removed
    readings: tuple[tuple[str, bool], ...]  # first-word readings: (form, bare clitic stripped?)
    cores: frozenset  # every reading without its article: what head and title words match
    broken: bool  # punctuation between this token and the previous one


@lru_cache(maxsize=100_000)
def word_readings(surface: str) -> tuple[str, str, tuple[tuple[str, bool], ...], frozenset]:
    """A word's normalized form, that form without its article, its readings and their cores.
    Unlike the index, the tagger also tries a bare clitic on short words (لبي بي سي): the
    catalogue, not a length rule, decides."""
    form = normalize(surface)
    readings = [(r.form, r.needs_evidence) for r in prefix_readings(form)]
    if len(readings) == 1 and len(form) >= 3 and form[0] in "وفبكل" and form.isalpha():
        readings.append((form[1:], True))
    return form, article_core(form), tuple(readings), frozenset(article_core(r) for r, _ in readings)


def clitics_before(token: Token, words) -> int | None:
    """How many letters of clitics precede one of ``words`` in this token (None: no match)."""
    for form, _ in token.readings:
        if article_core(form) in words:
            return len(token.form) - len(form)
    return None


def any_reading(token: Token, words) -> bool:
    """Whether a reading of ``token``, its article aside, is one of ``words``."""
    return not token.cores.isdisjoint(words)


def skip_offset(surface: str, letters: int) -> int:
    """Offset in ``surface`` after ``letters`` letters (marks such as tashkeel do not count)."""
    offset = 0
    while letters > 0 and offset < len(surface):
        offset += 1
        while offset < len(surface) and is_mark(surface[offset]):
            offset += 1
        letters -= 1
    return offset


def skip_text(text: str, letters: int) -> str:
    """``text`` after its first ``letters`` letters (marks do not count)."""
    return text[skip_offset(text, letters):]


def is_mark(ch: str) -> bool:
    """Whether ``ch`` is a mark (tashkeel, superscript alef, tatweel), not a letter."""
    return "\u064b" <= ch <= "\u065f" or ch in "\u0670\u0640"
