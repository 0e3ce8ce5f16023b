"""The records that flow between stages: Article (read, then cleaned), Passage, and the
problems met on the way (ReadError). Plain dataclasses, no behaviour beyond small helpers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

# A lone UTF-16 surrogate: JSON's "\ud800" decodes to one, and no UTF-8 text can hold it
# (encoding it raises), so it never goes further than the reader or the server.
_SURROGATE = re.compile("[\ud800-\udfff]")


def web_address(url: object) -> str | None:
    """``url`` when it is an http(s) address; anything else (``javascript:``, ``data:``, a file
    path, a value that is not text) is None: an article's links reach readers, the API's clients
    and the exports, so only web addresses are kept or handed out."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def has_surrogates(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate code point (U+D800 to U+DFFF)."""
    return _SURROGATE.search(text) is not None


def scrub_surrogates(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, the replacement character."""
    return _SURROGATE.sub("\ufffd", text) if has_surrogates(text) else text


@dataclass(frozen=True)
class Article:
    """One article. ``text`` keeps the original letters; only the index sees normalized text."""

    id: str
    title: str
    text: str
    origin: str  # the file it came from
    date: str | None = None
    source: str | None = None
    url: str | None = None
    # (field, the value as the source gave it, why it was not kept): a ``javascript:`` url, a
    # date that is a JSON number; the build reports them. Not content: no part of the hash.
    dropped: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)

    def with_changes(self, **changes) -> Article:
        """A copy with these fields changed (an Article is immutable)."""
        return replace(self, **changes)

    @property
    def content_hash(self) -> str:
        """Identity of the content: a changed title, text or metadata means re-indexing."""
        digest = hashlib.sha256()
        for part in (self.id, self.title, self.text, self.date, self.source, self.url):
            # surrogatepass: an Article made in code (not by the reader) may hold a lone
            # surrogate; its hash must not raise
            digest.update((part or "").encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return digest.hexdigest()


@dataclass(frozen=True)
class Passage:
    """A span of an article's text a reader takes in at a glance."""

    article_id: str
    position: int  # 0-based order in the article
    start: int  # character offsets into Article.text
    end: int
    text: str

    @property
    def id(self) -> str:
        """The passage's id: ``<article id>#<position>``."""
        return f"{self.article_id}#{self.position}"


@dataclass(frozen=True)
class ReadError:
    """A file (or one record of it) that could not be read, and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        # a file name that is not UTF-8 reaches us with surrogate escapes: printable this way
        return scrub_surrogates(f"{where}: {self.reason}")


@dataclass
class ReadResult:
    """What reading some paths gave: the articles, the errors, and every file looked at (read or
    not) with its real path."""

    articles: list[Article] = field(default_factory=list)
    errors: list[ReadError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file looked at, read or not
    real: dict[str, str] = field(default_factory=dict)  # a file looked at -> its real path
