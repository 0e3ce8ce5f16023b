"""Tagging each article of a new index once.

A new index (or a rebuild) first learns the names its articles establish (the build's
"learning" pass), then tags every article with all of them. Only the last of the tagger's passes,
the collection pass, uses those names: the passes before it (catalogue, context rules,
coreference, the model) read the article alone, except where the model pass, a context rule and
span repair (a name ends before an ordinary word unless the archive learned it) ask whether a
word is a name the archive learned (``Tagger.consulted`` records those words). So the learning pass keeps what those passes found (``FirstStage``, spilled to a
``KeptStages`` file per worker, outside the index), and the analysis pass runs only the collection
pass over it (``finish``): the same mentions as tagging the article again, at the cost of one
tokenization. An article whose kept stage consulted a word that the learned names changed is
tagged again from the start, as is one the learning pass did not see.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archive.arabic import Span
from archive.entities.catalogue import Entity
from archive.entities.mention import Mention, Tagging
from archive.entities.tagger import Tagger

_COVERED = -1  # a token some mention of the first stage covered (which one no longer matters)


@dataclass(frozen=True)
class FirstStage:
    """What the passes before the collection pass found in one text: its mentions, which tokens
    they cover, the discovered entities they name, and the words whose learned owners those
    passes consulted."""

    mentions: tuple[Mention, ...]
    covered: bytes  # one byte per token: 1 if covered
    entities: tuple[Entity, ...]
    consulted: frozenset[str]
    # The model's reading of the text's sentences (spans and the probability of O only), so
    # that a stale stage is tagged again without running the model (``tag_again``).
    model: tuple | None = None


def first_stage(tagger: Tagger, text: str) -> FirstStage:
    """Run the tagger's passes over ``text`` up to the collection pass and keep their result."""
    tagger.consulted, tagger.record_model, tagger.model_recorded = set(), True, None
    try:
        tagging = tagger._first_stage(text)
        consulted = frozenset(tagger.consulted)
        model = _compact(tagger.model_recorded) if tagger.model_recorded is not None else None
    finally:
        tagger.consulted, tagger.record_model, tagger.model_recorded = None, False, None
    mentions = tuple(m for m in tagging.mentions if m is not None)
    entities = {m.entity_id: tagger.discovered[m.entity_id]
                for m in mentions if m.entity_id in tagger.discovered}
    covered = bytes(c is not None for c in tagging.covered)
    return FirstStage(mentions, covered, tuple(entities.values()), consulted, model)


def _compact(tagged: list) -> tuple:
    """The model's reading of each sentence with only what the model pass reads of it: the
    spans and each token's probability of O (a kept stage stays small)."""
    from archive.entities.model import Tagged  # the model module only where a build tags

    return tuple(Tagged(t.spans, [[t.outside(k)] for k in range(len(t.marginals))], 0)
                 for t in tagged)


def tag_again(tagger: Tagger, text: str, model: tuple | None) -> list[Mention]:
    """``tagger.tag(text)`` for a text whose kept stage went stale: every pass again, but
    the model's reading of the sentences from the stage (``model``, None: run the model)."""
    tagger.model_replay = list(model) if model is not None else None
    try:
        return tagger.tag(text)
    finally:
        tagger.model_replay = None


def finish(tagger: Tagger, text: str, stage: FirstStage,
           spans: Iterable[Span] | None = None) -> list[Mention]:
    """The mentions of ``text``: its kept first stage and the collection pass with the names
    ``tagger`` has learned (what ``tagger.tag(text)`` gives when the stage is still valid).
    ``spans``: the words of ``text`` (``tokenize``), when the caller has them already."""
    for entity in stage.entities:  # the tagger knows them as if it had found them itself
        tagger.discovered.setdefault(entity.id, entity)
    tokens = tagger._tokens(text, spans)
    if len(tokens) != len(stage.covered):
        raise ValueError("a kept first stage of another text")
    tagging = Tagging(text, tokens)
    tagging.mentions = list(stage.mentions)
    tagging.covered = [_COVERED if c else None for c in stage.covered]
    tagger._collection_pass(tagging, tagger.learned)
    return tagging.result()


def changed_words(before: Tagger, after: Tagger) -> frozenset[str]:
    """The words a first stage may have read differently under ``after``'s learned names than
    under ``before``'s: a different set of owners, or learned by one only."""
    old, new = before.learned.owners, after.learned.owners
    owners = {w for w in old.keys() | new.keys() if old.get(w) != new.get(w)}
    return frozenset(owners | (before.learned_words ^ after.learned_words))


class StageSource(Protocol):
    """Where a build finds the kept first stage of an article (None: tag it from the start)."""

    def get(self, doc_id: str, content_hash: str) -> FirstStage | None:
        """The still valid stage of that article as planned, or None."""

    def model_result(self, doc_id: str, content_hash: str) -> tuple | None:
        """The model's reading kept with that article's stage, valid or not, or None."""


class KeptStages:
    """First stages kept by a build's learning pass, by article id and content hash: one SQLite
    file per learning worker in ``folder`` (a temporary folder outside the index), read by the
    analysis workers. ``changed``: the words that make a stage stale (``changed_words``)."""

    def __init__(self, folder: str | Path, changed: Iterable[str] = (), readings_only: bool = False):
        """``readings_only``: every stage is stale, only the model's readings are offered (the
        re-tagging pass, whose names are newer than any stage's)."""
        self.folder = Path(folder)
        self.changed = frozenset(changed)
        self.readings_only = readings_only
        self._readers: list[sqlite3.Connection] | None = None
        self._pid = 0

    def __getstate__(self) -> dict:
        return {"folder": self.folder, "changed": self.changed, "readings_only": self.readings_only}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["folder"], state["changed"], state["readings_only"])  # type: ignore[misc]

    def models_only(self) -> KeptStages:
        """The same files offering only the model's readings of their articles (``model_result``)."""
        return KeptStages(self.folder, self.changed, readings_only=True)

    def writer(self, number: int) -> KeptWriter:
        """Where learning worker ``number`` keeps its share's stages."""
        return KeptWriter(self.folder / f"stages-{number}.sqlite")

    def get(self, doc_id: str, content_hash: str) -> FirstStage | None:
        """The kept, still valid stage of that article as planned, or None."""
        if self.readings_only:
            return None
        stage = self._stage(doc_id, content_hash)
        return stage if stage is not None and stage.consulted.isdisjoint(self.changed) else None

    def model_result(self, doc_id: str, content_hash: str) -> tuple | None:
        """The model's reading kept with that article's stage, valid or not, or None."""
        stage = self._stage(doc_id, content_hash)
        return stage.model if stage is not None else None

    def _stage(self, doc_id: str, content_hash: str) -> FirstStage | None:
        for reader in self._open():
            row = reader.execute("SELECT stage FROM stages WHERE id = ? AND hash = ?",
                                 (doc_id, content_hash)).fetchone()
            if row is not None:
                stage: FirstStage = pickle.loads(row[0])
                return stage
        return None

    def _open(self) -> list[sqlite3.Connection]:
        if self._readers is None or self._pid != os.getpid():  # a forked worker opens its own
            self._pid = os.getpid()
            self._readers = [sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                             for path in sorted(self.folder.glob("stages-*.sqlite"))]
        return self._readers

    def close(self) -> None:
        """Close the files this process opened."""
        for reader in self._readers or ():
            reader.close()
        self._readers = None


class KeptWriter:
    """One learning worker's file of kept stages."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")  # a scratch file: lost with the build
        self.db.execute("CREATE TABLE IF NOT EXISTS stages (id TEXT PRIMARY KEY, hash TEXT, stage BLOB)")

    def keep(self, doc_id: str, content_hash: str, stage: FirstStage) -> None:
        """Keep one article's stage."""
        self.db.execute("INSERT OR REPLACE INTO stages VALUES (?, ?, ?)",
                        (doc_id, content_hash, pickle.dumps(stage, pickle.HIGHEST_PROTOCOL)))

    def close(self) -> None:
        """Write what was kept and close the file."""
        self.db.commit()
        self.db.close()


