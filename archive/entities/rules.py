"""The context rules (data/entities/context_rules.json and the word lists), normalized once:
files in, the sets of normalized words every pass consults out."""

from __future__ import annotations

import re

from archive.arabic import normalize
from archive.entities.keys import article_core, name_tokens
from archive.resources import data_json, data_lines

MIN_COREF_WORD = 3  # letters of a name word that may stand for the person alone


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
