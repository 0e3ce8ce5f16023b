"""The Python API as a researcher's tool uses it: typed results whose to_dict() is the CLI's
JSON, results to iterate and count, articles added from dicts and deleted by id, counts, a
DataFrame, arguments checked with errors that name them, and error classes to catch."""

from __future__ import annotations

import inspect
import json
import shutil
from importlib import resources

import pytest

import archive as package
from archive import (AmbiguousName, Archive, ArchiveError, Article, ArticleView, DamagedIndex,
                     EntityCount, EntityCounts, EntityPage, Hit, IndexBusy, NotFound,
                     SearchResults, Stats)
from conftest import run_json


def test_every_call_returns_a_typed_result_whose_dict_is_the_cli_json(seed_archive, seed_index):
    results = seed_archive.search("كورسك", limit=3)
    assert isinstance(results, SearchResults) and all(isinstance(h, Hit) for h in results)
    top = seed_archive.entities(limit=5)
    assert isinstance(top, EntityCounts) and isinstance(top["person"][0], EntityCount)
    page = seed_archive.entity("بوتين")
    assert isinstance(page, EntityPage) and page.id == "person:vladimir-putin"
    assert page.articles == 5 and isinstance(page.passages[0], Hit)
    article = seed_archive.article(results.hits[0].doc_id)
    assert isinstance(article, ArticleView) and article.passages[0].position == 0
    mention = next(m for p in article.passages for m in p.entities)
    passage = next(p for p in article.passages if mention in p.entities)
    assert passage.text[mention.start:mention.end] == mention.text
    # to_dict() is the --json contract, key for key and value for value.
    same = lambda data: json.loads(json.dumps(data, ensure_ascii=False))  # noqa: E731
    assert same(results.to_dict()) == run_json("search", "كورسك", "--limit", "3", "--facets", "10",
                                               "--index", seed_index)
    assert same(top.to_dict()) == run_json("entities", "--limit", "5", "--index", seed_index)
    assert same(page.to_dict()) == run_json("entity", "بوتين", "--index", seed_index)
    assert same(article.to_dict()) == run_json("article", article.doc_id, "--index", seed_index)
    assert same(seed_archive.stats().to_dict()) == run_json("stats", "--index", seed_index)


def test_search_results_are_iterable_and_sized(seed_archive):
    results = seed_archive.search("كورسك", limit=4)
    assert results.total > 4
    assert len(results) == 4 and [h.rank for h in results] == [1, 2, 3, 4]
    assert list(results) == results.hits


def test_json_keys_are_always_present(seed_archive):
    data = seed_archive.search("كورسك", facets=0).to_dict()
    assert data["facets"] == {"person": [], "place": [], "organization": [], "weapon": []}
    assert data["months"] == [] and data["suggestions"] == []
    nothing = seed_archive.search("كلمةلاوجودلها").to_dict()
    assert set(nothing) == set(data) and nothing["results"] == []


@pytest.mark.parametrize("arguments, named", [
    ({"limit": None}, "limit"), ({"limit": 0}, "limit"), ({"limit": "5"}, "limit"),
    ({"page": -1}, "page"), ({"page": 0}, "page"), ({"facets": -1}, "facets"),
    ({"filters": {"people": ["بوتين"]}}, "filters"), ({"filters": ["بوتين"]}, "filters"),
])
def test_arguments_out_of_range_are_value_errors_naming_the_argument(seed_archive, arguments,
                                                                       named):
    with pytest.raises(ValueError, match=named):
        seed_archive.search("كورسك", **arguments)


def test_entities_arguments_are_checked_too(seed_archive):
    with pytest.raises(ValueError, match="limit"):
        seed_archive.entities(limit=0)
    with pytest.raises(ValueError, match="unknown entity type 'people'"):
        seed_archive.entities(kind="people")


def test_a_string_filter_is_one_name_and_org_is_organization(seed_archive):
    as_list = seed_archive.search("", filters={"person": ["Putin"]}, facets=0)
    as_string = seed_archive.search("", filters={"person": "Putin"}, facets=0)
    assert as_string.total == as_list.total > 0
    nato = seed_archive.search("", filters={"organization": "الناتو"}, facets=0)
    assert nato.total > 0
    assert seed_archive.search("", filters={"org": "الناتو"}, facets=0).total == nato.total
    assert seed_archive.entities(kind="org").to_dict().keys() == {"organization"}


def test_error_classes_say_what_went_wrong(seed_archive, seed_index, tmp_path):
    with pytest.raises(AmbiguousName) as ambiguous:
        seed_archive.resolve_entity("كيم", "person")
    ids = {e.id for e in ambiguous.value.candidates}
    assert {"person:kim-jong-un", "person:kim-yo-jong"} <= ids and len(ids) >= 3
    assert isinstance(ambiguous.value, ArchiveError) and ambiguous.value.name == "كيم"
    with pytest.raises(NotFound, match="no person named"):
        seed_archive.search("", filters={"person": "شخصلاوجودله"})
    with pytest.raises(NotFound, match="no article with id"):
        seed_archive.article("no-such-id")
    with pytest.raises(NotFound, match="no index at"):
        Archive.open(tmp_path / "nowhere")
    from archive.engines.base import write_lock

    work = tmp_path / "copy"
    shutil.copytree(seed_index, work)
    with Archive.open(work) as copy, write_lock(work):  # a build in progress elsewhere
        with pytest.raises(IndexBusy, match="another build"):
            copy.index([tmp_path])
    for part in work.glob("*.trm"):
        part.write_bytes(b"\x00garbage" * 64)
    with pytest.raises(DamagedIndex, match="rebuild"):
        with Archive.open(work) as broken:
            broken.search("كورسك")


def test_add_dicts_and_articles_then_delete_them(tmp_path, corpus):
    with Archive.open(tmp_path / "ix", create=True) as archive:
        archive.index([corpus])
        before = archive.stats()
        report = archive.add([
            {"id": "d1", "title": "خبر", "text": "أقيم مهرجان الزيتون قرب كورسك.", "date": "2 نوفمبر 2024"},
            Article(id="a1", title="عنوان", text="زار بوتين بيونغ يانغ.", origin="mine"),
            {"title": "بلا معرف", "text": "نص"},
            "not a record",
        ])
        assert (report.added, report.unchanged) == (2, 0)
        assert [(e.line, e.reason) for e in report.errors] == [
            (3, "record has no 'id'"), (4, "a record must be an Article or a dict, not str")]
        assert {h.doc_id for h in archive.search("مهرجان الزيتون")} == {"d1"}
        assert archive.search("", date_from="2024-11", date_to="2024-11").hits[0].doc_id == "d1"
        assert archive.stats().articles == before.articles + 2
        # The same record again changes nothing; an edited one is updated.
        assert archive.add([{"id": "d1", "title": "خبر", "text": "أقيم مهرجان الزيتون قرب كورسك.",
                             "date": "2 نوفمبر 2024"}]).unchanged == 1
        assert archive.add({"id": "d1", "text": "نص آخر عن خاركيف."}).updated == 1
        # Indexing files again keeps what was added in Python.
        assert archive.index([corpus]).removed == 0
        assert archive.article("a1").title == "عنوان"
        assert archive.delete(["a1", "d1", "never-there"]) == 2
        assert archive.delete("a1") == 0
        with pytest.raises(NotFound):
            archive.article("a1")
        after = archive.stats()
        assert (after.articles, after.passages) == (before.articles, before.passages)


def test_stats_count_articles_passages_and_entities(seed_archive):
    stats = seed_archive.stats()
    assert isinstance(stats, Stats)
    assert stats.articles == 5 and stats.passages > 50
    assert stats.entities == sum(stats.entities_by_type.values())
    every = seed_archive.entities(limit=10000)
    assert stats.entities_by_type == {kind: len(rows) for kind, rows in every.items()}


def test_a_page_of_hits_as_a_dataframe_with_typed_columns(tmp_path):
    import pandas

    with Archive.open(tmp_path / "ix", create=True) as archive:
        archive.add([{"id": "a", "text": "قصف على كورسك.", "date": "٢ تشرين الثاني ٢٠٢٤"},
                     {"id": "b", "text": "قصف آخر على كورسك.", "date": "قريبا"},
                     {"id": "c", "text": "كورسك مرة ثالثة.", "date": "Sat, 02 Nov 2024 08:30:00 +0300"}])
        frame = archive.search("كورسك").to_dataframe()
    assert len(frame) == 3 and list(frame["rank"]) == [1, 2, 3]
    assert str(frame["date"].dtype).startswith("datetime64")
    assert str(frame["position"].dtype) == "int64" and str(frame["score"].dtype) == "float64"
    dates = dict(zip(frame["doc_id"], frame["date"]))
    assert dates["a"] == dates["c"] == pandas.Timestamp("2024-11-02") and pandas.isna(dates["b"])
    assert dict(zip(frame["doc_id"], frame["date_written"]))["b"] == "قريبا"


def test_the_public_names_are_importable_typed_and_documented():
    assert package.__all__ == sorted(package._PUBLIC) + ["__version__"]
    for name in package.__all__:
        assert getattr(package, name) is not None, name
    assert resources.files("archive").joinpath("py.typed").is_file()
    undocumented = []
    for name in package.__all__:
        thing = getattr(package, name)
        if not (inspect.isclass(thing) or inspect.isfunction(thing)):
            continue
        doc = thing.__doc__ or ""
        if not doc.strip() or doc.startswith(f"{thing.__name__}("):  # a dataclass's own signature
            undocumented.append(name)
        if inspect.isclass(thing):
            for member, value in vars(thing).items():
                if member.startswith("_") or not (inspect.isfunction(value) or isinstance(
                        value, (property, classmethod, staticmethod))):
                    continue
                function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
                if not inspect.getdoc(function):
                    undocumented.append(f"{name}.{member}")
    assert undocumented == []


@pytest.mark.parametrize("query", ["كورسك", "روته", "Kursk", '"كوريا الشمالية"'])
def test_hits_searched_without_highlights_get_the_same_ones_afterwards(seed_archive, query):
    """What the web page's grouping does: rank many hits without highlights, then highlight
    the few shown. ``روته`` names an entity (its other spellings are marked too); ``Kursk`` is
    searched as the entity's Arabic name."""
    full = seed_archive.search(query, limit=20)
    bare = seed_archive.search(query, limit=20, highlight=False)
    assert full.hits and [h.highlights for h in bare.hits] == [[] for _ in full.hits]
    assert any(h.highlights for h in full.hits)
    seed_archive.highlight_hits(query, bare.hits)
    assert [h.to_dict() for h in bare.hits] == [h.to_dict() for h in full.hits]
