"""Entities: the catalogue (data files), the tagger, and matching keys for spelling variants."""
