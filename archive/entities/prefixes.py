"""Precomputed token keys for the catalogue pass: every word-by-word beginning of the catalogue's
exact and stem keys, so that the pass tries a window of words only as long as it can still
spell the start of some name, instead of every length down from the longest name that its first
word may begin."""

from __future__ import annotations

from collections.abc import Iterable

from archive.arabic import strip_suffixes


class StrictPrefixes:
    """The beginnings (a key's first 1, 2, … words, joined by spaces) of a catalogue's exact
    and stem keys."""

    def __init__(self, exact_keys: Iterable[str], stem_keys: Iterable[str]):
        self.exact = _beginnings(exact_keys)
        self.stem = _beginnings(stem_keys)

    def reach(self, first: str, cores: list[str], longest: int) -> int:
        """How many words, from ``first`` (a reading of the window's first word) and the cores
        that follow it, can still begin an exact or a stem key: at least 1, at most
        ``longest``. A longer window cannot name anything (its beginning names nothing)."""
        exact, stem = first, stem_word(first)
        length = 1
        while length < longest and length <= len(cores):
            core = cores[length - 1]
            exact, stem = f"{exact} {core}", f"{stem} {stem_word(core)}"
            if exact not in self.exact and stem not in self.stem:
                break
            length += 1
        return length


def stem_word(word: str) -> str:
    """One word of a stem key (``keys.stem_key``): suffix-stripped when alphabetic."""
    return strip_suffixes(word) if word.isalpha() else word


def _beginnings(keys: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for key in keys:
        words = key.split(" ")
        out.update(" ".join(words[:k]) for k in range(1, len(words) + 1))
    return frozenset(out)
