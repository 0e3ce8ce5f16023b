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
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from archive.arabic import TOKEN_RE, Span, normalize, prefix_readings, strip_suffixes, tokenize
from archive.entities.catalogue import Catalogue, Entity, compiled_prefixes, default_catalogue
from archive.entities.keys import article_core, name_tokens, variant_key
from archive.entities.prefixes import StrictPrefixes
from archive.entities.short_names import ShortNames
from archive.entities.spans import SpanRepair
from archive.resources import data_json, data_lines

if TYPE_CHECKING:
    from archive.entities.model import NerModel

MAX_NAME_WORDS = 3
MAX_SKIPPED = 4  # words between a title and the name it introduces (باسم الكرملين، في سيول)
MIN_COREF_WORD = 3
MIN_SINGLE_VARIANT = 5  # letters of skeleton for a one-word look-alike
MIN_NAME_LETTERS = 7  # "لبي بي سي" is no person's name
_ARABIC_WORD = re.compile(r"^[\u0621-\u064a]+$")


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


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    surface: str
    form: str  # normalized
    core: str  # normalized, article removed
    readings: tuple[tuple[str, bool], ...]  # first-word readings: (form, bare clitic stripped?)
    cores: frozenset  # every reading without its article: what head and title words match
    broken: bool  # punctuation between this token and the previous one


class Rules:
    """The context rules, normalized once."""

    def __init__(self):
        raw = data_json("entities/context_rules.json")

        def phrases(name):
            return [name_tokens(p) for p in raw[name]]

        self.titles = sorted(phrases("person_titles"), key=len, reverse=True)
        self.title_starts = {t[0] for t in self.titles}
        self.speech = {t[0] for t in phrases("speech_verbs")}
        self.qualifiers = {t[0] for t in phrases("name_qualifiers")}
        self.org_heads = {t[0] for t in phrases("organization_heads")}
        self.media_heads = {t[0] for t in phrases("media_heads")}
        self.weapon_heads = {t[0] for t in phrases("weapon_heads")}
        self.model = re.compile(raw["model_pattern"])
        self.proper_heads = {t[0] for t in phrases("proper_name_heads")}
        self.place_heads = {t[0] for t in phrases("place_heads")}
        self.complement_stops = {t[0] for t in phrases("complement_stops")}
        self.plural_endings = tuple(normalize(e) for e in raw["plural_endings"])
        self.name_suffixes = tuple(normalize(e) for e in raw["name_suffixes"])
        self.stopwords = {normalize(w) for w in data_lines("stopwords.txt")}
        self.not_names = self.stopwords | {t[0] for t in phrases("name_stopwords")}
        self.first_names: dict[str, frozenset] = {}  # normalized → the spellings listed
        for written in data_lines("entities/first_names.txt"):
            key = normalize(written)
            self.first_names[key] = self.first_names.get(key, frozenset()) | {written}
        self.given = frozenset(self.first_names)  # the normalized given names, as a set
        # Name words after which an article belongs to the name (عبد الله, أبو العلاء, بن الخطاب)
        self.compound_heads = frozenset(normalize(w) for w in ("عبد", "أبو", "ابو", "بن", "ابن", "بنت"))
        # Person-name words (arabnamer's, data/ner/name_words.txt): evidence, never a match alone.
        self.name_words = frozenset(data_lines("ner/name_words.txt"))
        # Frequent words (data/common_words.txt): never a name on their own.
        self.common = frozenset(article_core(normalize(w)) for w in data_lines("common_words.txt"))


class Tagger:
    """Finds the entities a text mentions: catalogue, context rules, the statistical model (if
    installed) and coreference. Keeps the entities it discovers and the names it has learned."""

    def __init__(self, catalogue: Catalogue | None = None, model: bool = True):
        """``model``: use the statistical tagger when its file is installed (False: catalogue
        and context rules only, e.g. to measure what the model adds)."""
        self.catalogue = catalogue or default_catalogue()
        self.rules = Rules()
        self._use_model = model
        # What only tagging needs, made on first use (a search never tags, so its process
        # never loads the model): shared with fresh() copies, so it is made once.
        self._loaded: dict[str, Any] = {}
        self.discovered: dict[str, Entity] = {}  # entities found by context rules
        self.learned_words: frozenset = frozenset()  # name words the archive taught (learn)
        self._learned: Lexicon | None = None  # what learn() was given, with the catalogue's people
        self._plans: dict[str, tuple] = {}  # surface form -> _plans_for, up to PLANS_KEPT
        # (surface form, plan number) -> its one-word match: a window that cannot grow past the
        # word depends on the word alone (_longest_match), up to PLANS_KEPT
        self._single: dict[tuple[str, int], tuple | None] = {}
        # When a set: the words whose learned owners the passes before the collection pass
        # read, recorded for archive/entities/once.py (a kept stage goes stale with them).
        self.consulted: set[str] | None = None

    def _once(self, name: str, make):
        if name not in self._loaded:
            self._loaded[name] = make()
        return self._loaded[name]

    @property
    def spans(self) -> SpanRepair:
        """Where a context or model name ends (spans.py), made on first use."""
        return self._once("spans", lambda: SpanRepair(self.rules))

    @property
    def short_names(self) -> ShortNames:
        """An organisation's short names and acronyms within an article (short_names.py)."""
        return self._once("short_names", lambda: ShortNames(self.rules, self.spans.never))

    @property
    def _prefixes(self) -> StrictPrefixes:
        """How far a window may still name something (prefixes.py), made on first use: a
        search process that meets no name in its query never needs it."""
        def make() -> StrictPrefixes:
            if self.catalogue is default_catalogue():  # compiled once per machine, as it is
                return compiled_prefixes()
            return StrictPrefixes(self.catalogue.exact, self.catalogue.stem)

        return self._once("prefixes", make)

    @property
    def model(self) -> NerModel | None:
        """The statistical tagger (None if not installed or not wanted), loaded on first use."""
        return self._once("model", lambda: _load_model(self.catalogue, self.rules)
                          if self._use_model else None)

    @property
    def person_words(self) -> frozenset:
        """Every word of a catalogued person's names."""
        return self._once("person_words", lambda: frozenset(
            word for e in self.catalogue.entities.values() if e.type == "person"
            for name in e.names for word in name_tokens(name)))

    @property
    def base_lexicon(self) -> Lexicon:
        """The catalogue's people as established names."""
        def make() -> Lexicon:
            catalogued = [Mention(e.id, "person", e.name, 0, 0, name, "catalogue")
                          for e in self.catalogue.entities.values() if e.type == "person"
                          for name in e.names]
            return Lexicon.merged(Lexicon(), [established(catalogued, self)])

        return self._once("base_lexicon", make)

    @property
    def learned(self) -> Lexicon:
        """The catalogue's people and what learn() was given."""
        return self._learned if self._learned is not None else self.base_lexicon

    def fresh(self) -> Tagger:
        """A tagger sharing this one's catalogue, rules and model (nothing is loaded again) but
        none of the entities it discovered: for tagging an unrelated text."""
        other = copy.copy(self)
        other.discovered = {}
        other.consulted = None
        return other

    def entity(self, entity_id: str) -> Entity | None:
        """A catalogue or discovered entity by id, or None."""
        return self.catalogue.entities.get(entity_id) or self.discovered.get(entity_id)

    def entity_type(self, entity_id: str) -> str | None:
        """The type of a catalogue or discovered entity, from its id alone (no index read)."""
        known = self.catalogue.entities.get(entity_id)
        if known is not None:
            return known.type
        kind, mark, _ = entity_id.partition(DISCOVERED_MARK)
        return kind if mark else None

    # -- tokens -------------------------------------------------------------------------------

    def _tokens(self, text: str, spans: Iterable[Span] | None = None) -> list[_Token]:
        """The tagger's tokens of ``text``; ``spans``: its ``tokenize`` words when the caller
        already has them (a build shares one tokenization of an article)."""
        tokens: list[_Token] = []
        previous_end = 0
        for start, end, surface in tokenize(text) if spans is None else spans:
            form, core, readings, cores = _word(surface)
            broken = bool(tokens) and start > previous_end and not text[previous_end:start].isspace()
            tokens.append(_Token(start, end, surface, form, core, readings, cores, broken))
            previous_end = end
        return tokens

    # -- passes -------------------------------------------------------------------------------

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
            _, core, _, cores = _word(surface)
            if core in words or not words.isdisjoint(cores):
                return True
        return False

    def _first_stage(self, text: str) -> _Tagging:
        """Catalogue, context rules, coreference, the model and coreference again: everything
        that needs this text alone."""
        tagging = _Tagging(text, self._tokens(text))
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

    def _collection_pass(self, tagging: _Tagging, lexicon: Lexicon) -> None:
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

    def _learned_entity(self, entity_id: str, name: str) -> Entity:
        """A person the archive established elsewhere, known to this tagger from now on."""
        entity = self.entity(entity_id)
        if entity is None:
            entity = self.discovered[entity_id] = Entity(
                entity_id, "person", name, attributes={"discovered": "collection", "established": True})
        return entity

    def _person_context(self, tokens, i: int) -> bool:
        before = tokens[i - 1] if i and not tokens[i].broken else None
        after = tokens[i + 1] if i + 1 < len(tokens) and not tokens[i + 1].broken else None
        return ((before is not None and (_any_reading(before, self.rules.speech)
                                         or not before.cores.isdisjoint(self.rules.title_starts)
                                         or any(t and t[-1] == before.core for t in self.rules.titles)))
                or (after is not None and _any_reading(after, self.rules.speech)))

    def tag_article(self, article) -> list[Mention]:
        """The mentions of an article's text (``tag``)."""
        return self.tag(article.text)

    def find_names(self, text: str) -> list[Mention]:
        """Catalogue names only (no context rules, no coreference): for short texts such as
        queries, where there is no sentence to give context."""
        tokens = self._tokens(text)
        mentions: list[Mention] = []

        def add(first, last, entity, rule, skip_letters=0):
            start = _skip(tokens[first].surface, skip_letters) + tokens[first].start
            mentions.append(Mention(entity.id, entity.type, entity.name, start, tokens[last].end,
                                    text[start:tokens[last].end], rule))

        self._catalogue_pass(tokens, add)
        return mentions

    def _catalogue_pass(self, tokens, add) -> None:
        i = 0
        while i < len(tokens):
            if self._plans.get(tokens[i].surface) == ():  # a word known to start no name
                i += 1
                continue
            found = self._longest_match(tokens, i)
            if found and self.spans.peninsula(tokens, i, found[1]):
                found = None  # spans.py: شبه الجزيرة العربية is no channel
            if found:
                length, entity, rule, skip = found
                add(i, i + length - 1, entity, rule, skip)
                i += length
            else:
                i += 1

    def _longest_match(self, tokens, i):
        """Longest window from token i that names an entity: listed spellings and inflections
        first, skeletons only if none does (a long look-alike must not beat a short exact name).
        Only readings that start some name are tried, and only as long as such names are."""
        plans = self._plans.get(tokens[i].surface)
        if plans is None:
            if len(self._plans) >= PLANS_KEPT:
                self._plans.clear()
            plans = self._plans[tokens[i].surface] = self._plans_for(tokens[i])
        for number, (keys, plan) in enumerate(plans):
            longest = min(max(plan.values()), len(tokens) - i)
            if keys == ("variant",):
                longest = self._variant_reach(tokens, i, plan, longest)
            else:  # each reading only as far as some exact or stem key begins that way
                cores = [t.core for t in tokens[i + 1:i + longest]]
                plan = {r: min(n, self._prefixes.reach(r, cores, longest)) for r, n in plan.items()}
                longest = max(plan.values())
            if longest == 1:  # the word alone: the same answer wherever it stands
                key = (tokens[i].surface, number)
                if key not in self._single:
                    if len(self._single) >= PLANS_KEPT:
                        self._single.clear()
                    self._single[key] = self._window_match(tokens, i, keys, plan, 1)
                found = self._single[key]
            else:
                found = self._window_match(tokens, i, keys, plan, longest)
            if found:
                return found
        return None

    def _window_match(self, tokens, i, keys, plan, longest: int):
        """The longest window from token i, of at most ``longest`` words, that ``keys`` find
        for a reading of ``plan`` that may start that many words: (length, entity, rule, skip)."""
        for length in range(longest, 0, -1):
            window = tokens[i:i + length]
            if any(t.broken for t in window[1:]):
                continue
            if keys == ("variant",) and not self._may_be_variant_window(window):
                continue
            found = self._lookup_window(window, keys, [r for r, n in plan.items() if n >= length])
            if found:
                return (length, *found)
        return None

    def _variant_reach(self, tokens, i, plan, longest: int) -> int:
        """How far from token i a window can still spell the start of some name's skeleton
        (a window's skeleton begins with that of each shorter window from the same token)."""
        prefixes, reach = self.catalogue.skeleton_prefixes, 1
        for reading in plan:
            length = reach
            while (length < longest and not tokens[i + length].broken
                   and variant_key((reading, *(t.core for t in tokens[i + 1:i + length + 1]))) in prefixes):
                length += 1
            reach = length
        return reach

    def _plans_for(self, first: _Token) -> tuple:
        """((keys, {reading: longest name it may start}), …) for a first word; most words start
        no name and get (). Depends on the word alone, so it is memoized per surface form."""
        catalogue = self.catalogue
        strict = {}
        for reading, _ in first.readings:
            longest = max(catalogue.first_exact.get(reading, 0),
                          catalogue.first_stem.get(strip_suffixes(reading), 0))
            if longest:
                strict[reading] = longest
        tolerant = {}
        if self._may_be_variant(first):
            tolerant = {reading: catalogue.max_tokens for reading, bare in first.readings
                        if not bare and variant_key((reading,)) in catalogue.skeleton_prefixes}
        return tuple((keys, plan) for keys, plan in ((("exact", "stem"), strict), (("variant",), tolerant))
                     if plan)

    def _lookup_window(self, window, keys, readings):
        rest = tuple(t.core for t in window[1:])
        for reading in readings:
            found = self.catalogue.lookup((reading, *rest), keys=keys)
            if found and found[1] != "exact" and not self.spans.variant_fits(window, reading, found[0]):
                continue  # spans.py: طالب أنان is no طالبان
            if found and (found[1] == "exact" or not self._adjectival(window, reading, found[0])):
                rule = "variant" if found[1] == "variant" else "catalogue"
                return found[0], rule, len(window[0].form) - len(reading)
        return None

    def _may_be_variant(self, token: _Token) -> bool:
        """Skeletons are for names: no article, no function word."""
        return not token.form.startswith("ال") and token.form not in self.rules.stopwords

    def _may_be_variant_window(self, window) -> bool:
        """... in any word of the window, and a single word long enough that its skeleton is
        not an ordinary word's (بتورط ≠ باتريوت)."""
        if len(window) == 1 and len(variant_key((window[0].core,))) < MIN_SINGLE_VARIANT:
            return False
        return all(self._may_be_variant(t) for t in window)

    def _adjectival(self, window, reading, entity: Entity) -> bool:
        """الأوكرانية is an adjective, not أوكرانيا: a match that needed tolerance and whose last
        word ends like a nisba adjective (ي، ية) while none of the entity's names does."""
        last = window[-1].core if len(window) > 1 else article_core(reading)
        if not last.endswith(("ي", "يه")):
            return False
        if any(article_core(normalize(n.split()[-1])) == last for n in entity.names if n.split()):
            return False
        return not any(normalize(n).endswith(("ي", "يه")) for n in entity.names)

    def _model_pass(self, text: str, tokens, covered, add, mentions=()) -> None:
        """Spans the statistical model finds where the catalogue found nothing, sentence by
        sentence: a span that names a catalogue entity (by any key) is that entity, any other
        a discovered one. Spans below MIN_CONFIDENCE are dropped."""
        forms = None
        assert self.model is not None
        sentences = _sentences(text, tokens)
        tagged = self.model.tag_sentences([tokens[first:last] for first, last in sentences])
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

    def _name_word_owners(self, token: _Token, mentions) -> dict[str, str]:
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

    def _plausible(self, kind: str, tokens: list[_Token], confidence: float = 0.0) -> bool:
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
                _ARABIC_WORD.match(t.form) and t.form not in self.rules.not_names
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

    def _context_pass(self, tokens, covered, mentions, add) -> None:
        i = 0
        while i < len(tokens):
            found = (self._person_after_trigger(tokens, covered, i)
                     or self._person_by_first_name(tokens, covered, i)
                     or self._organization_after_head(tokens, covered, i, mentions)
                     or self._place_after_head(tokens, covered, i)
                     or self._weapon_model(tokens, covered, i))
            if found:  # span repair (spans.py): where the name begins and ends
                repaired = self.spans.repair(self, tokens, found[0], found[1], found[2], "context", covered)
                found = repaired and (*repaired, found[2], found[3] if repaired[0] == found[0]
                                      else self.spans.leading_clitic(tokens[repaired[0]]))
            if found and self._ordinary_words(found[2], tokens[found[0]:found[1] + 1]):
                found = None
            if found:
                first, last, kind, skip = found
                entity = self._discover(kind, tokens[first:last + 1], skip)
                add(first, last, entity, "context", skip)
                i = last + 1
            else:
                i += 1

    def _discover(self, kind: str, tokens: list[_Token], skip: int, how: str = "context") -> Entity:
        cores = tuple(t.core for t in tokens)
        cores = (article_core(tokens[0].form[skip:]), *cores[1:])
        entity_id = f"{kind}{DISCOVERED_MARK}{variant_key(cores)}"
        if entity_id not in self.discovered:
            surface = " ".join(t.surface for t in tokens)
            name = _skip_text(surface, skip)
            self.discovered[entity_id] = Entity(entity_id, kind, name, attributes={"discovered": how})
        return self.discovered[entity_id]

    # person: a title or speech verb, optional qualifiers, then two or three name words
    def _person_after_trigger(self, tokens, covered, i):
        if covered[i] is not None:
            return None
        after = self._title_end(tokens, i)
        by_speech = after is None and _any_reading(tokens[i], self.rules.speech)
        if after is None and not by_speech:
            return None
        j = (after if after is not None else i + 1)
        if after is not None:
            skipped = 0
            while (j < len(tokens) and skipped < MAX_SKIPPED and not tokens[j].broken
                   and (tokens[j].core in self.rules.qualifiers or tokens[j].form.startswith("ال")
                        or covered[j] is not None)):
                j, skipped = j + 1, skipped + 1
        name = self._name_run(tokens, covered, j)
        if name and _any_reading(tokens[name[0]], self.rules.org_heads | self.rules.media_heads):
            return None  # رئيس نادي أندرليخت: the head of an organization, named after it
        lengths = [len(tokens[k].form) for k in name]
        if (len(name) < 2 or sum(lengths) < MIN_NAME_LETTERS
                or (max(lengths) < 4 and len(name) < 3)  # شين وون سيك: three short syllables
                or not self._closes_name(tokens, name[-1] + 1)):
            return None
        return name[0], name[-1], "person", 0

    # person: a given name (data/entities/first_names.txt) and one to three name words after it
    def _person_by_first_name(self, tokens, covered, i):
        token = tokens[i]
        if covered[i] is not None or token.cores.isdisjoint(self.rules.given):
            return None
        skip = _clitics_before(token, self.rules.given) or 0
        given = token.form[skip:]
        if given.startswith("ال") or given not in self.rules.first_names:
            return None  # الشريف, الكامل: an adjective with its article, not a given name
        if given in self.rules.common and not token.surface.endswith(tuple(self.rules.first_names[given])):
            return None  # على is not علي, though both normalize alike
        if self._function_word_given(tokens, i):
            return None
        j, run = i + 1, list[int]()
        while j < len(tokens) and len(run) < MAX_NAME_WORDS and covered[j] is None and not tokens[j].broken:
            word = tokens[j]
            if word.form.startswith("و") and word.form[1:] in self.rules.first_names:
                break  # وفراس: "and Firas", the next person
            if any(bare and reading in self.rules.common for reading, bare in word.readings[1:]):
                break  # بعد، لكن: a clitic on a common word
            if word.form.startswith("ال") and (tokens[j - 1].core in self.rules.compound_heads or (
                    run and word.form.endswith("ي") and len(word.form) >= 6
                    and word.core not in self.rules.common)):
                pass  # عبد الله, أبو العلاء; a family name of origin: عبد الله الحمداني
            elif not self._name_like(word) or (
                    word.core in self.rules.common and word.core not in self.rules.first_names
                    and word.core not in self.rules.compound_heads
                    and word.core not in self.person_words):
                break
            run.append(j)
            j += 1
        if len(run) >= 2 and not self._closes_name(tokens, run[-1] + 1):
            run.pop()  # فراس حمدان بوفد الشركة: the clause goes on, so its last word is not the name's
        return (i, run[-1], "person", skip) if run else None  # _context_pass checks the words

    def _function_word_given(self, tokens, i: int) -> bool:
        """Whether token i is a given name that is also a function word as written in many
        sources (علي for على: علي ضرورة، علي متن) and the next word is not a known name word
        (a given name, a catalogued person's word or arabnamer's): then it is the preposition."""
        if tokens[i].cores.isdisjoint(self.rules.stopwords & self.rules.given):
            return False
        if i + 1 >= len(tokens) or tokens[i + 1].broken:
            return True
        core = tokens[i + 1].core
        if self.consulted is not None:
            self.consulted.add(core)
        return not (core in self.rules.given or core in self.person_words
                    or core in self.rules.name_words or core in self.learned_words)

    def _closes_name(self, tokens, k) -> bool:
        """A name ends a clause: punctuation, the end, a function word or a speech verb follows
        (استعداد بلادها لاستقبال الرئيس is no name: a plain word follows)."""
        if k >= len(tokens) or tokens[k].broken:
            return True
        return tokens[k].form in self.rules.stopwords or _any_reading(tokens[k], self.rules.speech)

    def _title_end(self, tokens, i):
        if tokens[i].cores.isdisjoint(self.rules.title_starts):
            return None
        for title in self.rules.titles:
            n = len(title)
            if i + n > len(tokens) or any(tokens[k].broken for k in range(i + 1, i + n)):
                continue
            if _any_reading(tokens[i], {title[0]}) and all(
                    tokens[i + k].core == title[k] for k in range(1, n)):
                return i + n
        return None

    def _name_run(self, tokens, covered, j) -> list[int]:
        run: list[int] = []
        while (j < len(tokens) and len(run) < MAX_NAME_WORDS and self._name_like(tokens[j])
               and covered[j] is None and (not run or not tokens[j].broken)):
            run.append(j)
            j += 1
        return run

    def _name_like(self, token: _Token) -> bool:
        form = token.form
        long_word = len(form) >= 5
        return (bool(_ARABIC_WORD.match(form)) and len(form) >= 2
                and not form.startswith("ال") and form not in self.rules.not_names
                and token.core not in self.rules.speech and token.core not in self.rules.qualifiers
                and not (long_word and form.endswith(self.rules.plural_endings))
                and not (long_word and form.endswith(self.rules.name_suffixes)))

    # organization: a head word and its definite complement (جهاز المخابرات الوطنية, فريق
    # مراقبة العقوبات المتعددة الأطراف), or a proper name (صحيفة غارديان → غارديان; جامعة
    # أكسفورد, even where أكسفورد alone was tagged a place)
    def _organization_after_head(self, tokens, covered, i, mentions=()):
        head = tokens[i]
        if covered[i] is not None:
            return None
        is_media = _any_reading(head, self.rules.media_heads)
        if not is_media and not _any_reading(head, self.rules.org_heads):
            return None
        skip = _clitics_before(head, self.rules.media_heads | self.rules.org_heads)
        complement = self._definite_complement(tokens, covered, i + 1)
        if complement:
            return i, complement[-1], "organization", skip
        if head.form.startswith("ال") or not (is_media or _any_reading(head, self.rules.proper_heads)):
            return None  # اللجنة أول تقرير: "the committee", then ordinary words
        if self.spans.definite_proper_name(tokens, covered, i + 1):  # spans.py: حزب الليكود
            return i, i + 1, "organization", skip
        proper = self._proper_name(tokens, covered, i + 1, mentions)
        if not proper:
            return None
        if is_media and not self.spans.media_name_keeps_head(proper, covered, mentions):
            return proper[0], proper[-1], "organization", 0  # spans.py: but جريدة فلسطين
        return i, proper[-1], "organization", skip

    def _definite_complement(self, tokens, covered, j) -> list[int]:
        """Definite words (ال…, لل…) after a head, optionally after one indefinite noun; two or
        more, or one confirmed by التابعة ل…"""
        run: list[Any] = []
        if (j + 1 < len(tokens) and self._name_like(tokens[j]) and covered[j] is None
                and self.spans.indefinite_head(tokens[j - 1])  # spans.py: not بالمركز تمليه
                and not tokens[j + 1].broken and tokens[j + 1].form.startswith(("ال", "لل"))):
            run.append(j)  # فريق مراقبة العقوبات …
            j += 1
        definite = 0
        while (j < len(tokens) and definite < 4 and not tokens[j].broken and covered[j] is None
               and (tokens[j].form.startswith(("ال", "لل")) or (definite and self.spans.conjoined_nisba(tokens[j])))
               and tokens[j].form not in self.rules.stopwords
               and tokens[j].core not in self.rules.complement_stops):
            run.append(j)
            definite += 1
            j += 1
        confirmed = j < len(tokens) and tokens[j].core in self.rules.complement_stops
        return run if definite >= 2 or (definite == 1 and confirmed and len(run) == 1) else []

    def _proper_name(self, tokens, covered, j, mentions=()) -> list[int]:
        """One or two name words after a head, closing the clause. A word already tagged as a
        place may join (جامعة أكسفورد): the head says it names something else."""
        run: list[int] = []
        while j < len(tokens) and len(run) < 2 and (not run or not tokens[j].broken):
            token = tokens[j]
            is_place = covered[j] is not None and mentions and mentions[covered[j]].type == "place"
            if not (is_place or (covered[j] is None and self._name_like(token))) or token.form.endswith("ه"):
                break
            run.append(j)
            j += 1
        return run if run and (self._closes_name(tokens, run[-1] + 1)
                               or self.spans.closes_organization(tokens, run)) else []

    # place: a head word and a proper name (ميناء ناجين → ناجين)
    def _place_after_head(self, tokens, covered, i):
        if covered[i] is not None or not _any_reading(tokens[i], self.rules.place_heads):
            return None
        run = self._name_run(tokens, covered, i + 1)[:2]
        after = run[-1] + 1 if run else 0
        closed = run and (self._closes_name(tokens, after) or tokens[after].form.startswith("ال"))
        if closed and not any(
                tokens[k].form.endswith("ه") for k in run):
            return run[0], run[-1], "place", 0
        return None

    # weapon: a model code (KN-25, Shahed-238, فتح-110) after a weapon word
    def _weapon_model(self, tokens, covered, i):
        if covered[i] is not None or not self.rules.model.match(tokens[i].form):
            return None
        window = tokens[max(0, i - 3):i]
        if any(_any_reading(t, self.rules.weapon_heads) for t in window):
            return i, i, "weapon", 0
        return None

    def _distinctive(self, word: str) -> bool:
        """A word of a person's name that may stand for the person alone later: not a stopword
        and not a common word (حيث، منطقة، حكومة are never anyone's name by themselves)."""
        return (len(word) >= MIN_COREF_WORD and word not in self.rules.stopwords
                and word not in self.rules.common)

    def _ordinary_words(self, kind: str, tokens: list[_Token]) -> bool:
        """Whether a name found by context is a run of ordinary words instead: for a person,
        more than half of them common words no catalogued person's name uses (محاكمة اخرى حيث;
        but محمد is a name word, and جون كيربي has one common word of two); for a place, any
        (حيث يقيم after المدينة). Organizations are heads and their complements, made of
        common words by nature (وزارة الدفاع), and weapons are model codes."""
        ordinary = sum(t.core in self.rules.common and t.core not in self.person_words
                       for t in tokens)
        if kind == "person":
            return ordinary * 2 > len(tokens)
        return kind == "place" and ordinary > 0

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


@lru_cache(maxsize=100_000)
def _word(surface: str) -> tuple[str, str, tuple[tuple[str, bool], ...], frozenset]:
    """A word's normalized form, that form without its article, its readings and their cores.
    Unlike the index, the tagger also tries a bare clitic on short words (لبي بي سي): the
    catalogue, not a length rule, decides."""
    form = normalize(surface)
    readings = [(r.form, r.needs_evidence) for r in prefix_readings(form)]
    if len(readings) == 1 and len(form) >= 3 and form[0] in "وفبكل" and form.isalpha():
        readings.append((form[1:], True))
    return form, article_core(form), tuple(readings), frozenset(article_core(r) for r, _ in readings)


def _clitics_before(token: _Token, words) -> int | None:
    """How many letters of clitics precede one of ``words`` in this token (None: no match)."""
    for form, _ in token.readings:
        if article_core(form) in words:
            return len(token.form) - len(form)
    return None


def _any_reading(token: _Token, words) -> bool:
    return not token.cores.isdisjoint(words)


def _skip(surface: str, letters: int) -> int:
    """Offset in ``surface`` after ``letters`` letters (marks such as tashkeel do not count)."""
    offset = 0
    while letters > 0 and offset < len(surface):
        offset += 1
        while offset < len(surface) and _is_mark(surface[offset]):
            offset += 1
        letters -= 1
    return offset


def _skip_text(text: str, letters: int) -> str:
    return text[_skip(text, letters):]


def _is_mark(ch: str) -> bool:
    return "\u064b" <= ch <= "\u065f" or ch in "\u0670\u0640"


# A model span below this confidence (mean marginal probability of its labels) is dropped: on
# the dev split, the spans under it are mostly wrong (scripts/evaluate_ner.py --min-confidence).
MIN_CONFIDENCE = 0.6
PLACE_VETO = 0.9  # see Tagger._veto_places
TRUSTED_PERSON = 0.7  # a person span this sure skips the name-likeness checks (on the dev splits)
_SENTENCE_END = re.compile(r"[.!?؟؛\n]")
MAX_SENTENCE_TOKENS = 120  # a run-on "sentence" (a list, a table) is cut


def _sentences(text: str, tokens) -> list[tuple[int, int]]:
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


def _model_clitics(token: _Token, forms: set[str]) -> int:
    """Letters of clitics before the name in a span's first word: و always (a rule), ب ك ل ف
    only when the rest of the word stands alone elsewhere in the text (بموسكو after موسكو)."""
    for reading, needs_evidence in token.readings[1:]:
        removed = token.form[:len(token.form) - len(reading)]
        if "ا" in removed:  # an article: part of the name as written (الحكومة الروسية)
            continue
        if not needs_evidence or reading in forms:
            return len(removed)
    return 0


def _load_model(catalogue, rules):
    """The statistical tagger if one is installed, else None; a model that cannot be loaded is
    a warning (the tagger still runs on catalogue and rules), not a failure."""
    from archive.entities.model import Gazetteers, NerModel, model_file, read_annotated, words_file

    path = model_file()
    if not path:
        return None
    try:
        return NerModel(path, Gazetteers(catalogue, rules, read_annotated(words_file(path))))
    except ImportError:
        reason = "python-crfsuite is not installed (it is a dependency: pip install .)"
    except (OSError, ValueError) as error:
        reason = f"{path} cannot be read as a CRFsuite model ({error})"
    logging.getLogger("archive").warning("warning: entity model not used: %s", reason)
    return None


PLANS_KEPT = 200_000  # distinct words whose name-lookup plan is remembered (~20 MB)

# Discovered entities are named "<type>:~<variant key>", so their type needs no lookup.
DISCOVERED_MARK = ":~"


class _Tagging:
    """One text being tagged: its tokens, the mention covering each token, the mentions."""

    __slots__ = ("text", "tokens", "covered", "mentions")

    def __init__(self, text: str, tokens: list[_Token]):
        self.text, self.tokens = text, tokens
        self.covered: list[int | None] = [None] * len(tokens)
        self.mentions: list[Mention | None] = []

    def add(self, first: int, last: int, entity: Entity, rule: str, skip_letters: int = 0,
            confidence: float | None = None) -> None:
        tokens, text = self.tokens, self.text
        start = _skip(tokens[first].surface, skip_letters) + tokens[first].start
        mention = Mention(entity.id, entity.type, entity.name, start, tokens[last].end,
                          text[start:tokens[last].end], rule, confidence)
        for i in range(first, last + 1):
            earlier = self.covered[i]
            if earlier is not None:  # a context rule absorbing a place (جامعة أكسفورد)
                self.mentions[earlier] = None
            self.covered[i] = len(self.mentions)
        self.mentions.append(mention)

    def result(self) -> list[Mention]:
        return sorted((m for m in self.mentions if m is not None), key=lambda m: m.start)


# A model mention of a person at least this sure establishes the name for the whole archive.
LEARN_CONFIDENCE = 0.8
ESTABLISHING_RULES = ("catalogue", "variant", "context")


def established(mentions, tagger: Tagger) -> dict[str, tuple[str, tuple[str, ...]]]:
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
    def from_entities(cls, entities: Iterable[dict], tagger: Tagger) -> Lexicon:
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


@lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """A tagger with the packaged catalogue and model, made once per process."""
    return Tagger()
