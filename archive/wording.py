"""Numbers and dates in Arabic as people write them, for the pages: a count and a noun in,
the phrase with the noun in the form the number asks for out; a date as written in, a date
for people out.

    counted(1, "passage")   -> "1 مقطع"        counted(2, "passage")  -> "مقطعان"
    counted(7, "passage")   -> "7 مقاطع"       counted(53, "passage") -> "53 مقطعًا"
    counted(100, "passage") -> "100 مقطع"      counted(0, "passage")  -> "لا مقاطع"
    human_date("2024-10-19T09:10:13") -> "19 أكتوبر 2024"

The forms follow Arabic's plural categories (those of Unicode CLDR): 1 the singular, 2 the dual
alone (the number is not written), 3–10 the plural, 11–99 the singular in the accusative
(tanween), and from 100 on by the last two digits, with 100–102, 200… back to the singular.
Digits are Western (as in the index and the URLs), months the names used from Egypt to the
Gulf (أكتوبر), the same everywhere on the pages.
"""

from __future__ import annotations

from typing import NamedTuple

from archive.dates import iso_day


class Forms(NamedTuple):
    """A noun's four forms, chosen by the number before it (see the module docstring)."""

    one: str  # 1, and 100, 101, 102, 200 … (the singular after the number)
    two: str  # 2: the dual, the number itself not written
    few: str  # 3–10 (and 103–110 …): the plural
    many: str  # 11–99 (and 111–199 …): the singular, accusative


NOUNS: dict[str, Forms] = {
    "passage": Forms("مقطع", "مقطعان", "مقاطع", "مقطعًا"),
    "article": Forms("مقال", "مقالان", "مقالات", "مقالًا"),
    "entity": Forms("كيان", "كيانان", "كيانات", "كيانًا"),
    "page": Forms("صفحة", "صفحتان", "صفحات", "صفحةً"),
    "month": Forms("شهر", "شهران", "أشهر", "شهرًا"),
    "time": Forms("مرة", "مرتان", "مرات", "مرةً"),
    "more_passage": Forms("مقطع آخر", "مقطعان آخران", "مقاطع أخرى", "مقطعًا آخر"),
}

MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
          "أكتوبر", "نوفمبر", "ديسمبر")


def category(n: int) -> str:
    """Arabic's plural category of a whole number: zero, one, two, few, many or other."""
    n = abs(int(n))
    if n == 0:
        return "zero"
    if n == 1:
        return "one"
    if n == 2:
        return "two"
    if 3 <= n % 100 <= 10:
        return "few"
    if 11 <= n % 100 <= 99:
        return "many"
    return "other"


def counted(n: int, noun: str) -> str:
    """``n`` and the noun (a key of NOUNS) as Arabic writes them together."""
    forms = NOUNS[noun]
    kind = category(n)
    if kind == "zero":
        return f"لا {forms.few}"
    if kind == "two":
        return forms.two
    word = {"one": forms.one, "few": forms.few, "many": forms.many, "other": forms.one}[kind]
    return f"{number(n)} {word}"


def number(n: int) -> str:
    """A count with thousands grouped: 1,234."""
    return f"{int(n):,}"


def human_date(written: str | None) -> str | None:
    """A date for people: ``19 أكتوبر 2024`` (or ``أكتوبر 2024``, ``2024`` when that is all
    the source says); a date we cannot read is shown as written, and no date is None."""
    if not written:
        return None
    day = iso_day(written)
    if day is None:
        return written.strip()
    parts = day.split("-")
    if len(parts) == 1:
        return parts[0]
    month = f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return f"{int(parts[2])} {month}" if len(parts) == 3 else month


def month_name(month: str) -> str:
    """``2024-10`` → ``أكتوبر 2024``."""
    return human_date(month) or month
