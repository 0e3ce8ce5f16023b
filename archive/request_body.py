"""Reading a request body with a size limit, for the server's routes that take text (POST
/api/tag, POST /api/batch): a Request and a limit in, the bytes out, or the route's own error
(413) as soon as the declared length or the bytes read pass the limit, so a huge upload is
never held whole."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request


async def bounded_body(request: Request, limit: int, too_big: str,
                       error: Callable[[int, str], Exception]) -> bytes:
    """The body of ``request``; ``error(413, too_big)`` raised once it is over ``limit``
    bytes (by its Content-Length, or while it streams in)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise error(413, too_big)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise error(413, too_big)
    return bytes(body)
