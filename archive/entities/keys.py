"""Matching keys for entity names: name tokens in, lookup keys out.

Three keys, from strict to tolerant:

* ``exact``: normalized tokens without the definite article (الأمم المتحدة → "امم متحده");
* ``stem``: each token light-stemmed as in the index (صواريخ باليستية = صاروخ باليستي);
* ``variant``: the tokens joined and reduced to a consonant skeleton that absorbs the usual
  transliteration variation: غ/ج/ك/ق for g, emphatic and plain letters, optional long vowels and
  final ي/ه, joined or split names (بيونغ يانغ = بيونج يانج = بيونغيانغ).
"""

from __future__ import annotations

import re
from functools import lru_cache

from archive.arabic import normalize, strip_suffixes, tokenize

_ARTICLE = ("ال", "لل")
MIN_CORE = 3  # الما (Alma) is not ال + ما
# One letter for each sound a transliteration may spell several ways.
_SOUND = str.maketrans({"غ": "ك", "ج": "ك", "ق": "ك", "ص": "س", "ث": "س", "ط": "ت", "ض": "د",
                        "ظ": "ز", "ذ": "ز", "ڤ": "ف"})
_WEAK = re.compile("[اويهء]")  # long vowels, final ه, hamza: often written or not
_REPEAT = re.compile(r"(.)\1+")
_LATIN_JOIN = re.compile(r"[-\s]")


@lru_cache(maxsize=200_000)
def article_core(form: str) -> str:
    """A normalized token without a leading ال or لل (the name, not its article)."""
    for prefix in _ARTICLE:
        if form.startswith(prefix) and len(form) - len(prefix) >= MIN_CORE:
            return form[len(prefix):]
    return form


def name_tokens(name: str) -> tuple[str, ...]:
    """A catalogue name as core tokens: normalized, article removed."""
    return tuple(article_core(normalize(span.surface)) for span in tokenize(name))


def first_token(name: str) -> str:
    """The first word of a name, normalized, article kept."""
    return next((normalize(span.surface) for span in tokenize(name)), "")


def exact_key(tokens: tuple[str, ...]) -> str:
    """``tokens`` joined by spaces: the exact lookup key."""
    return " ".join(tokens)


def stem_key(tokens: tuple[str, ...]) -> str:
    """The exact key with each alphabetic token suffix-stripped (``strip_suffixes``)."""
    return " ".join(strip_suffixes(t) if t.isalpha() else t for t in tokens)


@lru_cache(maxsize=200_000)
def variant_key(tokens: tuple[str, ...]) -> str:
    """The consonant skeleton of the joined tokens; Latin codes just lose spaces and hyphens."""
    joined = "".join(tokens)
    if not joined:
        return ""
    if joined.isascii():
        return _LATIN_JOIN.sub("", joined)
    sounds = joined.translate(_SOUND)
    skeleton = sounds[0] + _WEAK.sub("", sounds[1:])
    return _REPEAT.sub(r"\1", skeleton)
