"""What the passes produce: a ``Mention`` (an entity, its character span, the rule that
found it) and the ``Tagging`` of one text (its tokens, which mention covers each token, the
mentions so far) that every pass reads and adds to."""

from __future__ import annotations

from dataclasses import dataclass

from archive.entities.catalogue import Entity
from archive.entities.tokens import Token, skip_offset

# Discovered entities are named "<type>:~<variant key>", so their type needs no lookup.
DISCOVERED_MARK = ":~"


@dataclass(frozen=True)
class Mention:
    """One mention of an entity in a text: which entity, where (``[start, end)`` character
    offsets), as written there, and the rule that found it."""

    entity_id: str
    type: str
    name: str  # the entity's display name
    start: int  # character offsets into the tagged text
    end: int
    text: str  # the text as written there
    rule: str  # catalogue | variant | model | context | coreference | collection
    confidence: float | None = None  # the model's, for its mentions

    def to_dict(self) -> dict:
        """The JSON of one mention of ``archive tag --json`` (``confidence`` for the model's)."""
        out = {"type": self.type, "id": self.entity_id, "name": self.name, "text": self.text,
               "start": self.start, "end": self.end, "rule": self.rule}
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 3)
        return out


class Tagging:
    """One text being tagged: its tokens, the mention covering each token, the mentions."""

    __slots__ = ("text", "tokens", "covered", "mentions")

    def __init__(self, text: str, tokens: list[Token]):
        self.text, self.tokens = text, tokens
        self.covered: list[int | None] = [None] * len(tokens)
        self.mentions: list[Mention | None] = []

    def add(self, first: int, last: int, entity: Entity, rule: str, skip_letters: int = 0,
            confidence: float | None = None) -> None:
        """Records a mention of ``entity`` over tokens ``first``..``last`` (a mention it
        overlaps is dropped), its start ``skip_letters`` letters into the first token."""
        tokens, text = self.tokens, self.text
        start = skip_offset(tokens[first].surface, skip_letters) + tokens[first].start
        mention = Mention(entity.id, entity.type, entity.name, start, tokens[last].end,
                          text[start:tokens[last].end], rule, confidence)
        for i in range(first, last + 1):
            earlier = self.covered[i]
            if earlier is not None:  # a context rule absorbing a place (جامعة أكسفورد)
                self.mentions[earlier] = None
            self.covered[i] = len(self.mentions)
        self.mentions.append(mention)

    def result(self) -> list[Mention]:
        """The mentions kept, in text order."""
        return sorted((m for m in self.mentions if m is not None), key=lambda m: m.start)
