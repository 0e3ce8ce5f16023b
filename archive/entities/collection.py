"""The collection pass: a text's first-stage Tagging and the archive's Lexicon in, collection
mentions out: a bare surname resolves through a full name established in another text
(``Tagger.tag_many``) or learned from the index (``Tagger.learn``), when exactly one person of
the archive has it and it is not used there as a common word."""

from __future__ import annotations

from dataclasses import replace

from archive.arabic import normalize, tokenize
from archive.entities.keys import article_core
from archive.entities.lexicon import Lexicon
from archive.entities.mention import Tagging
from archive.entities.state import TaggerState
from archive.entities.tokens import any_reading


class CollectionPass(TaggerState):
    """Bare surnames the archive knows (``_collection_pass``)."""

    def _collection_pass(self, tagging: Tagging, lexicon: Lexicon) -> None:
        """A bare word of a name the archive knows is that person when exactly one person of
        the archive has that word, and the word is not used here as a common word: a common
        word (الأسد is also "the lion") needs a person's context, a title or speech verb before
        it or a speech verb after it. Two people of this text sharing the word (the two Kims)
        are left to the coreference pass, which stays silent."""
        tokens, covered = tagging.tokens, tagging.covered
        self.spans.unify_with_archive(tagging.mentions, lexicon, self)  # spans.py: ابو حمزة
        for k, mention in enumerate(tagging.mentions):  # the model's lone surname: whose it is
            if mention is not None and mention.rule == "model" and mention.type == "person":
                words = [article_core(normalize(s.surface)) for s in tokenize(mention.text)]
                owner = lexicon.owner(words[0]) if len(words) == 1 else None
                if owner is not None and owner[0] != mention.entity_id:
                    tagging.mentions[k] = replace(mention, entity_id=owner[0], name=owner[1],
                                                  rule="collection")
        for i, token in enumerate(tokens):
            if covered[i] is not None:
                continue
            for reading, _ in token.readings:
                core = article_core(reading)  # الأسد: the mention keeps its article
                owner = lexicon.owner(core)
                if owner is None or (core in self.rules.common and not self._person_context(tokens, i)):
                    continue
                entity = self._learned_entity(*owner)
                tagging.add(i, i, entity, "collection", len(token.form) - len(reading))
                break
        self.spans.join_adjacent_people(tagging.text, tagging.mentions)  # spans.py: سلفان شالوم

    def _person_context(self, tokens, i: int) -> bool:
        before = tokens[i - 1] if i and not tokens[i].broken else None
        after = tokens[i + 1] if i + 1 < len(tokens) and not tokens[i + 1].broken else None
        return ((before is not None and (any_reading(before, self.rules.speech)
                                         or not before.cores.isdisjoint(self.rules.title_starts)
                                         or any(t and t[-1] == before.core for t in self.rules.titles)))
                or (after is not None and any_reading(after, self.rules.speech)))
