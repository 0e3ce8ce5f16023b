"""HTTP: requests in; the CLI's JSON contracts (``/api/…``) and server-rendered, right-to-left
HTML pages out. A thin layer over archive.api, like the CLI: nothing here searches or tags.

    archive serve                       # http://127.0.0.1:8000/, the API's docs at /docs

The index is opened read-only. Every call into the archive runs under one lock: its caches are
per process and a search is CPU-bound Python, so threads would not make it faster anyway;
archive.serving runs several such processes to use every core.
Article text reaches pages only through Jinja2's autoescaping; an article's URL becomes a link
only when it is http(s). Every response carries the security headers of SECURITY_HEADERS
(no script but our own files, no framing, no sniffing, no referrer), and ``/docs`` is Swagger
UI served from the ``swagger-ui-bundle-v2`` package, so it works without internet and under that
policy. Error messages never name a server path.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from archive import desk, export
from archive.api import Archive, ArchiveError
from archive.arabic import normalize
from archive.engines import Remote
from archive.entities.catalogue import TYPES
from archive.grouping import ArticlePage, group_by_article
from archive.openapi import errors, with_exports, without_validation_422
from archive.records import scrub_surrogates
from archive.request_body import bounded_body
from archive.search import cut
from archive.wording import MONTHS, counted, human_date, month_name

MAX_QUERY_CHARS = 500  # a query longer than this is a mistake (or an attack), not a search
MAX_NAME_CHARS = 200  # an entity filter's name or id
MAX_FILTERS = 20
MAX_TAG_BYTES = 1_000_000  # POST /api/tag: about 250 pages of Arabic
PAGE_SIZE = 10
FILTER_PARAMS = {"person": "person", "place": "place", "org": "organization", "weapon": "weapon"}
PARAM_OF_TYPE = {kind: param for param, kind in FILTER_PARAMS.items()}
TYPE_LABELS = {"person": "أشخاص", "place": "أماكن", "organization": "منظمات", "weapon": "أسلحة"}
TYPE_LABEL = {"person": "شخص", "place": "مكان", "organization": "منظمة", "weapon": "سلاح"}

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals.update(counted=counted, human_date=human_date)
STATIC = Path(__file__).parent / "static"  # the pages' stylesheet (no script: none is needed)

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
    _add_pages(app, archive, call, lock)
    without_validation_422(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


class SecurityHeaders:
    """ASGI middleware: SECURITY_HEADERS on every response (a 500 answered by the outermost
    error handler gets them from ``_add_error_handlers``' responder)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        """Pass the request on; an HTTP response gets every SECURITY_HEADERS header it lacks."""
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


def _path_hider(index: Path | Remote) -> Callable[[str], str]:
    """A message with the index's location (as given, absolute or real; a cluster's URL) taken
    out: a client learns nothing of the server's files or cluster."""
    names = {str(index)} if isinstance(index, Remote) else {
        str(index), str(index.absolute()), str(index.resolve())}
    forms = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    located = re.compile(rf" at (?:{forms})(?=[\s;:,)'`]|$)")  # "the index at PATH"
    inside = re.compile(rf"(?:{forms})(?:/[^\s'\"`]*)?")  # PATH, or a file in it

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
OptionalNames = Annotated[list[str] | None, Query(max_length=MAX_FILTERS)]
PageNumber = Annotated[int, Query(ge=1, le=10_000)]
Sort = Literal["relevance", "date", "oldest"]
SORT_LABELS = {"relevance": "الأكثر صلة", "date": "الأحدث أولًا", "oldest": "الأقدم أولًا"}


@dataclass
class SearchRequest:
    """What a search asks, from the URL: the words, the entities required and excluded (by
    URL parameter: person, place, org, weapon), the dates and the order."""

    q: str = ""
    include: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "relevance"

    def arguments(self) -> dict:
        """Archive.search's keyword arguments (less limit, page, facets, months)."""
        return {"filters": _typed(self.include), "exclude": _typed(self.exclude),
                "date_from": self.date_from, "date_to": self.date_to, "sort": self.sort}


def search_request(
        q: Text = "", person: OptionalNames = None, place: OptionalNames = None,
        org: OptionalNames = None, weapon: OptionalNames = None,
        exclude_person: OptionalNames = None, exclude_place: OptionalNames = None,
        exclude_org: OptionalNames = None, exclude_weapon: OptionalNames = None,
        date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
        date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
        sort: Annotated[Sort, Query(description="relevance, date (newest first) or oldest")]
        = "relevance") -> SearchRequest:
    """The search parameters the API and the page share (a FastAPI dependency)."""
    include = {"person": person or [], "place": place or [], "org": org or [],
               "weapon": weapon or []}
    exclude = {"person": exclude_person or [], "place": exclude_place or [],
               "org": exclude_org or [], "weapon": exclude_weapon or []}
    for names in (*include.values(), *exclude.values()):
        if any(len(name) > MAX_NAME_CHARS for name in names):
            raise ApiError(400, f"an entity name is at most {MAX_NAME_CHARS} characters")
    return SearchRequest(q, {k: list(v) for k, v in include.items()},
                         {k: list(v) for k, v in exclude.items()},
                         date_from or None, date_to or None, sort)


def _typed(by_param: dict[str, list[str]]) -> dict[str, list[str]]:
    """{URL parameter: names} as Archive.search's {entity type: names}."""
    return {FILTER_PARAMS[param]: names for param, names in by_param.items() if names}


Search = Annotated[SearchRequest, Depends(search_request)]


def json_response(data: dict) -> Response:
    """``data`` (the plain dicts, lists, strings and numbers of a ``to_dict()``) as the JSON
    FastAPI's JSONResponse writes (UTF-8, Arabic as text, compact), encoded directly: FastAPI's
    generic encoder walks every value of a search's answer in Python first, which cost as much
    as the search itself."""
    return Response(json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
                    .encode("utf-8"), media_type="application/json")


def _plain(value):
    """An API result as JSON-ready data (typed results have ``to_dict``)."""
    return value.to_dict() if hasattr(value, "to_dict") else value


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


def _grouped(archive: Archive, request: SearchRequest, page: int, limit: int,
             collapse: bool = False) -> ArticlePage:
    """A page of articles, each with its best passages (call under the archive lock);
    ``collapse``: each story once (archive.collapsing)."""
    # highlighting is most of a hit's cost: only the passages shown get it
    grouped = group_by_article(archive.iter_hits(request.q, highlight=False, collapse=collapse,
                                                 **request.arguments()), page, limit)
    archive.highlight_hits(request.q, [hit for group in grouped.articles for hit in group.hits])
    return grouped


def _add_api(app: FastAPI, archive: Archive, call, lock: threading.Lock) -> None:
    @app.get("/api/search", summary="Ranked passages, facets and months (archive search --json)",
             responses=with_exports(errors(400)))
    def api_search(search: Search, limit: Annotated[int, Query(ge=1, le=100)] = PAGE_SIZE,
                   page: PageNumber = 1,
                   facets: Annotated[int, Query(ge=0, le=100)] = 10,
                   months: bool = False,
                   group: Annotated[Literal["passage", "article"], Query(
                       description="article: one result per article (limit and page count "
                                   "articles), its best passages under `hits`")] = "passage",
                   format: Annotated[Literal["json", "csv", "jsonl"], Query(
                       description="csv or jsonl: every hit of the search (limit, page, "
                                   "facets and months do not apply), streamed")] = "json",
                   collapse: Annotated[bool, Query(
                       description="each story once: re-published copies named in `copies`, "
                                   "facets counting stories")] = False):
        if format != "json":
            return _export(format, archive.iter_hits(search.q, highlight=False, collapse=collapse,
                                                     **search.arguments()), lock, search.q)
        if group == "article":
            results = call(archive.search, search.q, limit=1, facets=facets, months=months,
                           collapse=collapse, **search.arguments())
            articles = call(_grouped, archive, search, page, limit, collapse)
            return json_response({**results.to_dict(), "page": page, "limit": limit,
                                  **articles.to_dict()})
        results = call(archive.search, search.q, limit=limit, page=page, facets=facets,
                       months=months, collapse=collapse, **search.arguments())
        return json_response(results.to_dict())

    @app.get("/api/entities", summary="The most mentioned entities (archive entities --json)",
             responses=errors(400))
    def api_entities(type: Annotated[str | None, Query(pattern="^(" + "|".join(TYPES) + ")$")] = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 20):
        return json_response(call(archive.entities, kind=type, limit=limit).to_dict())

    @app.get("/api/entities/{entity_id}", summary="An entity's page (archive entity --json)",
             responses=errors(400, 404))
    def api_entity(entity_id: str):
        return json_response(call(archive.entity, entity_id, status=404).to_dict())

    @app.get("/api/articles/{doc_id:path}",
             summary="An article as indexed, passages and mentions (archive article --json)",
             responses=errors(400, 404))
    def api_article(doc_id: str):
        return json_response(call(archive.article, doc_id, status=404).to_dict())

    @app.post("/api/tag", summary="Entity mentions in a text (archive tag --json)",
              responses=errors(400, 413))
    async def api_tag(request: Request,
                      text: Annotated[str | None, Body(embed=True,
                                                       description="or send text/plain")] = None):
        if text is None:
            raw = await bounded_body(request, MAX_TAG_BYTES,
                                     f"the text is over {MAX_TAG_BYTES:,} bytes", ApiError)
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


def _add_error_handlers(app: FastAPI) -> None:
    """Every error is {"status", "error"} JSON for the API and a page for a browser; never a
    stack trace."""

    def respond(request: Request, status: int, message: str, extra: Mapping[str, str] | None = None):
        headers = {**SECURITY_HEADERS, **(extra or {})}  # extra: a 405's Allow
        if request.url.path.startswith("/api/"):
            return JSONResponse({"status": status, "error": message}, status_code=status,
                                headers=headers)
        return TEMPLATES.TemplateResponse(request, "error.html",
                                          {"status": status, "message": message},
                                          status_code=status, headers=headers)

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
        return respond(request, error.status_code, str(error.detail), error.headers)

    @app.exception_handler(Exception)
    async def on_bug(request: Request, error: Exception):
        return respond(request, 500, f"internal error ({type(error).__name__}); see the "
                                     f"server's log")


# -- the pages -----------------------------------------------------------------------------------

FACET_SHOWN = 8  # entities per type beside the results
FACET_MORE = 50  # on a facet's own page
FACET_SEARCHED = 1000  # entities a facet's name filter looks through
ENTITIES_PAGE = 50  # rows of the entity browser
GRAPH_NODES = 12  # co-mentioned entities drawn around an entity


def _add_pages(app: FastAPI, archive: Archive, call, lock: threading.Lock) -> None:
    def page(request: Request, template: str, context: dict, autofocus: bool = False):
        return TEMPLATES.TemplateResponse(request, template, {
            "type_labels": TYPE_LABELS, "type_label": TYPE_LABEL, "marked": cut,
            "autofocus": autofocus, **context})

    desk.add_routes(app, archive, call, lock, page, Search, ApiError)  # feed, batch

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, search: Search, page_number: Annotated[
            int, Query(alias="page", ge=1, le=10_000)] = 1, collapse: bool = True):
        state = _State(search, collapse)
        results = articles = None
        if state.asks_anything:
            results = call(archive.search, search.q, limit=1, facets=FACET_SHOWN, months=True,
                           collapse=collapse, **search.arguments())
            articles = call(_grouped, archive, search, page_number, PAGE_SIZE, collapse)
        return page(request, "search.html", {
            "state": state, "results": results, "articles": articles,
            "chips": _chips(archive, call, state) if results else [],
            "months": _timeline(results.months if results else [], state.month_url),
            "pager": _pager(articles, state) if articles else None,
            "sort_labels": SORT_LABELS}, autofocus=True)

    @app.get("/facets/{kind}", response_class=HTMLResponse, include_in_schema=False)
    def facet_page(request: Request, kind: Literal["person", "place", "organization", "weapon"],
                   search: Search,
                   name: Annotated[str, Query(max_length=MAX_NAME_CHARS)] = ""):
        state = _State(search)
        wanted = FACET_SEARCHED if name.strip() else FACET_MORE
        results = call(archive.search, search.q, limit=1, facets=wanted, **search.arguments())
        rows = _named(results.facets.get(kind, []), name)[:FACET_MORE]
        return page(request, "facet.html", {
            "state": state, "kind": kind, "rows": rows, "name": name, "results": results})

    @app.get("/entities", response_class=HTMLResponse, include_in_schema=False)
    def entities_page(request: Request,
                      type: Annotated[str | None, Query(pattern="^(|" + "|".join(TYPES) + ")$")]
                      = None,
                      name: Annotated[str, Query(max_length=MAX_NAME_CHARS)] = "",
                      page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1):
        listed = _plain(call(archive.entities, limit=1_000_000))
        by_type = {kind: _named(listed.get(kind, []), name) for kind in TYPES}
        rows = [dict(row, type=kind) for kind in TYPES if type in (None, "", kind)
                for row in by_type[kind]]
        if not type:
            rows.sort(key=lambda r: (-r["count"], r["name"]))
        last = max(1, -(-len(rows) // ENTITIES_PAGE))
        shown = rows[(page_number - 1) * ENTITIES_PAGE:page_number * ENTITIES_PAGE]

        def url(**changes) -> str:
            params = {"type": type or "", "name": name, "page": page_number, **changes}
            return "/entities?" + urlencode({k: v for k, v in params.items()
                                             if v and not (k == "page" and v == 1)})
        return page(request, "entities.html", {
            "rows": shown, "total": len(rows), "type": type or "", "name": name,
            "counts": {kind: len(by_type[kind]) for kind in TYPES}, "url": url,
            "pager": {"page": page_number, "last": last,
                      "previous": url(page=page_number - 1) if page_number > 1 else None,
                      "next": url(page=page_number + 1) if page_number < last else None}})

    @app.get("/articles/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, doc_id: str):
        article = _plain(call(archive.article, doc_id, status=404))
        return page(request, "article.html", {
            "article": article, "source_link": safe_link(article["url"]),
            "segments": [(p["position"], _segments(p["text"], p["entities"]))
                         for p in article["passages"]]})

    @app.get("/entities/{entity_id}", response_class=HTMLResponse, include_in_schema=False)
    def entity_page(request: Request, entity_id: str):
        entity = _plain(call(archive.entity, entity_id, samples=10, related=GRAPH_NODES,
                             status=404))
        param = PARAM_OF_TYPE[entity["type"]]
        search_url = "/?" + urlencode({param: entity["id"]})
        timeline = call(archive.search, "", filters={entity["type"]: [entity["id"]]}, facets=0,
                        limit=1, months=True)
        passages = [(hit, _marked_entity(archive, call, hit["text"], entity["id"]))
                    for hit in entity["passages"]]
        return page(request, "entity.html", {
            "entity": entity, "search_url": search_url, "passages": passages,
            "graph": co_mention_graph(entity, entity["co_mentions"]),
            "months": _timeline(timeline.months, lambda start, end: "/?" + urlencode(
                [(param, entity["id"]), ("from", start), ("to", end)]))})


class _State:
    """The whole state of the search page, as it lives in the URL (shareable, back button)."""

    def __init__(self, search: SearchRequest, collapse: bool = True):
        self.search = search
        self.collapse = collapse  # each story once (the default; collapse=0 shows every copy)
        self.q = search.q
        self.values = search.include
        self.excluded = search.exclude
        self.date_from, self.date_to = search.date_from, search.date_to
        self.sort = search.sort

    @property
    def asks_anything(self) -> bool:
        return bool(self.q.strip() or any(self.values.values()) or any(self.excluded.values())
                    or self.date_from or self.date_to)

    def filters(self) -> list[tuple[str, str]]:
        """(URL parameter, value) of every entity required, then of every one excluded."""
        return ([(param, value) for param, values in self.values.items() for value in values]
                + [("exclude_" + param, value) for param, values in self.excluded.items()
                   for value in values])

    def params(self, without=(), page: int = 1, dates=None, sort: str | None = None,
               adding=()) -> list[tuple[str, str]]:
        """The URL parameters of this state, less the filters ``without``, plus ``adding``,
        on ``page``, with ``dates`` = (from, to) and ``sort`` in place of the current ones if
        given."""
        pairs = [("q", self.q)] if self.q else []
        pairs += [pair for pair in self.filters() if pair not in without]
        pairs += [pair for pair in adding if pair not in pairs]
        start, end = dates if dates is not None else (self.date_from, self.date_to)
        pairs += [(name, value) for name, value in (("from", start), ("to", end)) if value]
        order = sort or self.sort
        if order != "relevance":
            pairs.append(("sort", order))
        if not self.collapse:
            pairs.append(("collapse", "0"))
        if page != 1:
            pairs.append(("page", str(page)))
        return pairs

    def url(self, without=(), page: int = 1, dates=None, sort: str | None = None,
            adding=()) -> str:
        return "/?" + urlencode(self.params(without, page, dates, sort, adding))

    def without(self, param: str, value: str) -> str:
        return self.url(without=[(param, value)])

    def with_filter(self, type_: str, entity_id: str) -> str:
        """Require the entity (and stop excluding it)."""
        param = PARAM_OF_TYPE[type_]
        return self.url(without=[("exclude_" + param, entity_id)], adding=[(param, entity_id)])

    def with_exclusion(self, type_: str, entity_id: str) -> str:
        """Leave out every passage mentioning the entity (and stop requiring it)."""
        param = PARAM_OF_TYPE[type_]
        return self.url(without=[(param, entity_id)], adding=[("exclude_" + param, entity_id)])

    def month_url(self, start: str | None, end: str | None) -> str:
        return self.url(dates=(start, end))

    def sort_url(self, sort: str) -> str:
        return self.url(sort=sort)

    def export_url(self, format: str) -> str:
        """Every hit of this search and its filters, as ``format`` (csv, jsonl)."""
        return "/api/search?" + urlencode(self.params() + [("format", format)])

    def collapse_url(self, collapse: bool) -> str:
        """This search with re-published copies shown once (``collapse``) or each shown."""
        before, self.collapse = self.collapse, collapse
        try:
            return self.url()
        finally:
            self.collapse = before

    def feed_url(self) -> str:
        """This search (words, filters, dates) as an Atom feed of its newest articles."""
        return "/feed.atom?" + urlencode([p for p in self.params() if p[0] not in ("sort", "page")])

    def facet_url(self, kind: str) -> str:
        return f"/facets/{kind}?" + urlencode(self.params())

    def with_query(self, q: str) -> str:
        return "/?" + urlencode([("q", q)] + self.hidden_fields())

    def hidden_fields(self) -> list[tuple[str, str]]:
        """What the search box keeps when a new query is typed: the filters, dates and order."""
        return [pair for pair in self.params() if pair[0] != "q"]

    def range_fields(self) -> list[tuple[str, str]]:
        """What the month range form keeps: everything but the dates."""
        return [pair for pair in self.params() if pair[0] not in ("from", "to")]


def _chips(archive: Archive, call, state: _State) -> list[dict]:
    """The filters in force, each with its entity's name and the URL without it."""
    chips = []
    for param, value in state.filters():
        excluded = param.startswith("exclude_")
        kind = FILTER_PARAMS[param.removeprefix("exclude_")]
        chips.append({"label": call(archive.resolve_entity, value, kind).name,
                      "remove": state.without(param, value), "param": param,
                      "excluded": excluded})
    return chips


def _named(rows, name: str) -> list[dict]:
    """The rows (entity counts) whose entity name (or id) holds ``name``, compared as the index
    compares Arabic (no tashkeel, one alef, ة/ه, ى/ي; Latin in any case), as dicts."""
    rows = [_plain(row) for row in rows]
    wanted = normalize(name.strip())
    if not wanted:
        return list(rows)
    return [row for row in rows
            if wanted in normalize(row["name"]) or wanted in row["id"].lower()]


def _marked_entity(archive: Archive, call, text: str, entity_id: str) -> list[tuple[str, object]]:
    """A passage cut so that the entity's mentions (tagged again, any spelling) are marked."""
    mentions = [m for m in call(archive.tag, text) if m.entity_id == entity_id]
    spans, last = [], 0
    for mention in sorted(mentions, key=lambda m: m.start):
        if mention.start >= last:
            spans.append([mention.start, mention.end])
            last = mention.end
    return cut(text, spans)


def _segments(text: str, mentions: list[dict]) -> list[tuple[str, object]]:
    """A passage cut into plain pieces and entity mentions (each with its type and id)."""
    kept, last = [], 0
    for mention in sorted(mentions, key=lambda m: m["start"]):
        if mention["start"] >= last:  # overlapping mentions: the first one wins
            kept.append(mention)
            last = mention["end"]
    return cut(text, [(m["start"], m["end"]) for m in kept], kept)


def _timeline(months: list[dict], link: Callable[[str, str], str]) -> dict | None:
    """Every month from the first to the last with a hit, empty ones too, as bars (count,
    height in percent of the largest, label, link restricting the search to it), and the
    choices of a from/to month range."""
    if not months:
        return None
    counts = {m["month"]: m["count"] for m in months}
    first, last = min(counts), max(counts)
    year, month = int(first[:4]), int(first[5:7])
    bars: list[dict] = []
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        count = counts.get(key, 0)
        bars.append({"month": key, "count": count, "name": month_name(key),
                     "short": MONTHS[month - 1], "year": str(year) if month == 1 or not bars
                     else "", "url": link(key, key) if count else None})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    top = max(counts.values())
    for bar in bars:
        bar["height"] = round(100 * bar["count"] / top) if bar["count"] else 0
    return {"bars": bars, "first": first, "last": last}


def _pager(articles: ArticlePage, state: _State) -> dict:
    page = articles.page
    return {"page": page, "last": articles.last_page, "exact": articles.exact,
            "previous": state.url(page=page - 1) if page > 1 else None,
            "next": state.url(page=page + 1) if articles.has_next else None}


def co_mention_graph(entity: dict, co_mentions: dict[str, list[dict]], width: int = 760,
                     height: int = 440) -> dict:
    """The entity in the middle, the entities most often in the same articles around it on an
    ellipse (the most counted first, clockwise from the top), each joined to it by a line as
    thick as their shared articles: positions computed here, drawn as SVG by the template."""
    by_count = sorted((dict(row, type=kind) for kind, rows in co_mentions.items() for row in rows),
                      key=lambda r: (-r["count"], r["name"]))
    # Every type gets a few nodes (the people beside a person matter even when places are
    # mentioned more), then the most counted fill the rest.
    share = GRAPH_NODES // max(1, len(co_mentions))
    chosen: list[dict] = []
    for kind in co_mentions:
        chosen += [row for row in by_count if row["type"] == kind][:share]
    chosen += [row for row in by_count if row not in chosen][:GRAPH_NODES - len(chosen)]
    others = sorted(chosen, key=lambda r: (-r["count"], r["name"]))
    cx, cy = width / 2, height / 2
    top = max((r["count"] for r in others), default=1)
    nodes = []
    for i, row in enumerate(others):
        angle = 2 * math.pi * i / max(1, len(others)) - math.pi / 2
        nodes.append({**row, "x": round(cx + (cx - 110) * math.cos(angle), 1),
                      "y": round(cy + (cy - 45) * math.sin(angle), 1),
                      "width": round(1 + 5 * row["count"] / top, 1),
                      "r": round(6 + 8 * row["count"] / top, 1)})
    return {"width": width, "height": height, "cx": cx, "cy": cy, "entity": entity,
            "nodes": nodes}


def _version() -> str:
    from archive import __version__

    return __version__
