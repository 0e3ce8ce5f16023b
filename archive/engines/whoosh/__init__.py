"""The Whoosh engine (pure Python, the default): analysed passages in a Whoosh index, matched and
ranked from whole posting blocks (``postings``, ``ranking``), facets counted from per-segment
integer tables (``facets``). ``ENGINE`` is what ``archive.engines.get("whoosh")`` returns."""

from archive.engines.whoosh.store import WhooshEngine

ENGINE = WhooshEngine()
