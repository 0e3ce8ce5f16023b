"""Reaching the cluster an ``opensearch://`` URL names: the client, the index name, credentials.

Credentials come from the environment only (``ARCHIVE_OPENSEARCH_USER`` and
``ARCHIVE_OPENSEARCH_PASSWORD``, or ``ARCHIVE_OPENSEARCH_API_KEY``), never from the URL, so they
never appear in a message, a log or a shell history; TLS (``opensearchs://``) verifies the
server's certificate, against ``ARCHIVE_OPENSEARCH_CA`` (a PEM file) when it is set.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from archive.engines.base import IndexError_

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,180}$")
TIMEOUT = 60  # seconds for one request (a bulk of a few hundred passages, a refresh)


@dataclass(frozen=True)
class Address:
    """Where an index lives: host, port, TLS or not, and the index (alias) name."""

    host: str
    port: int
    tls: bool
    name: str

    @property
    def url(self) -> str:
        """The URL, as a message may show it (it never holds credentials)."""
        return f"{'opensearchs' if self.tls else 'opensearch'}://{self.host}:{self.port}/{self.name}"


def parse(url: str) -> Address:
    """The Address of ``opensearch[s]://HOST[:PORT]/NAME``; IndexError_ saying what is wrong."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise IndexError_("an opensearch:// URL holds no credentials: set ARCHIVE_OPENSEARCH_USER "
                          "and ARCHIVE_OPENSEARCH_PASSWORD (or ARCHIVE_OPENSEARCH_API_KEY)")
    name = parts.path.strip("/")
    if not parts.hostname or not NAME.match(name):
        raise IndexError_(f"{url!r}: an OpenSearch index is opensearch://HOST:PORT/NAME, NAME in "
                          f"lower-case letters, digits, '-' and '_'")
    try:
        port = parts.port or 9200
    except ValueError:
        raise IndexError_(f"{url!r}: the port is not a number") from None
    return Address(parts.hostname, port, parts.scheme.lower() == "opensearchs", name)


def client(address: Address):
    """An opensearch-py client of the cluster (retrying timeouts and a node's loss on the other
    nodes it knows)."""
    try:
        from opensearchpy import OpenSearch
    except ImportError as error:
        raise IndexError_(f"the opensearch engine needs opensearch-py ({error}); "
                          f"pip install opensearch-py") from None
    options: dict = {"hosts": [{"host": address.host, "port": address.port}],
                     "use_ssl": address.tls, "verify_certs": address.tls, "timeout": TIMEOUT,
                     "retry_on_timeout": True, "max_retries": 3}
    if address.tls and os.environ.get("ARCHIVE_OPENSEARCH_CA"):
        options["ca_certs"] = os.environ["ARCHIVE_OPENSEARCH_CA"]
    key = os.environ.get("ARCHIVE_OPENSEARCH_API_KEY")
    user = os.environ.get("ARCHIVE_OPENSEARCH_USER")
    if key:
        options["headers"] = {"Authorization": f"ApiKey {key}"}
    elif user:
        options["http_auth"] = (user, os.environ.get("ARCHIVE_OPENSEARCH_PASSWORD", ""))
    return OpenSearch(**options)


def unreachable(address: Address, error: BaseException) -> IndexError_:
    """The IndexError_ for a cluster that did not answer as asked: the URL and the reason (an
    opensearch-py error names the status and the cluster's own reason, never our headers)."""
    reason = getattr(error, "error", None) or type(error).__name__
    info = getattr(error, "info", None)
    if isinstance(info, dict) and isinstance(info.get("error"), dict):
        reason = f"{reason}: {info['error'].get('reason', '')}"
    status = getattr(error, "status_code", None)
    said = f"{status} {reason}" if isinstance(status, int) else str(reason)
    return IndexError_(f"the OpenSearch cluster of {address.url} failed: {said}")
