"""The engine protocol's search-server operations, on every engine: exact facets (articles per
entity over all hits, equal to what a filter on the entity keeps, after deletions too), their
cut per type, the hits' months, and the article evidence asked for the candidates only."""

from collections import Counter

import pytest

from archive import Archive
from archive.article_evidence import ARTICLE_REACH, NEIGHBOURS, query_terms
from archive.engines import query as eq
from archive.engines.base import top_counts
from archive.entities.catalogue import TYPES
from archive.query import parse
from conftest import write_jsonl

PLACES = ["كورسك", "خاركيف", "موسكو", "كييف", "دمشق", "بغداد"]


def _articles(version: int) -> list[dict]:
    """Thirty dated articles of several passages naming places in a varying mix; ``version`` 2
    rewrites a few (an incremental build then deletes their old passages)."""
    records = []
    for number in range(30):
        paragraphs = []
        for part in range(3 + number % 3):
            first, second = PLACES[(number + part) % 6], PLACES[(number * 2 + part) % 6]
            verb = "قصف" if (number + part) % 2 else "هدوء"
            paragraphs.append(f"{verb} في مدينة {first} صباح اليوم. وصل الوفد إلى {second} مساء.")
        if version == 2 and number % 7 == 0:
            paragraphs = ["تغير النص كله: قصف في مدينة بغداد."]
        records.append({"id": f"a{number:02d}", "title": "ت",
                        "date": f"2024-{1 + number % 4:02d}-{1 + number % 27:02d}",
                        "text": "\n\n".join(paragraphs)})
    return records


@pytest.fixture(scope="module")
def places(tmp_path_factory, engine):
    """An archive built in two generations (the second rewrites some articles)."""
    folder = tmp_path_factory.mktemp("places")
    with Archive.open(folder / "ix", create=True) as archive:
        archive.index([write_jsonl(folder / "feed.jsonl", _articles(1))])
    with Archive.open(folder / "ix") as archive:
        archive.index([write_jsonl(folder / "feed.jsonl", _articles(2))])
        yield archive


def _all_hits(archive, query, **options):
    total = archive.search(query, facets=0, highlight=False, **options).total
    return archive.search(query, limit=max(1, total), facets=0, highlight=False, **options).hits


def _truth(hits) -> Counter:
    """Entity id → distinct articles among ``hits`` mentioning it, counted from the hits."""
    return Counter(e["id"] for e in {(h.doc_id, e["id"]): e for h in hits
                                     for e in h.entities}.values())


@pytest.mark.parametrize("query", ["مدينة", "قصف", "كورسك", "قصف -موسكو"])
def test_facet_counts_are_exact_and_equal_what_a_filter_keeps(places, query):
    truth = _truth(_all_hits(places, query))
    assert truth, "the query must mention places"
    facets = places.search(query, facets=100).facets
    counted = {e.id: e.count for kind in TYPES for e in facets.get(kind, [])}
    assert counted == dict(truth)
    for entity_id, count in counted.items():
        kind = entity_id.split(":")[0]
        kept = _all_hits(places, query, filters={kind: [entity_id]})
        assert len({h.doc_id for h in kept}) == count, entity_id


def test_facets_count_what_an_exclusion_leaves(places):
    left = _truth(_all_hits(places, "مدينة", exclude={"place": ["كورسك"]}))
    facets = places.search("مدينة", facets=100, exclude={"place": ["كورسك"]}).facets
    assert {e.id: e.count for e in facets["place"]} == dict(left)
    assert not any("كورسك" in e.name for e in facets["place"])


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_engine_facets_are_the_top_of_each_type_with_their_ties(places, limit):
    searcher = places._searcher
    with searcher.pinned() as reader:
        tree, _ = searcher.build(parse("مدينة"))
        found = reader.match(tree)
        cut = found.facets(limit, searcher.tagger.entity_type, TYPES)
        expected = top_counts(_truth(_all_hits(places, "مدينة")), limit,
                              searcher.tagger.entity_type, TYPES)
    assert cut == expected
    assert len(cut["place"]) >= limit and not cut["person"]


def test_months_count_the_hits_articles(places):
    hits = _all_hits(places, "قصف")
    months = Counter(day[:7] for day in {h.doc_id: h.day for h in hits}.values())
    assert places.search("قصف", months=True).months == [
        {"month": month, "count": months[month]} for month in sorted(months)]


def test_article_evidence_answers_for_the_candidates(places):
    searcher = places._searcher
    with searcher.pinned() as reader:
        tree, terms = searcher.build(parse("قصف موسكو"))
        candidates = reader.match(tree).top(20)
        asked = query_terms(terms.stems, terms.exact)
        gathered = reader.article_evidence([ref for _, ref in candidates], asked)
        holders = [{(p["doc_id"], p["position"]) for p in map(reader.passage, (
            ref for _, ref in reader.match(eq.Term(t.field, t.text)).top(10_000)))}
            for t in asked]
        places_of = [(p["doc_id"], p["position"]) for p in (reader.passage(r) for _, r in candidates)]
    assert gathered is not None and len(gathered.rows) == len(candidates)
    assert all(w > 0 for w in gathered.weights)

    def within(reach, doc_id, position):
        return frozenset(i for i, held in enumerate(holders)
                         if any(d == doc_id and abs(p - position) <= reach for d, p in held))

    expected = [(within(0, *place), within(NEIGHBOURS, *place), within(ARTICLE_REACH, *place))
                for place in places_of]
    assert gathered.rows == expected
    assert any(row[0] != row[2] for row in expected)  # some evidence comes from the article
