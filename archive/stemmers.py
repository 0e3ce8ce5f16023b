"""The stemmers we measured (scripts/compare_stemmers.py): a name in, a word → stem function out.

``light`` is ours (archive.arabic.strip_suffixes after clitic resolution) and the default; the
others are third-party and optional (``pip install .[eval]``), kept so the comparison in the
README can be re-run.
"""

from __future__ import annotations

from typing import Callable

STEMMERS = ("light", "none", "snowball", "tashaphyne", "isri")


def stem_function(name: str, light: Callable[[str], str]) -> Callable[[str], str]:
    if name == "light":
        return light
    if name == "none":
        return lambda word: word
    if name == "snowball":
        import Stemmer  # PyStemmer

        return Stemmer.Stemmer("arabic").stemWord
    if name == "tashaphyne":
        from tashaphyne.stemming import ArabicLightStemmer

        return ArabicLightStemmer().light_stem
    if name == "isri":
        from nltk.stem.isri import ISRIStemmer

        return ISRIStemmer().stem
    raise ValueError(f"unknown stemmer {name!r}; choose one of {', '.join(STEMMERS)}")
