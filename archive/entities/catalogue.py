"""The entity catalogue (people, places, organizations, weapons), loaded from data files."""

from __future__ import annotations


def known_name_words() -> tuple[str, ...]:
    """Words of catalogue names: the stemmer keeps their letters (كورسك is not ك + ورسك)."""
    return ()
