"""Arabic analysis: text in, index terms out.

    text ──tokenize──▶ (start, end, surface) ──normalize──▶ form ──resolve clitics──▶ exact term
                                                                  └──light stem──────▶ stem term

* ``normalize`` folds what readers treat as the same letter (pyarabic for tashkeel, tatweel and
  hamza; a small table for the rest).
* ``Analyzer.analyse`` turns a passage into two parallel term lists: ``exact`` (normalized, clitics
  removed, every word kept, for phrases and for preferring exact forms) and ``stem`` (light
  suffix stripping and broken-plural patterns, stopwords dropped, for recall).

Clitics. ال and its combinations (وال بال كال فال لل) and the conjunction و are stripped by rule,
as in Larkey's light10 and Lucene's ArabicStemmer. A bare ب ك ل ف cannot be told from a real first
letter by rule (بكورسك is ب + كورسك, but كورسك is not ك + ورسك), so it is stripped only with
evidence: the remainder is a known word (data/clitic_exceptions.txt and the entity catalogue), or
it is attested at least as often as the whole word in the context, which is the article being
indexed or, at query time, the index itself (see ``Context``) — unless the whole form is
attested more often than the stripped one (a name the archive holds whole, بندي, is not ب + ندي).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from pyarabic import araby

from archive.resources import data_lines

# ---------------------------------------------------------------------------------------------
# Normalization

_MARK = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"  # tashkeel, Quranic marks, tatweel
_LETTER_TABLE = str.maketrans(
    {
        "\u0671": "ا",  # alef wasla (pyarabic's tasheel leaves it)
        "ى": "ي",
        "ة": "ه",
        "ک": "ك",  # Persian/Urdu keheh, common in web text
        "ی": "ي",  # Farsi yeh
        "ۀ": "ه",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
        "\u2010": "-",
        "\u2011": "-",
    }
)


# pyarabic's strip_tashkeel, strip_tatweel and normalize_hamza(method="tasheel") are each a
# replacement of single letters; as one table with ours, a text is normalized in one pass
# (nine calls and as many copies of the text before; tests/test_query_cost.py compares the two).
_NORMALIZE_TABLE = str.maketrans({
    **{mark: None for mark in (*araby.TASHKEEL, araby.TATWEEL)},
    **{hamza: araby.ALEF for hamza in (araby.ALEF_MADDA, araby.ALEF_HAMZA_ABOVE,
                                       araby.ALEF_HAMZA_BELOW, araby.HAMZA_ABOVE,
                                       araby.HAMZA_BELOW)},
    araby.WAW_HAMZA: araby.WAW, araby.YEH_HAMZA: araby.YEH,
    **{chr(code): value for code, value in _LETTER_TABLE.items()},
})


def normalize(text: str) -> str:
    """The index form of ``text``: no tashkeel or tatweel, one alef, ة→ه, ى→ي, ASCII digits,
    Latin lower-case. Length may shrink (marks are removed), so never use it for display."""
    return text.translate(_NORMALIZE_TABLE).lower()


def normalize_with_pyarabic(text: str) -> str:
    """``normalize`` step by step through pyarabic, as it was written first (the reference
    the one-table version is tested against)."""
    text = araby.strip_tashkeel(text)
    text = araby.strip_tatweel(text)
    text = araby.normalize_hamza(text, method="tasheel")
    return text.translate(_LETTER_TABLE).lower()


# ---------------------------------------------------------------------------------------------
# Tokenization

_WORD = rf"(?:[^\W_]|[{_MARK}])+"
# Model names stay whole: Hwasong-11, KN-23, S-400, كوفيد-19.
TOKEN_RE = re.compile(rf"{_WORD}(?:[-\u2010\u2011]{_WORD})*")


class Span(NamedTuple):
    """One word of a text: its character offsets in the text and its letters as written."""

    start: int
    end: int
    surface: str


def tokenize(text: str) -> Iterator[Span]:
    """Words of ``text`` with their character offsets into it (punctuation is dropped)."""
    for match in TOKEN_RE.finditer(text):
        yield Span(match.start(), match.end(), match.group())


# ---------------------------------------------------------------------------------------------
# Light stemming

# Checked longest first; each strips a suffix once, leaving at least two letters (light10).
SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
DEFINITE_PREFIXES = ("وبال", "وكال", "فبال", "فكال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال")
BARE_CLITICS = "فبكل"  # need evidence; و is stripped by rule
MIN_STEM = 2
MIN_BARE_REMAINDER = 3


def _load_plural_rules() -> tuple[tuple[re.Pattern, str], ...]:
    rules = []
    for line in data_lines("broken_plurals.txt"):
        pattern, replacement = line.split("\t")
        rules.append((re.compile(pattern), replacement))
    return tuple(rules)


_PLURAL_RULES = _load_plural_rules()


@lru_cache(maxsize=500_000)
def strip_suffixes(form: str) -> str:
    """light10 suffix stripping, then broken-plural patterns (ذخائر and ذخيرة share ذخير).
    Cached: there are far fewer distinct words than tokens."""
    for suffix in SUFFIXES:
        if form.endswith(suffix) and len(form) - len(suffix) >= MIN_STEM:
            form = form[: -len(suffix)]
    for pattern, replacement in _PLURAL_RULES:
        form, count = pattern.subn(replacement, form)
        if count:
            break
    return form


_GROUP = "(.)"


def _plural_source(pattern: str, replacement: str, stem: str) -> str | None:
    """The string the plural rule ``pattern`` → ``replacement`` rewrites into ``stem``, or None
    (a rule of one-letter groups and letters, as broken_plurals.txt writes them, is inverted
    letter by letter)."""
    body = pattern[1:-1]  # ^…$
    groups: dict[str, str] = {}
    parts = re.findall(r"\\(\d)|(.)", replacement)
    if len(parts) != len(stem):
        return None
    for (ref, letter), char in zip(parts, stem):
        if ref and groups.setdefault(ref, char) != char or not ref and letter != char:
            return None
    source, number = [], 0
    while body:
        if body.startswith(_GROUP):
            number += 1
            source.append(groups.get(str(number), ""))
            body = body[len(_GROUP):]
        else:
            source.append(body[0])
            body = body[1:]
    found = "".join(source)
    return found if re.fullmatch(pattern, found) else None


def _invertible(pattern: str) -> bool:
    """Whether a plural rule is made of one-letter groups and plain letters only."""
    return pattern.startswith("^") and pattern.endswith("$") and all(
        char.isalpha() for char in pattern[1:-1].replace(_GROUP, ""))


PLURALS_INVERTIBLE = all(_invertible(p.pattern) for p, _ in _PLURAL_RULES)


def stem_sources(stem: str) -> frozenset[str] | None:
    """Strings one of which the normalized form of every word with the light stem ``stem``
    holds: the stem itself (suffix stripping leaves a piece of the word) and what a broken
    plural rule rewrites into it (ذخاير for ذخير). None if a rule cannot be inverted."""
    if not PLURALS_INVERTIBLE:
        return None
    sources = {stem}
    for pattern, replacement in _PLURAL_RULES:
        source = _plural_source(pattern.pattern, replacement, stem)
        if source:
            sources.add(source)
    return frozenset(sources)


def _only_particles(prefix: str) -> bool:
    """A prefix made of the one-letter conjunctions and prepositions alone (و، ف، ب، ك، ل)."""
    return bool(prefix) and all(letter in "وفبكل" for letter in prefix)


def _is_plain_word(form: str) -> bool:
    """Arabic letters only: digits, Latin and hyphenated model names are not stemmed."""
    return form.isalpha() and "\u0621" <= form[0] <= "\u064a"


@dataclass(frozen=True)
class Reading:
    """One way to read a word's prefix: the word without it, and whether it needs evidence."""

    form: str
    needs_evidence: bool


def prefix_readings(form: str) -> tuple[Reading, ...]:
    """All readings of ``form``, least stripped first; the first is the word itself."""
    readings = [Reading(form, False)]
    if not _is_plain_word(form):
        return tuple(readings)
    for prefix in DEFINITE_PREFIXES:
        if form.startswith(prefix) and len(form) - len(prefix) >= MIN_STEM:
            rest = form[len(prefix):]
            for k in range(1, len(prefix) - 1):  # وبالX → بالX → الX: the article may be kept
                readings.append(Reading(form[k:], False))
            if prefix.endswith("لل"):  # للجنة: ل + لجنة, or ل + ال + جنة; known words decide
                readings.append(Reading(form[len(prefix) - 1:], True))
            readings.append(Reading(rest, False))
            return tuple(readings)
    rest = form
    if rest.startswith("و") and len(rest) - 1 >= MIN_BARE_REMAINDER:
        rest = rest[1:]
        readings.append(Reading(rest, False))
    if rest[0] in BARE_CLITICS and len(rest) - 1 >= MIN_BARE_REMAINDER:
        rest = rest[1:]
        readings.append(Reading(rest, True))
    return tuple(readings)


class Context:
    """Where the evidence for a bare clitic comes from: how often a stem, and a whole
    (normalized) form, is attested."""

    def count(self, stem: str) -> int:  # pragma: no cover - interface
        """How often ``stem`` is attested as a stem term."""
        raise NotImplementedError

    def form_count(self, form: str) -> int:
        """How often ``form`` itself is attested as an exact term (0 where unknown)."""
        return 0

    def attests(self, stripped: str, whole: str) -> bool:
        """True when the word without its first letter is the better reading: not when the
        whole form is attested more often than the stripped one (بندي, a name the archive
        holds, is not ب + ندي), else when the stripped stem is attested at least as often as
        the whole word's (بكورسك beside كورسك: yes; بيونغ beside يونغ, twice to once: no)."""
        whole_forms = self.form_count(whole)
        if whole_forms and whole_forms > self.form_count(stripped):
            return False
        found = self.count(strip_suffixes(stripped))
        return found > 0 and found >= self.count(strip_suffixes(whole))


class NoContext(Context):
    """No evidence: a bare clitic that needs evidence is never stripped (the default context)."""

    def count(self, stem: str) -> int:
        """Nothing is attested."""
        return 0


class CountContext(Context):
    """Evidence from a text (at index time, the whole article the passage belongs to)."""

    def __init__(self, counts: Counter, forms: Counter | None = None):
        self.counts = counts
        self.forms = forms if forms is not None else Counter()

    def count(self, stem: str) -> int:
        """How often ``stem`` was counted in the text."""
        return self.counts[stem]

    def form_count(self, form: str) -> int:
        """How often the normalized form ``form`` was counted in the text."""
        return self.forms[form]


class LookupContext(Context):
    """Evidence from counting functions (at query time, the index's document frequencies of
    stems and of exact forms)."""

    def __init__(self, count: Callable[[str], int], form_count: Callable[[str], int] | None = None):
        self._count = count
        self._form_count = form_count

    def count(self, stem: str) -> int:
        """``stem``'s count from the stem lookup (at query time, its document frequency)."""
        return self._count(stem)

    def form_count(self, form: str) -> int:
        """``form``'s count from the form lookup, 0 without one."""
        return self._form_count(form) if self._form_count else 0


NO_CONTEXT = NoContext()


class Term(NamedTuple):
    """One analysed word: where it is in the text and its two index terms."""

    start: int
    end: int
    exact: str
    stem: str | None  # None for stopwords: they are kept only in the exact field


@dataclass
class Analysis:
    """A text's terms, parallel lists (position = list index) ready for Whoosh."""

    terms: list[Term]

    @property
    def exact(self) -> list[str]:
        """The exact terms, one per word: a word's position is its index here."""
        return [t.exact for t in self.terms]

    @property
    def stems(self) -> list[str]:
        """The stem terms in order, without the stopwords' (which have none)."""
        return [t.stem for t in self.terms if t.stem is not None]


class Analyzer:
    """Tokenizer → normalizer → clitic resolution → light stemmer, with stopwords and known
    words from data files. One instance serves index and query time, so both agree."""

    def __init__(self, known_stems: Iterable[str] = (), stemmer: str = "light"):
        """``known_stems``: ``known_stems_of`` more words (names) whose first letter is never a
        clitic, besides the packaged exceptions."""
        from archive.stemmers import stem_function  # alternatives are measured, see README

        self.stopwords = frozenset(normalize(w) for w in (*data_lines("stopwords.txt"),
                                                          *data_lines("question_words.txt")))
        self._exception_forms = frozenset(normalize(w) for w in data_lines("clitic_exceptions.txt"))
        self._known_stems = known_stems_of(self._exception_forms) | frozenset(known_stems)
        self.stemmer = stemmer
        self._stem = stem_function(stemmer, strip_suffixes)
        self._word = lru_cache(maxsize=200_000)(self._analyse_word)
        self._fixed = lru_cache(maxsize=200_000)(self._context_free_terms)
        self._settled = lru_cache(maxsize=200_000)(self._settled_form)
        self._function = lru_cache(maxsize=200_000)(self.is_function_word)
        # highlighting asks this for every word of every passage shown: the same words again
        self._candidates_memo = lru_cache(maxsize=200_000)(self._candidates)

    # -- one word, context-free (cached) ------------------------------------------------------

    def _analyse_word(self, surface: str) -> tuple[str, tuple[Reading, ...]]:
        form = normalize(surface)
        readings = prefix_readings(form)
        for reading in readings:
            # A known word keeps its letters: باليستي is not بال + يستي.
            if strip_suffixes(reading.form) in self._known_stems:
                return form, (reading,)
        return form, readings

    def resolve(self, surface: str, context: Context = NO_CONTEXT) -> str:
        """The exact term of one word: normalized, clitics removed where justified."""
        form, readings = self._word(surface)
        for reading in reversed(readings):
            if not reading.needs_evidence or context.attests(reading.form, form):
                return reading.form
        return form

    def is_function_word(self, form: str) -> bool:
        """A stopword or question word, also behind a conjunction or preposition (والتي، وأين،
        بماذا): a reading that strips only و ف ب ك ل letters, never an article (الهم is not
        ال + هم), and never from a word of data/clitic_exceptions.txt (والي, the governor)."""
        if form in self.stopwords:
            return True
        if form in self._exception_forms:
            return False
        # Every reading, not only those the known words allow: والتي is not the name والت + ي.
        return any(reading.form in self.stopwords and _only_particles(form[:len(form) - len(reading.form)])
                   for reading in prefix_readings(form)[1:])

    def stem(self, form: str, exact: str) -> str | None:
        """The stem term of a word (normalized ``form``, clitics resolved to ``exact``), or None
        for a function word. Other stemmers get the whole form: they strip prefixes their own
        way."""
        if len(exact) < 2 or exact in self.stopwords or self._function(form):
            return None
        if not _is_plain_word(exact):
            return exact
        return self._stem(exact) if self.stemmer == "light" else self._stem(form) or exact

    def term(self, surface: str, start: int = 0, end: int | None = None,
             context: Context = NO_CONTEXT) -> Term:
        """One word as a Term: its span (by default the whole ``surface``), its exact term with
        clitics resolved by ``context``'s evidence, and its stem (None for a function word)."""
        end = len(surface) if end is None else end
        fixed = self._fixed(surface)
        if fixed is not None:
            return Term(start, end, *fixed)
        form, _ = self._word(surface)
        exact = self.resolve(surface, context)
        return Term(start, end, exact, self.stem(form, exact))

    def _context_free_terms(self, surface: str) -> tuple[str, str | None] | None:
        """(exact, stem) of a word whose reading needs no evidence (its most stripped reading
        is certain, so ``resolve`` returns it whatever the context), else None. Memoized."""
        form, readings = self._word(surface)
        if readings[-1].needs_evidence:
            return None
        exact = readings[-1].form
        return exact, self.stem(form, exact)

    # -- whole texts --------------------------------------------------------------------------

    def analyse(self, text: str, context: Context = NO_CONTEXT,
                spans: Iterable[Span] | None = None, offset: int = 0) -> Analysis:
        """Every word of ``text`` as a Term, in order, clitics resolved with ``context``'s
        evidence. ``spans``: ``text``'s words when the caller has them already, their offsets
        ``offset`` past those in ``text`` (a passage's words in its article's tokenization)."""
        term = self.term
        words = tokenize(text) if spans is None else spans
        return Analysis([term(surface, start - offset, end - offset, context)
                         for start, end, surface in words])

    def article_context(self, text: str, surfaces: Iterable[str] | None = None) -> CountContext:
        """Evidence for bare clitics inside one article: counts of each word's rule-stripped
        stem (what every word is before any evidence is needed). ``surfaces``: the article's
        words as written, when the caller has them already."""
        settled = [self._settled(surface) for surface in (
            TOKEN_RE.findall(text) if surfaces is None else surfaces)]
        return CountContext(Counter(stem for _, stem in settled), Counter(form for form, _ in settled))

    def _settled_form(self, surface: str) -> tuple[str, str]:
        """A word before any evidence is needed (its readings up to the first that needs
        some) and that form's stem. Memoized."""
        form, readings = self._word(surface)
        settled = form
        for reading in readings:
            if reading.needs_evidence:
                break
            settled = reading.form
        return settled, strip_suffixes(settled)

    def candidates(self, surface: str) -> tuple[frozenset[str], frozenset[str]]:
        """Every exact and stem term this word could have been indexed under, whatever the
        context; used to highlight a passage without re-reading its article. Memoized."""
        return self._candidates_memo(surface)

    def term_pieces(self, exact: Iterable[str], stems: Iterable[str]) -> frozenset[str] | None:
        """Strings one of which the normalized form of every word that may read as one of
        these exact terms or stems holds (a word's exact readings are endings of its form, its
        light stems pieces of those, or what a plural rule rewrote): a word, or a whole text,
        holding none of them is none of these terms. None when the stemmer gives no such
        guarantee (only the light stemmer does)."""
        if self.stemmer != "light":
            return None
        pieces = set(exact)
        for stem in stems:
            sources = stem_sources(stem)
            if sources is None:
                return None
            pieces |= sources
        return frozenset(pieces)

    def _candidates(self, surface: str) -> tuple[frozenset[str], frozenset[str]]:
        form, readings = self._word(surface)
        exacts = frozenset({r.form for r in readings} | {form})
        stems = frozenset(s for s in (self.stem(form, e) for e in exacts) if s)
        return exacts, stems


def known_stems_of(words: Iterable[str]) -> frozenset[str]:
    """``words`` normalized and suffix-stripped: the keys ``Analyzer`` checks known words by."""
    return frozenset(strip_suffixes(normalize(w)) for w in words)
