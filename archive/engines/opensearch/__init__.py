"""The OpenSearch engine: an index on an OpenSearch (or Elasticsearch-compatible) cluster, named
by a URL, ``opensearch://HOST:PORT/NAME`` (``opensearchs://`` for TLS)."""

from archive.engines.opensearch.store import OpenSearchEngine

ENGINE = OpenSearchEngine()
