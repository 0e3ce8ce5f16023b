"""The context-rule pass (data/entities/context_rules.json): tokens and what is covered in,
context mentions of discovered entities out: a person after a title or a speech verb or from
a given name, an organization after a head word (وزارة، وكالة، صحيفة …), a place after a
place head, a weapon model after a weapon word. Also the name-likeness checks the model pass
reuses."""

from __future__ import annotations

import re
from typing import Any

from archive.entities.state import TaggerState
from archive.entities.tokens import Token, any_reading, clitics_before

MAX_NAME_WORDS = 3
MAX_SKIPPED = 4  # words between a title and the name it introduces (باسم الكرملين، في سيول)

MIN_NAME_LETTERS = 7  # "لبي بي سي" is no person's name
ARABIC_WORD = re.compile(r"^[\u0621-\u064a]+$")



class ContextPass(TaggerState):
    """Names found by their context (``_context_pass``) and the checks a name must pass."""

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

    # person: a title or speech verb, optional qualifiers, then two or three name words
    def _person_after_trigger(self, tokens, covered, i):
        if covered[i] is not None:
            return None
        after = self._title_end(tokens, i)
        by_speech = after is None and any_reading(tokens[i], self.rules.speech)
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
        if name and any_reading(tokens[name[0]], self.rules.org_heads | self.rules.media_heads):
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
        skip = clitics_before(token, self.rules.given) or 0
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
        return tokens[k].form in self.rules.stopwords or any_reading(tokens[k], self.rules.speech)

    def _title_end(self, tokens, i):
        if tokens[i].cores.isdisjoint(self.rules.title_starts):
            return None
        for title in self.rules.titles:
            n = len(title)
            if i + n > len(tokens) or any(tokens[k].broken for k in range(i + 1, i + n)):
                continue
            if any_reading(tokens[i], {title[0]}) and all(
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

    def _name_like(self, token: Token) -> bool:
        form = token.form
        long_word = len(form) >= 5
        return (bool(ARABIC_WORD.match(form)) and len(form) >= 2
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
        is_media = any_reading(head, self.rules.media_heads)
        if not is_media and not any_reading(head, self.rules.org_heads):
            return None
        skip = clitics_before(head, self.rules.media_heads | self.rules.org_heads)
        complement = self._definite_complement(tokens, covered, i + 1)
        if complement:
            return i, complement[-1], "organization", skip
        if head.form.startswith("ال") or not (is_media or any_reading(head, self.rules.proper_heads)):
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
        if covered[i] is not None or not any_reading(tokens[i], self.rules.place_heads):
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
        if any(any_reading(t, self.rules.weapon_heads) for t in window):
            return i, i, "weapon", 0
        return None

    def _ordinary_words(self, kind: str, tokens: list[Token]) -> bool:
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
