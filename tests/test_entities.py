"""Entities: tagging with clitics and spelling variants, the Kim case, context rules,
coreference, facets, filters, entity pages and `archive tag`."""

import json
import shutil

import pytest

from archive.entities.tagger import Tagger
from conftest import run_cli, run_json


@pytest.fixture(scope="module")
def tagger():
    return Tagger()


def tagged(tagger, text):
    return [(m.entity_id, m.text) for m in tagger.tag(text)]


def test_clitics_are_outside_the_reported_span(tagger):
    text = "وصلت القوات لكورسك وبوتين يراقب، ثم عادت بالصواريخ الباليستية"
    found = dict((t, i) for i, t in tagged(tagger, text))
    assert found["كورسك"] == "place:city:538560"
    assert found["بوتين"] == "person:vladimir-putin"
    assert found["الصواريخ الباليستية"] == "weapon:ballistic-missile"
    for m in tagger.tag(text):
        assert text[m.start:m.end] == m.text


@pytest.mark.parametrize("spellings", [
    ["بيونغ يانغ", "بيونج يانج", "بيونغيانغ"],
    ["مارك روتي", "مارك روته"],
    ["ديمتري بيسكوف", "دميتري بيسكوف"],
    ["كيم جونغ أون", "كيم جونج أون", "كيم جونغ اون"],
    ["Hwasong-11", "KN-23", "هواسونغ-11"],
    ["أتاكمز", "ATACMS"],
])
def test_spellings_resolve_to_one_entity(tagger, spellings):
    ids = {tagger.tag(f"قال التقرير إن {s} في الخبر")[0].entity_id for s in spellings}
    assert len(ids) == 1


def test_an_unlisted_spelling_resolves_by_its_skeleton(tagger):
    (mention,) = tagger.tag("زار بيونجيانغ أمس")
    assert (mention.entity_id, mention.rule) == ("place:city:1871859", "variant")


def test_kims_are_never_merged(tagger):
    ids = {m.text: m.entity_id for m in tagger.tag(
        "التقى كيم جونغ أون في حين قال كيم مين سوك وكيم يونغ هيون إن الاتفاق قائم")}
    assert len({ids["كيم جونغ أون"], ids["كيم مين سوك"], ids["كيم يونغ هيون"]}) == 3


def test_a_bare_kim_is_the_kim_of_the_article_and_only_if_there_is_one(tagger):
    one = tagger.tag("أصبح الزعيم كيم جونغ أون حليفا لبوتين. وقع كيم وبوتين اتفاقية دفاع.")
    bare = [m for m in one if m.text == "كيم"]
    assert [(m.entity_id, m.rule) for m in bare] == [("person:kim-jong-un", "coreference")]
    two = tagger.tag("زار كيم جونغ أون موسكو، وقال كيم يونغ هيون إن كيم لم يعلق.")
    assert not [m for m in two if m.text == "كيم"]


def test_a_surname_alone_follows_the_full_name(tagger):
    text = "وقال إدوارد هاول، المحاضر في الجامعة: لا. وأضاف هاول أن الأمر خطير."
    assert [(m.entity_id, m.rule) for m in tagger.tag(text) if m.text == "هاول"][0][1] == "coreference"


def test_context_rules_find_entities_not_in_the_catalogue(tagger):
    text = ("قال وزير الدفاع النيوزيلندي جوديث كولينز إن جهاز الاستخبارات البحرية الكندية "
            "رصد صواريخ KN-25 جديدة.")
    found = {m.type: m for m in tagger.tag(text) if m.rule == "context"}
    assert found["person"].text == "جوديث كولينز"
    assert found["organization"].text == "جهاز الاستخبارات البحرية الكندية"
    assert found["weapon"].text == "KN-25"


def test_ordinary_words_are_not_places(tagger):
    text = "وكانت الدولة الجديدة في بيان عن أشهر ما جرى، وصور عالية الدقة تظهر إطار التعاون."
    assert [m for m in tagger.tag(text) if m.type == "place"] == []


def test_facets_on_a_search(seed_index):
    data = run_json("search", "صواريخ", "--index", seed_index)
    assert set(data["facets"]) == {"person", "place", "organization", "weapon"}
    assert all(data["facets"][kind] for kind in data["facets"])
    for hit in data["results"]:
        assert all({"id", "type", "name"} <= set(e) for e in hit["entities"])


def test_a_facet_count_is_the_articles_a_filter_keeps(seed_archive):
    results = seed_archive.search("صواريخ", facets=50)
    for kind, rows in results.facets.items():
        for row in rows[:3]:
            kept = seed_archive.search("صواريخ", limit=1000, filters={kind: [row.id]}, facets=0)
            assert len({h.doc_id for h in kept.hits}) == row.count


@pytest.mark.whoosh_only
def test_facet_counts_survive_a_missing_or_damaged_facets_file(seed_index, tmp_path):
    from archive import Archive

    copy = tmp_path / "index"
    shutil.copytree(seed_index, copy)
    with Archive.open(copy) as archive:
        expected = archive.search("صواريخ", facets=50).facets
    saved = sorted(copy.glob("*.fpairs"), key=lambda path: path.stat().st_size)
    assert len(saved) == 2, "a build leaves each segment's facets file"
    saved[0].unlink()
    data = saved[1].read_bytes()
    saved[1].write_bytes(data[:len(data) // 2 + 3])
    with Archive.open(copy) as archive:
        assert archive.search("صواريخ", facets=50).facets == expected
    with Archive.open(copy) as archive:  # from the rewritten files this time
        assert archive.search("صواريخ", facets=50).facets == expected
        assert archive.entities(limit=5) == Archive.open(seed_index).entities(limit=5)


def test_filter_by_any_spelling(seed_index):
    by_alias = run_json("search", "", "--place", "بيونج يانج", "--index", seed_index, "--limit", "100")
    by_name = run_json("search", "", "--place", "بيونغ يانغ", "--index", seed_index, "--limit", "100")
    assert by_alias["total"] == by_name["total"] > 0
    for hit in by_alias["results"]:
        assert "place:city:1871859" in {e["id"] for e in hit["entities"]}
    both = run_json("search", "صواريخ", "--person", "بوتين", "--place", "روسيا", "--index", seed_index)
    for hit in both["results"]:
        assert {"person:vladimir-putin", "place:country:ru"} <= {e["id"] for e in hit["entities"]}


def test_unknown_filter_name_is_a_clear_error(seed_index):
    result = run_cli("search", "صواريخ", "--place", "بيونغيان", "--index", seed_index, check=1)
    assert "no place named 'بيونغيان'" in result.stderr and "closest" in result.stderr
    assert "بيونغ يانغ" in result.stderr and "Traceback" not in result.stderr


def test_a_query_naming_an_entity_finds_its_other_spellings(seed_archive):
    texts = [h.text for h in seed_archive.search("روته", limit=20).hits]
    assert any("روتي" in t for t in texts) and any("روته" in t for t in texts)
    pyongyang = {h.text for h in seed_archive.search('"بيونج يانج"', limit=50).hits}
    assert any("بيونغ يانغ" in t for t in pyongyang)


def test_entity_page(seed_index):
    page = run_json("entity", "بوتين", "--index", seed_index)
    assert page["id"] == "person:vladimir-putin" and page["articles"] == 5
    assert "بوتين" in page["names_seen"]
    co_people = [row["id"] for row in page["co_mentions"]["person"]]
    assert "person:kim-jong-un" in co_people and "person:vladimir-putin" not in co_people
    assert page["passages"] and all("person:vladimir-putin" in {e["id"] for e in p["entities"]}
                                    for p in page["passages"])


def test_entities_command(seed_index):
    top = run_json("entities", "--type", "person", "--limit", "3", "--index", seed_index)
    assert list(top) == ["person"]
    assert top["person"][0] == {"id": "person:vladimir-putin", "name": "فلاديمير بوتين", "count": 5}


def test_tag_command_offsets_into_the_input_as_given(tmp_path):
    text = "\ufeffقال المتحدث باسم الكرملين دميتري بيسكوف لكورسك:\r\nوَصَلَ بوتين."
    source = tmp_path / "in.txt"
    source.write_text(text, "utf-8")
    from_file = json.loads(run_cli("tag", source, "--json", check=0).stdout)["entities"]
    from_stdin = json.loads(run_cli("tag", "--json", input=text, check=0).stdout)["entities"]
    assert from_file == from_stdin
    decoded = source.read_bytes().decode("utf-8-sig")  # line ends as given
    for e in from_file:
        assert decoded[e["start"]:e["end"]] == e["text"]
    assert [e["text"] for e in from_file] == ["الكرملين", "دميتري بيسكوف", "كورسك", "بوتين"]


JUNK_NAMES = """وقال المتحدث محاكمة اخرى حيث. وبدأت محاكمة اخرى في المدينة حيث يقيم الرئيس.
وقال الوزير اول حكومة كبير. وكانت اول حكومة في المنطقة حيث تعمل ثلاثة وزارات.
وأعلن الرئيس منطقة رئيس ثلاثة: ان هذه المنطقة مهمة، وقال رئيس الوزراء ان ثلاثة جنود قتلوا.
وقال المتحدث سامر زيدوني إن الحكومة ستجتمع. وأضاف زيدوني أن المنطقة آمنة."""


def test_common_words_never_become_people_through_context_or_coreference():
    from archive.entities.tagger import Tagger

    tagger = Tagger()
    mentions = tagger.tag(JUNK_NAMES)
    people = {m.text for m in mentions if m.type == "person"}
    for word in ("حيث", "اول", "منطقة", "حكومة", "رئيس", "ثلاثة", "كبير", "محاكمة", "اخرى"):
        assert not any(word in person.split() for person in people), (word, people)
    assert not any(m.rule == "coreference" and m.text in tagger.rules.common for m in mentions)
    # A name that is a name still introduces its bearer, who is then found by one word.
    zaidouni = [m for m in mentions if "زيدوني" in m.text]
    assert [m.rule for m in zaidouni] == ["context", "coreference"]
    assert len({m.entity_id for m in zaidouni}) == 1


def test_a_given_name_introduces_a_person_without_a_title():
    from archive.entities.tagger import Tagger

    text = ("التقى طارق زيدان وفراس حمدان بوفد الشركة، واتفقوا على توسيع التعاون، "
            "وكان أكبر هدف للزيارة دعم عبد الله الحمداني.")
    people = {m.text: m.rule for m in Tagger(model=False).tag(text) if m.type == "person"}
    assert people == {"طارق زيدان": "context", "فراس حمدان": "context",
                      "عبد الله الحمداني": "context"}
