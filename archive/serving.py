"""Running the web application: ``archive serve`` on one or several worker processes.

    archive serve --workers 4          # four processes sharing one listening socket

archive.server defines the routes over one open archive (``create_app``); this module decides
how many processes run them. A search is CPU-bound Python under one lock per archive, so one
process uses one core however many threads it has: with ``workers`` > 1, uvicorn's supervisor
binds the socket once and starts that many processes, each calling ``worker_app`` to open its
own read-only Archive. The kernel spreads connections over them, so a slow query holds one
worker and the others keep answering. Each worker's Archive reopens its searcher when a build
has committed since its last search (archive.api), so a build under a running server is seen
by every worker at its next request, and until then each answers from the generation it has
open. Every response says which process answered (``x-archive-worker``: its PID), for tests
and load reports.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path

from archive.errors import ArchiveError

INDEX_VARIABLE = "ARCHIVE_SERVE_INDEX"  # how the supervisor tells each worker its index
WORKER_HEADER = "x-archive-worker"


def default_workers() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_app():
    """One worker's application (uvicorn's app factory): the index named by
    $ARCHIVE_SERVE_INDEX, opened read-only in this process, with the worker header."""
    from archive.api import Archive
    from archive.server import create_app

    path = os.environ.get(INDEX_VARIABLE)
    if not path:
        raise ArchiveError(f"${INDEX_VARIABLE} names no index for this worker")
    app = create_app(Archive.open(path, readonly=True))
    app.add_middleware(WorkerHeader)
    return app


class WorkerHeader:
    """ASGI middleware: every HTTP response names the worker process that answered it."""

    def __init__(self, app):
        self.app = app
        self.header = (WORKER_HEADER.encode(), str(os.getpid()).encode())

    async def __call__(self, scope, receive, send):
        """Pass the request on; the response's headers get ``x-archive-worker``."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_worker(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, with_worker)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is localhost or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(path: str | Path, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None,
          announce: Callable[[str], None] = print) -> None:
    """Serve the index at ``path`` (read-only) on ``workers`` processes (default: the cores)
    until interrupted."""
    import uvicorn

    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    os.environ[INDEX_VARIABLE] = str(Path(path).absolute())  # inherited by the spawned workers
    if not is_loopback(host):
        announce(f"Warning: listening on {host}, beyond this machine. There is no "
                 f"authentication: anyone who can reach port {port} can read the archive.")
    shown = f"[{host}]" if ":" in host else host
    processes = "1 process" if workers == 1 else f"{workers} worker processes"
    announce(f"Serving {path} at http://{shown}:{port}/ on {processes} (API docs at /docs; "
             f"Ctrl-C stops).")
    uvicorn.run("archive.serving:worker_app", factory=True, host=host, port=port,
                workers=workers, log_level="warning")
