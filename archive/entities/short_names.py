"""An organization named once in full is the same organization where its proper name stands
alone later in the article.

A news article names a party, club or company once with its head word (حزب الليكود, نادي ريال
مدريد, شركة مايكروسوفت) or once where the model recognised it, and then by its proper name
alone (الليكود قرر, رئيس لريال مدريد, تصدر مايكروسوفت). Neither the catalogue nor a context rule
finds the bare name (no head word precedes it), and the model may miss it, so each such later
occurrence becomes a mention of the organization already found (rule ``coreference``): one
facet value, every mention counted.

A short name is what follows the head word (or a model span of one or two words without one):
two words that name something together (ريال مدريد), or one distinctive word: no stopword, no common word, no word the
training sets never use in an organization's name, none shorter than MIN_LETTERS (حركة فتح
stays whole: فتح is also "opened"). A short name two organizations of the article share resolves to neither.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from archive.arabic import normalize, tokenize
from archive.entities.keys import article_core

MIN_LETTERS = 4  # a shorter bare word (قنا، فتح) is too often something else
MAX_WORDS = 2  # a proper name after a head word: ريال مدريد, not a whole phrase
ACRONYM_LETTERS = (2, 4)  # an Arabic acronym: قنا، واس، سانا
LATIN_ACRONYM = re.compile(r"[A-Z]{2,6}")


class ShortNames:
    """Finds the later bare mentions of the organizations an article named in full."""

    def __init__(self, rules: Any, never: dict[str, frozenset[str]]):
        """``rules``: the tagger's ``Rules``; ``never``: word → the types of name the training
        sets never use it in (span repair's list of ordinary words)."""
        self.rules = rules
        self.never = never
        self.heads = frozenset(rules.org_heads | rules.media_heads | rules.proper_heads)

    def short_name(self, text: str) -> tuple[str, ...] | None:
        """The words (normalized, article removed) an organization named ``text`` may be
        called by alone, or None."""
        forms = [normalize(span.surface) for span in tokenize(text)]
        if forms and article_core(forms[0]) in self.heads:
            forms = forms[1:]
        words = tuple(article_core(form) for form in forms)
        if len(words) == 1 and self._distinctive(words[0]):
            return words
        if len(words) == MAX_WORDS and self._proper_pair(forms, words):
            return words
        return None

    def _proper_pair(self, forms: list[str], words: tuple[str, ...]) -> bool:
        """Two words that name something together: a proper name without the article among
        them (ريال مدريد, frequent words both), none a function word or an ordinary word the
        training sets never use in an organization's name (الأمن القومي is "national security")."""
        return (any(not form.startswith("ال") for form in forms)
                and all(len(w) >= 3 and w.isalpha() and w not in self.rules.stopwords
                        and "ORG" not in self.never.get(w, ()) for w in words))

    def _distinctive(self, word: str) -> bool:
        return (len(word) >= MIN_LETTERS and word.isalpha() and word not in self.rules.stopwords
                and word not in self.rules.common and "ORG" not in self.never.get(word, ())
                and word not in self.heads and word not in self.rules.given)

    def resolve(self, tagging: Any, tagger: Any) -> None:
        """In place, over ``tagging`` (the tagger's ``_Tagging``): a model mention that is the
        short name of an organization a context rule found with its head word (كيوتل after
        شركة كيوتل) becomes that organization, and each bare occurrence of the short name of
        exactly one organization of the text, not yet tagged, a mention of it."""
        self._join_model_halves(tagging, tagger)
        names = self._owners(tagging.mentions, ("context",))
        for k, mention in enumerate(tagging.mentions):
            if mention is not None and mention.type == "organization" and mention.rule == "model":
                owner = names.get(self.short_name(mention.text) or ())
                entity = tagger.entity(owner) if owner and owner != mention.entity_id else None
                if entity is not None:
                    tagging.mentions[k] = replace(mention, entity_id=entity.id, name=entity.name)
        names = self._owners(tagging.mentions, ("context", "model"))
        if names:
            self._add_bare(tagging, tagger, names)
        self._add_acronyms(tagging, tagger)

    def _add_acronyms(self, tagging: Any, tagger: Any) -> None:
        """An acronym right after an organization's name is that organization: a short word
        no list knows, closing the clause (وكالة الأنباء القطرية قنا انه), or a word of Latin
        capitals in brackets or quotes (منظمة الصحة العالمية (WHO), " JPH ")."""
        tokens, covered, mentions = tagging.tokens, tagging.covered, tagging.mentions
        ends = {}
        for k, index in enumerate(covered):
            if index is not None and mentions[index] is not None and mentions[index].type == "organization":
                ends[index] = k  # the last token of each organization mention
        for index, last in ends.items():
            k = last + 1
            entity = tagger.entity(mentions[index].entity_id)
            if k < len(tokens) and covered[k] is None and entity is not None and self._acronym(tokens, k):
                tagging.add(k, k, entity, "coreference")

    def _acronym(self, tokens, k: int) -> bool:
        token, after = tokens[k], tokens[k + 1] if k + 1 < len(tokens) else None
        closed = after is None or after.broken
        if token.broken:  # in brackets or quotes: Latin capitals, closed right after
            return closed and LATIN_ACRONYM.fullmatch(token.surface) is not None
        form = token.form
        return (ACRONYM_LETTERS[0] <= len(form) <= ACRONYM_LETTERS[1] and form.isalpha()
                and not form.startswith(("ال", "و")) and form not in self.rules.stopwords
                and form not in self.never and form not in self.rules.common
                and form not in self.rules.given and form not in self.rules.name_words
                and (after is None or after.broken or after.form in self.rules.stopwords))

    def _join_model_halves(self, tagging: Any, tagger: Any) -> None:
        """Two organizations the model found side by side, nothing between them (مجلة " لورالي
        أيرو-أتلنتيك ": a foreign name in two spans), are one organization."""
        tokens, covered, mentions = tagging.tokens, tagging.covered, tagging.mentions
        for k in range(1, len(tokens)):
            a, b = covered[k - 1], covered[k]
            if a is None or b is None or a == b or tokens[k].broken or tokens[k].form.startswith("و"):
                continue
            first, second = mentions[a], mentions[b]
            if (first is None or second is None or first.rule != "model" or second.rule != "model"
                    or first.type != "organization" or second.type != "organization"):
                continue
            start = k - 1
            while start and covered[start - 1] == a:
                start -= 1
            end = k
            while end + 1 < len(tokens) and covered[end + 1] == b:
                end += 1
            skip = len(tokens[start].form) - len(normalize(first.text.split()[0]))
            entity = tagger._discover("organization", tokens[start:end + 1], skip, "model")
            tagging.add(start, end, entity, "model", skip, min(first.confidence or 0, second.confidence or 0))

    def _owners(self, mentions, rules: tuple[str, ...]) -> dict[tuple[str, ...], str]:
        """short name → the one organization (id) of ``mentions`` found by ``rules`` it names."""
        owners: dict[tuple[str, ...], set[str]] = {}
        for mention in mentions:
            if mention is not None and mention.type == "organization" and mention.rule in rules:
                name = self.short_name(mention.text)
                if name is not None:
                    owners.setdefault(name, set()).add(mention.entity_id)
        return {name: next(iter(ids)) for name, ids in owners.items() if len(ids) == 1}

    def _add_bare(self, tagging: Any, tagger: Any, names: dict[tuple[str, ...], str]) -> None:
        tokens, covered = tagging.tokens, tagging.covered
        firsts = {name[0] for name in names}
        for i, token in enumerate(tokens):
            if covered[i] is not None or token.cores.isdisjoint(firsts):
                continue
            found = self._match(tokens, covered, tagging.mentions, i, names)
            if found is not None:
                length, entity_id, skip = found
                entity = tagger.entity(entity_id)
                if entity is not None:
                    tagging.add(i, i + length - 1, entity, "coreference", skip)

    def _match(self, tokens, covered, mentions, i: int, names: dict) -> tuple[int, str, int] | None:
        """(words, entity id, clitic letters) of the longest short name starting at token i. A
        later word of it may have been taken for a place (لريال مدريد: مدريد), as the head word's
        rule lets a place join a name; its first word never."""
        for name in sorted(names, key=len, reverse=True):
            n = len(name)
            rest = range(i + 1, i + n)
            if i + n > len(tokens) or any(
                    (covered[k] is not None and mentions[covered[k]].type != "place")
                    or tokens[k].broken or tokens[k].core != name[k - i] for k in rest):
                continue
            for reading, _ in tokens[i].readings:
                if article_core(reading) == name[0]:
                    return n, names[name], len(tokens[i].form) - len(reading)
        return None

