"""Arabic number agreement and dates for people, as the pages write them."""

from __future__ import annotations

import pytest

from archive.wording import category, counted, human_date, month_name


@pytest.mark.parametrize("n, expected", [
    (0, "لا مقاطع"), (1, "1 مقطع"), (2, "مقطعان"), (3, "3 مقاطع"), (10, "10 مقاطع"),
    (11, "11 مقطعًا"), (53, "53 مقطعًا"), (99, "99 مقطعًا"), (100, "100 مقطع"),
    (101, "101 مقطع"), (102, "102 مقطع"), (103, "103 مقاطع"), (111, "111 مقطعًا"),
    (1000, "1,000 مقطع"), (1005, "1,005 مقاطع"), (2013, "2,013 مقطعًا"),
])
def test_a_count_takes_the_form_arabic_asks_for(n, expected):
    assert counted(n, "passage") == expected


def test_feminine_and_adjective_forms():
    assert [counted(n, "page") for n in (1, 2, 4, 12)] == ["1 صفحة", "صفحتان", "4 صفحات", "12 صفحةً"]
    assert [counted(n, "article") for n in (2, 5, 20)] == ["مقالان", "5 مقالات", "20 مقالًا"]
    assert [counted(n, "more_passage") for n in (1, 2, 3, 11)] == [
        "1 مقطع آخر", "مقطعان آخران", "3 مقاطع أخرى", "11 مقطعًا آخر"]


def test_categories_follow_the_last_two_digits():
    assert [category(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 110, 199, 200)] == [
        "zero", "one", "two", "few", "few", "many", "many", "other", "other", "few", "many",
        "other"]


def test_dates_for_people():
    assert human_date("2024-10-19T09:10:13") == "19 أكتوبر 2024"
    assert human_date("2024-01-05") == "5 يناير 2024"
    assert human_date("19/10/2024") == "19 أكتوبر 2024"  # day first, as Arabic news writes it
    assert human_date("2024-10") == "أكتوبر 2024" == month_name("2024-10")
    assert human_date("2024") == "2024"
    assert human_date("الأحد الماضي") == "الأحد الماضي"  # unreadable: shown as written
    assert human_date(None) is None and human_date("") is None
