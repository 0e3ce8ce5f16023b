"""The model pass: tokens and what the rules covered in, model mentions out: the statistical
tagger (model.py) reads each sentence; its spans where the rules found nothing, above
MIN_CONFIDENCE and past the context rules' checks, become catalogue or discovered entities;
a one-word catalogue place the model is sure is no entity is dropped (``_veto_places``)."""

from __future__ import annotations

import re

from archive.arabic import normalize, tokenize
from archive.entities.context_pass import ARABIC_WORD, ContextPass
from archive.entities.keys import article_core
from archive.entities.tokens import Token

# A model span below this confidence (mean marginal probability of its labels) is dropped: on
# the dev split, the spans under it are mostly wrong (scripts/evaluate_ner.py --min-confidence).
MIN_CONFIDENCE = 0.6
PLACE_VETO = 0.9  # see Tagger._veto_places
TRUSTED_PERSON = 0.7  # a person span this sure skips the name-likeness checks (on the dev splits)
_SENTENCE_END = re.compile(r"[.!?؟؛\n]")
MAX_SENTENCE_TOKENS = 120  # a run-on "sentence" (a list, a table) is cut

class ModelPass(ContextPass):
    """The statistical model's spans on what the rules left (``_model_pass``)."""

    def _model_pass(self, text: str, tokens, covered, add, mentions=()) -> None:
        """Spans the statistical model finds where the catalogue found nothing, sentence by
        sentence: a span that names a catalogue entity (by any key) is that entity, any other
        a discovered one. Spans below MIN_CONFIDENCE are dropped."""
        forms = None
        assert self.model is not None
        sentences = sentence_ranges(text, tokens)
        tagged = self._sentences_tagged(tokens, sentences)
        for (first, last), sentence in zip(sentences, tagged, strict=True):
            self._veto_places(tokens, covered, mentions, first, last, sentence)
            for span in sentence.spans:
                a, b = first + span.first, first + span.last
                if span.confidence < MIN_CONFIDENCE:
                    continue
                repaired = self.spans.repair(self, tokens, a, b, span.type, "model", covered, last)
                if repaired is None or any(covered[k] is not None for k in range(repaired[0], repaired[1] + 1)):
                    continue  # span repair (spans.py): where the name begins and ends
                a, b = repaired
                if forms is None:
                    forms = {t.form for t in tokens}
                skip = _model_clitics(tokens[a], forms) if not self.spans.head_as_written(tokens[a]) else 0
                if not self._plausible(span.type, tokens[a:b + 1], span.confidence):
                    continue
                cores = (article_core(tokens[a].form[skip:]), *(t.core for t in tokens[a + 1:b + 1]))
                found = self.catalogue.lookup(cores)
                entity = found[0] if found else None
                if entity is None and span.type == "person" and a == b:
                    owners = self._name_word_owners(tokens[a], mentions)
                    if len(owners) > 1:
                        continue  # a bare كيم where two Kims are known: coreference left it, so does this
                    if owners:
                        (owner, name), = owners.items()
                        entity = self._learned_entity(owner, name)
                if entity is None:
                    entity = self._discover(span.type, tokens[a:b + 1], skip, "model")
                add(a, b, entity, "model", skip, span.confidence)

    def _sentences_tagged(self, tokens, sentences: list[tuple[int, int]]) -> list:
        """The model's reading of each sentence: replayed when a kept stage of this text has it
        (``model_replay``: the model reads the text's tokens alone, so the names the archive
        learned cannot change it), else the model's, recorded when ``record_model`` is set."""
        replay, self.model_replay = self.model_replay, None
        if replay is not None and len(replay) == len(sentences):
            return replay
        assert self.model is not None
        tagged = self.model.tag_sentences([tokens[first:last] for first, last in sentences])
        if self.record_model:
            self.model_recorded = tagged
        return tagged

    def _veto_places(self, tokens, covered, mentions, first: int, last: int, sentence) -> None:
        """A one-word catalogue place that may be an ordinary word (a common word, an
        inflection or look-alike of the name rather than a listed spelling, a plural nisba:
        هوية، مالية for Mali، صينيين for China) is dropped where the model, which read the
        sentence (``sentence``: its ``Tagged``), is sure it is no entity (probability of O ≥
        PLACE_VETO)."""
        for k in range(first, last):
            index = covered[k]
            mention = mentions[index] if index is not None else None
            if (mention is None or mention.type != "place" or mention.rule not in ("catalogue", "variant")
                    or (k > first and covered[k - 1] == index) or (k + 1 < last and covered[k + 1] == index)):
                continue
            token = tokens[k]
            suspicious = (mention.rule == "variant" or token.core in self.rules.common
                          or token.form.endswith(("يين", "يون", "يات"))
                          or not self.catalogue.lookup((article_core(normalize(mention.text)),), keys=("exact",)))
            if suspicious and sentence.outside(k - first) >= PLACE_VETO:
                mentions[index] = None
                covered[k] = None

    def _name_word_owners(self, token: Token, mentions) -> dict[str, str]:
        """The people (id → name) a lone word may stand for: those named in full in this text
        with that word, and those of the catalogue and the archive's learned names."""
        owners: dict[str, str] = {}
        if self.consulted is not None:
            self.consulted.update(token.cores)
        for core in token.cores:
            owners.update(self.learned.owners.get(core, {}))
        for m in mentions:
            if m is not None and m.type == "person":
                words = {article_core(normalize(s.surface)) for s in tokenize(m.text)}
                if len(words) > 1 and not token.cores.isdisjoint(words):
                    owners[m.entity_id] = m.name
        return owners

    def _plausible(self, kind: str, tokens: list[Token], confidence: float = 0.0) -> bool:
        """The checks a model span must pass, the context rules' own: a person's first word
        looks like a name (no article, no plural or pronoun ending: شماليين، صحفيون are not
        people);
        no person or place made of ordinary words; an organization does not start with one
        that is no head word (قوات المحاصرة)."""
        if kind == "person" and self._function_word_given(tokens, 0):
            return False
        if kind == "person" and confidence >= TRUSTED_PERSON and tokens[0].form not in self.rules.not_names:
            return True  # رامون كالديرون، ألبرت أينشتاين، زين الدين زيدان: the checks below would refuse them
        if kind == "person" and not (self._name_like(tokens[0]) and all(
                ARABIC_WORD.match(t.form) and t.form not in self.rules.not_names
                for t in tokens[1:])):
            return False  # a later word may carry the article or any ending: بشار الأسد
        if self._ordinary_words(kind, tokens):
            return False
        if kind == "organization":
            first = tokens[0]
            heads = self.rules.org_heads | self.rules.media_heads | self.rules.proper_heads
            if not any(t.form.startswith(("ال", "لل")) for t in tokens) and all(
                    t.core in self.rules.common or t.core.endswith(("ه", "يه")) for t in tokens):
                return False  # ترسانة، منظمة بحثية: a kind of organization, none in particular
            return not (first.core in self.rules.common and first.cores.isdisjoint(heads))
        return True


def sentence_ranges(text: str, tokens) -> list[tuple[int, int]]:
    """[first, last) token ranges of the sentences of ``text``."""
    ranges, first = [], 0
    for i in range(1, len(tokens)):
        if (_SENTENCE_END.search(text, tokens[i - 1].end, tokens[i].start)
                or i - first >= MAX_SENTENCE_TOKENS):
            ranges.append((first, i))
            first = i
    if tokens:
        ranges.append((first, len(tokens)))
    return ranges


def _model_clitics(token: Token, forms: set[str]) -> int:
    """Letters of clitics before the name in a span's first word: و always (a rule), ب ك ل ف
    only when the rest of the word stands alone elsewhere in the text (بموسكو after موسكو)."""
    for reading, needs_evidence in token.readings[1:]:
        removed = token.form[:len(token.form) - len(reading)]
        if "ا" in removed:  # an article: part of the name as written (الحكومة الروسية)
            continue
        if not needs_evidence or reading in forms:
            return len(removed)
    return 0
