"""Searching: ranking, query syntax, highlights, paging, counting."""

import pytest

from archive.arabic import normalize
from conftest import indexed, write_jsonl


def test_kursk_finds_passages_from_three_articles(seed_archive):
    results = seed_archive.search("كورسك")
    assert results.total == len(results.hits) >= 5
    assert {h.doc_id for h in results.hits} == {
        "000_5de6c0343d55195a", "001_b75fb6d3b10de464", "003_cc5a21bc2bd10a71"}
    for hit in results.hits:
        assert any(normalize(hit.text[s:e]).endswith("كورسك") for s, e in hit.highlights)


@pytest.fixture()
def small(tmp_path):
    with indexed(tmp_path, [
        {"id": "both", "title": "ت", "text": "هاجمت المسيرات مدينة كورسك وخاركيف ليلا."},
        {"id": "kursk", "title": "ت", "text": "معارك عنيفة في كورسك."},
        {"id": "kharkiv", "title": "ت", "text": "قصف مدفعي على خاركيف."},
        {"id": "clitic", "title": "ت", "text": "تعزيزات روسية لكورسك وصلت. الوضع في كورسك هادئ."},
        {"id": "phrase", "title": "ت", "text": "وصل الوفد إلى مدينة كورسك الروسية."},
    ]) as archive:
        yield archive


def doc_ids(results):
    return [h.doc_id for h in results.hits]


def test_all_words_rank_first_but_partial_matches_still_appear(small):
    ranked = doc_ids(small.search("كورسك خاركيف"))
    assert ranked[0] == "both"
    assert set(ranked) == {"both", "kursk", "kharkiv", "clitic", "phrase"}


def test_phrase_or_and_not(small):
    assert set(doc_ids(small.search('"مدينة كورسك"'))) == {"both", "phrase"}
    assert set(doc_ids(small.search("قصف OR معارك"))) == {"kursk", "kharkiv"}
    assert "both" not in doc_ids(small.search("كورسك -خاركيف"))
    assert doc_ids(small.search("كورسك NOT خاركيف")) == doc_ids(small.search("كورسك -خاركيف"))
    assert set(doc_ids(small.search("-كورسك"))) == {"kharkiv"}


def test_query_words_are_analysed_like_the_text(small):
    assert "clitic" in doc_ids(small.search("كورسك"))
    assert "kursk" in doc_ids(small.search("بكورسك"))  # a clitic in the query too
    assert set(doc_ids(small.search("كُورْسك"))) == set(doc_ids(small.search("كورسك")))


@pytest.mark.parametrize("query", [
    '"كورسك', 'كورسك"', "OR", "NOT", "-", "كورسك OR", "AND كورسك", "((كورسك", '""', "***",
    "كورسك -", "'", "\\", "كورسك)" , "NOT NOT", "OR OR كورسك", "«كورسك", "",
])
def test_broken_queries_are_searched_as_text(small, query):
    results = small.search(query)
    assert results.total >= 0
    if "كورسك" in query:
        assert results.total > 0


def test_highlights_are_offsets_into_the_original_text(small):
    hit = next(h for h in small.search("كورسك").hits if h.doc_id == "clitic")
    assert [hit.text[s:e] for s, e in hit.highlights] == ["لكورسك", "كورسك"]
    phrase = small.search('"مدينة كورسك"').hits[0]
    assert [phrase.text[s:e] for s, e in phrase.highlights] == ["مدينة كورسك"]


def test_paging_and_total(small):
    everything = doc_ids(small.search("كورسك", limit=10))
    page1 = small.search("كورسك", limit=2, page=1)
    page2 = small.search("كورسك", limit=2, page=2)
    assert page1.total == page2.total == len(everything) == 4
    assert doc_ids(page1) + doc_ids(page2) == everything
    assert [h.rank for h in page2.hits] == [3, 4]
    assert small.search("كورسك", limit=2, page=9).hits == []


def test_results_show_original_text_and_article_fields(seed_archive):
    hit = seed_archive.search("بيسكوف").hits[0]
    assert "ديمتري" in hit.text or "دميتري" in hit.text
    assert hit.title and hit.doc_id.startswith(("001", "004"))
    dated = [h for h in seed_archive.search("بيسكوف").hits if h.doc_id.startswith("001")]
    assert dated[0].date == "2024-10-19T09:10:13" and dated[0].source == "aljazeera.com"


def test_phrases_need_the_words_side_by_side_in_order(tmp_path):
    with indexed(tmp_path, [
        {"id": "exact", "title": "ت", "text": "أعلن البيت الأبيض أمس."},
        {"id": "apart", "title": "ت", "text": "البيت القديم الأبيض."},
        {"id": "reversed", "title": "ت", "text": "الأبيض البيت."},
        {"id": "twice", "title": "ت", "text": "البيت الأبيض ثم البيت الأبيض مرة أخرى."},
    ]) as archive:
        results = archive.search('"البيت الأبيض"')
        assert doc_ids(results) == ["twice", "exact"]  # two occurrences outrank one
        assert results.total == 2
        near = doc_ids(archive.search("البيت الأبيض"))
        assert set(near) == {"exact", "apart", "reversed", "twice"}
        assert near.index("apart") < near.index("reversed")  # in order within 3 words


@pytest.mark.whoosh_only
def test_block_ranking_agrees_with_whoosh_across_segments_and_deletions(tmp_path, small):
    """The posting-block scorer is an optimisation of Whoosh's own BM25F: same passages, same
    scores, also over several segments and after articles are replaced (deletions)."""
    from whoosh import query as wq

    from archive.engines.whoosh import ranking
    from archive.engines.whoosh.reader import to_whoosh

    feed = write_jsonl(tmp_path / "more.jsonl", [
        {"id": "kursk", "title": "ت", "text": "هدوء في كورسك بعد معارك عنيفة في كورسك."},
        {"id": "new", "title": "ت", "text": "قصف على مدينة كورسك وخاركيف."},
    ])
    small.index([feed])  # a second segment; the first loses its old "kursk"
    searcher = small.store.searcher()
    assert len(searcher.leaf_searchers()) >= 2
    assert any(leaf.reader().has_deletions() for leaf, _ in searcher.leaf_searchers())
    for text in ("كورسك", "كورسك خاركيف", "معارك OR قصف", "كورسك -خاركيف"):
        tree, _ = small._searcher.build(parse_query(text))
        q = _comparable(to_whoosh(tree))
        ours, _ = ranking.rank(q, searcher, None, 10)
        theirs = {hit.docnum: hit.score for hit in searcher.search(q, limit=None)}
        assert ours.keys() == theirs.keys(), text
        assert all(abs(ours[d] - theirs[d]) < 1e-4 * max(1, theirs[d]) for d in ours), text
    phrase = wq.Phrase("exact", [normalize("مدينة"), normalize("كورسك")])
    assert set(ranking.score_tree(phrase, searcher, [])) == set(searcher.docs_for_query(phrase))


@pytest.mark.whoosh_only
def test_phrase_checks_on_long_posting_lists_read_the_right_blocks(tmp_path):
    """Phrase and proximity checks over a subset of passages skip posting blocks that cannot
    hold one of them; over lists of several blocks they still find exactly Whoosh's phrases."""
    from whoosh import query as wq

    from archive.engines.whoosh import ranking

    texts = ["أعلن البيت الأبيض اليوم.", "البيت القديم الأبيض.", "الأبيض البيت."]
    with indexed(tmp_path, [{"id": f"a{i:03}", "title": "ت", "text": f"الخبر {i}: {texts[i % 3]}"}
                            for i in range(390)]) as archive:
        searcher = archive.store.searcher()
        words = [archive.analyzer.term(w).exact for w in ("البيت", "الأبيض")]
        whole = set(searcher.docs_for_query(wq.Phrase("exact", words)))
        assert len(whole) == 130
        assert set(ranking.phrase_counts(searcher, "exact", words, 1)) == whole
        some = set(sorted(searcher.docs_for_query(wq.Term("kind", "passage")))[::7])
        assert set(ranking.phrase_counts(searcher, "exact", words, 1, within=some)) == whole & some
        near = set(ranking.phrase_counts(searcher, "exact", words, 3, within=some))
        apart = {hit.docnum for hit in searcher.search(wq.Phrase("exact", words, slop=3), limit=None)}
        assert near == apart & some and len(near) > len(whole & some)


def parse_query(text):
    from archive.query import parse

    return parse(text)


def _comparable(q):
    """The query without the parts we score on purpose unlike Whoosh: the proximity phrase (a
    rerank of the top candidates) and entity terms (Whoosh gives an unscorable field a
    constant; we weight a rare entity by its idf)."""
    from whoosh import query as wq

    def kept(sub):
        return not ((isinstance(sub, wq.Phrase) and sub.slop > 1)
                    or (isinstance(sub, wq.Term) and sub.fieldname == "entities"))

    if isinstance(q, (wq.Or, wq.And)):
        return q.__class__([_comparable(s) for s in q.subqueries if kept(s)], boost=q.boost)
    if isinstance(q, wq.AndNot):
        return wq.AndNot(_comparable(q.a), q.b)
    return q


def test_a_repeated_query_sees_what_was_indexed_in_between(tmp_path, small):
    """Recent matches are kept for paging; a change to the index must not be hidden by them."""
    before = small.search("كورسك", facets=5)
    feed = write_jsonl(tmp_path / "late.jsonl", [
        {"id": "late", "title": "ت", "text": "وصلت تعزيزات جديدة إلى كورسك."}])
    small.index([feed])
    after = small.search("كورسك", facets=5)
    assert after.total == before.total + 1
    assert "late" in doc_ids(after)
    kursk = lambda results: next(f.count for f in results.facets["place"]  # noqa: E731
                                 if f.name == "كورسك")
    assert kursk(after) == kursk(before) + 1
