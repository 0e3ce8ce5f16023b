"""A new index tags each article once (issue 24): the learning pass keeps what the tagger's
first passes found and the build runs only the collection pass over it. The index must be the
one that tagging every article again with the learned names gives."""

from __future__ import annotations

import pytest
from conftest import CORPUS, run_json, write_jsonl

FULL_NAME = "وقال المتحدث باسم الشركة كريستوفر هانسن إن المحادثات مستمرة منذ أسابيع."
BARE = "وأكد هانسن أن الصفقة لم تكتمل بعد، وأن الشركة تنتظر موافقة الجهات الرقابية."
SPEECH = "وقال هانسن للصحفيين إن الصفقة لم تكتمل."
ALI = "والتقى علي هانسن بالوفد أمس في العاصمة."


def _records() -> list[dict]:
    """Bare surnames before and after their full name, a second person sharing the surname
    (so the model's lone هانسن, which asked whose name it is, belongs to nobody: a stage that
    the learned names made stale), and the sample corpus's real articles."""
    from archive.cleaning import clean
    from archive.intake import read_paths

    real = [{"id": a.id, "title": a.title, "text": clean(a).text} for a in read_paths([CORPUS]).articles]
    bare = [{"id": f"bare{i:02d}", "text": f"خبر رقم {i}\n" + (BARE if i % 2 else SPEECH)}
            for i in range(70)]
    return [*bare[:35], {"id": "full", "text": "خبر\n" + FULL_NAME}, *real, *bare[35:],
            {"id": "ali", "text": "خبر آخر\n" + ALI}]


def _expected(feed) -> dict[str, list]:
    """What today's two taggings give, computed here: every article tagged by a fresh tagger to
    learn the names, then tagged again from the start with them (no kept stages)."""
    from archive.analyzers import shared_analyzer
    from archive.cleaning import clean
    from archive.entities.tagger import Lexicon, default_tagger, established
    from archive.analysis import analyse_article
    from archive.intake import read_paths

    articles = [clean(a) for a in read_paths([feed]).articles]  # as the build reads them
    learner = default_tagger().fresh()
    found: dict[str, dict] = {}
    for article in articles:
        mentions = learner.tag_article(article)
        for entity_id in established(mentions, learner):
            if entity_id in learner.discovered:
                record = learner.entity(entity_id).to_dict()
                found[entity_id] = {**record, "attributes": {**record["attributes"], "established": True}}
    tagger = default_tagger().fresh()
    tagger.learn(Lexicon.from_entities(found.values(), tagger))
    by_entity: dict[str, list] = {}
    for article in articles:
        for doc in analyse_article(article, shared_analyzer(), tagger).passages:
            for entity_id in doc.entities:
                by_entity.setdefault(entity_id, []).append([doc.doc_id, doc.position])
    return {entity_id: sorted(places) for entity_id, places in by_entity.items()}


def _indexed(index) -> dict[str, list]:
    """Entity id → the (article, passage position) pairs the index tags with it."""
    from archive import Archive

    out: dict[str, list] = {}
    with Archive.open(index, readonly=True) as archive:
        for kind, rows in archive.entities(limit=100_000).to_dict().items():
            for row in rows:
                hits = archive.iter_hits("", filters={kind: [row["id"]]}, highlight=False)
                out[row["id"]] = sorted([h.doc_id, h.position] for h in hits)
    return out


@pytest.mark.parametrize("engine_name,workers", [("tantivy", 1), ("tantivy", 2), ("whoosh", 2)])
def test_a_new_index_tagged_once_equals_tagging_every_article_again(tmp_path, engine_name, workers):
    records = _records()
    feed = write_jsonl(tmp_path / "feed.jsonl", records)
    report = run_json("index", feed, "--index", tmp_path / "ix", "--engine", engine_name,
                      "--workers", workers)
    assert report["added"] == len(records) and report["retagged"] == 0
    expected = _expected(feed)
    people = [e for e, places in expected.items() if e.startswith("person:~") and ["full", 0] in places]
    assert len(people) == 1  # Christopher Hansen, and no bare هانسن: he shares it with Ali Hansen
    assert not [e for e, places in expected.items() if e.startswith("person") and ["bare01", 0] in places]
    assert _indexed(tmp_path / "ix") == expected


def _learned(texts: list[str]):
    """The learning pass over ``texts`` (its tagger and their first stages) and the tagger
    that learned the full names they establish, as a build gives its analysis pass."""
    from archive.entities.once import first_stage
    from archive.entities.tagger import Lexicon, default_tagger, established

    learner = default_tagger().fresh()
    stages = [first_stage(learner, text) for text in texts]
    names = {}
    for stage in stages:
        names.update({e: learner.entity(e).to_dict() for e in established(stage.mentions, learner)
                      if e in learner.discovered})
    for record in names.values():
        record["attributes"]["established"] = True
    tagger = default_tagger().fresh()
    tagger.learn(Lexicon.from_entities(names.values(), tagger))
    return learner, stages, tagger


def test_a_kept_stage_is_finished_as_tagging_again_or_refused_when_it_read_a_changed_name(tmp_path):
    from archive.entities.once import KeptStages, changed_words, finish

    texts = [FULL_NAME, BARE, SPEECH, ALI, *(p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt")))]
    learner, stages, tagger = _learned(texts)
    changed = changed_words(learner, tagger)
    assert "هانسن" in changed
    stale = [not stage.consulted.isdisjoint(changed) for stage in stages]
    assert stale[1] and not stale[0]  # the model's lone هانسن asked whose name it is
    reference = tagger.fresh()
    for text, stage, is_stale in zip(texts, stages, stale):
        if not is_stale:
            assert finish(tagger, text, stage) == reference.tag(text)
    assert finish(tagger, BARE, stages[1]) != reference.tag(BARE)  # why a stale stage is refused

    kept = KeptStages(tmp_path)
    writer = kept.writer(0)
    for number, stage in enumerate(stages):
        writer.keep(f"a{number}", "h", stage)
    writer.close()
    kept.changed = changed
    assert kept.get("a0", "h") == stages[0]
    assert kept.get("a1", "h") is None  # stale: tagged again from the start
    assert kept.get("a0", "other hash") is None and kept.get("nobody", "h") is None
    kept.close()


def test_a_stale_stage_is_tagged_again_with_the_models_reading_it_kept(tmp_path):
    """A stage that read a changed name is tagged again, every pass but the model, whose
    reading of the sentences comes from the stage: the mentions of tagging from scratch."""
    from dataclasses import replace

    from archive.entities.once import KeptStages, changed_words, tag_again

    texts = [FULL_NAME, BARE, SPEECH, ALI, *(p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt")))]
    learner, stages, tagger = _learned(texts)
    assert all(stage.model is not None for stage in stages)
    kept = KeptStages(tmp_path, changed_words(learner, tagger))
    writer = kept.writer(0)
    for number, stage in enumerate(stages):
        writer.keep(f"a{number}", "h", stage)
    writer.close()
    assert kept.get("a1", "h") is None  # stale
    model = kept.model_result("a1", "h")
    assert model is not None
    reference = tagger.fresh()
    for number, text in enumerate(texts):
        again = tag_again(tagger, text, kept.model_result(f"a{number}", "h"))
        assert again == reference.tag(text)
    # the kept reading is the one used: without its spans the model's mentions are gone
    number = next(n for n, text in enumerate(texts) if any(m.rule == "model" for m in reference.tag(text)))
    kept_reading = kept.model_result(f"a{number}", "h")
    blind = tuple(replace(sentence, spans=[]) for sentence in kept_reading)
    assert not [m for m in tag_again(tagger.fresh(), texts[number], blind) if m.rule == "model"]
    assert kept.model_result("nobody", "h") is None
    kept.close()


@pytest.mark.parametrize("engine_name,workers", [("tantivy", 2), ("whoosh", 1)])
def test_the_copies_signed_by_the_workers_are_those_signed_from_the_index(tmp_path, engine_name, workers):
    """The build's workers sign each article for the copies file as they analyse it; the file
    is the one that signing every indexed article read back from the index gives."""
    import json

    from archive import copies
    from archive.engines import get as engine_named
    from conftest import ROOT

    records = [json.loads(line) for line in (ROOT / "tests/data/copies/labelled.jsonl").open(encoding="utf-8")]
    for number, record in enumerate(records):
        record["source"] = f"وكالة {number % 5}"
    feed = write_jsonl(tmp_path / "feed.jsonl", records)
    report = run_json("index", feed, "--index", tmp_path / "ix", "--engine", engine_name,
                      "--workers", workers)
    assert report["added"] == len(records) > 64
    built = json.loads((tmp_path / "ix" / copies.COPIES_FILE).read_text("utf-8"))
    (tmp_path / "ix" / copies.COPIES_FILE).unlink()
    store = engine_named(engine_name).open(tmp_path / "ix")
    copies.update(store)  # every article read back and signed here
    again = json.loads((tmp_path / "ix" / copies.COPIES_FILE).read_text("utf-8"))
    assert built == again
    assert len(built["pairs"]) > 20 and len(built["articles"]) == len(records)
    assert {entry["source"] for entry in built["articles"].values()} == {f"وكالة {n}" for n in range(5)}
