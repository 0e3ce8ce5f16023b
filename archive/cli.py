"""The `archive` command: a thin layer over archive.api. Parses options, calls the API, prints
for people (a terminal) or machines (--json). Errors go to stderr.

Exit status: 0 success; 1 an error, or some input files could not be read (the rest were
indexed); 2 a usage error; 130 interrupted (the index is left as it was).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

DEFAULT_INDEX = "index"
DEFAULT_CORPUS = "corpus"


def _default_index() -> str:
    return os.environ.get("ARCHIVE_INDEX", DEFAULT_INDEX)


def _default_corpus() -> str:
    return os.environ.get("ARCHIVE_CORPUS", DEFAULT_CORPUS)


def _echo_json(data) -> None:
    # Arabic stays readable UTF-8 text in logical order, not \u escapes.
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


PROGRESS_EVERY = 25  # articles between two progress lines in --verbose mode


def _progress_bar(label: str, verbose: bool = False):
    """A progress callback: a bar on a terminal's stderr, lines with --verbose elsewhere (logs
    of batch jobs), else silent."""
    if not sys.stderr.isatty():
        if not verbose:
            return None, None

        def log(done: int, total: int) -> None:
            if done % PROGRESS_EVERY == 0 or done == total:
                click.echo(f"{label}: {done}/{total} articles", err=True)

        return None, log
    bar = click.progressbar(length=1, label=label, file=sys.stderr, show_pos=True)

    def update(done: int, total: int) -> None:
        bar.length = total
        bar.update(done - bar.pos)

    return bar, update


def _build(path, paths, rebuild: bool, stemmer: str, verbose: bool = False, workers=None,
           csv_map=None):
    from archive import engines
    from archive.api import Archive

    bar, update = _progress_bar("indexing", verbose)
    try:
        if rebuild or engines.existing(path) is None:
            archive, report = Archive.rebuild(path, paths, stemmer=stemmer, progress=update,
                                              workers=workers, csv_map=csv_map)
        else:
            archive = Archive.open(path)
            report = archive.index(paths, progress=update, workers=workers, csv_map=csv_map)
    finally:
        if bar is not None:
            bar.render_finish()
    return archive, report


def _open_for_search(index: str | None):
    """The archive to search. With no --index, the default one is built from the corpus folder
    on first use (or when it holds no article); an explicit --index must exist."""
    from archive.api import Archive, ArchiveError

    if index is not None:
        return Archive.open(index)
    path, corpus = _default_index(), _default_corpus()
    if not Path(corpus).is_dir():
        archive = Archive.open(path) if Path(path).exists() else None
        if archive is None or archive.empty:
            raise ArchiveError(f"no index at {path} and no {corpus}/ folder to build it from; "
                               f"run `archive index PATH` first")
        return archive
    bar, update = _progress_bar("indexing")
    try:
        archive, report = Archive.open_or_build(
            path, [corpus], progress=update,
            on_build=lambda: click.echo(f"No index at {path} yet: building it from {corpus}/ "
                                        f"(once).", err=True),
            on_wait=lambda: click.echo(f"Another process is building {path}; waiting for it.",
                                       err=True))
    finally:
        if bar is not None:
            bar.render_finish()
    if report is not None:
        _report_errors(report)
        click.echo(report.summary(), err=True)
    return archive


def _report_errors(report) -> None:
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    for problem in report.unreadable_dates:
        click.echo(f"warning: {problem}; it is left out by --from/--to", err=True)


def _csv_map(ctx, param, values) -> dict[str, str]:
    """``--csv-map text=body --csv-map title=headline`` (or ``text=body,title=headline``) as
    {field: column}."""
    from archive.formats import FIELDS

    mapping: dict[str, str] = {}
    for value in values:
        for pair in filter(None, (p.strip() for p in value.split(","))):
            name, sep, column = pair.partition("=")
            name = name.strip().lower()
            if not sep or not column.strip():
                raise click.BadParameter(f"{pair!r}: write FIELD=COLUMN, e.g. text=body")
            if name not in FIELDS:
                raise click.BadParameter(f"{name!r} is no article field; use one of "
                                         f"{', '.join(FIELDS)}")
            mapping[name] = column.strip()
    return mapping


class ArchiveGroup(click.Group):
    """Turns our errors into `Error: …` on stderr with exit 1, and Ctrl-C into exit 130."""

    def invoke(self, ctx):
        from archive.api import ArchiveError

        try:
            return super().invoke(ctx)
        except ArchiveError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted: the index was left as it was before this run.", err=True)
            ctx.exit(130)


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archive", prog_name="archive")
@click.pass_context
def main(ctx):
    """Search a full-text archive of Arabic news.

    \b
      archive index corpus/            build or update the index from files
      archive search "كورسك"            ranked passages, highlighted
      archive search "كورسك" --json     the same for programs
      archive serve                    the same in a web browser, and an HTTP API

    The index lives in ./index unless --index or $ARCHIVE_INDEX says otherwise; the first
    search builds it from ./corpus if it is missing. Set NO_COLOR to turn colours off.
    """
    if os.environ.get("NO_COLOR"):  # https://no-color.org: any non-empty value
        ctx.color = False
    _log_notices()


def _log_notices() -> None:
    """The library's notices (a very large article being indexed) as lines on stderr."""
    import logging

    logger = logging.getLogger("archive")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@main.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--index", "index_path", metavar="DIR", default=None,
              help="Index folder (default: ./index or $ARCHIVE_INDEX).")
@click.option("--rebuild", is_flag=True,
              help="Analyse everything again and replace the index's content in one commit "
                   "(searches see the old content until then) instead of updating.")
@click.option("--stemmer", default="light", show_default=True,
              type=click.Choice(["light", "none", "snowball", "tashaphyne", "isri"]),
              help="Stemmer for a new index (others need `pip install .[eval]`).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--verbose", "-v", is_flag=True,
              help="Progress lines on stderr even when it is not a terminal.")
@click.option("--workers", "-j", type=click.IntRange(1, 64), default=None,
              help="Processes that analyse and tag articles [default: cores, up to 4].")
@click.option("--csv-map", "csv_map", multiple=True, metavar="FIELD=COLUMN", callback=_csv_map,
              help="Read a CSV column under another name: --csv-map text=body "
                   "(repeatable, or text=body,title=headline).")
def index_command(paths, index_path, rebuild, stemmer, as_json, verbose, workers, csv_map):
    """Index articles from PATHS (files or folders, searched recursively).

    \b
    Formats:   .txt (title = first line, id = file name without extension, or the path
                     under the folder given when two files share a name: 2024/report)
               .jsonl / .json (records with id, title, text, optional date, source, url)
               .html / .htm (a saved page: its main text, title, date, address, site)
               .rss / .atom / .xml (a feed: one article per entry)
               .csv / .tsv (a header row: id, text, optional title, date, source, url;
                     other column names with --csv-map text=body)
    Encodings: UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1256.
    Dates:     ISO, RFC 2822, 19/10/2024, "2 نوفمبر 2024", "٢ تشرين الثاني ٢٠٢٤"; an article
               whose date cannot be read is indexed and named in a warning.

    Runs again only over what changed: new or edited articles are (re)indexed, articles whose
    file is gone are removed. A file that cannot be read is reported on stderr with the reason;
    everything else is still indexed, and the exit status is 1. With no PATHS, indexes ./corpus.
    One build at a time: while another writes to the same index, this one exits 1 at once.
    """
    paths = list(paths) or [_default_corpus()]
    path = index_path or _default_index()
    archive, report = _build(path, paths, rebuild, stemmer, verbose, workers, csv_map)
    archive.close()
    _report_errors(report)
    if as_json:
        _echo_json(report.to_dict())
    else:
        click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


@main.command("search", context_settings={"ignore_unknown_options": True})
@click.argument("query")
@click.option("--index", "index_path", metavar="DIR", default=None,
              help="Index folder (default: ./index or $ARCHIVE_INDEX, built on first use).")
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Results per page.")
@click.option("--page", "-p", default=1, show_default=True, type=click.IntRange(1),
              help="Page of results.")
@click.option("--person", multiple=True, metavar="NAME", help="Only passages mentioning this person (repeatable).")
@click.option("--place", multiple=True, metavar="NAME", help="Only passages mentioning this place.")
@click.option("--org", multiple=True, metavar="NAME", help="Only passages mentioning this organization.")
@click.option("--weapon", multiple=True, metavar="NAME", help="Only passages mentioning this weapon.")
@click.option("--from", "date_from", metavar="DATE",
              help="Only articles published on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="DATE",
              help="Only articles published on or before DATE (--to 2024-10: all of October).")
@click.option("--facets", default=5, show_default=True, type=click.IntRange(0, 100),
              help="Entities of each type to count over all hits (0: none).")
@click.option("--months", is_flag=True,
              help="Also count the hits' articles by month of publication (a timeline).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"query", "total", "results": [{"rank", "score", "doc_id", "title", '
                   '"date", "source", "text", "highlights", "entities"}], "suggestions", '
                   '"facets", "months" (with --months)} as UTF-8 JSON.')
def search_command(query, index_path, limit, page, person, place, org, weapon, date_from,
                   date_to, facets, months, as_json):
    """Ranked passages matching QUERY.

    \b
    كورسك                  words: passages with every word rank first, others follow
    "مدينة كورسك"          a phrase, word for word
    كورسك OR خاركيف        either word
    كورسك -أوكرانيا        without a word (also: NOT أوكرانيا)

    Words match whatever their clitics and spelling: بكورسك, لكورسك and كورسك are one word,
    as are أوكرانيا and اوكرانيا. Any text is a valid query; stray quotes or operators are
    searched as text. A word that names a known entity also finds it under other spellings
    (روته finds روتي).

    \b
    Entity filters (any spelling; repeat them, all must hold):
    archive search "صواريخ" --place "بيونج يانج" --person "كيم جونغ أون"
    archive search "" --person Putin --place Kursk   English names work too
    archive search "" --weapon "Hwasong-11"     every passage that mentions it
    archive search "كورسك" --from 2024-10 --to 2024-12   articles of those months only

    Facets list, for each type, the entities the hits mention; a count is the number of
    articles whose matching passages mention the entity. Articles without a readable date are
    left out by --from/--to.
    """
    archive = _open_for_search(index_path)
    filters = {kind: names for kind, names in (("person", person), ("place", place),
                                               ("organization", org), ("weapon", weapon)) if names}
    results = archive.search(query, limit=limit, page=page, filters=filters, facets=facets,
                             date_from=date_from, date_to=date_to, months=months)
    for notice in results.notices:  # a query cut to size
        click.echo(f"notice: {notice}", err=True)
    if as_json:
        _echo_json(results.to_dict())
    else:
        _print_results(results)
        _print_facets(results.facets)
        if results.months:
            click.echo("Months: " + ", ".join(f"{m['month']} ({m['count']})" for m in results.months))


def _print_results(results) -> None:
    shown_from = (results.page - 1) * results.limit + 1
    asked = repr(results.query) if results.query.strip() else "the filters"
    if not results.hits:
        more = f" (page {results.page} is past the end)" if results.total else ""
        click.echo(f"No passages match {asked}{more}.")
        for suggestion in results.suggestions:
            click.echo(f"Did you mean: {suggestion}")
        return
    matches = "1 passage matches" if results.total == 1 else f"{results.total} passages match"
    click.echo(f"{matches} {asked}; showing {shown_from}-{shown_from + len(results.hits) - 1}.\n")
    for hit in results.hits:
        meta = " · ".join(x for x in (hit.doc_id, hit.date, hit.source) if x)
        click.echo(click.style(f"{hit.rank}. {_shorten(hit.title, 90)}", bold=True))
        click.echo(click.style(f"   {meta} · score {hit.score:.2f}", dim=True))
        click.echo("   " + _with_highlights(hit.text, hit.highlights).replace("\n", "\n   ") + "\n")


TYPE_LABELS = {"person": "People", "place": "Places", "organization": "Organizations",
               "weapon": "Weapons"}


def _print_facets(facets) -> None:
    for kind, rows in facets.items():
        if rows:
            listed = ", ".join(f"{row.name} ({row.count})" for row in rows)
            click.echo(f"{TYPE_LABELS[kind]}: {listed}")


@main.command("entities")
@click.option("--index", "index_path", metavar="DIR", default=None, help="Index folder.")
@click.option("--type", "kind", type=click.Choice(["person", "place", "organization", "weapon"]),
              help="Only this type.")
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 10000),
              help="Entities of each type.")
@click.option("--json", "as_json", is_flag=True, help='Print {type: [{"id", "name", "count"}]}.')
def entities_command(index_path, kind, limit, as_json):
    """The most mentioned entities of the archive; a count is a number of articles."""
    archive = _open_for_search(index_path)
    top = archive.entities(kind=kind, limit=limit)
    if as_json:
        _echo_json(top.to_dict())
        return
    for kind_name, rows in top.items():
        click.echo(click.style(TYPE_LABELS[kind_name], bold=True))
        for row in rows:
            click.echo(f"  {row.count:>5}  {row.name}  [{row.id}]")


@main.command("entity")
@click.argument("name")
@click.option("--index", "index_path", metavar="DIR", default=None, help="Index folder.")
@click.option("--type", "kind", type=click.Choice(["person", "place", "organization", "weapon"]),
              help="When a name could be several types.")
@click.option("--json", "as_json", is_flag=True, help="Print the page as JSON.")
def entity_command(name, index_path, kind, as_json):
    """One entity: its names (catalogue and spellings seen), how many articles mention it, the
    entities most often mentioned in the same articles, and sample passages.

    NAME may be any spelling or alias: بوتين, "بيونج يانج", KN-23."""
    archive = _open_for_search(index_path)
    page = archive.entity(name, kind=kind)
    if as_json:
        _echo_json(page.to_dict())
        return
    title = f"{page.name} ({page.name_en})" if page.name_en else page.name
    click.echo(click.style(title, bold=True) + f"  [{page.id}, {page.type}]")
    if page.aliases:
        click.echo("Also written: " + "، ".join(page.aliases[:12]))
    if page.names_seen:
        click.echo("Seen here as: " + "، ".join(page.names_seen))
    click.echo(f"Mentioned in {page.articles} article{'s' if page.articles != 1 else ''}.")
    _print_facets(page.co_mentions)
    for hit in page.passages:
        click.echo("\n  " + _shorten(hit.text, 300) + click.style(f"  ({hit.doc_id})", dim=True))


@main.command("article")
@click.argument("doc_id")
@click.option("--index", "index_path", metavar="DIR", default=None, help="Index folder.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"doc_id", "title", "date", "source", "url", "passages": [{"position", '
                   '"start", "end", "text", "entities": [{"type", "id", "name", "text", "start", '
                   '"end", "rule"}]}]}; entity offsets are into the passage\'s text.')
def article_command(doc_id, index_path, as_json):
    """One article as indexed (after cleaning), passage by passage, with the entities it
    mentions. DOC_ID is a search result's doc_id."""
    archive = _open_for_search(index_path)
    article = archive.article(doc_id)
    if as_json:
        _echo_json(article.to_dict())
        return
    click.echo(click.style(article.title or doc_id, bold=True))
    meta = " · ".join(x for x in (doc_id, article.date, article.source, article.url) if x)
    click.echo(click.style(meta, dim=True))
    for passage in article.passages:
        spans = [[m.start, m.end] for m in passage.entities]
        click.echo("\n" + _with_highlights(passage.text, spans))


@main.command("serve")
@click.option("--index", "index_path", metavar="DIR", default=None,
              help="Index folder (default: ./index or $ARCHIVE_INDEX, built on first use).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but this machine's loopback is reachable "
                   "by others, with no authentication.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve_command(index_path, host, port):
    """Search and browse the archive in a web browser, and serve its JSON API.

    \b
    /                       the search page (Arabic, right to left), facets, timeline
    /articles/ID, /entities/ID   an article with its entities marked, an entity's page
    /api/search, /api/entities, /api/entities/ID, /api/articles/ID, POST /api/tag
    /docs                   the API's documentation (OpenAPI)

    The API answers with the same JSON as the commands' --json. The index is opened read-only.
    """
    from archive.server import serve

    archive = _open_for_search(index_path)
    path = archive.path
    archive.close()
    serve(path, host=host, port=port, announce=lambda line: click.echo(line, err=True))


@main.command("tag")
@click.argument("source", default="-", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True,
              help='Print {"entities": [{"type", "id", "name", "text", "start", "end", "rule", '
                   '"confidence" (model mentions only)}]}.')
def tag_command(source, as_json):
    """Tag the people, places, organizations and weapons in a text file (or - for stdin).

    The input is decoded like `archive index` reads files (UTF-8, UTF-16 with BOM,
    Windows-1256); offsets are character (code point) offsets into that text as given: line
    ends are not translated, only a leading byte-order mark is not counted."""
    from archive.api import ArchiveError
    from archive.entities.tagger import Tagger
    from archive.reader import Unreadable, decode

    try:
        text = decode(source.read())
    except Unreadable as error:
        raise ArchiveError(f"{source.name}: {error}") from None
    mentions = Tagger().tag(text)
    if as_json:
        _echo_json({"entities": [m.to_dict() for m in mentions]})
        return
    for m in mentions:
        how = m.rule if m.confidence is None else f"{m.rule} {m.confidence:.2f}"
        click.echo(f"{m.start:>6}-{m.end:<6} {m.type:<12} {m.text}  →  {m.name}  [{m.entity_id}] ({how})")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " …"


def _with_highlights(text: str, spans) -> str:
    from archive.search import cut

    return "".join(click.style(piece, bold=True, fg="yellow") if marked else piece
                   for piece, marked in cut(text, spans))
