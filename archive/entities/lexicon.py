"""The archive's learned names: mentions in (the people a text establishes), a ``Lexicon``
out (word -> the people it may stand for), which the collection pass reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from archive.arabic import normalize, tokenize
from archive.entities.keys import article_core
from archive.entities.mention import Mention
from archive.entities.rules import MIN_COREF_WORD, Rules


class HasRules(Protocol):
    """What ``established`` needs of a tagger: its rules."""

    rules: Rules


# A model mention of a person at least this sure establishes the name for the whole archive.
LEARN_CONFIDENCE = 0.8
ESTABLISHING_RULES = ("catalogue", "variant", "context")


def established(mentions, tagger: HasRules) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The people a text establishes: entity id → (display name, the words a bare mention may
    use: those of a full name after its first, given names, particles and stopwords aside;
    common words are kept, the collection pass checks their context)."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    rules = tagger.rules
    for mention in mentions:
        if mention is None or mention.type != "person":
            continue
        if mention.rule not in ESTABLISHING_RULES and not (
                mention.rule == "model" and (mention.confidence or 0) >= LEARN_CONFIDENCE):
            continue
        words = [article_core(normalize(s.surface)) for s in tokenize(mention.text)]
        if len(words) < 2:
            continue
        surnames = tuple(w for w in words[1:] if len(w) >= MIN_COREF_WORD and w not in rules.stopwords
                         and w not in rules.given and w not in rules.compound_heads)
        if surnames:
            name, seen = out.get(mention.entity_id, (mention.name, ()))
            out[mention.entity_id] = (name, tuple(dict.fromkeys(seen + surnames)))
    return out


class Lexicon:
    """The archive's learned names: word → the people (entity id, display name) it may stand
    for. A word with exactly one owner resolves; a shared one (كيم) does not."""

    def __init__(self, owners: dict[str, dict[str, str]] | None = None):
        self.owners: dict[str, dict[str, str]] = owners or {}

    def __bool__(self) -> bool:
        return bool(self.owners)

    def owner(self, word: str) -> tuple[str, str] | None:
        """The one (entity id, name) ``word`` stands for, or None when it has no owner or several."""
        people = self.owners.get(word)
        return next(iter(people.items())) if people is not None and len(people) == 1 else None

    @classmethod
    def merged(cls, base: Lexicon, found: Iterable[dict]) -> Lexicon:
        """``base`` with each person of ``found`` (entity id → (name, words)) owning their words."""
        owners = {word: dict(people) for word, people in base.owners.items()}
        for people in found:
            for entity_id, (name, words) in people.items():
                for word in words:
                    owners.setdefault(word, {})[entity_id] = name
        return cls(owners)

    def union(self, other: Lexicon) -> Lexicon:
        """The owners of both lexicons; for a person in both, ``other``'s name."""
        owners = {word: dict(people) for word, people in self.owners.items()}
        for word, people in other.owners.items():
            owners.setdefault(word, {}).update(people)
        return Lexicon(owners)

    @classmethod
    def from_entities(cls, entities: Iterable[dict], tagger: HasRules) -> Lexicon:
        """From discovered-entity records (``Entity.to_dict``) whose attributes say they were
        established (``"established": true``)."""
        found = {}
        for record in entities:
            if record.get("type") == "person" and record.get("attributes", {}).get("established"):
                mention = Mention(record["id"], "person", record["name"], 0, 0, record["name"], "context")
                found.update(established([mention], tagger))
        return cls.merged(cls(), [found])

    def changed(self, other: Lexicon) -> set[str]:
        """The words that resolve differently in ``other`` (a new owner, or now shared)."""
        return {w for w in self.owners.keys() | other.owners.keys() if self.owner(w) != other.owner(w)}
