"""Query trees: what the search layer asks an engine to match, as plain frozen data.

Built by ``archive.search`` from a parsed, analysed query (terms are index terms already); each
engine turns a tree into its own query objects. Scoring follows BM25 over the named fields:

    Term(field, text, boost)       the passages holding an index term
    Phrase(field, words, slop)     the words in order, each within ``slop`` positions of the last
    Or(children)                   any child; scores add up
    And(children, boost)           every child; ``boost`` × the sum of their scores
    AndNot(positive, negative)     ``positive`` without what ``negative`` matches
    AllPassages()                  every passage, one constant score

A proximity phrase (``slop`` > 1) directly under an Or only rewards: it never adds a passage of
its own (an engine may apply it to the best candidates only).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """The passages holding the index term ``text`` in ``field``; its score × ``boost``."""

    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """``words`` in order in ``field``, each within ``slop`` positions of the one before."""

    field: str
    words: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    """Any of ``children``: the scores of those that match add up, × ``boost``."""

    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class And:
    """Every one of ``children``: ``boost`` × the sum of their scores."""

    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class AndNot:
    """What ``positive`` matches, without what ``negative`` matches; scored as ``positive``."""

    positive: Node
    negative: Node


@dataclass(frozen=True)
class AllPassages:
    """Every passage, at one constant score (a query of negated words alone)."""


Node = Term | Phrase | Or | And | AndNot | AllPassages
