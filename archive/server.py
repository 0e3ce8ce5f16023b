"""HTTP: requests in; the CLI's JSON contracts (``/api/…``) and server-rendered, right-to-left
HTML pages out. A thin layer over archive.api, like the CLI: nothing here searches or tags.

    archive serve                       # http://127.0.0.1:8000/, the API's docs at /docs

The index is opened read-only. Every call into the archive runs under one lock: its caches are
per process and a search is CPU-bound Python, so threads would not make it faster anyway.
Article text reaches pages only through Jinja2's autoescaping; an article's URL becomes a link
only when it is http(s). Every response carries the security headers of SECURITY_HEADERS
(no script but our own files, no framing, no sniffing, no referrer), and ``/docs`` is Swagger
UI served from the ``swagger-ui-bundle-v2`` package, so it works without internet and under that
policy. Error messages never name a server path.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from pathlib import Path
from itertools import chain, islice
from typing import Annotated, Callable, Iterator, Literal
from urllib.parse import quote, urlencode

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from archive import export
from archive.api import Archive, ArchiveError
from archive.entities.catalogue import TYPES
from archive.records import scrub_surrogates
from archive.search import cut

MAX_QUERY_CHARS = 500  # a query longer than this is a mistake (or an attack), not a search
MAX_NAME_CHARS = 200  # an entity filter's name or id
MAX_FILTERS = 20
MAX_TAG_BYTES = 1_000_000  # POST /api/tag: about 250 pages of Arabic
PAGE_SIZE = 10
FILTER_PARAMS = {"person": "person", "place": "place", "org": "organization", "weapon": "weapon"}
PARAM_OF_TYPE = {kind: param for param, kind in FILTER_PARAMS.items()}
TYPE_LABELS = {"person": "أشخاص", "place": "أماكن", "organization": "منظمات", "weapon": "أسلحة"}

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# On every response. Scripts only from this server's own files (the pages need none; /docs
# loads Swagger UI's from /docs/assets/), so a script smuggled into an article cannot run even
# if escaping failed somewhere. Styles may be inline: the pages carry their stylesheet and the
# month bars' heights in the HTML, and CSS cannot run code. No framing (clickjacking), no
# MIME sniffing, and no Referer: a click on an article's source link does not tell the source
# what was searched.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",  # frame-ancestors for browsers without CSP level 2
}


class ApiError(Exception):
    """An error for the client: a status code and a message, returned as JSON (or a page)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def create_app(archive: Archive) -> FastAPI:
    """The web application over an open archive (open it with ``readonly=True``)."""
    app = FastAPI(title="archive", version=_version(), docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None,
                  description="Search a full-text archive of Arabic news; the JSON contracts "
                              "are those of the `archive` command's --json.")
    lock = threading.Lock()
    hide_paths = _path_hider(archive.path)

    def call(function: Callable, *args, status: int = 400, **kwargs):
        with lock:
            try:
                return function(*args, **kwargs)
            except ArchiveError as error:
                raise ApiError(status, hide_paths(str(error))) from None
            except ValueError as error:  # an argument the API refuses (archive.api validates)
                raise ApiError(400, hide_paths(str(error))) from None

    app.add_middleware(SecurityHeaders)
    _add_error_handlers(app)
    _add_api(app, archive, call, lock)
    _add_docs(app)
    _add_pages(app, archive, call)
    return app


class SecurityHeaders:
    """ASGI middleware: SECURITY_HEADERS on every response (a 500 answered by the outermost
    error handler gets them from ``_add_error_handlers``' responder)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()
                    if name.encode() not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


def _path_hider(index: Path) -> Callable[[str], str]:
    """A message with the index's location (as given, absolute or real) taken out: a client
    learns nothing of the server's files."""
    forms = "|".join(map(re.escape, sorted({str(index), str(index.absolute()), str(index.resolve())},
                                           key=len, reverse=True)))
    located = re.compile(r" at (?:%s)(?=[\s;:,)'`]|$)" % forms)  # "the index at PATH"
    inside = re.compile(r"(?:%s)(?:/[^\s'\"`]*)?" % forms)  # PATH, or a file in it

    def hide(message: str) -> str:
        message = re.sub(r"`archive index (--rebuild )?[^`]*`",
                         lambda m: f"`archive index {m.group(1) or ''}`".replace(" `", "`"), message)
        return inside.sub("(the index)", located.sub("", message))

    return hide


def safe_link(url: str | None) -> str | None:
    """``url`` if it may be a link (http or https, nothing a browser would strip or reinterpret),
    else None: javascript:, data:, vbscript: and the rest are shown as text."""
    if url and _HTTP_URL.fullmatch(url):
        return url
    return None


_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f\\]+", re.IGNORECASE)


# -- the JSON API --------------------------------------------------------------------------------

Text = Annotated[str, Query(max_length=MAX_QUERY_CHARS)]
Names = Annotated[list[str], Query(max_length=MAX_FILTERS)]


def _filters(person, place, org, weapon) -> dict[str, list[str]]:
    given = {"person": person, "place": place, "org": org, "weapon": weapon}
    filters = {FILTER_PARAMS[k]: list(v) for k, v in given.items() if v}
    if any(len(name) > MAX_NAME_CHARS for names in filters.values() for name in names):
        raise ApiError(400, f"an entity name is at most {MAX_NAME_CHARS} characters")
    return filters


EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def _export(format: str, hits: Iterator, lock: threading.Lock, query: str) -> StreamingResponse:
    """Every hit as CSV or JSON Lines, streamed: the archive lock is taken per page of hits,
    never across a slow download. The first page is searched before answering, so a bad
    filter is a 400, not a broken download."""

    def locked(iterator: Iterator) -> Iterator:
        while True:
            with lock:
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item

    with lock:
        try:
            first = list(islice(hits, 1))
        except ArchiveError as error:
            raise ApiError(400, str(error)) from None
    rows = chain(first, locked(hits))
    body = export.csv_lines(rows) if format == "csv" else export.jsonl_lines(rows)
    name = f"archive-{_slug(query) or 'search'}.{format}"
    return StreamingResponse((chunk.encode("utf-8") for chunk in body),
                             media_type=EXPORT_TYPES[format],
                             headers={"content-disposition": "attachment; filename=\"search."
                                      f"{format}\"; filename*=UTF-8''{quote(name)}"})


def _slug(text: str) -> str:
    """A query as a file name part: letters and digits, words joined by '-'."""
    words = ["".join(c for c in word if c.isalnum()) for word in text.split()]
    return "-".join(w for w in words if w)[:60]


def _add_api(app: FastAPI, archive: Archive, call, lock: threading.Lock) -> None:
    @app.get("/api/search", summary="Ranked passages, facets and months (archive search --json)")
    def api_search(q: Text = "", limit: Annotated[int, Query(ge=1, le=100)] = PAGE_SIZE,
                   page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                   person: Names = [], place: Names = [], org: Names = [], weapon: Names = [],
                   facets: Annotated[int, Query(ge=0, le=100)] = 10,
                   date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
                   date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
                   months: bool = False,
                   format: Annotated[Literal["json", "csv", "jsonl"], Query(
                       description="csv or jsonl: every hit of the search (limit, page, "
                                   "facets and months do not apply), streamed")] = "json"):
        filters = _filters(person, place, org, weapon)
        if format != "json":
            hits = archive.iter_hits(q, filters=filters, date_from=date_from, date_to=date_to)
            return _export(format, hits, lock, q)
        results = call(archive.search, q, limit=limit, page=page, filters=filters,
                       facets=facets, date_from=date_from, date_to=date_to, months=months)
        return results.to_dict()

    @app.get("/api/entities", summary="The most mentioned entities (archive entities --json)")
    def api_entities(type: Annotated[str | None, Query(pattern="^(" + "|".join(TYPES) + ")$")] = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 20):
        return call(archive.entities, kind=type, limit=limit).to_dict()

    @app.get("/api/entities/{entity_id}", summary="An entity's page (archive entity --json)")
    def api_entity(entity_id: str):
        return call(archive.entity, entity_id, status=404).to_dict()

    @app.get("/api/articles/{doc_id:path}",
             summary="An article as indexed, passages and mentions (archive article --json)")
    def api_article(doc_id: str):
        return call(archive.article, doc_id, status=404).to_dict()

    @app.post("/api/tag", summary="Entity mentions in a text (archive tag --json)")
    async def api_tag(request: Request,
                      text: Annotated[str | None, Body(embed=True,
                                                       description="or send text/plain")] = None):
        if text is None:
            raw = await _bounded_body(request)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(400, "the body must be UTF-8 text") from None
        elif len(text.encode("utf-8", "surrogatepass")) > MAX_TAG_BYTES:
            raise ApiError(413, f"the text is over {MAX_TAG_BYTES:,} bytes")
        # JSON may hold a lone surrogate ("\\ud800"): U+FFFD in its place, one code point for
        # one, so every offset still points into the text as sent
        return {"entities": [m.to_dict() for m in call(archive.tag, scrub_surrogates(text))]}


# -- /docs: Swagger UI from the swagger-ui-bundle-v2 package, no CDN, no inline script -------------

DOCS_ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript",
               "favicon-32x32.png": "image/png"}
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>archive API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" href="/docs/assets/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/start.js"></script></body></html>
"""
DOCS_START = """window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui",
  deepLinking: true, presets: [SwaggerUIBundle.presets.apis]});
"""


def _add_docs(app: FastAPI) -> None:
    from swagger_ui_bundle import swagger_ui_path

    folder = Path(swagger_ui_path)

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs_page():
        return HTMLResponse(DOCS_PAGE)

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def docs_asset(name: str):
        if name == "start.js":
            return Response(DOCS_START, media_type="text/javascript")
        if name not in DOCS_ASSETS:
            raise ApiError(404, "no such file")
        return FileResponse(folder / name, media_type=DOCS_ASSETS[name])


async def _bounded_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_TAG_BYTES:
        raise ApiError(413, f"the text is over {MAX_TAG_BYTES:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_TAG_BYTES:
            raise ApiError(413, f"the text is over {MAX_TAG_BYTES:,} bytes")
    return bytes(body)


def _add_error_handlers(app: FastAPI) -> None:
    """Every error is {"status", "error"} JSON for the API and a page for a browser; never a
    stack trace."""

    def respond(request: Request, status: int, message: str):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"status": status, "error": message}, status_code=status,
                                headers=SECURITY_HEADERS)
        return TEMPLATES.TemplateResponse(request, "error.html",
                                          {"status": status, "message": message},
                                          status_code=status, headers=SECURITY_HEADERS)

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, error: ApiError):
        return respond(request, error.status, error.message)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
                             for e in error.errors())
        return respond(request, 400, f"bad request: {problems}")

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, error: HTTPException):
        return respond(request, error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def on_bug(request: Request, error: Exception):
        return respond(request, 500, f"internal error ({type(error).__name__}); see the "
                                     f"server's log")


# -- the pages -----------------------------------------------------------------------------------

def _add_pages(app: FastAPI, archive: Archive, call) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: Text = "",
                    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                    person: Names = [], place: Names = [], org: Names = [], weapon: Names = [],
                    date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
                    date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None):
        state = _State(q, person, place, org, weapon, date_from or None, date_to or None)
        results, chips = None, []
        if state.asks_anything:
            results = call(archive.search, q, limit=PAGE_SIZE, page=page,
                           filters=_filters(person, place, org, weapon), facets=8,
                           date_from=state.date_from, date_to=state.date_to, months=True)
            chips = [(call(archive.resolve_entity, value, FILTER_PARAMS[param]).name,
                      state.url(without=(param, value)), param)
                     for param, value in state.filters()]
        return TEMPLATES.TemplateResponse(request, "search.html", {
            "state": state, "results": results, "chips": chips, "page": page,
            "type_labels": TYPE_LABELS, "marked": cut, "months": _month_bars(results),
            "pages": _pages(results, state) if results else None})

    @app.get("/articles/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, doc_id: str):
        article = call(archive.article, doc_id, status=404).to_dict()
        return TEMPLATES.TemplateResponse(request, "article.html", {
            "article": article, "type_labels": TYPE_LABELS, "source_link": safe_link(article["url"]),
            "segments": [_segments(p["text"], p["entities"]) for p in article["passages"]]})

    @app.get("/entities/{entity_id}", response_class=HTMLResponse, include_in_schema=False)
    def entity_page(request: Request, entity_id: str):
        entity = call(archive.entity, entity_id, samples=10, related=8, status=404).to_dict()
        param = PARAM_OF_TYPE[entity["type"]]
        timeline = call(archive.search, "", filters={entity["type"]: [entity["id"]]}, facets=0,
                        limit=1, months=True)
        return TEMPLATES.TemplateResponse(request, "entity.html", {
            "entity": entity, "type_labels": TYPE_LABELS, "marked": cut,
            "search_url": "/?" + urlencode({param: entity["id"]}),
            "months": _month_bars(timeline)})


class _State:
    """The whole state of the search page, as it lives in the URL (shareable, back button)."""

    def __init__(self, q, person, place, org, weapon, date_from, date_to):
        self.q = q
        self.values = {"person": list(person), "place": list(place), "org": list(org),
                       "weapon": list(weapon)}
        self.date_from, self.date_to = date_from, date_to

    @property
    def asks_anything(self) -> bool:
        return bool(self.q.strip() or any(self.values.values()) or self.date_from or self.date_to)

    def filters(self) -> list[tuple[str, str]]:
        return [(param, value) for param, values in self.values.items() for value in values]

    def params(self, without=None, page: int = 1, dates=None) -> list[tuple[str, str]]:
        """The URL parameters of this state, less the filter ``without``, on ``page``, with
        ``dates`` = (from, to) in place of the current ones if given."""
        pairs = [("q", self.q)] if self.q else []
        pairs += [pair for pair in self.filters() if pair != without]
        start, end = dates if dates is not None else (self.date_from, self.date_to)
        pairs += [(name, value) for name, value in (("from", start), ("to", end)) if value]
        if page != 1:
            pairs.append(("page", str(page)))
        return pairs

    def url(self, without=None, page: int = 1, dates=None) -> str:
        return "/?" + urlencode(self.params(without, page, dates))

    def with_filter(self, type_: str, entity_id: str) -> str:
        param = PARAM_OF_TYPE[type_]
        if entity_id in self.values[param]:
            return self.url()
        return "/?" + urlencode(self.params() + [(param, entity_id)])

    def export_url(self, format: str) -> str:
        """Every hit of this search and its filters, as ``format`` (csv, jsonl)."""
        return "/api/search?" + urlencode(self.params() + [("format", format)])

    def with_query(self, q: str) -> str:
        return "/?" + urlencode([("q", q)] + self.hidden_fields())

    def hidden_fields(self) -> list[tuple[str, str]]:
        """What the search box keeps when a new query is typed: the filters and dates."""
        return [pair for pair in self.params() if pair[0] != "q"]


def _segments(text: str, mentions: list[dict]) -> list[tuple[str, dict | None]]:
    """A passage cut into plain pieces and entity mentions (each with its type and id)."""
    kept, last = [], 0
    for mention in sorted(mentions, key=lambda m: m["start"]):
        if mention["start"] >= last:  # overlapping mentions: the first one wins
            kept.append(mention)
            last = mention["end"]
    return cut(text, [(m["start"], m["end"]) for m in kept], kept)


def _month_bars(results) -> list[dict]:
    """The months of a search as bars: label, count, height in percent of the largest."""
    months = results.months if results is not None else []
    top = max((m["count"] for m in months), default=0)
    return [{**m, "height": max(4, round(100 * m["count"] / top))} for m in months]


def _pages(results, state: _State) -> dict:
    last = max(1, -(-results.total // results.limit))
    return {"last": last,
            "previous": state.url(page=results.page - 1) if results.page > 1 else None,
            "next": state.url(page=results.page + 1) if results.page < last else None}


def _version() -> str:
    from archive import __version__

    return __version__


# -- running -------------------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(path: str | Path, host: str = "127.0.0.1", port: int = 8000,
          announce: Callable[[str], None] = print) -> None:
    """Serve the index at ``path`` (read-only) until interrupted."""
    import uvicorn

    archive = Archive.open(path, readonly=True)
    if not is_loopback(host):
        announce(f"Warning: listening on {host}, beyond this machine. There is no "
                 f"authentication: anyone who can reach port {port} can read the archive.")
    shown = f"[{host}]" if ":" in host else host
    announce(f"Serving {path} at http://{shown}:{port}/ (API docs at /docs; Ctrl-C stops).")
    uvicorn.run(create_app(archive), host=host, port=port, log_level="warning")
