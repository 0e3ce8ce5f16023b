"""The errors the API raises: every problem a user can act on is an ArchiveError whose message
says what to do; its subclasses let a program tell the cases apart. Arguments of the wrong
kind or range are ``ValueError``s naming the argument (a programming error, not the user's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.entities.catalogue import Entity


class ArchiveError(Exception):
    """A problem the user can act on (the message says what and how)."""


class NotFound(ArchiveError):
    """No such thing: no index at a path, no article with an id, no entity with a name."""


class AmbiguousName(ArchiveError):
    """An entity name several entities share (``كيم``): ``candidates`` lists them, best known
    first; any of their ids (or a fuller name) says which one is meant."""

    def __init__(self, message: str, name: str, candidates: list[Entity]):
        super().__init__(message)
        self.name = name
        self.candidates = candidates


class IndexBusy(ArchiveError):
    """Another build is writing to the index; run again when it is done (or wait for it)."""


class DamagedIndex(ArchiveError):
    """The index cannot be read (damaged, or written by an incompatible version); rebuild it."""
