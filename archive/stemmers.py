"""The stemmers we measured (scripts/compare_stemmers.py): a name in, a word → stem function out.

``light`` is ours (archive.arabic.strip_suffixes after clitic resolution) and the default; the
others are third-party and optional (``pip install .[eval]``), kept so the comparison in the
README can be re-run.
"""

from __future__ import annotations

from collections.abc import Callable

STEMMERS = ("light", "none", "snowball", "tashaphyne", "isri")
PACKAGES = {"snowball": "PyStemmer", "tashaphyne": "Tashaphyne", "isri": "nltk"}


class StemmerUnavailable(ValueError):
    """A stemmer that is unknown, or whose optional package is not installed."""


def require(name: str) -> None:
    """Raise StemmerUnavailable, saying what to install, unless ``name`` can be used here; checked
    before a build touches anything."""
    try:
        stem_function(name, lambda word: word)
    except ImportError:
        raise StemmerUnavailable(
            f"the {name} stemmer needs the {PACKAGES[name]} package: pip install 'archive[eval]' "
            f"(or {PACKAGES[name]})") from None


def stem_function(name: str, light: Callable[[str], str]) -> Callable[[str], str]:
    """The word → stem function of the stemmer ``name`` (``light`` is the one given). ImportError if
    its package is missing, StemmerUnavailable for an unknown name."""
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
    raise StemmerUnavailable(f"unknown stemmer {name!r}; choose one of {', '.join(STEMMERS)}")
