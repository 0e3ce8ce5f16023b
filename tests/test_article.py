"""`archive article`: an article as indexed, passage by passage, with its entity mentions."""

from __future__ import annotations

from conftest import run_cli, run_json


def test_an_article_lists_its_passages_in_order_with_mention_spans(seed_index):
    hit = run_json("search", "كورسك", "--index", seed_index)["results"][0]
    article = run_json("article", hit["doc_id"], "--index", seed_index)
    assert article["doc_id"] == hit["doc_id"] and article["title"] == hit["title"]
    passages = article["passages"]
    assert [p["position"] for p in passages] == list(range(len(passages)))
    assert any(p["text"] == hit["text"] for p in passages)
    assert all(p["text"][m["start"]:m["end"]] == m["text"] for p in passages for m in p["entities"])


def test_an_articles_mentions_agree_with_the_index(seed_index):
    found = run_json("search", "", "--person", "Putin", "--limit", "50", "--index", seed_index)
    assert found["total"] > 0
    for hit in found["results"]:
        article = run_json("article", hit["doc_id"], "--index", seed_index)
        (passage,) = [p for p in article["passages"] if p["text"] == hit["text"]]
        assert "person:vladimir-putin" in {m["id"] for m in passage["entities"]}


def test_a_missing_article_is_a_clear_error(seed_index):
    result = run_cli("article", "no-such-id", "--index", seed_index, check=1)
    assert "no article with id 'no-such-id'" in result.stderr and "Traceback" not in result.stderr
