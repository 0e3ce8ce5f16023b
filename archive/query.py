"""Query text in, a parsed query out: words, "quoted phrases", OR, NOT / -word.

The syntax is forgiving by design: an unbalanced quote is a plain character, an operator with
nothing to act on is a plain word, so any string is a valid query and nothing here raises.

    "مدينة كورسك" OR خاركيف -أوكرانيا  →  [clause: phrase | word] [NOT word]

A quoted phrase that matches nothing is searched as its words (``loosen_phrases``: the search
layer says which phrases match), and the results say so: a question may quote a title as the
asker remembers it («من صاحب "قصة كبرياء وتحامل"؟» for الكبرياء والتحامل).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from archive.arabic import tokenize

_QUOTES = {'"': '"', "“": "”", "«": "»", "”": "”"}
_LEXEME = re.compile(
    r'(?P<neg>-)?(?P<open>["“«”])(?P<body>[^"”»]*)(?P<close>["”»])'  # a closed phrase
    r"|(?P<word>\S+)"
)
OR_WORDS = {"OR", "|", "||"}
NOT_WORDS = {"NOT"}
AND_WORDS = {"AND", "&&", "+"}


@dataclass(frozen=True)
class Unit:
    """One word or one phrase (a phrase has several words)."""

    words: tuple[str, ...]
    phrase: bool = False


@dataclass
class Clause:
    """Alternatives joined by OR; a negative clause excludes what it matches."""

    units: list[Unit] = field(default_factory=list)
    negative: bool = False


@dataclass
class ParsedQuery:
    """A query as typed and its clauses, in order."""

    text: str
    clauses: list[Clause]

    @property
    def positive(self) -> list[Clause]:
        """The clauses that are not negated."""
        return [c for c in self.clauses if not c.negative]

    @property
    def negative(self) -> list[Clause]:
        """The negated clauses (NOT word, -word): what a hit must not match."""
        return [c for c in self.clauses if c.negative]


def _units(text: str, phrase: bool) -> list[Unit]:
    words = tuple(span.surface for span in tokenize(text))
    if not words:
        return []
    if phrase and len(words) > 1:
        return [Unit(words, phrase=True)]
    return [Unit((w,)) for w in words]


def _lexemes(text: str) -> list[tuple[str, Any]]:
    """('op', OR|NOT) or ('units', (negated, [Unit])) in order."""
    out: list[tuple[str, Any]] = []
    for match in _LEXEME.finditer(text):
        if match.group("open"):
            if _QUOTES.get(match.group("open")) != match.group("close") and match.group("open") != "”":
                out.append(("units", (False, _units(match.group(), False))))
                continue
            out.append(("units", (bool(match.group("neg")), _units(match.group("body"), True))))
            continue
        word = match.group("word")
        if word in OR_WORDS:
            out.append(("op", "OR"))
        elif word in NOT_WORDS:
            out.append(("op", "NOT"))
        elif word in AND_WORDS:
            continue
        elif word.startswith("-") and len(word) > 1 and tokenize(word[1:]):
            out.append(("units", (True, _units(word[1:], False))))
        else:
            out.append(("units", (False, _units(word, False))))
    return [(kind, value) for kind, value in out if kind == "op" or value[1]]


def parse(text: str) -> ParsedQuery:
    """``text`` as clauses: each word or quoted phrase one, OR joining alternatives into one clause,
    NOT or a leading - negating the next; any text parses (see the module docstring)."""
    lexemes = _lexemes(text)
    clauses: list[Clause] = []
    pending_not = pending_or = False
    for index, (kind, value) in enumerate(lexemes):
        if kind == "op":
            has_next = index + 1 < len(lexemes) and lexemes[index + 1][0] == "units"
            if value == "NOT" and has_next:
                pending_not = True
            elif value == "OR" and has_next and clauses and not clauses[-1].negative:
                pending_or = True
            else:  # an operator with nothing to act on is searched as a word
                clauses.append(Clause(_units(value.lower(), False)))
            continue
        negated, units = value
        negated = negated or pending_not
        if pending_or and not negated:
            clauses[-1].units.append(units[0])
            clauses.extend(Clause([u]) for u in units[1:])
        else:
            clauses.extend(Clause([u], negative=negated) for u in units)
        pending_not = pending_or = False
    return ParsedQuery(text, [c for c in clauses if c.units])


def loosen_phrases(parsed: ParsedQuery, matches: Callable[[Unit], bool]) -> tuple[ParsedQuery, list[Unit]]:
    """``parsed`` with each positive phrase that ``matches`` nothing replaced by its words (a
    phrase alone in its clause becomes a clause per word, as if typed unquoted; one among OR
    alternatives becomes alternatives), and the phrases so loosened. A negative phrase stays:
    excluding what matches nothing excludes nothing."""
    loosened: list[Unit] = []
    clauses: list[Clause] = []
    for clause in parsed.clauses:
        if clause.negative:
            clauses.append(clause)
            continue
        units: list[Unit] = []
        for unit in clause.units:
            if unit.phrase and not matches(unit):
                loosened.append(unit)
                units.extend(Unit((word,)) for word in unit.words)
            else:
                units.append(unit)
        if len(clause.units) == 1 and units != clause.units:
            clauses.extend(Clause([unit]) for unit in units)
        else:
            clauses.append(replace(clause, units=units))
    return (ParsedQuery(parsed.text, clauses) if loosened else parsed), loosened


def phrase_notice(unit: Unit) -> str:
    """What the results say about a phrase searched as words."""
    return f'no passage has the phrase "{" ".join(unit.words)}": its words were searched instead'
