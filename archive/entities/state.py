"""What every pass of the tagger shares: the catalogue, the rules, what is loaded on first use
(the model, span repair, prefixes), the entities discovered so far and the names learned, and
the tokens of a text. The passes (catalogue_pass, context_pass, model_pass, coreference,
collection) are mixins over this state; tagger.py combines them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from archive.arabic import Span, tokenize
from archive.entities.catalogue import Catalogue, Entity, compiled_prefixes, default_catalogue
from archive.entities.keys import article_core, name_tokens, variant_key
from archive.entities.lexicon import Lexicon, established
from archive.entities.mention import DISCOVERED_MARK, Mention
from archive.entities.prefixes import StrictPrefixes
from archive.entities.rules import Rules
from archive.entities.short_names import ShortNames
from archive.entities.spans import SpanRepair
from archive.entities.tokens import Token, skip_text, word_readings

if TYPE_CHECKING:
    from archive.entities.model import NerModel


class TaggerState:
    """The tagger's state and what is loaded on first use, shared by its passes."""

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
        # The model's reading of the next text's sentences: recorded for a kept stage when
        # record_model is set, replayed from one when model_replay is (once.py).
        self.record_model = False
        self.model_recorded: list | None = None
        self.model_replay: list | None = None

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

    def _tokens(self, text: str, spans: Iterable[Span] | None = None) -> list[Token]:
        """The tagger's tokens of ``text``; ``spans``: its ``tokenize`` words when the caller
        already has them (a build shares one tokenization of an article)."""
        tokens: list[Token] = []
        previous_end = 0
        for start, end, surface in tokenize(text) if spans is None else spans:
            form, core, readings, cores = word_readings(surface)
            broken = bool(tokens) and start > previous_end and not text[previous_end:start].isspace()
            tokens.append(Token(start, end, surface, form, core, readings, cores, broken))
            previous_end = end
        return tokens

    # -- passes -------------------------------------------------------------------------------

    def _learned_entity(self, entity_id: str, name: str) -> Entity:
        """A person the archive established elsewhere, known to this tagger from now on."""
        entity = self.entity(entity_id)
        if entity is None:
            entity = self.discovered[entity_id] = Entity(
                entity_id, "person", name, attributes={"discovered": "collection", "established": True})
        return entity
    def _discover(self, kind: str, tokens: list[Token], skip: int, how: str = "context") -> Entity:
        cores = tuple(t.core for t in tokens)
        cores = (article_core(tokens[0].form[skip:]), *cores[1:])
        entity_id = f"{kind}{DISCOVERED_MARK}{variant_key(cores)}"
        if entity_id not in self.discovered:
            surface = " ".join(t.surface for t in tokens)
            name = skip_text(surface, skip)
            self.discovered[entity_id] = Entity(entity_id, kind, name, attributes={"discovered": how})
        return self.discovered[entity_id]


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
