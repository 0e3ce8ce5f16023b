"""Span repair: where a name found by a context rule or the model begins and ends.

A context rule or the model may run a person's name on into the words after it (كوفي انان
اعتبر "Kofi Annan considered", ستيفن جيرارد ضربة, ديفيد كولتارد سائق ماكلارين) or take a phrase
of ordinary words after a speech verb for a name (مصدر امني "a security source", بيان صادر).
Since a discovered entity's id comes from its span, one word too many splits one person into
several facet values, so the span is repaired before the entity is made:

- a person's name ends before the first ordinary word after its first (a word the training
  sets use often and never inside a person's name, ``data/ner/ordinary_words.txt``, and no
  known name word: a given name, a catalogued or learned person's word); ordinary words before
  the name are dropped (الملك عبد الله → عبد الله); nothing left, no person;
- a one-word person that is a given name takes the name word that follows it when that word
  is unknown but name-like (يوري إهنات), the full name the article gives, and a name that
  ends on a link (أحمد بن، أبو عبد) takes the word it links;
- an organization ends before a word the training sets never use in an organization's name:
  one that starts with a proper name loses the nationality after it (هيونداي روتم الكورية
  الجنوبية → هيونداي روتم), one named by a head word only such words without the article (its
  nationality stays: وكالة الأنباء القطرية), and a head word left alone, or followed only by
  such words (إدارة المطعم الواقع), is none;
- in an article, a discovered person whose words stand inside the longer name of exactly one
  other person there is that person (ابو حمزة, ابو حمزة المصري: one facet value);
- a one-word place the model found that the training sets never use in a place name and no
  place context introduces (a preposition or place head word before it, a clitic on it) is no
  place (بندًا "an item").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from archive.arabic import normalize, tokenize
from archive.entities.keys import article_core, name_tokens, variant_key
from archive.resources import data_lines

ORDINARY_FILE = "ner/ordinary_words.txt"
# Words before a place that say a place follows (في بيروت، الى دمشق، قرب حلب).
PLACE_CONTEXT = frozenset(normalize(w) for w in (
    "في", "إلى", "الى", "من", "عن", "نحو", "قرب", "داخل", "خارج", "شمال", "جنوب", "شرق", "غرب",
    "شمالي", "جنوبي", "شرقي", "غربي", "وسط", "عاصمة", "عاصمتها", "حدود", "أنحاء", "زيارة",
    "بين", "مع"))
NISBA = ("ي", "يه")  # adjective endings (الروسية، العسكري): an organization's complement may be
# made of them alone (المجلة العسكرية الروسية)
# Name words after which the next word belongs to the name (أبي قبيل، سريع بن ماتع).
# Adjectives of time after an organization's name are about the time, not the name (المجلس
# الاقتصادي والاجتماعي السابق "the former council").
TIME_WORDS = frozenset(normalize(w) for w in (
    "السابق", "السابقة", "الحالي", "الحالية", "المقبل", "المقبلة", "الماضي", "الماضية",
    "الأخير", "الأخيرة", "المنتهية", "المنصرم", "المنصرمة"))
# Head words too generic to take a definite word as a proper name (مجموعة التلليريم "the
# tellurium group").
GENERIC_HEADS = frozenset(normalize(w) for w in ("مجموعة", "جماعة"))
PENINSULA = normalize("جزيرة")  # the core of الجزيرة, channel and peninsula
PENINSULA_BEFORE = normalize("شبه")
ISLAND_BEFORE = frozenset(normalize(w) for w in ("في", "إلى", "الى"))
PENINSULA_AFTER = frozenset(normalize(w) for w in ("العربية", "الكورية", "الإيبيرية", "الايبيرية"))
SMALL_TOWN = 150_000  # a catalogue city this small whose name is an ordinary word needs a context
KUNYA = frozenset(normalize(w) for w in ("أبو", "أبي", "أبا", "أم"))
LINKS = frozenset(normalize(w) for w in ("بن", "ابن", "بنت", "أبو", "أبي", "أبا", "عبد", "أم", "آل"))


class SpanRepair:
    """The repairs of this module, with their word lists loaded once."""

    def __init__(self, rules: Any):
        """``rules``: the tagger's ``Rules`` (given names, place heads, stopwords)."""
        self.rules = rules
        self.never: dict[str, frozenset[str]] = {}  # word core → the types it is never part of
        for line in data_lines(ORDINARY_FILE):
            word, _, types = line.partition("\t")
            self.never[word] = frozenset(types.split())
        self.place_context = PLACE_CONTEXT | frozenset(rules.place_heads)
        self.org_heads = frozenset(rules.org_heads | rules.media_heads | rules.proper_heads)
        self._indexed: tuple[Any, dict[str, set[tuple[str, str]]]] | None = None

    def repair(self, tagger: Any, tokens: Sequence[Any], first: int, last: int, kind: str,
               rule: str, covered: Sequence[int | None] = (),
               end: int | None = None) -> tuple[int, int] | None:
        """The repaired (first, last) token range of a ``kind`` span found by ``rule``
        ("context" or "model"), or None when it names nothing of that kind. ``covered``: the
        mention covering each token, if any; ``end``: the sentence's end (a span never grows
        past it)."""
        if kind == "person":
            end = len(tokens) if end is None else end
            return self._person(tagger, tokens, first, last, rule, covered, end)
        if kind == "organization":
            found = self._organization(tokens, first, last)
            return found and (found[0], self._purpose_phrase_end(tokens, *found, covered, end))
        if kind == "place" and rule == "model" and first == last and self.common_place(tokens, first):
            return None
        if kind == "place" and rule == "context" and not self._named_after_head(tokens, first, last):
            return None
        return first, last

    def _named_after_head(self, tokens, first: int, last: int) -> bool:
        """Whether the words after a place head word (مدينة، ميناء) name the place: the head
        has no article (المدينة اختار "the city chose"), no punctuation stands between them
        (المدينة . ويقيم), and not all its words are ones the training sets never use in a
        place name (كميناء تجاري "as a commercial port"; قرية بيت قاد is a place)."""
        head = tokens[first - 1] if first else None
        if head is None or tokens[first].broken or any(
                reading.startswith("ال") and article_core(reading) in self.rules.place_heads
                for reading, _ in head.readings):
            return False
        return not all("LOC" in self.never.get(tokens[k].core, ()) for k in range(first, last + 1))

    # -- people -----------------------------------------------------------------------------

    def _person(self, tagger, tokens, first: int, last: int, rule: str, covered, end: int):
        while (first <= last and self._ordinary_for_person(tagger, tokens[first])
               and not (first < last and tokens[first + 1].core in LINKS)):
            first += 1  # مصدر امني، الملك عبد الله; but سريع بن ماتع
        if first > last:
            return None
        for k in range(first + 1, last + 1):
            if tokens[k - 1].core not in LINKS and self._trailing(tagger, tokens[k]):
                last = k - 1  # كوفي انان اعتبر، ديفيد كولتارد سائق ماكلارين
                break
        if rule == "context" and last - first >= 2 and self._unknown_after_definite(tagger, tokens, last):
            last -= 1  # عبد الله تذوق "Abdullah tasted": a context rule's blind run (the model weighed it)
        first, last = self._linked(tokens, first, last, covered, end)
        if (first and not tokens[first].broken and tokens[first].cores.isdisjoint(LINKS)
                and self._given_before(tokens, first - 1, covered)):
            first -= 1  # تيم سيباستيان، عبدالرحيم محمد حسين: the name begins earlier
        if first == last and rule == "model":
            last = self._full_name_end(tagger, tokens, first, covered, end)
        elif first == last and not self._known_name_word(tagger, tokens[first].core):
            return None  # a context rule's name needs two words, or one known name (هيلاري)
        return first, last

    def _given_before(self, tokens, k: int, covered) -> bool:
        """Whether token k, just before a name that starts with no link (not before ابو حمزة),
        is its first name: a given name or arabnamer's name word, or a joined عبد compound
        (عبدالرحيم), written bare (no article, no clitic), no title (رئيس، للملك), function
        word or ordinary word, and no one else's."""
        token = tokens[k]
        form = token.form
        if (not form.isalpha() or form.startswith("ال") or len(token.readings) > 1
                or form in self.rules.not_names or not token.cores.isdisjoint(self.rules.title_starts)
                or token.core in self.rules.qualifiers
                or (covered and covered[k] is not None) or "PER" in self.never.get(token.core, ())):
            return False
        return (token.core in self.rules.given or token.core in self.rules.name_words
                or (form.startswith("عبد") and len(form) >= 6))

    def _unknown_after_definite(self, tagger, tokens, k: int) -> bool:
        """Whether token k, after a word with the article (الله، التركي), is a word no list
        knows as a name's (no given name, arabnamer's or a known person's word) and has no
        article itself: a name rarely goes on after its definite word with such a word (علي
        عبد الله صالح does: صالح is a name word)."""
        token = tokens[k]
        return (tokens[k - 1].form.startswith("ال") and not token.form.startswith("ال")
                and token.core not in self.rules.name_words and token.core not in LINKS
                and not self._known_name_word(tagger, token.core))

    def _linked(self, tokens, first: int, last: int, covered, end: int) -> tuple[int, int]:
        """A name takes the link before it (أبو before عبد الله), the word a link at its end
        links (أحمد بن → أحمد بن طولون), the links and names after it (حمد بن جاسم بن جبر آل
        ثاني) and a family name with the article (عمر حسن البشير), all in its sentence; a name
        that starts with a kunya (أبو، أم) takes the nisba after it, whatever else the word
        means (أبو عبد الله التركي، ابو حمزة المصري)."""
        before = first - 1
        if (first and not tokens[first].broken and tokens[before].form.isalpha()  # ، وابو عبد الله
                and tokens[before].form not in self.rules.stopwords
                and not (covered and covered[before] is not None)
                and not tokens[before].cores.isdisjoint(LINKS)):
            first -= 1
        while True:  # a linked word is part of the name even where taken for a place (طولون)
            if tokens[last].core in LINKS and self._free(tokens, last + 1, (), end):
                last += 1
            elif (tokens[min(last + 1, len(tokens) - 1)].core in LINKS
                  and self._free(tokens, last + 1, (), end) and self._free(tokens, last + 2, (), end)):
                last += 2
            else:
                break
        ends_given = not tokens[last].form.startswith("ال") or (last and tokens[last - 1].core in LINKS)
        if (ends_given and self._free(tokens, last + 1, covered, end)  # عبد الكريم الخطابي
                and (self._family_name(tokens[last + 1])
                     or (not tokens[first].cores.isdisjoint(KUNYA) and self._nisba(tokens, last + 1)))):
            last += 1
        return first, last

    def _nisba(self, tokens, k: int) -> bool:
        """Token k is a definite adjective of origin: التركي، المصري (not the function word
        الذي, nor an adjective with its noun: البريطاني الجنسية "British by nationality")."""
        token = tokens[k]
        after = tokens[k + 1] if k + 1 < len(tokens) and not tokens[k + 1].broken else None
        return (token.form.startswith("ال") and token.core.endswith("ي") and len(token.core) >= 4
                and token.form not in self.rules.stopwords
                and not (after is not None and after.form.startswith("ال")
                         and after.form not in self.rules.stopwords))

    def leading_clitic(self, token: Any) -> int:
        """Letters of the clitic before a link word that begins a name (وابو → 1), else 0."""
        for reading, _ in token.readings:
            if article_core(reading) in LINKS:
                return len(token.form) - len(reading)
        return 0

    def _free(self, tokens, k: int, covered, end: int | None = None) -> bool:
        """Token k exists in the sentence, joins the previous one, is a word and is no one's."""
        end = len(tokens) if end is None else end
        return (0 <= k < end and (k == 0 or not tokens[k].broken) and tokens[k].form.isalpha()
                and tokens[k].form not in self.rules.stopwords
                and not (covered and covered[k] is not None))

    def _family_name(self, token) -> bool:
        """A word with the article that may end a name: no ordinary or common word, and a
        person-name word (البشير، الخطيب) or a nisba of a family (الخطابي، الأغبش is neither:
        المعلق "the commentator" must not join)."""
        return (token.form.startswith("ال") and len(token.core) >= 3 and token.core not in self.never
                and token.core not in self.rules.common
                and (token.core in self.rules.name_words or (token.core.endswith("ي") and len(token.core) >= 5)))

    def _ordinary_for_person(self, tagger, token) -> bool:
        """A word that is no part of a person's name here: ordinary, no known name word."""
        return "PER" in self.never.get(token.core, ()) and not self._known_name_word(tagger, token.core)

    def _trailing(self, tagger, token) -> bool:
        """A word after a name's first that ends it: an ordinary word as written (a verb, a
        role or sports noun: اعتبر، حارس، ضربة), or a word that starts with "and" and is no
        name of its own (والسفير، وجواو; وليد is a name). A definite word (القحطاني، المصري)
        may be a family name of origin, and a person-name word (arabnamer's) a surname: not
        cut."""
        if token.form.startswith("ال") or token.core in self.rules.name_words:
            return False  # عائشة عيد: عيد is "feast", and a name
        if self._ordinary_for_person(tagger, token):
            return True
        if token.form.startswith("و") and len(token.form) > 3:  # "and": the next name begins
            return token.core not in self.rules.given and not self._known_name_word(tagger, token.core)
        return False

    def _known_name_word(self, tagger, core: str) -> bool:
        """A given name, a catalogued person's word or a word of a name the archive learned
        (the last recorded in ``tagger.consulted``: a kept first stage read it)."""
        if core in self.rules.given or core in tagger.person_words:
            return True
        if tagger.consulted is not None:
            tagger.consulted.add(core)
        return core in tagger.learned_words

    def _full_name_end(self, tagger, tokens, i: int, covered, end: int) -> int:
        """A lone given name followed, in its sentence, by an unknown name-like word that
        carries no clitic or pronoun (يوري إهنات, not جاك وفاخر) ends after it."""
        token = tokens[i]
        j = i + 1
        if (token.core not in self.rules.given or token.form.startswith("ال")
                or j >= end or tokens[j].broken or len(tokens[j].readings) > 1
                or tokens[j].form.endswith(("ه", *self.rules.name_suffixes))
                or (covered and covered[j] is not None)):
            return i
        word = tokens[j]
        if (not word.form.isalpha() or len(word.form) < 3 or word.form.startswith(("ال", "و"))
                or word.form in self.rules.not_names or word.core in self.never
                or word.core in self.rules.common or word.core in self.rules.given):
            return i
        return j

    def unify_people(self, mentions: list, tagger: Any) -> None:
        """One person, one entity in an article: a discovered person of two or more words
        that stand, in order, inside the longer name of exactly one other person of the
        article (ابو حمزة in ابو حمزة المصري) is that person. In place, over ``mentions``
        (``None`` for a dropped one); catalogue mentions are left as they are."""
        people = [(k, m, _words(m.text)) for k, m in enumerate(mentions)
                  if m is not None and m.type == "person"]
        for k, mention, words in people:
            if len(words) < 2 or ":~" not in mention.entity_id:
                continue
            owners = {other.entity_id for _, other, longer in people
                      if len(longer) > len(words) and _inside(words, longer)}
            if len(owners) == 1:
                owner = tagger.entity(next(iter(owners)))
                if owner is not None and owner.id != mention.entity_id:
                    mentions[k] = replace(mention, entity_id=owner.id, name=owner.name)

    def join_adjacent_people(self, text: str, mentions: list) -> None:
        """Two mentions of one person side by side, only a space between them (سلفان and
        شالوم, each resolved alone through the full name), are one mention of the name. In
        place, over ``mentions`` (``None`` for a dropped one)."""
        people = sorted((m.start, k) for k, m in enumerate(mentions) if m is not None and m.type == "person")
        for (_, a), (_, b) in zip(people, people[1:]):
            first, second = mentions[a], mentions[b]
            if (first is None or second is None or first.entity_id != second.entity_id
                    or not text[first.end:second.start].isspace() or normalize(second.text).startswith("و")):
                continue
            mentions[b] = replace(first, end=second.end, text=text[first.start:second.end])
            mentions[a] = None

    def unify_with_archive(self, mentions: list, lexicon: Any, tagger: Any) -> None:
        """One person, one entity in the archive: a discovered person of two or more words
        that stand, in order, inside the longer name of exactly one person the archive
        established elsewhere (``lexicon``: ابو حمزة here, ابو حمزة المصري in another article)
        is that person. In place, over ``mentions``; catalogue mentions are left as they are."""
        if not lexicon:
            return
        for k, mention in enumerate(mentions):
            if mention is None or mention.type != "person" or ":~" not in mention.entity_id:
                continue
            words = _words(mention.text)
            if len(words) < 2:
                continue
            owner = self._longer_owner(words, mention.entity_id, lexicon)
            if owner is not None:
                entity = tagger._learned_entity(*owner)
                mentions[k] = replace(mention, entity_id=entity.id, name=entity.name)

    def _longer_owner(self, words: tuple[str, ...], own_id: str, lexicon: Any) -> tuple[str, str] | None:
        """The one (id, name) of the lexicon whose name holds ``words`` inside a longer name."""
        index = self._name_index(lexicon)
        candidates: set[tuple[str, str]] | None = None
        for word in words:
            found = index.get(word, set())
            candidates = found if candidates is None else candidates & found
            if not candidates:
                return None
        longer = [(i, n) for i, n in candidates or ()
                  if i != own_id and len(_words(n)) > len(words) and _inside(words, _words(n))]
        return longer[0] if len(longer) == 1 else None

    def _name_index(self, lexicon: Any) -> dict[str, set[tuple[str, str]]]:
        """word → the (id, name) of the lexicon's people whose name has it; kept for the last
        lexicon seen (one build's)."""
        if self._indexed is not None and self._indexed[0] is lexicon:
            return self._indexed[1]
        index: dict[str, set[tuple[str, str]]] = {}
        for people in lexicon.owners.values():
            for person in people.items():
                for word in _words(person[1]):
                    index.setdefault(word, set()).add(person)
        self._indexed = (lexicon, index)
        return index

    # -- organizations and places -------------------------------------------------------------

    def _organization(self, tokens, first: int, last: int) -> tuple[int, int] | None:
        """An organization named by a head word (وزارة، وكالة) names none when every word
        after the head is one the training sets never use in an organization's name (إدارة
        المطعم الواقع), and ends before such a word without the article (المركز تمليه
        المصالح: a head alone is none); its nationality stays (وكالة الأنباء القطرية). One that
        starts with a proper
        name ends before the first such word, article or not (هيونداي روتم الكورية
        الجنوبية → هيونداي روتم)."""
        headed = self._head(tokens[first])  # nisba adjectives alone may still name one
        words = range(first + 1, last + 1)
        if headed and words and all(self._never_org(tokens[k]) and not tokens[k].core.endswith(NISBA)
                                    for k in words):
            return None
        for k in words:
            if tokens[k].form in TIME_WORDS or (
                    self._never_org(tokens[k]) and not (headed and tokens[k].form.startswith(("ال", "لل")))):
                last = k - 1
                break
        if headed and last > first and self._disagrees(tokens[first], tokens[first + 1]):
            return None  # مستشار البلدية القانوني: "the municipality's legal adviser"
        return None if headed and first == last else (first, last)

    def _disagrees(self, head, word) -> bool:
        """Whether ``word``, right after a feminine head word (بلدية، وزارة), is a masculine
        nisba adjective never used in an organization's name: it qualifies another noun."""
        return (head.core.endswith("ه") and word.form.startswith("ال") and word.core.endswith("ي")
                and self._never_org(word))

    def _purpose_phrase_end(self, tokens, first: int, last: int, covered, end: int | None) -> int:
        """Where an organization named by a definite head word and adjectives alone (الاتحاد
        الدولي، اللجنة الالمانية المنظمة) ends when a phrase of ل and a noun with its definite
        complement follows: after it (الاتحاد الدولي لكرة القدم، اللجنة المنظمة لكأس العالم).
        A head word with a noun (وزارة الدفاع لوسائل الإعلام) is complete: it takes none."""
        words = tokens[first + 1:last + 1]
        if (not self._head(tokens[first]) or not tokens[first].form.startswith(("ال", "وال", "لل"))
                or not words or not all(self._adjective(t) for t in words)):
            return last
        li, noun = last + 1, last + 2
        if not (self._free(tokens, li, covered, end) and self._free(tokens, noun, covered, end)):
            return last
        word = tokens[li].form
        if (len(word) < 4 or word[0] != "ل" or word.startswith("لل") or word[1:] in self.rules.stopwords
                or not tokens[noun].form.startswith("ال")):
            return last
        return noun

    def _adjective(self, token) -> bool:
        """A definite adjective after a head word: a nisba (الدولي) or a participle (المنظمة)."""
        form = token.form
        return form.startswith("ال") and (form.endswith(NISBA) or form[2:3] == "م") and len(form) >= 5

    def indefinite_head(self, token: Any) -> bool:
        """Whether a head word is written without the article: only then may an indefinite noun
        stand between it and its definite complement (فريق مراقبة العقوبات; بالمركز تمليه
        المصالح is no name: a definite noun is no construct)."""
        return not any(reading.startswith("ال") and article_core(reading) in self.org_heads
                       for reading, _ in token.readings)

    def closes_organization(self, tokens: Sequence[Any], run: Sequence[int]) -> bool:
        """Whether the proper name ``run`` after an organization's head word ends there though
        no punctuation or function word follows: its words are no ordinary words and a
        nationality, a phrase with ب or a number (a date: جريدة فلسطين 15 نيسان) comes next
        (نادي تشيلسي الإنجليزي، حركة فتح بزعامة)."""
        k = run[-1] + 1
        if k >= len(tokens) or any(self._never_org(tokens[j]) for j in run):
            return False
        after = tokens[k]
        nationality = after.form.startswith("ال") and after.core.endswith(NISBA)
        phrase = after.form[0] == "ب" and len(after.readings) > 1  # ل often belongs to it:
        # شركة القدس للمستحضرات الطبية
        return nationality or phrase or after.form.isdigit()

    def media_name_keeps_head(self, run: Sequence[int], covered: Sequence[int | None],
                              mentions: Sequence[Any]) -> bool:
        """Whether a newspaper or channel named by a place after its head word is named with
        the head (جريدة فلسطين، جريدة القدس: the newspaper, not the place, is the facet value);
        other media go by their proper name alone (صحيفة غارديان → غارديان)."""
        owners = [mentions[index] for index in (covered[k] for k in run) if index is not None]
        return any(owner is not None and owner.type == "place" for owner in owners)

    def conjoined_nisba(self, token: Any) -> bool:
        """Whether a word continues a head word's definite complement though it starts with
        "and": a nisba adjective with the article (المجلس الاقتصادي والاجتماعي, القرض العقاري
        والسياحي)."""
        form = token.form
        return (form.startswith("وال") and len(form) >= 6 and form.endswith(NISBA)
                and form[1:] not in self.rules.stopwords)

    def definite_proper_name(self, tokens: Sequence[Any], covered: Sequence[int | None], j: int) -> bool:
        """Whether token j, after a head word that takes a proper name (حزب، حركة، شركة، نادي),
        is a proper name with the article: one word, its own (no clitic before the article),
        that the training sets never use as an ordinary word, no common word and no nisba
        adjective (حزب الليكود; not حزب العمال "the workers", not حركة الشباب المجاهدين's
        ordinary words, not الحزب الحاكم)."""
        if (j >= len(tokens) or tokens[j].broken or (covered and covered[j] is not None)
                or not tokens[j - 1].cores.isdisjoint(GENERIC_HEADS)):
            return False
        token = tokens[j]
        return (token.form.startswith("ال") and len(token.core) >= 4 and token.core.isalpha()
                and token.core not in self.never and token.core not in self.rules.common
                and token.core not in self.rules.stopwords and not token.core.endswith(NISBA)
                and not token.core.endswith(("ين", "ون", "ات")))

    def variant_fits(self, window: Sequence[Any], reading: str, entity: Any) -> bool:
        """Whether a window of words matched to ``entity`` only by its skeleton has no more
        words than the name of the entity with that skeleton: a name word spelled loosely is
        one word (طالب أنان is no طالبان, كانوا عرباً no العربية), unless the window's words are
        joined by a link (عبد الله for عبدالله)."""
        key = variant_key((reading, *(t.core for t in window[1:])))
        if any(t.core in LINKS for t in window[:-1]):
            return True
        return any(len(words) >= len(window) and variant_key(words) == key
                   for words in (name_tokens(name) for name in entity.names))

    def peninsula(self, tokens: Sequence[Any], i: int, entity: Any) -> bool:
        """Whether the organization matched at token i is the word "peninsula" or "island"
        (the channel الجزيرة as شبه الجزيرة، الجزيرة العربية), as it is without the article
        (جزيرة كيش) and after في or إلى (the training sets never mark the channel there)."""
        if entity.type != "organization" or PENINSULA not in tokens[i].cores:
            return False
        if not any(reading.endswith("ال" + PENINSULA) for reading, _ in tokens[i].readings):
            return True  # جزيرة "an island"
        before = tokens[i - 1].core if i and not tokens[i].broken else ""
        after = tokens[i + 1] if i + 1 < len(tokens) and not tokens[i + 1].broken else None
        return (before in ISLAND_BEFORE or before == PENINSULA_BEFORE
                or (after is not None and after.form in PENINSULA_AFTER))

    def head_as_written(self, token: Any) -> bool:
        """Whether a word is an organization head word as written, with no clitic taken off
        (بلدية is "municipality", not ب + لدية)."""
        return token.form in self.org_heads

    def _never_org(self, token) -> bool:
        return "ORG" in self.never.get(token.core, ())

    def _head(self, token) -> bool:
        return not token.cores.isdisjoint(self.org_heads)

    def drop_ordinary_places(self, tokens: Sequence[Any], covered: list, mentions: list,
                             catalogue: Any) -> None:
        """A one-word catalogue town whose word the training sets use often and never in a
        place name (الميادين "the fields", السلمية "peaceful", زاوية "angle", بداخله "inside
        it": towns of GeoNames; المالية "financial" for مالي) is no place unless a place context
        introduces it (a preposition or place head word before it). Countries and cities of
        SMALL_TOWN people or more (كييف، طنجة) stay where written as the catalogue lists them.
        A person's title (السفيرة "the ambassador", a town too) is no place, nor a town named
        like a person right after a title (السفيرة نانسي: a person, not Nancy). In place, over a
        text's first mentions."""
        for k, index in enumerate(covered):
            mention = mentions[index] if index is not None else None
            if (mention is None or mention.type != "place" or mention.rule not in ("catalogue", "variant")
                    or (k and covered[k - 1] == index) or (k + 1 < len(covered) and covered[k + 1] == index)):
                continue
            core = _core(mention.text)
            entity = catalogue.entities.get(mention.entity_id)
            ordinary = ("LOC" in self.never.get(core, ()) and not self._place_context(tokens, k)
                        and (_small_town(entity)  # or المالية for مالي:
                             or not catalogue.lookup((core,), keys=("exact",))))
            if ordinary or self._person_word(tokens, k, core, entity):
                mentions[index] = None
                covered[k] = None

    def _person_word(self, tokens: Sequence[Any], k: int, core: str, entity: Any) -> bool:
        """Whether a one-word place at token k is rather a title or a town named like a person
        (a given name, arabnamer's name word) right after a title."""
        if core in self.rules.title_starts:
            return True
        before = tokens[k - 1] if k and not tokens[k].broken else None
        return ((core in self.rules.given or core in self.rules.name_words) and _small_town(entity)
                and before is not None
                and not before.cores.isdisjoint(self.rules.title_starts))

    def _place_context(self, tokens: Sequence[Any], i: int) -> bool:
        before = tokens[i - 1] if i and not tokens[i].broken else None
        return before is not None and not before.cores.isdisjoint(self.place_context)

    def common_place(self, tokens: Sequence[Any], i: int) -> bool:
        """Whether token i, taken for a place, is rather a word the training sets never use in
        a place name (or a common word), with no place context: no clitic on it (بموسكو), no
        preposition or place head word before it (في، الى، مدينة). A word written with tanwin
        (بندًا "an item") is an indefinite noun, which a place name almost never is."""
        token = tokens[i]
        indefinite = not TANWIN.isdisjoint(token.surface)
        if (not indefinite and "LOC" not in self.never.get(token.core, ())
                and token.core not in self.rules.common):
            return False
        if len(token.readings) > 1 and not token.form.startswith("ال") and not indefinite:
            return False  # بموسكو، وبغداد: a clitic, as place names take
        before = tokens[i - 1] if i and not token.broken else None
        return before is None or before.cores.isdisjoint(self.place_context)


TANWIN = frozenset("\u064b\u064c\u064d")  # fathatan, dammatan, kasratan: ً ٌ ٍ


@lru_cache(maxsize=20_000)
def _core(text: str) -> str:
    """A one-word mention's normalized form without its article (memoized: places recur)."""
    return article_core(normalize(text))


def _small_town(entity: Any) -> bool:
    """Whether a catalogue place is a city of fewer than SMALL_TOWN people (or of unknown size)."""
    if entity is None or entity.attributes.get("kind") != "city":
        return False
    try:
        return int(entity.attributes.get("population", 0)) < SMALL_TOWN
    except ValueError:
        return True


def _words(text: str) -> tuple[str, ...]:
    return tuple(article_core(normalize(span.surface)) for span in tokenize(text))


def _inside(words: tuple[str, ...], longer: tuple[str, ...]) -> bool:
    """Whether ``words`` stand, in order and together, inside ``longer``."""
    n = len(words)
    return any(longer[i:i + n] == words for i in range(len(longer) - n + 1))

