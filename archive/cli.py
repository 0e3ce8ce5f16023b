"""The `archive` command: a thin layer over archive.api. Parses options, calls the API, prints
for people (a terminal) or machines (--json). Errors go to stderr.

Exit status: 0 success; 1 an error, or some input files could not be read (the rest were
indexed); 2 a usage error; 130 interrupted (the index is left as it was).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from archive import interrupts

DEFAULT_INDEX = "index"
DEFAULT_CORPUS = "corpus"
DEFAULT_STEMMER = "light"
FORMATS = ("text", "json", "jsonl", "csv")
SORTS = ("relevance", "date", "oldest")
TYPE_COLOURS = {"person": "cyan", "place": "green", "organization": "magenta", "weapon": "red"}


def _default_index() -> str:
    return os.environ.get("ARCHIVE_INDEX", DEFAULT_INDEX)


def _default_corpus() -> str:
    return os.environ.get("ARCHIVE_CORPUS", DEFAULT_CORPUS)


def _echo_json(data) -> None:
    # Arabic stays readable UTF-8 text in logical order, not \u escapes.
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


PROGRESS_STEPS = 10  # lines per analysing phase in --verbose mode off a terminal (every 10%)


class _Progress:
    """A build's progress on stderr. On a terminal: the phase, and a bar while articles are
    analysed. Elsewhere (a batch job's log), with --verbose: one line as each phase begins
    ("reading", "analysing", "writing", "committing"), and a line per tenth of the analysis;
    else nothing. The build calls it with (done, total) and ``phase(name, total)``."""

    def __init__(self, label: str, verbose: bool = False):
        self.label = label
        self.terminal = sys.stderr.isatty()
        self.quiet = not self.terminal and not verbose
        self.bar: Any = None
        self.step = 1

    def phase(self, name: str, total: int) -> None:
        """A phase begins (archive.indexer.PHASES)."""
        interrupts.check()
        if self.quiet:
            return
        self.finish()
        if name == "analysing":
            self.step = max(1, -(-total // PROGRESS_STEPS))
            if self.terminal:
                self.bar = click.progressbar(length=total, label=f"{self.label}: analysing",
                                             file=sys.stderr, show_pos=True)
                return
            click.echo(f"{self.label}: analysing {total} article{'s' if total != 1 else ''}",
                       err=True)
            return
        click.echo(f"{self.label}: {name}", err=True)

    def __call__(self, done: int, total: int) -> None:
        interrupts.check()
        if self.bar is not None:
            self.bar.update(done - self.bar.pos)
        elif not self.quiet and not self.terminal and (done % self.step == 0 or done == total):
            click.echo(f"{self.label}: analysed {done}/{total} articles", err=True)

    def finish(self) -> None:
        """Close the bar of the phase that ends."""
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None


def _build(path, paths, rebuild: bool, stemmer: str, verbose: bool = False, workers=None,
           engine: str | None = None, csv_map=None, dask: str | None = None):
    from archive import engines
    from archive.api import Archive

    progress = _Progress("indexing", verbose)
    try:
        if rebuild or engines.existing(path) is None:
            archive, report = Archive.rebuild(path, paths, stemmer=stemmer or DEFAULT_STEMMER,
                                              progress=progress, workers=workers,
                                              engine=engine, csv_map=csv_map, dask=dask)
        else:
            archive = Archive.open(path, engine=engine)
            built_with = archive.store.settings().get("stemmer", DEFAULT_STEMMER)
            if stemmer is not None and stemmer != built_with:
                click.echo(f"notice: the index at {path} was built with the {built_with!r} "
                           f"stemmer; --stemmer {stemmer} applies to a new index or with "
                           f"--rebuild, so this update keeps {built_with!r}", err=True)
            report = archive.index(paths, progress=progress, workers=workers, csv_map=csv_map,
                                   dask=dask)
    finally:
        progress.finish()
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
    progress = _Progress("indexing")
    try:
        archive, report = Archive.open_or_build(
            path, [corpus], progress=progress,
            on_build=lambda: click.echo(f"No index at {path} yet: building it from {corpus}/ "
                                        f"(once).", err=True),
            on_wait=lambda: click.echo(f"Another process is building {path}; waiting for it.",
                                       err=True))
    finally:
        progress.finish()
    if report is not None:
        _report_errors(report)
        click.echo(report.summary(), err=True)
    return archive


def _report_errors(report) -> None:
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    for problem in report.unreadable_dates:
        click.echo(f"warning: {problem}; it is left out by --from/--to", err=True)
    for dropped in report.dropped_values:
        click.echo(f"warning: {dropped}", err=True)


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
        """Run the command: an ArchiveError becomes `Error: …` on stderr with exit 1, a closed pipe
        a quiet exit 0, Ctrl-C exit 130."""
        from archive.api import ArchiveError

        interrupts.catch()
        try:
            return super().invoke(ctx)
        except ArchiveError as error:
            raise click.ClickException(str(error)) from None
        except BrokenPipeError:
            # `archive search … --format csv | head`: the reader has all it wanted. Point stdout
            # at nothing so the interpreter's final flush does not fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("Interrupted: the index was left as it was before this run.", err=True)
            # The build's cleanup ran on the way up. Leave now: the interpreter's own exit was
            # seen to end the process by SIGINT (-2) instead of 130 once in 40 interrupted
            # builds on OpenSearch.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arabic-news-archive", prog_name="archive")
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
@click.option("--index", "index_path", metavar="DIR|URL", default=None,
              help="Index folder (default: ./index or $ARCHIVE_INDEX).")
@click.option("--rebuild", is_flag=True,
              help="Analyse everything again and replace the index's content in one commit "
                   "(searches see the old content until then) instead of updating.")
@click.option("--stemmer", default=None,
              type=click.Choice(["light", "none", "snowball", "tashaphyne", "isri"]),
              help="Stemmer for a new index or --rebuild [default: light] (others need "
                   "`pip install .[eval]`); an existing index keeps its own, with a notice.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--verbose", "-v", is_flag=True,
              help="Progress lines on stderr even when it is not a terminal.")
@click.option("--workers", "-j", type=click.IntRange(1, 64), default=None,
              help="Processes that analyse and tag articles [default: cores, up to 4].")
@click.option("--engine", type=click.Choice(["whoosh", "tantivy", "opensearch"]), default=None,
              help="Search engine of a new index [default: $ARCHIVE_ENGINE, else whoosh]; "
                   "with --rebuild, migrates an existing index to it. An --index "
                   "opensearch://HOST:PORT/NAME is on OpenSearch.")
@click.option("--csv-map", "csv_map", multiple=True, metavar="FIELD=COLUMN", callback=_csv_map,
              help="Read a CSV column under another name: --csv-map text=body "
                   "(repeatable, or text=body,title=headline).")
@click.option("--dask", "dask", default=None, metavar="ADDRESS",
              help="Analyse and tag on a Dask cluster: a scheduler's address "
                   "(tcp://HOST:8786) or local:N for N processes here (pip install '.[dask]').")
def index_command(paths, index_path, rebuild, stemmer, as_json, verbose, workers, engine,
                  csv_map, dask):
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
    archive, report = _build(path, paths, rebuild, stemmer, verbose, workers, engine, csv_map, dask)
    archive.close()
    _report_errors(report)
    if as_json:
        _echo_json(report.to_dict())
    else:
        click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


@main.command("search", context_settings={"ignore_unknown_options": True})
@click.argument("query")
@click.option("--index", "index_path", metavar="DIR|URL", default=None,
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
@click.option("--exclude-person", multiple=True, metavar="NAME",
              help="Leave out passages mentioning this person (repeatable).")
@click.option("--exclude-place", multiple=True, metavar="NAME",
              help="Leave out passages mentioning this place.")
@click.option("--exclude-org", multiple=True, metavar="NAME",
              help="Leave out passages mentioning this organization.")
@click.option("--exclude-weapon", multiple=True, metavar="NAME",
              help="Leave out passages mentioning this weapon.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="Order: relevance, date (newest first) or oldest; undated articles last.")
@click.option("--collapse", is_flag=True,
              help="Each story once: re-published copies (a wire story under other sources) "
                   "are left out, named in the best copy's `copies`; facets count stories.")
@click.option("--format", "-f", "output", type=click.Choice(FORMATS), default=None,
              help="text (default), json (the page, facets), jsonl or csv (every hit, not "
                   "just a page, streamed: doc_id, title, date, source, url, rank, score, "
                   "position, text, entities).")
@click.option("--json", "as_json", is_flag=True,
              help='Same as --format json: {"query", "total", "page", "limit", "results": '
                   '[{"rank", "score", "doc_id", "title", "date", "source", "url", "position", '
                   '"text", "highlights", "entities", "copies"}], "suggestions", "notices", '
                   '"months", "collapsed", "facets_count", "facets"}, every key always present.')
def search_command(query, index_path, limit, page, person, place, org, weapon, date_from,
                   date_to, facets, months, exclude_person, exclude_place, exclude_org,
                   exclude_weapon, sort, collapse, output, as_json):
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

    \b
    archive search Kursk                  a name in Latin letters: that entity's passages
    archive search "صواريخ" --exclude-person بوتين   without the passages that mention him
    archive search كورسك --sort date              newest first
    archive search كورسك --format csv             every hit as CSV, for a spreadsheet

    Facets list, for each type, the entities the hits mention; a count is the number of
    articles whose matching passages mention the entity. Articles without a readable date are
    left out by --from/--to.
    """
    output = _output(output, as_json)
    archive = _open_for_search(index_path)
    options: dict[str, Any] = {"filters": _by_type(person, place, org, weapon),
                               "date_from": date_from, "date_to": date_to}
    exclude = _by_type(exclude_person, exclude_place, exclude_org, exclude_weapon)
    if exclude:
        options["exclude"] = exclude
    if sort != "relevance":
        options["sort"] = sort
    if collapse:
        options["collapse"] = True
    if output in ("jsonl", "csv"):
        _stream_hits(archive.iter_hits(query, highlight=False, **options), output)  # no highlights exported
        return
    results = archive.search(query, limit=limit, page=page, facets=facets, months=months,
                             **options)
    for notice in results.notices:  # a query cut to size, a Latin name searched in Arabic
        click.echo(f"notice: {notice}", err=True)
    if output == "json":
        _echo_json(results.to_dict())
    else:
        _print_results(results)
        _print_facets(results.facets)
        if results.months:
            click.echo("Months: " + ", ".join(f"{m['month']} ({m['count']})" for m in results.months))


def _output(output: str | None, as_json: bool) -> str:
    """The output format: --format, or json for --json (the two agree if both are given)."""
    if as_json and output not in (None, "json"):
        raise click.UsageError(f"--json and --format {output} ask for different outputs")
    return "json" if as_json else output or "text"


def _by_type(person: Iterable[str], place: Iterable[str], org: Iterable[str],
             weapon: Iterable[str]) -> dict[str, list[str]]:
    """Option values by entity type, the types given only."""
    given = (("person", person), ("place", place), ("organization", org), ("weapon", weapon))
    return {kind: list(names) for kind, names in given if names}


def _stream_rows(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], output: str) -> None:
    """Flat records as JSON Lines, or as CSV under a header row (cells a spreadsheet would run
    as formulas neutralized, as in the hits' export)."""
    import csv
    import io

    from archive.export import csv_cell

    if output == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in columns])
        click.echo(buffer.getvalue(), nl=False)
        buffer.seek(0)
        buffer.truncate()
    click.echo(buffer.getvalue(), nl=False)


def _stream_hits(hits: Iterable[Any], output: str) -> None:
    """Every hit as CSV (a header row, then a row per hit) or JSON Lines, written as it comes."""
    from archive import export

    chunks = export.csv_lines(hits) if output == "csv" else export.jsonl_lines(hits)
    for chunk in chunks:
        click.echo(chunk, nl=False)


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
    width = _text_width()
    for hit in results.hits:
        meta = " · ".join(x for x in (hit.doc_id, hit.date, hit.source) if x)
        click.echo(click.style(f"{hit.rank}. {_shorten(hit.title, min(90, (width or 94) - 4))}",
                               bold=True))
        click.echo(click.style(f"   {meta} · score {hit.score:.2f}", dim=True))
        if hit.copies:
            click.echo(click.style("   also published as: " + ", ".join(
                " · ".join(x for x in (c["doc_id"], c["source"]) if x) for c in hit.copies),
                dim=True))
        click.echo(_marked_lines(hit.text, [(a, b, True) for a, b in hit.highlights], width,
                                 indent="   ") + "\n")


TYPE_LABELS = {"person": "People", "place": "Places", "organization": "Organizations",
               "weapon": "Weapons"}


def _print_facets(facets) -> None:
    for kind, rows in facets.items():
        if rows:
            listed = ", ".join(f"{row.name} ({row.count})" for row in rows)
            click.echo(f"{TYPE_LABELS[kind]}: {listed}")


@main.command("batch")
@click.argument("source", type=click.File("rb"))
@click.option("--index", "index_path", metavar="DIR", default=None,
              help="Index folder (default: ./index or $ARCHIVE_INDEX, built on first use).")
@click.option("--format", "-f", "output", type=click.Choice(FORMATS), default="text",
              show_default=True,
              help="text, csv (line, query, passages, articles, first_day, last_day, top_person, "
                   "top_place, top_organization, top_weapon, error), jsonl or json (a list).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
def batch_command(source, index_path, output, as_json):
    """A search per line of SOURCE (a file, or - for stdin): one row each.

    \b
    كورسك                        words, phrases, OR, -word: the search syntax
    person:vladimir-putin        an entity id: that entity's passages
    صواريخ --place "بيونج يانج"  filters as in archive search (--person, --org, --from …)

    A row says how many passages match (archive search's total), in how many articles, the
    first and last day they were published, and the most co-mentioned entities. A line that
    fails (an ambiguous name) gets its error in its row; the others go on. Rows stream; the
    progress goes to stderr.
    """
    from archive.batch import COLUMNS

    output = "json" if as_json else output
    try:
        text = source.read().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{source.name}: not UTF-8 text ({error.reason} at byte "
                                   f"{error.start})") from None
    lines = text.splitlines()
    archive = _open_for_search(index_path)
    rows = _with_progress(archive.batch(lines), len(lines))
    if output in ("csv", "jsonl"):
        _stream_rows((row.flat() if output == "csv" else row.to_dict() for row in rows),
                     COLUMNS, output)
    elif output == "json":
        click.echo("[", nl=False)
        for number, row in enumerate(rows):
            click.echo(("," if number else "") + "\n" + json.dumps(row.to_dict(), ensure_ascii=False),
                       nl=False)
        click.echo("\n]")
    else:
        for row in rows:
            spread = f"{row.first_day} – {row.last_day}" if row.first_day else "no dated article"
            click.echo(f"{row.line}. {row.query}: " + (
                f"error: {row.error}" if row.error else
                f"{row.passages} passages in {row.articles} articles, {spread}"))


BATCH_PROGRESS_EVERY = 1000  # lines between two progress lines off a terminal


def _with_progress(rows: Iterable[Any], lines: int) -> Iterator[Any]:
    """``rows`` passed through, with the lines done so far on stderr: on a terminal, one line
    kept up to date; elsewhere, a line every BATCH_PROGRESS_EVERY lines (for a long list)."""
    import time

    started, terminal, row = time.perf_counter(), sys.stderr.isatty(), None
    for row in rows:
        yield row
        if terminal:
            click.echo(f"\rbatch: line {row.line} of {lines}", nl=False, err=True)
        elif row.line % BATCH_PROGRESS_EVERY == 0:
            click.echo(f"batch: line {row.line} of {lines}", err=True)
    if lines >= BATCH_PROGRESS_EVERY or terminal:
        click.echo(("\n" if terminal else "") + f"batch: {lines} lines in "
                   f"{time.perf_counter() - started:.1f} s", err=True)


@main.command("entities")
@click.option("--index", "index_path", metavar="DIR|URL", default=None, help="Index folder.")
@click.option("--type", "kind", type=click.Choice(["person", "place", "organization", "weapon"]),
              help="Only this type.")
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 10000),
              help="Entities of each type.")
@click.option("--format", "-f", "output", type=click.Choice(FORMATS), default=None,
              help="text (default), json, jsonl (one entity a line) or csv (type, id, name, "
                   "count).")
@click.option("--json", "as_json", is_flag=True,
              help='Same as --format json: {type: [{"id", "name", "count"}]}.')
def entities_command(index_path, kind, limit, output, as_json):
    """The most mentioned entities of the archive; a count is a number of articles."""
    output = _output(output, as_json)
    archive = _open_for_search(index_path)
    top = archive.entities(kind=kind, limit=limit)
    if output == "json":
        _echo_json(top.to_dict())
        return
    if output in ("jsonl", "csv"):
        rows = ({"type": kind_name, **row.to_dict()} for kind_name, items in top.items()
                for row in items)
        _stream_rows(rows, ("type", "id", "name", "count"), output)
        return
    for kind_name, rows in top.items():
        click.echo(click.style(TYPE_LABELS[kind_name], bold=True))
        for row in rows:
            click.echo(f"  {row.count:>5}  {row.name}  [{row.id}]")


@main.command("entity")
@click.argument("name")
@click.option("--index", "index_path", metavar="DIR|URL", default=None, help="Index folder.")
@click.option("--type", "kind", type=click.Choice(["person", "place", "organization", "weapon"]),
              help="When a name could be several types.")
@click.option("--format", "-f", "output", type=click.Choice(FORMATS), default=None,
              help="text (default), json (the page), jsonl or csv (every passage that mentions "
                   "the entity, streamed, in the columns of `archive search --format csv`).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json: the page.")
def entity_command(name, index_path, kind, output, as_json):
    """One entity: its names (catalogue and spellings seen), how many articles mention it, the
    entities most often mentioned in the same articles, and sample passages.

    NAME may be any spelling or alias: بوتين, "بيونج يانج", KN-23."""
    output = _output(output, as_json)
    archive = _open_for_search(index_path)
    if output in ("jsonl", "csv"):
        entity = archive.resolve_entity(name, kind)
        _stream_hits(archive.iter_hits("", filters={entity.type: [entity.id]}, highlight=False), output)
        return
    page = archive.entity(name, kind=kind)
    if output == "json":
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
@click.option("--index", "index_path", metavar="DIR|URL", default=None, help="Index folder.")
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
    click.echo("  ".join(click.style(TYPE_LABELS[kind], fg=colour, bold=True)
                         for kind, colour in TYPE_COLOURS.items()))
    width = _text_width()
    for passage in article.passages:
        marks, last = [], 0
        for m in sorted(passage.entities, key=lambda m: (m.start, -m.end)):
            if m.start >= last:  # overlapping mentions: the first one is marked
                marks.append((m.start, m.end, m.type))
                last = m.end
        click.echo("\n" + _marked_lines(passage.text, marks, width))


@main.command("stats")
@click.option("--index", "index_path", metavar="DIR|URL", default=None, help="Index folder.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"path", "articles", "passages", "entities", "entities_by_type", '
                   '"stemmer"}.')
def stats_command(index_path, as_json):
    """What the index holds: articles, passages, and distinct entities mentioned, by type."""
    archive = _open_for_search(index_path)
    stats = archive.stats()
    if as_json:
        _echo_json(stats.to_dict())
        return
    click.echo(f"{stats.path}: {stats.articles:,} articles, {stats.passages:,} passages, "
               f"{stats.entities:,} entities (stemmer: {stats.stemmer})")
    for kind, count in stats.to_dict()["entities_by_type"].items():
        click.echo(f"  {TYPE_LABELS[kind]:<14} {count:>7,}")


@main.command("serve")
@click.option("--index", "index_path", metavar="DIR|URL", default=None,
              help="Index folder (default: ./index or $ARCHIVE_INDEX, built on first use).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but this machine's loopback is reachable "
                   "by others, with no authentication.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", type=click.IntRange(1, 256), default=None, metavar="N",
              help="Processes answering requests, each with its own read-only searcher "
                   "(default: the cores).")
def serve_command(index_path, host, port, workers):
    """Search and browse the archive in a web browser, and serve its JSON API.

    \b
    /                       the search page (Arabic, right to left), facets, timeline
    /articles/ID, /entities/ID   an article with its entities marked, an entity's page
    /api/search, /api/entities, /api/entities/ID, /api/articles/ID, POST /api/tag
    /docs                   the API's documentation (OpenAPI)

    The API answers with the same JSON as the commands' --json. The index is opened read-only,
    once per worker process; a build that commits meanwhile is seen by every worker.
    """
    from archive.serving import serve

    archive = _open_for_search(index_path)
    path = archive.path
    archive.close()
    serve(path, host=host, port=port, workers=workers, announce=lambda line: click.echo(line, err=True))


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
    from archive.decoding import Unreadable, decode
    from archive.entities.tagger import Tagger

    if getattr(source, "isatty", lambda: False)():
        click.echo("Reading the text to tag from the terminal: type or paste it, then press "
                   "Ctrl-D on a new line (or give a FILE: archive tag article.txt).", err=True)
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


def _text_width() -> int | None:
    """Columns to wrap passages at: $COLUMNS, else the terminal's width; None (no wrapping)
    when the output is no terminal (a file or a pipe gets one line per paragraph)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _columns(text: str) -> int:
    """Terminal columns a text takes: combining marks (Arabic diacritics) take none."""
    return sum(1 for ch in text if not unicodedata.combining(ch))


def wrap_spans(text: str, width: int) -> Iterator[tuple[int, int]]:
    """``[start, end)`` of each line of ``text`` wrapped at ``width`` columns: breaks at spaces
    (a word longer than a line gets a line of its own) and at the text's own line ends; the
    spaces at a break belong to no line."""
    for line_start, line in _lines(text):
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+", line)]
        if not words:
            yield line_start, line_start
            continue
        first, last = words[0]
        for start, end in words[1:]:
            if _columns(line[first:end]) > width:
                yield line_start + first, line_start + last
                first = start
            last = end
        yield line_start + first, line_start + last


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def _marked_lines(text: str, marks: list[tuple[int, int, Any]], width: int | None,
                  indent: str = "") -> str:
    """``text`` with the spans of ``marks`` styled (True: a highlight; an entity type: its
    colour), wrapped at ``width`` (with ``indent``) when a width is given."""
    from archive.search import cut

    lines = wrap_spans(text, max(20, width - len(indent))) if width else _lines_spans(text)
    out = []
    for start, end in lines:
        inside = [(max(a, start) - start, min(b, end) - start, label)
                  for a, b, label in marks if a < end and b > start]
        pieces = cut(text[start:end], [(a, b) for a, b, _ in inside], [m[2] for m in inside])
        out.append(indent + "".join(_styled(piece, label) for piece, label in pieces))
    return "\n".join(out)


def _lines_spans(text: str) -> Iterator[tuple[int, int]]:
    for start, line in _lines(text):
        yield start, start + len(line)


def _styled(piece: str, label: Any) -> str:
    if label is None:
        return piece
    if label is True:
        return click.style(piece, bold=True, fg="yellow")
    return click.style(piece, fg=TYPE_COLOURS.get(label, "yellow"), bold=True)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " …"
