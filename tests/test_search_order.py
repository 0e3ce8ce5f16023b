"""Excluding entities and ordering hits by date, on a real index."""

import pytest

from archive.api import ArchiveError
from conftest import indexed

ARTICLES = [
    {"id": "putin-new", "title": "ت", "date": "2024-10-03",
     "text": "قال فلاديمير بوتين إن المعارك في كورسك مستمرة."},
    {"id": "zelensky-mid", "title": "ت", "date": "2024-09-01",
     "text": "زار زيلينسكي خاركيف وتحدث عن كورسك."},
    {"id": "both-old", "title": "ت", "date": "2023-01-15",
     "text": "بوتين وزيلينسكي والمعارك في كورسك كورسك كورسك."},
    {"id": "undated", "title": "ت",
     "text": "تقرير عن كورسك كورسك كورسك كورسك بلا تاريخ."},
    {"id": "plain-mid", "title": "ت", "date": "2024-09-01",
     "text": "هدوء حذر في كورسك."},
]


@pytest.fixture()
def dated(tmp_path):
    with indexed(tmp_path, ARTICLES) as archive:
        yield archive


def ids(results):
    return [h.doc_id for h in results.hits]


def test_exclude_drops_every_passage_mentioning_the_entity(dated):
    everything = set(ids(dated.search("كورسك")))
    assert everything == {a["id"] for a in ARTICLES}
    without_putin = dated.search("كورسك", exclude={"person": ["بوتين"]})
    assert set(ids(without_putin)) == everything - {"putin-new", "both-old"}
    assert without_putin.total == 3
    people = {row.id: row.count for row in without_putin.facets["person"]}
    assert "person:vladimir-putin" not in people
    assert people == {"person:volodymyr-zelensky": 1}


def test_exclude_combines_with_filters_and_resolves_names_like_them(dated):
    results = dated.search("كورسك", filters={"person": ["زيلينسكي"]},
                           exclude={"person": ["فلاديمير بوتين"]})
    assert ids(results) == ["zelensky-mid"]
    assert set(ids(dated.search("", exclude={"place": ["خاركيف"]}))) == {
        "putin-new", "both-old", "undated", "plain-mid"}
    with pytest.raises(ArchiveError, match="no person named"):
        dated.search("كورسك", exclude={"person": ["لا أحد بهذا الاسم"]})


def test_sort_by_date_newest_or_oldest_first_undated_last(dated):
    relevance = ids(dated.search("كورسك"))
    assert relevance[0] in {"undated", "both-old"}  # most occurrences
    newest = ids(dated.search("كورسك", sort="date"))
    assert newest[0] == "putin-new" and newest[-2] == "both-old" and newest[-1] == "undated"
    oldest = ids(dated.search("كورسك", sort="oldest"))
    assert oldest[0] == "both-old" and oldest[-1] == "undated" and oldest[-2] == "putin-new"
    # the two articles of 2024-09-01 tie on date: the more relevant first, in both orders
    relevance_mid = [d for d in relevance if d in {"zelensky-mid", "plain-mid"}]
    assert [d for d in newest if d in {"zelensky-mid", "plain-mid"}] == relevance_mid
    assert [d for d in oldest if d in {"zelensky-mid", "plain-mid"}] == relevance_mid


def test_sort_pages_follow_the_same_order(dated):
    whole = ids(dated.search("كورسك", sort="oldest", limit=5))
    paged = [d for page in (1, 2, 3) for d in ids(dated.search("كورسك", sort="oldest", limit=2, page=page))]
    assert paged == whole


def test_unknown_sort_is_refused(dated):
    with pytest.raises(ValueError, match="unknown sort"):
        dated.search("كورسك", sort="random")
