"""Re-published copies: articles that are one story (a wire story under several sources, a few
words changed), found at build time and kept beside the index.

An article's text is cut into overlapping runs of ``SHINGLE_WORDS`` normalized words
(shingles); two articles are copies when the Jaccard similarity of their shingle sets is at
least ``SIMILARITY``. Comparing every pair would cost N² per build, so each article gets a
MinHash signature (``datasketch``, ``NUM_PERM`` permutations) and a MinHash LSH index proposes
the candidate pairs; a candidate is kept when its estimated similarity reaches ``SIMILARITY``.
Stories are the connected groups of copies.

Incremental: the side document ``archive_COPIES`` kept beside the index (a file in its folder,
or a document on the cluster: ``Store.write_side``) keeps each article's content
hash, source and signature, and the pairs found. After every build (``update``), articles the
index no longer holds (or holds with another hash) leave it, with their pairs, and new ones
are signed (their text read back from the index) and looked up among all the others; nothing
else is recomputed. The document is written atomically after the index's commit: if a build is
killed between the two, the next build catches up, and readers ignore entries whose hash the
index does not hold. ``scripts/measure_copies.py`` measures precision, recall and cost on the
labelled pairs of ``tests/data/copies/``.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from archive.arabic import TOKEN_RE, normalize

COPIES_FILE = "archive_COPIES"  # JSON; no extension, so that `archive index` of a folder holding the index never reads it as articles
FORMAT = 1
SHINGLE_WORDS = 4  # a changed word breaks at most 4 shingles; distinct stories share few runs of 4
NUM_PERM = 128  # permutations: the similarity estimate's standard error is about 0.04
SIMILARITY = 0.25  # Jaccard of shingles from which two articles are one story (scripts/measure_copies.py)
MIN_SHINGLES = 10  # shorter texts (a headline, a caption) are never called copies
SEED = 1  # the permutations must be the same in every process and build
SCHEME = "affine32"  # datasketch 2's default permutations, named: stored values must be read alike

log = logging.getLogger("archive")

if TYPE_CHECKING:  # numpy and datasketch (~0.8 s to import) are only imported by builds
    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH


_normalized = lru_cache(maxsize=200_000)(normalize)  # per distinct word: far fewer than words


def shingles(text: str) -> set[bytes]:
    """The set of runs of SHINGLE_WORDS normalized words of ``text`` (UTF-8 encoded)."""
    words = [_normalized(surface) for surface in TOKEN_RE.findall(text)]
    words = [w for w in words if w]
    if len(words) < SHINGLE_WORDS:
        return set()
    return {" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8")
            for i in range(len(words) - SHINGLE_WORDS + 1)}


def load_library() -> None:
    """Import datasketch now (~1 s): a build does before forking workers that sign articles."""
    import datasketch  # noqa: F401


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature of ``text`` (None when it is too short to judge)."""
    from datasketch import MinHash

    runs = shingles(text)
    if len(runs) < MIN_SHINGLES:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    minhash.update_batch(list(runs))
    return minhash.hashvalues


def encoded_signature(text: str) -> str | None:
    """``signature(text)`` as the copies file keeps it (None when too short): what a build's
    workers compute for the articles they analyse (``Signed``)."""
    values = signature(text)
    return None if values is None else _encoded(values)


# (doc_id, content hash) → (source, encoded signature): signatures a build already computed
Signed = Mapping[tuple[str, str], tuple[str | None, str | None]]


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal hash values."""
    import numpy as np

    return float(np.count_nonzero(first == second)) / len(first)


def _encoded(values: np.ndarray) -> str:
    return base64.b64encode(values.astype("<u8").tobytes()).decode("ascii")


def _decoded(text: str) -> np.ndarray:
    import numpy as np

    return np.frombuffer(base64.b64decode(text), dtype="<u8").astype(np.uint64)


@dataclass
class Entry:
    """What the copies file keeps of one article: its content hash, source and signature
    (base64 of its MinHash values, decoded only by builds; None for a text too short)."""

    hash: str
    source: str | None
    signature: str | None


@dataclass
class CopyIndex:
    """Every article's signature and the pairs of copies among them; ``group`` gives a story."""

    entries: dict[str, Entry] = field(default_factory=dict)
    pairs: dict[tuple[str, str], float] = field(default_factory=dict)  # (a, b) a < b → similarity
    _groups: dict[str, tuple[str, ...]] | None = None

    # -- finding --------------------------------------------------------------------------------

    def add(self, items: Iterable[tuple[str, str, str | None, str | None]],
            presigned: Signed | None = None) -> int:
        """Add (doc_id, hash, source, text) articles, finding their copies among all the
        articles held; returns the pairs found. An id already held is replaced. An article
        of ``presigned`` (by id and hash) is taken with that source and signature, its text
        unread (it may be None)."""
        new = list(items)
        if not new:
            return 0
        self.remove(doc_id for doc_id, _, _, _ in new)
        lsh = self._lsh()
        found = 0
        signed = {doc_id: entry.signature for doc_id, entry in self.entries.items()}
        decoded: dict[str, np.ndarray] = {}
        for doc_id, content_hash, source, text in new:
            known = (presigned or {}).get((doc_id, content_hash))
            if known is not None:
                source, encoded = known
                values = None if encoded is None else _decoded(encoded)
            else:
                values = signature(text or "")
            self.entries[doc_id] = Entry(content_hash, source,
                                         None if values is None else _encoded(values))
            if values is None:
                continue
            minhash = _minhash(values)
            for other in lsh.query(minhash):
                if other not in decoded:
                    decoded[other] = _decoded(signed[other])  # type: ignore[arg-type]
                score = similarity(values, decoded[other])
                if score >= SIMILARITY:
                    self.pairs[_pair(doc_id, other)] = round(score, 4)
                    found += 1
            lsh.insert(doc_id, minhash)
            signed[doc_id], decoded[doc_id] = self.entries[doc_id].signature, values
        self._groups = None
        return found

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Forget these articles and their pairs."""
        gone = {doc_id for doc_id in doc_ids if doc_id in self.entries}
        if not gone:
            return
        for doc_id in gone:
            del self.entries[doc_id]
        self.pairs = {pair: score for pair, score in self.pairs.items()
                      if pair[0] not in gone and pair[1] not in gone}
        self._groups = None

    def _lsh(self) -> MinHashLSH:
        from datasketch import MinHashLSH

        lsh = MinHashLSH(threshold=SIMILARITY, num_perm=NUM_PERM)
        with lsh.insertion_session() as session:
            for doc_id, entry in self.entries.items():
                if entry.signature is not None:
                    session.insert(doc_id, _minhash(_decoded(entry.signature)))
        return lsh

    # -- reading --------------------------------------------------------------------------------

    def group(self, doc_id: str) -> tuple[str, ...]:
        """The articles of ``doc_id``'s story, itself included, sorted (just itself when it has
        no copy)."""
        if self._groups is None:
            self._groups = _components(self.pairs)
        return self._groups.get(doc_id, (doc_id,))

    def copies_of(self, doc_id: str) -> list[dict]:
        """The other articles of ``doc_id``'s story: ``{"doc_id", "source"}`` each."""
        return [{"doc_id": other, "source": self.entries[other].source}
                for other in self.group(doc_id) if other != doc_id and other in self.entries]

    # -- the file -------------------------------------------------------------------------------

    def to_json(self) -> dict:
        """The file's content."""
        return {"format": FORMAT, "shingle_words": SHINGLE_WORDS, "num_perm": NUM_PERM,
                "similarity": SIMILARITY, "scheme": SCHEME, "seed": SEED,
                "articles": {doc_id: {"hash": e.hash, "source": e.source,
                                      "sig": e.signature}
                             for doc_id, e in self.entries.items()},
                "pairs": [[a, b, score] for (a, b), score in sorted(self.pairs.items())]}

    @classmethod
    def from_json(cls, data: dict) -> CopyIndex:
        """A CopyIndex from the file's content; an empty one when it was made with other
        settings (its signatures would not compare)."""
        settings = tuple(data.get(key) for key in ("format", "shingle_words", "num_perm",
                                                   "similarity", "scheme", "seed"))
        if settings != (FORMAT, SHINGLE_WORDS, NUM_PERM, SIMILARITY, SCHEME, SEED):
            return cls()
        entries = {doc_id: Entry(e["hash"], e.get("source"), e.get("sig"))
                   for doc_id, e in data.get("articles", {}).items()}
        pairs = {(a, b): float(score) for a, b, score in data.get("pairs", [])
                 if a in entries and b in entries}
        return cls(entries, pairs)


def _minhash(values: np.ndarray) -> LeanMinHash:
    """A signature for the LSH index: a LeanMinHash, which (unlike MinHash) does not draw its
    permutations again for values it is given (a rebuild of the index costs a tenth)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)


def _pair(first: str, second: str) -> tuple[str, str]:
    return (first, second) if first < second else (second, first)


def _components(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Article id → its connected group (sorted ids), for the articles in some pair."""
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]  # path halving
            item = parent[item]
        return item

    for first, second in pairs:
        parent[root(first)] = root(second)
    members: dict[str, list[str]] = {}
    for item in list(parent):
        members.setdefault(root(item), []).append(item)
    return {item: tuple(sorted(group)) for group in members.values() for item in group}


# -- beside an index -----------------------------------------------------------------------------

def load(store) -> CopyIndex:
    """The copies document kept beside ``store``'s index (an empty CopyIndex if there is none
    or it cannot be read: copies are then found again by the next build)."""
    text = store.read_side(COPIES_FILE)
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return CopyIndex()
    return CopyIndex.from_json(data) if isinstance(data, dict) else CopyIndex()


def save(store, index: CopyIndex) -> None:
    """Write the copies document beside ``store``'s index (atomically: readers see the old one
    or the new)."""
    store.write_side(COPIES_FILE, json.dumps(index.to_json(), ensure_ascii=False))


def update(store, presigned: Signed | None = None) -> int:
    """After a commit (the caller holds the write lock): bring the copies document of
    ``store``'s index up to date with what the index now holds. Returns the pairs found among
    the new articles. ``presigned``: the signatures the build's workers computed (``Signed``), so
    that only the others are read back from the index and signed here."""
    index = load(store)
    manifest = store.manifest()
    gone = [doc_id for doc_id, entry in index.entries.items()
            if doc_id not in manifest or manifest[doc_id].hash != entry.hash]
    index.remove(gone)
    reader = store.reader()
    new = [doc_id for doc_id in manifest if doc_id not in index.entries]
    if not gone and not new and store.side_stamp(COPIES_FILE) is not None:
        return 0  # a build with nothing to do
    presigned = presigned or {}

    def unsigned(doc_id: str) -> bool:
        return (doc_id, manifest[doc_id].hash) not in presigned

    found = index.add(((doc_id, manifest[doc_id].hash,
                        (reader.article(doc_id) or {}).get("source") if unsigned(doc_id) else None,
                        article_text(reader, doc_id) if unsigned(doc_id) else None)
                       for doc_id in new), presigned)
    save(store, index)
    return found


def refresh(store, presigned: Signed | None = None) -> None:
    """``update``, for a build whose commit has landed: a failure to write the document (a full
    disk, a cluster gone) is a warning, not a failed build; the next build tries again."""
    from archive.engines.base import IndexError_

    try:
        update(store, presigned)
    except (OSError, IndexError_) as error:  # a full disk; a cluster that stopped answering
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        log.warning("warning: the copies of re-published articles were not updated (%s); "
                    "the next `archive index` will", reason)


def article_text(reader, doc_id: str) -> str:
    """An article's cleaned text as the index holds it (its passages, in order)."""
    return "\n".join(passage["text"] for passage in reader.passages_of(doc_id))


class Copies:
    """The copies of one index for searches: the file read once per change, entries checked
    against the index's manifest (a build killed before writing the file leaves entries of
    articles the index no longer holds)."""

    def __init__(self, store):
        self.store = store
        self._stamp: tuple | None = None
        self._index = CopyIndex()

    def current(self) -> CopyIndex:
        """The up-to-date CopyIndex of the store's folder."""
        stamp = self.store.side_stamp(COPIES_FILE)
        if stamp != self._stamp:
            index = load(self.store)
            manifest = self.store.manifest()
            index.remove([doc_id for doc_id, entry in index.entries.items()
                          if doc_id not in manifest or manifest[doc_id].hash != entry.hash])
            self._index, self._stamp = index, stamp
        return self._index
