"""Article dates as written in, comparable days out: what the date filter (``--from``/``--to``)
and the month histogram of a search compare.

An article keeps its date as the source wrote it (``2024-10-19T09:10:13``, ``19/10/2024``); only
these comparisons read it as a day. A date we cannot read is no date: such an article is left out
when a date filter is set, and counted under no month.
"""

from __future__ import annotations

import re

_ISO = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?![\d])")
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)


def iso_day(written: str | None) -> str | None:
    """``YYYY-MM-DD`` (or ``YYYY-MM``, ``YYYY`` when that is all it says) for a date as written:
    ISO forms, and day-first ``DD/MM/YYYY`` as Arabic news writes it; Arabic-Indic digits too."""
    if not written:
        return None
    text = written.translate(_DIGITS)
    match = _ISO.match(text)
    if match:
        parts = [match.group(1)] + [f"{int(p):02d}" for p in match.groups()[1:] if p]
    else:
        match = _DAY_FIRST.match(text)
        if not match:
            return None
        day, month, year = match.groups()
        parts = [year, f"{int(month):02d}", f"{int(day):02d}"]
    if len(parts) > 1 and not 1 <= int(parts[1]) <= 12 or len(parts) > 2 and not 1 <= int(parts[2]) <= 31:
        return None
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
