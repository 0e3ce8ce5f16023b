"""Article dates as written in, comparable days out: what the date filter (``--from``/``--to``),
the month histogram of a search and the build report's unreadable dates read.

An article keeps its date as the source wrote it (``2024-10-19T09:10:13``, ``19/10/2024``,
``Sat, 02 Nov 2024 10:00:00 +0000``, ``السبت 2 نوفمبر 2024``); only these comparisons read it as
a day. Read: ISO 8601, RFC 2822 (feeds), day-first ``DD/MM/YYYY`` and ``YYYY/MM/DD``, and dates
with a month name (``2 نوفمبر 2024``, ``٢ تشرين الثاني ٢٠٢٤``, ``2 نوفمبر/تشرين الثاني 2024``,
``November 2, 2024``; the names are in ``data/months.txt``), with Western or Arabic-Indic digits.
A date we cannot read is no date: such an article is left out when a date filter is set, counted
under no month, and listed in the build report.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from archive.resources import data_lines

_ISO = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?![\d/])")
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
# Letters folded one for one, so the month names match however the hamza or final letter is
# written; diacritics and tatweel are dropped.
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"  # start, or anything but a letter, before a name
_NOT_LETTER_AFTER = r"(?![^\W\d_])"


def _fold(text: str) -> str:
    return _MARKS.sub("", text.translate(_DIGITS).translate(_FOLD)).lower()


@lru_cache(maxsize=1)
def month_numbers() -> dict[str, int]:
    """Folded month name → month number, from ``data/months.txt``."""
    numbers: dict[str, int] = {}
    for line in data_lines("months.txt"):
        number, *names = (part.strip() for part in line.split("|"))
        for name in names:
            numbers[" ".join(_fold(name).split())] = int(number)
    return numbers


@lru_cache(maxsize=1)
def _named_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = sorted(month_numbers(), key=len, reverse=True)  # تشرين الثاني before a shorter name
    month = ("(?:" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) + ")")
    month = _NOT_LETTER_BEFORE + month + _NOT_LETTER_AFTER
    day_month_year = re.compile(
        r"(?:(?<!\d)(\d{1,2})\s*(?:من\s+)?)?"  # 2 نوفمبر, 2 من نوفمبر, or the month alone
        rf"({month})"
        rf"(?:\s*[/(\-–]\s*{month}\s*\)?)?"  # نوفمبر/تشرين الثاني, نوفمبر (تشرين الثاني)
        r"\s*[,،.]?\s*(\d{4})(?!\d)")
    month_day_year = re.compile(rf"({month})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)")
    return day_month_year, month_day_year


def iso_day(written: str | None) -> str | None:
    """``YYYY-MM-DD`` (or ``YYYY-MM``, ``YYYY`` when that is all it says) for a date as written,
    or None when it cannot be read (see the module's docstring for the forms read)."""
    if not written:
        return None
    text = written.translate(_DIGITS)
    match = _ISO.match(text)
    if match:
        year, month, day = match.groups()
        return _day(int(year), int(month) if month else None, int(day) if day else None)
    rfc = _rfc2822(text) if "," in text or ":" in text else None
    if rfc is not None and rfc[0] >= 1000:
        return _day(rfc[0], rfc[1], rfc[2])
    for pattern, order in ((_DAY_FIRST, (2, 1, 0)), (_YEAR_FIRST, (0, 1, 2))):
        match = pattern.search(text)
        if match:
            year, month, day = (int(match.group(i + 1)) for i in order)
            return _day(year, month, day)
    return _named_day(_fold(written))


def _named_day(folded: str) -> str | None:
    day_month_year, month_day_year = _named_patterns()
    match = day_month_year.search(folded)
    if match:
        day, name, year = match.groups()
        return _day(int(year), month_numbers()[" ".join(name.split())], int(day) if day else None)
    match = month_day_year.search(folded)
    if match:
        name, day, year = match.groups()
        return _day(int(year), month_numbers()[" ".join(name.split())], int(day))
    return None


def _day(year: int, month: int | None, day: int | None) -> str | None:
    """The ISO text of a date that exists (no 31 November, no month or day 00), as precise as
    it was written."""
    if month == 0 or day == 0 or (day is not None and month is None):
        return None  # a written 00 is no month (or day), not a missing one
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return None
    parts = [f"{year:04d}"] + [f"{p:02d}" for p in (month, day) if p]
    return "-".join(parts)


def bound(text: str | None, name: str) -> str | None:
    """A user's ``--from``/``--to`` (``2024``, ``2024-10``, ``2024-10-19``) as a day prefix;
    ValueError saying what is expected otherwise."""
    if text is None or not str(text).strip():
        return None
    day = iso_day(str(text))
    if day is None or str(text).strip().translate(_DIGITS) != day:
        raise ValueError(f"the {name} date must be written YYYY, YYYY-MM or YYYY-MM-DD, "
                         f"not {text!r}")
    return day


def within(day: str | None, start: str | None, end: str | None) -> bool:
    """Whether an article's day falls in [start, end]; bounds are prefixes, so ``--to 2024-10``
    takes all of October."""
    if day is None:
        return start is None and end is None
    return (start is None or day[:len(start)] >= start) and (end is None or day[:len(end)] <= end)


def _rfc2822(text: str):
    """email.utils' reading of an RFC 2822 date, imported on first use: the email package
    costs a search process's start 17 ms, and most archives' dates are ISO."""
    from email.utils import parsedate_tz

    return parsedate_tz(text)
