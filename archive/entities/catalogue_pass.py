"""The catalogue pass: tokens in, catalogue mentions out: the longest window from each token
that names a catalogued entity by exact key, stem key, then variant skeleton (catalogue.py).
The first word may carry clitics (و ف ب ك ل, ال, لل: لكورسك, وبوتين); the span covers the
name, not the clitic."""

from __future__ import annotations

from archive.arabic import normalize, strip_suffixes
from archive.entities.catalogue import Entity
from archive.entities.keys import article_core, variant_key
from archive.entities.state import TaggerState
from archive.entities.tokens import Token

MIN_SINGLE_VARIANT = 5  # letters of skeleton for a one-word look-alike
PLANS_KEPT = 200_000  # distinct words whose name-lookup plan is remembered (~20 MB)


class CataloguePass(TaggerState):
    """Longest catalogue match over a text's tokens (``_catalogue_pass``)."""

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

    def _plans_for(self, first: Token) -> tuple:
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

    def _may_be_variant(self, token: Token) -> bool:
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
