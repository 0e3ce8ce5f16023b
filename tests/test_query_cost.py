"""What makes a query cheap changes no answer (issue 22): highlights found through the per-query
memo equal those found word by word, stored documents kept parsed by a reader are handed out as
copies, and the engine's own facets equal the facets counted from every hit."""

from collections import Counter

import pytest

from archive import Archive
from archive.arabic import tokenize
from archive.query import parse
from archive.search import _merge, highlight

QUERIES = ["كورسك", "لكورسك خاركيف", "بوتين", "الروسية", "في", '"مدينة كورسك"', '"في كورسك"',
           "القوات الكورية الشمالية", '"القوات الروسية" أوكرانيا', "صاروخ باليستي"]


def highlight_word_by_word(text, terms, analyzer):
    """The reference: every word of the passage read afresh, every phrase tried at every word."""
    spans = list(tokenize(text))
    readings = [analyzer.candidates(s.surface) for s in spans]
    marked = [[s.start, s.end] for s, (exacts, stems) in zip(spans, readings)
              if exacts & terms.exact or stems & terms.stems]
    for phrase in terms.phrases:
        n = len(phrase)
        marked += [[spans[i].start, spans[i + n - 1].end] for i in range(len(spans) - n + 1)
                   if all(phrase[k] in readings[i + k][0] for k in range(n))]
    return _merge(marked)


def every_passage(archive):
    reader = archive._searcher.reader()
    return [p["text"] for doc_id in sorted(reader.store.manifest())
            for p in reader.passages_of(doc_id)]


@pytest.mark.parametrize("query", QUERIES)
def test_highlights_equal_the_word_by_word_reading(seed_indexes, query):
    with Archive.open(seed_indexes("whoosh")) as archive:
        searcher = archive._searcher
        _, terms = searcher.build(parse(query))
        passages = every_passage(archive)
        assert len(passages) > 40
        marked = 0
        for text in passages:
            expected = highlight_word_by_word(text, terms, archive.analyzer)
            assert highlight(text, terms, archive.analyzer) == expected, text
            marked += bool(expected)
        assert marked, f"{query!r} marks no passage: the comparison says nothing"


def test_a_phrase_at_the_end_of_a_passage_and_a_repeated_word(seed_indexes):
    with Archive.open(seed_indexes("whoosh")) as archive:
        _, terms = archive._searcher.build(parse('"مدينة كورسك" كورسك'))
        text = "كورسك، كورسك ثم مدينة كورسك"
        assert highlight(text, terms, archive.analyzer) == [[0, 5], [7, 12], [16, 27]]
        assert highlight(text, terms, archive.analyzer) == highlight_word_by_word(
            text, terms, archive.analyzer)


def test_tantivy_keeps_parsed_documents_but_hands_out_copies(seed_indexes):
    with Archive.open(seed_indexes("tantivy")) as archive:
        hit = archive.search("كورسك", facets=0).hits[0]
        reader = archive._searcher.reader()
        article = reader.article(hit.doc_id)
        article["title"] = "changed"
        assert reader.article(hit.doc_id)["title"] == hit.title != "changed"
        assert reader.article("no such article") is None
        ref = reader.match(archive._searcher.build(parse("كورسك"))[0]).top(1)[0][1]
        passage = reader.passage(ref)
        passage["text"] = "changed"
        assert reader.passage(ref)["text"] == hit.text


@pytest.mark.parametrize("engine_name", ["whoosh", "tantivy"])
@pytest.mark.parametrize("query", ["كورسك", "في", "بوتين", "القوات"])
def test_engine_facets_equal_the_facets_counted_from_every_hit(seed_indexes, engine_name, query):
    with Archive.open(seed_indexes(engine_name)) as archive:
        seen: list = []
        for limit in (1, 2, 5):
            engine_cut = archive.search(query, facets=limit).facets.to_dict()
            counted = archive.search(query, facets=limit,
                                     on_match=lambda reader, hits: seen.append(hits)).facets.to_dict()
            assert engine_cut == counted
        assert seen, "the counted path was not taken"
        full = Counter({e.id: e.count for items in archive.search(query, facets=100).facets.values()
                        for e in items})
        assert full and all(e.count == full[e.id] for items in
                            archive.search(query, facets=2).facets.values() for e in items)


@pytest.mark.parametrize("query, text", [
    ("صاروخ", "أطلقت الصواريخ، ثم صاروخ واحد، وبالصواريخ"),
    ("الصواريخ", "صاروخ وصواريخ ومدافع"),
    ("مدفع", "قصفت المدافع والمدفع"),
    ("ذخيرة", "نفدت الذخائر والذخيرة"),
])
def test_broken_plurals_are_highlighted_without_reading_every_word(seed_indexes, query, text):
    with Archive.open(seed_indexes("whoosh")) as archive:
        _, terms = archive._searcher.build(parse(query))
        expected = highlight_word_by_word(text, terms, archive.analyzer)
        assert len(expected) >= 2
        assert highlight(text, terms, archive.analyzer) == expected


def test_a_passage_without_the_query_words_gets_no_highlight(seed_indexes):
    with Archive.open(seed_indexes("whoosh")) as archive:
        _, terms = archive._searcher.build(parse("كورسك"))
        assert highlight("قصف مدفعي على خاركيف", terms, archive.analyzer) == []
        assert highlight("قُصِفَت كُورْسك", terms, archive.analyzer) == [[8, 15]]


def test_one_table_normalizes_every_character_as_pyarabic_step_by_step(corpus):
    from archive.arabic import normalize, normalize_with_pyarabic

    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    assert [c for c in characters if normalize(c) != normalize_with_pyarabic(c)] == []
    texts = [path.read_text("utf-8") for path in sorted(corpus.glob("*.txt"))]
    texts.append("الْعَرَبِيّةُ أُمّ إِيمان آمِنة سُؤال قائِد ـــ ٢٠٢٤ Hwasong‑11 ΟΣ")
    assert all(normalize(t) == normalize_with_pyarabic(t) for t in texts)
    assert normalize("أُسْـــامة") == "اسامه"


NAMING = ["روته", "بوتين", "كيم جونج أون", '"بيونج يانج"', "الأمم المتحدة", "كورسك",
          "إدوارد هاول", "صواريخ باليستية", "بيسكوف"]


@pytest.mark.parametrize("engine_name", ["whoosh", "tantivy"])
def test_entity_names_marked_from_stored_mentions_equal_the_catalogue_pass(seed_indexes, engine_name):
    """A hit tagged with an entity the query names marks that entity's names: found from its
    article's stored spellings, they are the spans the tagger's catalogue pass finds in the
    passage, merged with the query words' highlights, for every hit of these queries."""
    with Archive.open(seed_indexes(engine_name)) as archive:
        searcher, named_hits = archive._searcher, 0
        for query in NAMING:
            _, terms = searcher.build(parse(query))
            assert terms.entities, f"{query!r} names no entity: the comparison says nothing"
            for hit in archive.search(query, limit=100, facets=0).hits:
                named = terms.entities & {e["id"] for e in hit.entities}
                names = [[m.start, m.end] for m in archive.tagger.find_names(hit.text)
                         if m.entity_id in named]
                named_hits += bool(names)
                expected = _merge(highlight(hit.text, terms, archive.analyzer) + names)
                assert hit.highlights == expected, (query, hit.text)
        assert named_hits > 20


PROXIMITY_QUERIES = ["القوات الكورية الشمالية", "بوتين كيم", "صاروخ باليستي جديد", "مدينة كورسك الروسية"]


def test_a_proximity_phrase_rewards_the_same_candidates_fetched_whole_or_asked_for_them(
        seed_indexes, monkeypatch):
    """Tantivy's proximity reward: the phrase's matches fetched whole (few) or asked for the
    candidates alone (many, PHRASE_FETCH exceeded) reward the same passages in the same order."""
    from archive.engines.tantivy import reader as tantivy_reader

    with Archive.open(seed_indexes("tantivy")) as archive:
        def ranking(query):
            archive._searcher._recent.clear()
            return [(h.doc_id, h.position, round(h.score, 6))
                    for h in archive.search(query, limit=30, facets=0).hits]

        fetched = {query: ranking(query) for query in PROXIMITY_QUERIES}
        monkeypatch.setattr(tantivy_reader, "PHRASE_FETCH", 0)
        asked = {query: ranking(query) for query in PROXIMITY_QUERIES}
        reader = archive._searcher.reader()
        rewarded = 0
        for query in PROXIMITY_QUERIES:
            tree, _ = archive._searcher.build(parse(query))
            rewarded += sum(reader.match(phrase).total for phrase in reader.match(tree).deferred)
    assert fetched == asked and all(fetched.values())
    assert rewarded, "no passage holds a proximity phrase: the comparison says nothing"


def test_article_evidence_is_the_same_from_a_terms_passages_fetched_whole_or_asked_for(
        seed_indexes, monkeypatch):
    """Tantivy's article evidence: a term's passages fetched whole (few) or asked for within
    the candidates' articles (many, EVIDENCE_FETCH exceeded) give the same rows."""
    from archive.article_evidence import query_terms
    from archive.engines.tantivy import reader as tantivy_reader

    with Archive.open(seed_indexes("tantivy")) as archive:
        searcher = archive._searcher
        with searcher.pinned() as reader:
            asked = []
            for query in PROXIMITY_QUERIES + ["كورسك", "بوتين"]:
                tree, terms = searcher.build(parse(query))
                refs = [ref for _, ref in reader.match(tree).top(50)]
                asked.append((refs, query_terms(terms.stems, terms.exact)))
            fetched = [reader.article_evidence(refs, terms) for refs, terms in asked]
            monkeypatch.setattr(tantivy_reader, "EVIDENCE_FETCH", 0)
            restricted = [reader.article_evidence(refs, terms) for refs, terms in asked]
    assert fetched == restricted
    assert any(row[0] != row[2] for gathered in fetched for row in gathered.rows)


@pytest.mark.parametrize("engine_name", ["whoosh", "tantivy"])
def test_a_pages_articles_read_at_once_equal_those_read_one_by_one(seed_indexes, engine_name):
    """``Reader.articles`` (one search for a page's articles on Tantivy): the same fields as
    ``article`` for each id, an unknown id left out, copies handed out."""
    path = seed_indexes(engine_name)
    with Archive.open(path) as one_by_one:
        ids = sorted(one_by_one._searcher.reader().store.manifest())
        expected = {doc_id: one_by_one._searcher.reader().article(doc_id) for doc_id in ids}
    assert len(expected) == 5 and all(expected.values())
    with Archive.open(path) as archive:
        reader = archive._searcher.reader()
        read = reader.articles(ids[::-1] + ["no such article"] + ids[:2])
        assert read == expected
        read[ids[0]]["title"] = "changed"
        assert reader.articles(ids)[ids[0]]["title"] == expected[ids[0]]["title"]
