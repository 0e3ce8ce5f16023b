"""Span repair (archive/entities/spans.py): a name found by a context rule or the model ends
where the name ends, ordinary words after a speech verb are nobody, one person is one entity
however far a span ran, and scripts/facet_quality.py measures the facets a user sees."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.entities.tagger import Lexicon, Tagger
from conftest import run_json

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tagger():
    return Tagger()


def people(tagger, text):
    return [m.text for m in tagger.tag(text) if m.type == "person"]


@pytest.mark.parametrize("text, name", [
    ("وقال الأمين العام للأمم المتحدة كوفي انان اعتبر ان الوضع خطير", "كوفي انان"),  # a verb
    ("وسجل ستيفن جيرارد ضربة رأسية", "ستيفن جيرارد"),  # a sports noun
    ("وفاز ديفيد كولتارد سائق ماكلارين بالسباق", "ديفيد كولتارد"),  # a role noun
    ("وقال لويس فيغو وجواو بينتو ان", "لويس فيغو"),  # "and" another name
])
def test_a_person_found_by_context_ends_where_the_name_ends(tagger, text, name):
    assert people(tagger, text)[0] == name


@pytest.mark.parametrize("text", [
    "اكد مصدر امني ان الهجوم وقع",
    "وقال بيان صادر عن الوزارة ان",
    "قال مصدر مطلع ان المفاوضات توقفت",
])
def test_ordinary_words_after_a_speech_verb_are_nobody(tagger, text):
    assert people(tagger, text) == []


def test_a_name_word_that_is_also_a_common_word_stays_in_the_name(tagger):
    assert people(tagger, "وقالت عائشة عيد ان") == ["عائشة عيد"]  # عيد: "feast", and a surname
    assert people(tagger, "وقال سريع بن ماتع ان") == ["سريع بن ماتع"]  # after بن, a name word


def test_one_person_is_one_entity_however_far_a_span_ran(tagger):
    first, second, third = tagger.fresh().tag_many([
        "وقال الأمين العام للأمم المتحدة كوفي انان اعتبر ان الوضع خطير.",
        "وقال الأمين العام كوفي انان إن المفاوضات مستمرة.",
        "ورحب انان بالاتفاق.",
    ])
    ids = {m.entity_id for m in first + second + third if m.type == "person"}
    assert len(ids) == 1
    assert [(m.text, m.rule) for m in third] == [("انان", "collection")]  # the bare surname follows


def test_a_lone_given_name_takes_the_name_after_it(tagger):
    mentions = [m for m in tagger.fresh().tag("وقال يوري إهنات المتحدث باسم القوات الجوية إن يوري لم يعلق")
                if m.type == "person"]
    assert [m.text for m in mentions] == ["يوري إهنات", "يوري"]
    assert len({m.entity_id for m in mentions}) == 1
    assert [m.text for m in tagger.tag("وقال جاك وفاخر ان") if m.type == "person"][0] == "جاك"


def test_a_head_word_before_ordinary_words_is_no_organization(tagger):
    assert [m for m in tagger.tag("ورفضت إدارة المطعم الواقع في المدينة") if m.type == "organization"] == []
    found = [m.text for m in tagger.tag("ذكرت وكالة الأنباء القطرية ان") if m.type == "organization"]
    assert found == ["وكالة الأنباء القطرية"]  # the nationality of a head-word name stays


def test_archive_tag_reports_the_repaired_span():
    out = run_json("tag", "-", input="وقال الأمين العام للأمم المتحدة كوفي انان اعتبر ان الوضع خطير")
    assert [(e["text"], e["rule"]) for e in out["entities"] if e["type"] == "person"] == [
        ("كوفي انان", "context")]


def test_facet_quality_counts_marked_names_among_the_top_values(tmp_path):
    sentences = [
        [("وقال", "O"), ("كوفي", "B-PER"), ("انان", "I-PER"), ("اعتبر", "O"), ("ان", "O"),
         ("الوضع", "O"), ("في", "O"), ("لبنان", "B-LOC"), ("خطير", "O")],
        [("وقال", "O"), ("مصدر", "O"), ("امني", "O"), ("ان", "O"), ("الهجوم", "O"), ("وقع", "O"),
         ("في", "O"), ("بيروت", "B-LOC")],
    ] * 15
    conll = tmp_path / "set.conll"
    conll.write_text("\n\n".join("\n".join(f"{w}\t{t}" for w, t in s) for s in sentences) + "\n", "utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "facet_quality.py"), str(conll), "--split", "all", "--json"],
        capture_output=True, text=True, encoding="utf-8", timeout=300, check=True)
    (measured,) = json.loads(result.stdout)
    assert measured["articles"] == 2
    person = measured["facets"]["person"]
    assert [(v["name"], v["marked"]) for v in person["values"]] == [("كوفي انان", True)]
    assert measured["facets"]["place"]["marked"] == measured["facets"]["place"]["of"] == 2
    assert measured["split_people"] == []
    assert measured["mentions"]["person"]["exact"][2] == 1.0


def test_a_name_that_ends_on_a_link_takes_the_word_it_links(tagger):
    text = "كان يؤدى إلى دار الإمارة التي أنشأها أحمد بن طولون شرق الجامع ."
    assert people(tagger, text) == ["أحمد بن طولون"]  # not أحمد بن, and طولون no place


@pytest.mark.parametrize("text, name", [
    ("وإنضم منذ يناير إلى نادي تشيلسي الإنجليزي من دون أن يحصل على مركز أساسي", "نادي تشيلسي"),
    ("وتضم المحادثات جماعات تتراوح بين حركة فتح بزعامة الرئيس الفلسطيني", "حركة فتح"),
])
def test_a_head_word_and_a_proper_name_before_a_nationality_or_a_phrase_name_an_organization(
        tagger, text, name):
    assert [m.text for m in tagger.tag(text) if m.type == "organization"] == [name]


@pytest.mark.parametrize("text, name", [
    ("وقال الرئيس السوداني عمر حسن البشير ان", "عمر حسن البشير"),  # a family name with the article
    ("وقال حمد بن جاسم بن جبر آل ثاني ان", "حمد بن جاسم بن جبر آل ثاني"),  # links and names
    ("وكتب أليكس فيشمان المعلق العسكري", "أليكس فيشمان"),  # a role with the article does not join
])
def test_a_name_takes_its_links_and_family_name(tagger, text, name):
    assert people(tagger, text) == [name]


@pytest.mark.parametrize("text", [
    "وقال الرئيس السوداني عمر حسن البشير ان الحكم ظالم. وأضاف عمر حسن أنه سيستأنف.",
    "وأضاف عمر حسن أنه سيستأنف. وقال الرئيس عمر حسن البشير ان الحكم ظالم.",  # shorter first
])
def test_a_shorter_name_inside_the_full_name_of_the_article_is_the_same_person(tagger, text):
    mentions = [m for m in tagger.fresh().tag(text) if m.type == "person"]
    assert sorted(m.text for m in mentions) == ["عمر حسن", "عمر حسن البشير"]
    assert len({m.entity_id for m in mentions}) == 1


@pytest.mark.parametrize("text, name", [
    ("وأعلنت جمعية الهلال الأحمر الفلسطيني ان", "جمعية الهلال الأحمر الفلسطيني"),
    ("وقالت سلطة النقد الفلسطينية ان", "سلطة النقد الفلسطينية"),
])
def test_new_organization_head_words(text, name):
    rules_only = Tagger(model=False)  # the context rule alone, not the model
    assert [m.text for m in rules_only.tag(text) if m.type == "organization"] == [name]


def test_a_head_word_keeps_its_first_letter_in_a_model_span(tagger):
    found = [m for m in tagger.fresh().tag("وقال لديه كتاب. وأعلنت بلدية مدينة البيرة ان")
             if m.type == "organization"]
    assert [m.text for m in found] == ["بلدية مدينة البيرة"]  # not ب + لدية ("he has")


def organizations(tagger, text):
    return [(m.text, m.entity_id) for m in tagger.fresh().tag(text) if m.type == "organization"]


def test_a_party_named_by_a_definite_proper_name_after_its_head_word(tagger):
    assert [t for t, _ in organizations(tagger, "الاسرائيلية العاشرة ان حزب الليكود يتوقع فشلا ذريعا في الانتخابات")] == ["حزب الليكود"]
    assert organizations(tagger, "وقالت مجموعة التلليريم ان") == []  # a generic head, a plain word


def test_a_nisba_with_and_continues_an_organization_and_a_time_word_ends_it(tagger):
    found = organizations(tagger, "ان اجتماع المجلس الاقتصادي والاجتماعي السابق الذي عقد")
    assert [t for t, _ in found] == ["المجلس الاقتصادي والاجتماعي"]


def test_a_loose_spelling_never_joins_two_words_into_a_one_word_name(tagger):
    assert organizations(tagger, "كما طالب أنان الذي وصل إلى بيروت") == []
    assert [e for _, e in organizations(tagger, "وقالت طالبان ان")] == ["org:taliban"]


def test_the_peninsula_is_no_channel(tagger):
    assert organizations(tagger, "تمر بأطراف شبه الجزيرة العربية") == []
    assert organizations(tagger, "في شرق الجزيرة العربية متجها") == []
    assert [e for _, e in organizations(tagger, "وقالت قناة الجزيرة ان")] == ["org:al-jazeera"]


def test_one_person_is_one_entity_across_articles_whatever_name_each_gives(tagger):
    first, second = tagger.fresh().tag_many([
        "قال الزعيم ابو حمزة المصري ان الحكم ظالم.", "واعلن ابو حمزة ان المحكمة رفضت الطعن."])
    ids = {m.entity_id for m in first + second if m.type == "person"}
    assert len(ids) == 1
    shown = {m.name for m in second if m.type == "person"}
    assert shown == {"ابو حمزة المصري"}


def test_a_shorter_name_inside_two_longer_ones_stays_its_own(tagger):
    found = tagger.fresh().tag_many([
        "قال الزعيم ابو حمزة المصري ان الحكم ظالم.", "وقال الشيخ ابو حمزة الفلسطيني ان",
        "واعلن ابو حمزة ان المحكمة رفضت الطعن."])
    assert len({m.entity_id for ms in found for m in ms if m.type == "person"}) == 3


def test_a_kept_first_stage_records_the_learned_words_span_repair_read(tagger):
    """Span repair asks whether the word after a name is one the archive learned (then it is
    no ordinary word that ends the name): tag-once must know it read that word, or a stage
    kept before the archive learned «كوفي انان اعتبر» would stay valid and differ."""
    from archive.entities.once import KeptStages, changed_words, first_stage

    text = "وقال الأمين العام كوفي انان اعتبر ان الوضع خطير"
    before = tagger.fresh()
    stage = first_stage(before, text)
    after = tagger.fresh()
    after.learn(Lexicon.from_entities([{"id": "person:~x", "type": "person", "name": "كوفي انان اعتبر",
                                        "attributes": {"established": True}}], after))
    assert [m.text for m in first_stage(after.fresh(), text).mentions] != [m.text for m in stage.mentions]
    assert not stage.consulted.isdisjoint(KeptStages(".", changed_words(before, after)).changed)


def test_an_organization_named_in_full_is_the_same_where_its_proper_name_stands_alone(tagger):
    found = organizations(tagger, "وقال سلفان شالوم ان حزب الليكود يتوقع فشلا ذريعا للحكومة. وعن خطة "
                                  "الليكود في حال عاد للحكم قال شالوم ان الليكود قرر الا يقول كلمة لا")
    assert [t for t, _ in found] == ["حزب الليكود", "الليكود", "الليكود"]
    assert len({e for _, e in found}) == 1
    club = organizations(tagger, "قال نادي ريال مدريد الأسباني انه تعاقد مع اللاعب. وقالت اللجنة "
                                 "الانتخابية لريال مدريد ان. وسافر اللاعب إلى مدريد")
    assert [t for t, _ in club] == ["نادي ريال مدريد", "ريال مدريد"]  # the city stays a place
    assert len({e for _, e in club}) == 1


def test_a_bare_name_follows_the_model_and_joins_the_head_word_name(tagger):
    found = organizations(tagger, "أصدرت شركة مايكروسوفت ملفا أمنيا لسد ثغرة خطيرة. وجرت العادة أن "
                                  "تصدر مايكروسوفت ملفات علاج المشكلات الأمنية.")
    assert [t for t, _ in found] == ["مايكروسوفت", "مايكروسوفت"] and len({e for _, e in found}) == 1
    joined = organizations(tagger, "وقال الرئيس التنفيذي لشركة كيوتل ان الأرباح زادت. وتأمل كيوتل في التوسع")
    assert [t for t, _ in joined] == ["شركة كيوتل", "كيوتل"] and len({e for _, e in joined}) == 1


def test_an_ordinary_word_after_a_head_word_is_no_short_name(tagger):
    found = organizations(tagger, "وتضم المحادثات جماعات تتراوح بين حركة فتح بزعامة الرئيس. ثم فتح الباب للحوار.")
    assert [t for t, _ in found] == ["حركة فتح"]  # فتح alone is "opened"


@pytest.mark.parametrize("text, name", [
    ("بعينه . قرر الاتحاد الدولي لكرة القدم إيقاف قائد الفريق", "الاتحاد الدولي لكرة القدم"),
    ("واعتبر رئيس اللجنة الالمانية المنظمة لكأس العالم في كرة القدم", "اللجنة الالمانية المنظمة لكأس العالم"),
])
def test_a_head_word_and_its_adjectives_take_the_purpose_phrase_after_them(tagger, text, name):
    assert [t for t, _ in organizations(tagger, text)] == [name]


def test_a_definite_head_word_takes_no_indefinite_noun(tagger):
    assert organizations(tagger, "وحتى علاقتها بالمركز تمليه المصالح السياسية والتكتيك العسكري") == []


@pytest.mark.parametrize("text, name", [
    ("وكتبت جريدة فلسطين 15 نيسان 1921 ان المجلس اجتمع", "جريدة فلسطين"),  # a date ends the name
    ("ونشرت جريدة القدس 13 تشرين الاول خبرا", "جريدة القدس"),
])
def test_a_newspaper_named_by_a_place_keeps_its_head_word(tagger, text, name):
    found = [(m.text, m.type) for m in tagger.fresh().tag(text) if m.type in ("organization", "place")]
    assert found == [(name, "organization")]  # the newspaper, not the place


@pytest.mark.parametrize("text, acronym", [
    ("وعلمت وكالة الأنباء القطرية قنا انه جري خلال الاتصال", "قنا"),
    ("وقالت منظمة الصحة العالمية (WHO) ان الوباء انحسر", "WHO"),
])
def test_an_acronym_right_after_an_organization_is_that_organization(tagger, text, acronym):
    found = organizations(tagger, text)
    assert [t for t, _ in found][1:] == [acronym] and len({e for _, e in found}) == 1


def test_a_word_after_an_organization_that_a_list_knows_is_no_acronym(tagger):
    assert [t for t, _ in organizations(tagger, "وقالت وزارة الدفاع أمس ان القوات انسحبت")] == ["وزارة الدفاع"]
    assert [t for t, _ in organizations(tagger, "وقالت منظمة الصحة العالمية (ان) الوباء")] == ["منظمة الصحة العالمية"]


@pytest.mark.parametrize("text, places", [
    ("لا للمشاريع السياسية السلمية المطروحة", []),  # "peaceful", and a Syrian town
    ("وتعتمد السياسة المالية للحكومة على الضرائب", []),  # "financial", not Mali
    ("وصل الوفد إلى الميادين شرق سوريا", ["الميادين", "سوريا"]),  # a place context: the town
    ("الشمس . وتقع كييف على ضفاف النهر", ["كييف"]),  # a capital as the catalogue lists it
    # tanwin: "an item" (the model took it for a place, 0.63), an indefinite noun
    ("وقع كيم وبوتين اتفاقية دفاع متبادلة تتضمن بندًا يلزم الدولتين بالدفاع", []),
])
def test_a_town_named_by_an_ordinary_word_needs_a_place_context(tagger, text, places):
    assert [m.text for m in tagger.fresh().tag(text) if m.type == "place"] == places


@pytest.mark.parametrize("text, places", [
    ("وقد عرفت المدينة كميناء تجاري منذ عام 711م", []),  # "as a commercial port"
    ("القادمون من المدينة اختار العرب والمسلمون لدفن", []),  # "the city", then a verb
    ("عبر المدينة . ويقيم حوالي ثلاثة ملايين", []),  # punctuation between
    ("الى المساعدات في قرية بيت قاد .", ["بيت قاد"]),
])
def test_a_place_head_word_names_a_place_only_with_a_name_after_it(text, places):
    rules_only = Tagger(model=False)  # the context rule alone
    assert [m.text for m in rules_only.fresh().tag(text) if m.type == "place"] == places


def test_two_words_of_one_person_side_by_side_are_one_mention(tagger):
    found = [(m.text, m.entity_id) for m in tagger.fresh().tag(
        "كشف وزير الخارجية السابق سلفان شالوم النقاب عن خطة. وقال ان سلفان شالوم يرى ذلك")
        if m.type == "person"]
    assert [t for t, _ in found] == ["سلفان شالوم", "سلفان شالوم"] and len({e for _, e in found}) == 1


@pytest.mark.parametrize("text, name", [
    ("الشرق الاوسط » أبو عبد الله التركي احد معتنقي الاسلام", "أبو عبد الله التركي"),  # a kunya's nisba
    ("عام 2003 . وابو عبد الله التركي من مواليد منطقة", "ابو عبد الله التركي"),  # the link after "and"
    ("ورفض ابو عبد الله البريطاني الجنسية ان يكشف عن اسمه", "ابو عبد الله"),  # "British by nationality"
    ("سبع سنوات ، وابو عبد الله تذوق طعم الاسلام", "ابو عبد الله"),  # "tasted": no name word
])
def test_a_kunya_takes_its_link_and_nisba_and_no_verb(tagger, text, name):
    assert people(tagger, text) == [name]


def test_a_kunya_name_is_one_person_in_its_article(tagger):
    text = ("والتقت الصحيفة أبو عبد الله التركي احد معتنقي الاسلام. وابو عبد الله تذوق طعم الاسلام. "
            "ويقول ابو عبد الله ان الشريعة ستطبق.")
    assert len({m.entity_id for m in tagger.fresh().tag(text) if m.type == "person"}) == 1


@pytest.mark.parametrize("text, name", [
    ("المتحدة . وعلق تيم سيباستيان علي ذلك بالقول", "تيم سيباستيان"),  # the model's surname alone
    ("وبدأ وزير الدفاع السوداني الفريق عبدالرحيم محمد حسين جولة تشمل الأردن", "عبدالرحيم محمد حسين"),
    ("وثائق اراضي للسيد صابر مسعد من قرية اليامون", "صابر مسعد"),  # a title is no first name
])
def test_a_name_takes_the_first_name_before_it(tagger, text, name):
    assert people(tagger, text) == [name]


@pytest.mark.parametrize("text, channel", [
    ("شهد قطاع السياحة في جزيرة كيش نموا", False),  # "an island", no article
    ("ويصل نصف مليون سائح سنويا الى الجزيرة بينما", False),
    ("وذكرت الجزيرة ان المفاوضات توقفت", True),
])
def test_an_island_is_no_channel(tagger, text, channel):
    assert (organizations(tagger, text) == [("الجزيرة", "org:al-jazeera")]) is channel


def test_the_soviet_union_is_a_place_not_a_union_found_by_its_head_word(tagger):
    found = [(m.text, m.type) for m in tagger.fresh().tag("انضموا من دول الاتحاد السوفيتي السابق")]
    assert found == [("الاتحاد السوفيتي", "place")]


def test_a_masculine_adjective_after_a_feminine_head_word_qualifies_another_noun(tagger):
    assert organizations(tagger, "\" رسالة مستشار البلدية القانوني إلى رئيس بلدية نابلس") == []


def test_a_title_and_a_town_named_like_a_person_after_it_are_no_places(tagger):
    found = [(m.text, m.type) for m in tagger.fresh().tag("ومن جانبها أكدت السفيرة نانسي باكير الامين العام ان")]
    assert found == [("نانسي باكير", "person")]
    assert [(m.text, m.type) for m in tagger.fresh().tag("وزار الوفد مدينة نانسي الفرنسية")] == [("نانسي", "place")]


def test_two_organizations_the_model_found_side_by_side_are_one(tagger):
    text = "وأضاف تقرير من مجلة \" لورالي أيرو-أتلنتيك \" أن المغرب يعد"
    assert [t for t, _ in organizations(tagger, text)] == ["لورالي أيرو-أتلنتيك"]
