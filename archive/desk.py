"""The investigative desk's routes of ``archive serve``: a search as an Atom feed
(``GET /feed.atom``), batch search (``POST /api/batch``, and the form at ``/batch`` that takes a
pasted or uploaded list). Added to the app by archive.server; thin, like it: archive.batch and
archive.atom do the work.
"""

import csv
import io
import json
import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from archive import atom
from archive.api import Archive
from archive.batch import COLUMNS, BatchRow
from archive.export import csv_cell
from archive.request_body import bounded_body

MAX_BATCH_LINES = 10_000  # a list longer than this is refused: split it
MAX_BATCH_BYTES = 2_000_000  # about 10,000 lines of names with filters
FORM_LINES = 1_000  # the web form's table; longer lists: the CSV download or the API
BATCH_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def add_routes(app: FastAPI, archive: Archive, call: Callable, lock: threading.Lock,
               page: Callable, search_dependency, error: Callable[[int, str], Exception]) -> None:
    """The feed, the batch API and the batch form, on ``app``. ``call`` runs an archive call
    under the lock (errors as ``error``), ``page`` renders a template,
    ``search_dependency`` is the page's search parameters (archive.server.Search)."""

    @app.get("/feed.atom", summary="A search as an Atom feed: its newest matching articles",
             response_class=Response,
             responses={200: {"content": {"application/atom+xml": {}}}})
    def feed_atom(request: Request, search: search_dependency,
                  collapse: Annotated[bool, Query(description="each story once")] = True):
        arguments = {**search.arguments(), "sort": "date"}
        hits = call(lambda: atom.newest_articles(archive.iter_hits(
            search.q, highlight=False, collapse=collapse, **arguments)))
        base = str(request.base_url).rstrip("/")
        query = urlencode([(k, v) for k, v in request.query_params.multi_items()])
        page_url = f"{base}/?{query}" if query else f"{base}/"
        title = f"{search.q.strip() or 'archive'} — archive"
        body = atom.feed(hits, title, base, str(request.url), page_url)
        return Response(body, media_type=atom.MEDIA_TYPE)

    @app.post("/api/batch", summary="Batch search: a summary row per query line (archive batch)")
    async def api_batch(request: Request,
                        format: Annotated[Literal["json", "csv", "jsonl"], Query(
                            description="json: {rows}; csv or jsonl: streamed rows")] = "json"):
        body = await bounded_body(request, MAX_BATCH_BYTES,
                                  f"the list is over {MAX_BATCH_BYTES:,} bytes; split it", error)
        lines = _lines(body, request.headers.get("content-type", ""), error)
        rows = _locked(archive.batch(lines), lock)
        if format == "json":
            return {"rows": await run_in_threadpool(lambda: [row.to_dict() for row in rows])}
        return StreamingResponse(_serialized(rows, format), media_type=BATCH_TYPES[format],
                                 headers={"content-disposition":
                                          f'attachment; filename="batch.{format}"'})

    @app.get("/batch", response_class=HTMLResponse, include_in_schema=False)
    def batch_form(request: Request):
        return page(request, "batch.html", {"rows": None, "lines": ""})

    @app.post("/batch", response_class=HTMLResponse, include_in_schema=False)
    async def batch_page(request: Request):
        form = await request.form(max_files=1, max_fields=5, max_part_size=MAX_BATCH_BYTES)
        pasted = form.get("lines")
        text = pasted if isinstance(pasted, str) else ""
        upload = form.get("file")
        if upload is not None and not isinstance(upload, str) and upload.filename:
            raw = await upload.read(MAX_BATCH_BYTES + 1)
            text = (text + "\n" if text.strip() else "") + _decoded(raw, error)
        lines = _bounded(text.splitlines(), error)[:FORM_LINES]
        rows = await run_in_threadpool(call, lambda: list(archive.batch(lines)))
        return page(request, "batch.html", {"rows": rows, "lines": text,
                                            "cut": len(text.splitlines()) > FORM_LINES,
                                            "search_url": _search_url})


def _search_url(line: str) -> str:
    """The search page of a batch line (its words; filters typed in the line stay words)."""
    from archive.batch import parse_line

    parsed = parse_line(line)
    params = [("q", parsed.text)] if parsed.text else []
    short = {"organization": "org"}
    params += [(short.get(kind, kind), name) for kind, names in parsed.filters.items()
               for name in names]
    params += [("exclude_" + short.get(kind, kind), name)
               for kind, names in parsed.exclude.items() for name in names]
    params += [(k, v) for k, v in (("from", parsed.date_from), ("to", parsed.date_to)) if v]
    return "/?" + urlencode(params)


def _lines(body: bytes, content_type: str, error) -> list[str]:
    """A batch request's lines: JSON ``{"queries": [...]}`` or plain text, one per line."""
    text = _decoded(body, error)
    if content_type.startswith("application/json"):
        try:
            queries = json.loads(text).get("queries")
        except (ValueError, AttributeError):
            queries = None
        if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
            raise error(400, 'send {"queries": ["…", …]} or text/plain, one query per line')
        return _bounded([" ".join(q.splitlines()) for q in queries], error)
    return _bounded(text.splitlines(), error)


def _decoded(raw: bytes, error) -> str:
    if len(raw) > MAX_BATCH_BYTES:
        raise error(413, f"the list is over {MAX_BATCH_BYTES:,} bytes; split it")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(400, "the list must be UTF-8 text") from None


def _bounded(lines: list[str], error) -> list[str]:
    if len(lines) > MAX_BATCH_LINES:
        raise error(413, f"the list has {len(lines):,} lines, over {MAX_BATCH_LINES:,}; split it")
    return lines


def _locked(rows: Iterator[BatchRow], lock: threading.Lock) -> Iterator[BatchRow]:
    """The rows, the archive lock taken per row: other requests are served between two."""
    while True:
        with lock:
            row = next(rows, None)
        if row is None:
            return
        yield row


def _serialized(rows: Iterator[BatchRow], format: str) -> Iterator[bytes]:
    if format == "jsonl":
        for row in rows:
            yield (json.dumps(row.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        flat = row.flat()
        writer.writerow([csv_cell(flat[name]) for name in COLUMNS])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
