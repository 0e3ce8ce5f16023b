"""Our analysis as a Whoosh analyzer: text in, Whoosh tokens (stem or exact terms) out.

Only for tools that open a Whoosh index with Whoosh alone (a ``QueryParser`` on ``stem`` or
``exact``): the archive itself passes term lists and never calls it. Its class path is pickled in
every Whoosh index's schema.
"""

from __future__ import annotations

from whoosh.analysis import Analyzer as WhooshAnalyzerBase
from whoosh.analysis import Token

from archive.analyzers import shared_analyzer


class WhooshAnalyzer(WhooshAnalyzerBase):
    """Our analysis as a Whoosh analyzer, so a tool that opens the index with Whoosh alone (a
    ``QueryParser`` on ``stem`` or ``exact``) analyses queries as we do. The archive itself
    passes term lists and never calls it at index time."""

    def __init__(self, field: str = "stem", stemmer: str = "light"):
        self.field = field
        self.stemmer = stemmer

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, mode="", **kwargs):
        """Whoosh tokens of ``value``: its stem or exact terms (as ``field`` says), with positions
        and character offsets when Whoosh asks for them."""
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        position = start_pos
        for term in shared_analyzer(self.stemmer).analyse(value).terms:
            text = term.exact if self.field == "exact" else term.stem
            if text is None:
                continue
            token.text, token.boost, token.stopped = text, 1.0, False
            if keeporiginal:
                token.original = value[term.start:term.end]
            if positions:
                token.pos = position
            if chars:
                token.startchar, token.endchar = start_char + term.start, start_char + term.end
            position += 1
            yield token
