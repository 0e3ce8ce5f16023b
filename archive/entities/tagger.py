"""The tagger: text in, entity Mentions out (each with its character span and the rule that found
it, so every facet count can be traced to text).

The passes over one article:

1. catalogue: longest match over normalized tokens; the first word may carry clitics (و ف ب ك ل,
   ال, لل and combinations: لكورسك, وبوتين), and the reported span covers the name, not the clitic.
   Each window is looked up by exact key, stem key, then variant skeleton (catalogue.py);
2. context (data/entities/context_rules.json): a person after a title or a speech verb, an
   organization after a head word (وزارة، وكالة، صحيفة …), a weapon model after a weapon word;
3. coreference: a word of a person's full name standing alone later in the same article is the
   same person (كيربي after جون كيربي), unless two people of the article share it (two Kims);
4. the statistical model (archive/entities/model.py, shipped, on by default) on what is left,
   then coreference again;
5. the collection pass: a bare surname resolves through a full name established in another
   article (``tag_many``) or learned from the index (``learn``), when exactly one person of the
   archive has it and it is not used there as a common word.

This module combines the passes; each is its own module (catalogue_pass, context_pass,
model_pass, coreference, collection) over the shared state (state.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import lru_cache

from archive.arabic import TOKEN_RE
from archive.entities.catalogue_pass import CataloguePass
from archive.entities.collection import CollectionPass
from archive.entities.coreference import CoreferencePass
from archive.entities.lexicon import Lexicon, established
from archive.entities.mention import Mention, Tagging
from archive.entities.model_pass import ModelPass
from archive.entities.tokens import skip_offset, word_readings

__all__ = ["Lexicon", "Mention", "Tagger", "default_tagger", "established"]


class Tagger(CataloguePass, ModelPass, CoreferencePass, CollectionPass):
    """Finds the entities a text mentions: catalogue, context rules, the statistical model (if
    installed) and coreference. Keeps the entities it discovers and the names it has learned."""

    def fresh(self) -> Tagger:
        """A tagger sharing this one's catalogue, rules and model (nothing is loaded again) but
        none of the entities it discovered: for tagging an unrelated text."""
        other = copy.copy(self)
        other.discovered = {}
        other.consulted = None
        return other

    def tag(self, text: str) -> list[Mention]:
        """One text's mentions; bare surnames resolve through the names this tagger has
        learned from other articles (``learn``), not through other texts given here."""
        tagging = self._first_stage(text)
        self._collection_pass(tagging, self.learned)
        return tagging.result()

    def tag_many(self, texts: Iterable[str]) -> list[list[Mention]]:
        """The mentions of each text, as a build tags an archive: each text on its own, then
        the collection pass, in which a name established anywhere (a catalogue or context-rule
        mention of a person's full name, or a model mention of confidence ≥ LEARN_CONFIDENCE)
        is evidence for every text: a bare word of it elsewhere (الأسد after بشار الأسد in
        another text) is that person when the archive (these texts and what the tagger
        learned before) knows exactly one person with that word, and it is not used there as
        a common word."""
        taggings = [self._first_stage(text) for text in texts]
        lexicon = Lexicon.merged(self.learned, (established(t.mentions, self) for t in taggings))
        for tagging in taggings:
            self._collection_pass(tagging, lexicon)
        return [t.result() for t in taggings]

    def learn(self, lexicon: Lexicon) -> None:
        """Names the archive established elsewhere (``Lexicon.from_entities`` over an index's
        discovered people), beside the catalogue's people: later ``tag`` calls resolve bare
        surnames through them. Replaces what was learned before."""
        self._learned = self.base_lexicon.union(lexicon)
        self.learned_words = frozenset(lexicon.owners)

    def mentions_any(self, text: str, words: set[str]) -> bool:
        """Whether a word of ``text``, clitics and article aside, is one of ``words``."""
        for surface in set(TOKEN_RE.findall(text)):  # each distinct word once
            _, core, _, cores = word_readings(surface)
            if core in words or not words.isdisjoint(cores):
                return True
        return False

    def _first_stage(self, text: str) -> Tagging:
        """Catalogue, context rules, coreference, the model and coreference again: everything
        that needs this text alone."""
        tagging = Tagging(text, self._tokens(text))
        tokens, covered, mentions, add = tagging.tokens, tagging.covered, tagging.mentions, tagging.add
        self._catalogue_pass(tokens, add)
        self.spans.drop_ordinary_places(tokens, covered, mentions, self.catalogue)  # spans.py: الميادين
        self._context_pass(tokens, covered, mentions, add)
        self._coreference_pass(tokens, covered, mentions, add)
        if self.model is not None:  # what the rules left: the model's, then their other mentions
            self._model_pass(text, tokens, covered, add, mentions)
            self._coreference_pass(tokens, covered, mentions, add)
        self.short_names.resolve(tagging, self)  # short_names.py: الليكود after حزب الليكود
        self.spans.unify_people(mentions, self)  # spans.py: one person of the article, one entity
        return tagging

    def tag_article(self, article) -> list[Mention]:
        """The mentions of an article's text (``tag``)."""
        return self.tag(article.text)

    def find_names(self, text: str) -> list[Mention]:
        """Catalogue names only (no context rules, no coreference): for short texts such as
        queries, where there is no sentence to give context."""
        tokens = self._tokens(text)
        mentions: list[Mention] = []

        def add(first, last, entity, rule, skip_letters=0):
            start = skip_offset(tokens[first].surface, skip_letters) + tokens[first].start
            mentions.append(Mention(entity.id, entity.type, entity.name, start, tokens[last].end,
                                    text[start:tokens[last].end], rule))

        self._catalogue_pass(tokens, add)
        return mentions


@lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """A tagger with the packaged catalogue and model, made once per process."""
    return Tagger()
