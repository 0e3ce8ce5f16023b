"""Ranked passages in; one page of articles out, each with its best passages: the search page's
cards and ``GET /api/search?group=article``.

An article ranks where its best passage ranks (in the order asked: relevance or date), shows its
first ``shown`` passages in that order, and says how many more of its passages matched. Paging
counts articles. Passages are read in rank order until the page is full and at least
``GROUP_SCAN`` passages were seen (or all of them): counts are exact whenever a search has
at most that many passages; beyond it, the total of articles is a lower bound (``exact`` is
False) and each article's count covers the passages read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GROUP_SCAN = 200  # passages read at least (one page of iter_hits), for exact per-article counts
SHOWN = 3  # passages shown per article


@dataclass
class ArticleGroup:
    """One article on a results page: its rank and fields, its score (its best passage's), the
    passages shown and how many of its passages matched."""

    rank: int  # the article's place in the results, from 1
    doc_id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    score: float  # its best passage's
    hits: list[Any] = field(default_factory=list)  # the passages shown, best first
    passages: int = 0  # its passages among the hits (read)

    @property
    def more(self) -> int:
        """Matching passages of this article not shown."""
        return self.passages - len(self.hits)

    def to_dict(self) -> dict:
        """The group as JSON: the article's fields, its rounded score, its passage count, its hits."""
        return {"rank": self.rank, "doc_id": self.doc_id, "title": self.title,
                "date": self.date, "source": self.source, "url": self.url,
                "score": round(self.score, 4), "passages": self.passages,
                "hits": [hit.to_dict() for hit in self.hits]}


@dataclass
class ArticlePage:
    """One page of articles: the page number, articles per page, the articles, and how many articles
    have a hit (``exact``: whether that count is exact or a lower bound)."""

    page: int
    limit: int
    articles: list[ArticleGroup]
    total: int  # articles with a hit (a lower bound when not exact)
    exact: bool

    @property
    def last_page(self) -> int:
        """The number of the last page (at least 1) for ``total`` articles."""
        return max(1, -(-self.total // self.limit))

    @property
    def has_next(self) -> bool:
        """Whether another page follows: this one is before the last, or the total is a lower bound."""
        return self.page < self.last_page or not self.exact

    def to_dict(self) -> dict:
        """The page as JSON: the articles' total, whether it is exact, and the groups."""
        return {"articles": self.total, "articles_exact": self.exact,
                "results": [group.to_dict() for group in self.articles]}


def group_by_article(hits: Iterable[Any], page: int = 1, limit: int = 10, shown: int = SHOWN,
                     scan: int = GROUP_SCAN) -> ArticlePage:
    """Page ``page`` (``limit`` articles) of ``hits`` (ranked passages, each with ``doc_id``,
    ``title``, ``date``, ``source``, ``url``, ``score``) grouped by article."""
    groups: dict[str, ArticleGroup] = {}
    wanted = page * limit
    read, exhausted = 0, True
    for hit in hits:
        if read >= scan and len(groups) > wanted:
            exhausted = False
            break
        read += 1
        group = groups.get(hit.doc_id)
        if group is None:
            group = groups[hit.doc_id] = ArticleGroup(
                len(groups) + 1, hit.doc_id, hit.title, hit.date, hit.source,
                getattr(hit, "url", None), hit.score)
        group.passages += 1
        if len(group.hits) < shown:
            group.hits.append(hit)
    ordered = list(groups.values())
    return ArticlePage(page, limit, ordered[(page - 1) * limit:wanted], len(ordered), exhausted)
