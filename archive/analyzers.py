"""The process-wide analyzer: a stemmer name in, an ``archive.arabic.Analyzer`` that knows the
catalogue's name words out.

Here, not in ``archive.arabic``, because it joins the two: the entity catalogue's keys are built
with ``archive.arabic``, so ``archive.arabic`` importing the catalogue would make a circle.
"""

from __future__ import annotations

from functools import cache

from archive.arabic import Analyzer
from archive.entities.catalogue import known_name_stems


@cache
def shared_analyzer(stemmer: str = "light") -> Analyzer:
    """The analyzer for a stemmer (building one loads data files and the catalogue's known
    words, so it is done once per process)."""
    return Analyzer(known_stems=known_name_stems(), stemmer=stemmer)
