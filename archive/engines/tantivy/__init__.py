"""The Tantivy engine (Rust, through the ``tantivy`` package): analysed passages in a Tantivy
index in the index folder's ``.tantivy/``, matched and ranked by Tantivy's BM25, exact facets
from our own integer tables (``archive.engines.facet_tables``) keyed by a passage ordinal that
Tantivy keeps as a fast field. ``ENGINE`` is what ``archive.engines.get("tantivy")`` returns."""

from archive.engines.tantivy.store import TantivyEngine

ENGINE = TantivyEngine()
