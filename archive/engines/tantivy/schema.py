"""The Tantivy index's schema: which fields a document has and how each is indexed. Nothing in;
``SCHEMA`` and the name of the whitespace tokenizer out, shared by the store (which writes) and
the reader (which builds queries against the same fields).
"""

from __future__ import annotations

import tantivy

TOKENIZER = "archive_terms"  # whitespace only: our terms are analysed already


def make_schema() -> tantivy.Schema:
    """The index's fields: raw ids, whitespace-split term lists with positions, entity ids, the
    ``ordinal`` and ``day`` fast fields, and the stored fields as one JSON blob."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("kind", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("pid", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("doc_id", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("stem", tokenizer_name=TOKENIZER, index_option="position")
    builder.add_text_field("exact", tokenizer_name=TOKENIZER, index_option="position")
    builder.add_text_field("entities", tokenizer_name=TOKENIZER, index_option="basic")
    builder.add_unsigned_field("ordinal", indexed=True, fast=True)
    builder.add_unsigned_field("day", indexed=True, fast=True)  # YYYYMMDD, 00 for parts missing
    builder.add_unsigned_field("tie", fast=True)  # orders equal scores: see tie_key
    builder.add_bytes_field("data", stored=True)  # the stored fields, as JSON
    return builder.build()


SCHEMA = make_schema()
