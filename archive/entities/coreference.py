"""The coreference pass: tokens and mentions in, coreference mentions out: a word of a
person's full name standing alone later in the same text is the same person (كيربي after
جون كيربي), unless two people of the text share it (two Kims)."""

from __future__ import annotations

from archive.arabic import normalize, tokenize
from archive.entities.keys import article_core
from archive.entities.rules import MIN_COREF_WORD
from archive.entities.state import TaggerState


class CoreferencePass(TaggerState):
    """Lone words of a person named in full in the same text (``_coreference_pass``)."""

    def _distinctive(self, word: str) -> bool:
        """A word of a person's name that may stand for the person alone later: not a stopword
        and not a common word (حيث، منطقة، حكومة are never anyone's name by themselves)."""
        return (len(word) >= MIN_COREF_WORD and word not in self.rules.stopwords
                and word not in self.rules.common)

    def _coreference_pass(self, tokens, covered, mentions, add) -> None:
        owners: dict[str, set[str]] = {}
        for mention in mentions:
            if mention is None or mention.type != "person":
                continue
            words = [article_core(normalize(s.surface)) for s in tokenize(mention.text)]
            if len(words) < 2:
                continue
            for word in words:
                if self._distinctive(word):
                    owners.setdefault(word, set()).add(mention.entity_id)
        unique = {word: next(iter(ids)) for word, ids in owners.items() if len(ids) == 1}
        for i, token in enumerate(tokens):
            if covered[i] is not None:
                continue
            for reading, _ in token.readings:
                if reading in unique:
                    add(i, i, self.entity(unique[reading]), "coreference",
                        len(token.form) - len(reading))
                    break
