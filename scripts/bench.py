#!/usr/bin/env python3
"""Benchmark the archive's engines (Whoosh, Tantivy, OpenSearch) against SQLite FTS5 on the same
synthetic corpus, side by side.

    python scripts/bench.py [--articles 10000] [--workers 2] [--queries 40] [--out bench-out]
                            [--engines whoosh,tantivy,fts5,opensearch] [--opensearch URL]
                            [--serve [--serve-seconds 20]]

The opensearch column needs a cluster (``scripts/opensearch start``; `--opensearch`, default
http://127.0.0.1:9200); its index is ``opensearch://HOST:PORT/bench-N`` there, and its size is
the cluster's store size (primaries and replicas). It is not in the default list.

One run: generates (or reuses) a deterministic synthetic corpus (scripts/synthetic.py), builds
an archive index per engine with `archive index --engine E` in a subprocess, builds an SQLite FTS5 index of the same
passages (stdlib sqlite3, unicode61 tokenizer, text normalized by archive.arabic.normalize, the
entity table copied from the archive's tagging), runs the same queries on all three, and prints one
table with the ratios tantivy/FTS5 and tantivy/whoosh for each row. The numbers are also written as JSON
(`OUT/bench-N.json`) so runs can be compared.

Query kinds: one common word, one rare word, three words, a two-word phrase, a common word with
four facets (entity counts by article over all hits), a common word with an entity filter. Both
sides return the top 10 and the total hit count. Differences to keep in mind when reading the
ratios: the archive's three-word query is a soft AND (passages missing a word still match), FTS5's
an AND; FTS5 matches unstemmed forms; FTS5's build does no tagging.

`--engines` runs only some of the systems (any of whoosh, tantivy, fts5; default all; at least
one of the archive's engines, whose tagging chooses the filter queries). `--serve` (needs
tantivy) then runs `archive serve` (its default workers: the cores) on the Tantivy index on a
loopback port of 8700-8799, and 50 concurrent clients, each on its own keep-alive connection,
send `/api/search` as the web page's API calls ask it (limit 10, default facets) with the
bench's words, phrases and entity filters, for `--serve-seconds`; `server.tantivy` in the JSON
is its requests/s, p50/p95 and errors, beside `in_process_qps`: one thread calling
`Archive.search` with the same mix in this process, for comparison, and the cores each side
used meanwhile (`server_cores`: the server's processes; `client_cores`: this process, whose
50 client threads share the machine with the server). `--serve-ports FIRST-LAST` picks the
server's port among other ports. Cold starts run with
bytecode caching allowed, as an installed package has it (one unmeasured run writes it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from archive.arabic import normalize, tokenize  # noqa: E402

KINDS = ("common word", "rare word", "3 words", "phrase", "word + 4 facets", "word + entity filter")


# -- building --------------------------------------------------------------------------------

def child_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def current_commit() -> str:
    """The checked-out commit (with "+changes" if the tree differs), so runs can be compared."""
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


ENGINES = ("whoosh", "tantivy", "opensearch")  # the archive's engines; "fts5" is the reference
SYSTEMS = (*ENGINES, "fts5")
DEFAULT_SYSTEMS = ("whoosh", "tantivy", "fts5")  # opensearch needs a cluster: asked for by name
OPENSEARCH = "http://127.0.0.1:9200"
SERVE_PORTS = range(8700, 8800)
SERVE_CLIENTS = 50


def index_size_mb(index) -> float:
    """The index's size: its folder's files, or for an OpenSearch index the cluster's store."""
    if not str(index).startswith("opensearch://"):
        return folder_mb(Path(index))
    import urllib.request

    name = str(index).rsplit("/", 1)[1]
    with urllib.request.urlopen(f"{OPENSEARCH}/{name}/_stats/store", timeout=30) as answer:
        stats = json.loads(answer.read())
    return stats["_all"]["total"]["store"]["size_in_bytes"] / 2**20


def index_exists(index) -> bool:
    """Whether an earlier run's index is there to reuse (a cluster index is taken as there)."""
    return isinstance(index, str) or index.exists()


def build_archive(corpus: Path, index, workers: int, engine: str = "whoosh") -> dict:
    if isinstance(index, Path):
        shutil.rmtree(index, ignore_errors=True)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "archive", "index", str(corpus), "--index", str(index),
                          "--rebuild", "--json", "--workers", str(workers),
                          *([] if engine == "opensearch" else ["--engine", engine])],
                         capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"archive index failed:\n{run.stderr}")
    report = json.loads(run.stdout)
    return {"seconds": seconds, "peak_rss_mb": child_peak_rss_mb(), "size_mb": index_size_mb(index),
            "articles": report["added"], "passages": report["passages"], "commit": current_commit()}


def fts_build_main(corpus: Path, database: Path) -> None:
    """(Run in a subprocess.) The same passages, normalized, into FTS5."""
    from archive.cleaning import clean
    from archive.passages import split_passages
    from archive.intake import iter_articles
    from archive.records import ReadResult

    database.unlink(missing_ok=True)
    connection = sqlite3.connect(database)
    connection.executescript("""
        CREATE VIRTUAL TABLE passages USING fts5(text, pid UNINDEXED, article UNINDEXED,
                                                 tokenize = 'unicode61 remove_diacritics 2');
    """)
    rows = ((normalize(p.text), p.id, p.article_id)
            for article in iter_articles([corpus], ReadResult())
            for p in split_passages(clean(article)))
    connection.executemany("INSERT INTO passages(text, pid, article) VALUES (?, ?, ?)", rows)
    connection.commit()
    connection.close()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # peak RSS, MB


def build_fts(corpus: Path, database: Path) -> dict:
    started = time.perf_counter()
    run = subprocess.run([sys.executable, __file__, "--fts-build", str(corpus), str(database)],
                         check=True, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": float(run.stdout.split()[-1]),
            "size_mb": database.stat().st_size / 2**20}


def copy_entities(archive, database: Path) -> None:
    """The archive's tags into FTS5's side tables, so facets and filters compare like for like
    (FTS5 cannot tag; its build time above does not include this)."""
    connection = sqlite3.connect(database)
    connection.executescript("""
        DROP TABLE IF EXISTS passage_entities;
        CREATE TABLE passage_entities(passage INTEGER, entity TEXT, type TEXT, article TEXT);
    """)
    rowid = dict(connection.execute("SELECT pid, rowid FROM passages"))
    rows = []
    for fields in passage_fields(archive):
        entities = fields.get("entities") or ""
        for entity_id in filter(None, entities.split(",") if isinstance(entities, str) else entities):
            entity = archive._searcher.describe(entity_id)
            rows.append((rowid[fields["pid"]], entity_id, entity.type if entity else "?", fields["doc_id"]))
    connection.executemany("INSERT INTO passage_entities VALUES (?, ?, ?, ?)", rows)
    connection.executescript("""
        CREATE INDEX pe_passage ON passage_entities(passage);
        CREATE INDEX pe_entity ON passage_entities(entity, passage);
    """)
    connection.commit()
    connection.close()


def passage_fields(archive) -> list[dict]:
    """Every passage's stored fields, on any engine, article by article."""
    reader = archive.store.reader()
    return [{**fields, "doc_id": doc_id} for doc_id in sorted(archive.store.manifest())
            for fields in reader.passages_of(doc_id)]


# -- queries ---------------------------------------------------------------------------------

def choose_queries(corpus: Path, archive, count: int, seed: int = 11) -> dict[str, list]:
    rng = random.Random(seed)
    frequency: Counter = Counter()
    sentences = []
    with corpus.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number >= 3000:
                break
            words = [s.surface for s in tokenize(json.loads(line)["text"])]
            frequency.update(words)
            sentences.append(words)
    stop = archive.analyzer.stopwords
    content = [w for w, _ in frequency.most_common() if normalize(w) not in stop and len(w) > 3]
    common = content[:60]
    rare = [w for w, c in frequency.items() if 2 <= c <= 4 and len(w) > 3][:2000]

    def run_of(n: int) -> list[str]:
        while True:
            words = rng.choice(sentences)
            if len(words) > n:
                start = rng.randrange(len(words) - n)
                run = words[start:start + n]
                if all(normalize(w) not in stop for w in run):
                    return run

    places = archive.entities(kind="place", limit=10)["place"]
    return {
        "common word": [[rng.choice(common)] for _ in range(count)],
        "rare word": [[rng.choice(rare)] for _ in range(count)],
        "3 words": [run_of(3) for _ in range(count)],
        "phrase": [run_of(2) for _ in range(count)],
        "word + 4 facets": [[rng.choice(common)] for _ in range(count)],
        "word + entity filter": [([rng.choice(common)], rng.choice(places).id) for _ in range(count)],
    }


def archive_query(archive, kind: str, query) -> None:
    archive._searcher._recent.clear()  # a repeated query is measured as new, not from the cache
    if kind == "phrase":
        archive.search('"' + " ".join(query) + '"', facets=0)
    elif kind == "word + 4 facets":
        archive.search(query[0], facets=5)
    elif kind == "word + entity filter":
        words, entity = query
        archive.search(words[0], filters={"place": [entity]}, facets=0)
    else:
        archive.search(" ".join(query), facets=0)


def fts_query(connection, kind: str, query) -> None:
    def match(words, phrase=False):
        quoted = ['"' + normalize(w).replace('"', "") + '"' for w in words]
        return '"' + " ".join(normalize(w) for w in words) + '"' if phrase else " ".join(quoted)

    top = "SELECT rowid FROM passages WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT 10"
    total = "SELECT count(*) FROM passages WHERE passages MATCH ?"
    hits = "WITH hits AS (SELECT rowid AS passage, bm25(passages) AS score FROM passages WHERE passages MATCH ?) "
    if kind == "word + entity filter":
        words, entity = query
        expression = match(words)
        joined = hits + "SELECT {} FROM hits JOIN passage_entities e USING (passage) WHERE e.entity = ?"
        connection.execute(joined.format("passage") + " ORDER BY score LIMIT 10", (expression, entity)).fetchall()
        connection.execute(joined.format("count(*)"), (expression, entity)).fetchall()
        return
    expression = match(query, phrase=(kind == "phrase"))
    connection.execute(top, (expression,)).fetchall()
    connection.execute(total, (expression,)).fetchall()
    if kind == "word + 4 facets":
        for entity_type in ("person", "place", "organization", "weapon"):
            connection.execute(
                hits + "SELECT entity, count(DISTINCT article) AS n FROM hits "
                "JOIN passage_entities e USING (passage) WHERE e.type = ? "
                "GROUP BY entity ORDER BY n DESC LIMIT 5", (expression, entity_type)).fetchall()


def latencies(run, queries) -> dict:
    for query in queries[:3]:  # warm caches, as a long-running service would have them
        run(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()

    def pct(p):
        return times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))]

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99)}


def cold_start(command: list[str], repeats: int = 5) -> float:
    """The median wall time of ``command`` (ms), bytecode caching on as after an install."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)  # writes .pyc
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


# -- the server under load -------------------------------------------------------------------

def api_params(kind: str, query) -> dict:
    """The /api/search parameters of one bench query, as the web page's API calls ask it."""
    if kind == "phrase":
        return {"q": '"' + " ".join(query) + '"', "limit": 10}
    if kind == "word + entity filter":
        words, entity = query
        return {"q": words[0], "place": entity, "limit": 10}
    return {"q": " ".join(query), "limit": 10}


def search_arguments(params: dict) -> tuple[str, dict]:
    """The same request as Archive.search's query and keyword arguments (default facets)."""
    filters = {"place": [params["place"]]} if "place" in params else None
    return params["q"], {"limit": params["limit"], "facets": 10, "filters": filters}


def serve_mix(queries: dict[str, list]) -> list[dict]:
    """Every bench query of every kind as API parameters, the kinds interleaved."""
    mixed = [api_params(kind, query) for kind in KINDS for query in queries[kind]]
    random.Random(5).shuffle(mixed)
    return mixed


def in_process_qps(archive, mix: list[dict], seconds: float) -> float:
    """Searches per second of one thread calling Archive.search with ``mix``, cycled."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        query, arguments = search_arguments(mix[done % len(mix)])
        archive.search(query, **arguments)
        done += 1
    return done / (time.perf_counter() - started)


def free_port(ports: range = SERVE_PORTS) -> int:
    """A free loopback port of ``ports``."""
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {ports.start}-{ports.stop - 1}")


def start_server(index: Path, port: int) -> subprocess.Popen:
    """`archive serve` on ``index`` (its default workers), once it answers."""
    process = subprocess.Popen([sys.executable, "-m", "archive", "serve", "--index", str(index),
                                "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"archive serve failed:\n{process.stderr.read()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/api/search?q=")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("archive serve did not answer within 180 s")


def client_loop(port: int, mix: list[dict], offset: int, until: float) -> tuple[list[float], int]:
    """One client: requests on a keep-alive connection until ``until``; (latencies ms, errors).
    A failed request counts as an error and the client reconnects."""
    latencies_ms, errors, n = [], 0, offset
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.monotonic() < until:
        path = "/api/search?" + urlencode(mix[n % len(mix)])
        n += 1
        started = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        if ok:
            latencies_ms.append((time.perf_counter() - started) * 1000)
        else:
            errors += 1
    connection.close()
    return latencies_ms, errors


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, s) of process ``pid`` and its live descendants, from /proc
    (0.0 where /proc is not there): what the server's supervisor and workers have used."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as listed:
            children = [int(child) for child in listed.read().split()]
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / tick + sum(cpu_seconds(c) for c in children)


def server_load(index: Path, mix: list[dict], seconds: float, clients: int = SERVE_CLIENTS,
                ports: range = SERVE_PORTS) -> dict:
    """``clients`` concurrent clients against `archive serve` on ``index`` for ``seconds``.
    Also the cores each side used meanwhile (CPU seconds / wall seconds): on a small machine
    the clients, all in this process, take their share of the cores the server could use."""
    port = free_port(ports)
    process = start_server(index, port)
    try:
        for params in mix[:20]:  # every worker's caches warmed a little, as a running service's
            client_loop(port, [params], 0, time.monotonic() + 0.001)
        started, client_cpu, server_cpu = time.monotonic(), time.process_time(), cpu_seconds(process.pid)
        with ThreadPoolExecutor(clients) as pool:
            runs = list(pool.map(lambda i: client_loop(port, mix, i * 7, started + seconds),
                                 range(clients)))
        elapsed = time.monotonic() - started
        client_cpu, server_cpu = time.process_time() - client_cpu, cpu_seconds(process.pid) - server_cpu
    finally:
        process.terminate()
        process.wait(timeout=60)
    times = sorted(t for latencies_ms, _ in runs for t in latencies_ms)

    def pct(p):
        return times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))] if times else None

    return {"clients": clients, "rps": len(times) / elapsed, "p50_ms": pct(50), "p95_ms": pct(95),
            "errors": sum(errors for _, errors in runs),
            "client_cores": client_cpu / elapsed, "server_cores": server_cpu / elapsed}


# -- the run ---------------------------------------------------------------------------------

def port_range(text: str) -> range:
    """--serve-ports: FIRST-LAST, both included."""
    try:
        first, last = (int(part) for part in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"FIRST-LAST, e.g. 8740-8799 (got {text!r})") from None
    if not 0 < first <= last < 65536:
        raise argparse.ArgumentTypeError(f"ports between 1 and 65535, FIRST <= LAST (got {text!r})")
    return range(first, last + 1)


def engine_list(text: str) -> list[str]:
    """--engines: the systems named, in SYSTEMS order."""
    chosen = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SYSTEMS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(SYSTEMS)} (got {text!r})")
    if not any(name in ENGINES for name in chosen):
        raise argparse.ArgumentTypeError("name one of the archive's engines too: the queries are chosen "
                                         "with the archive's tagging")
    return [name for name in SYSTEMS if name in chosen]


def main(argv=None) -> int:
    global OPENSEARCH
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--queries", type=int, default=40, help="queries of each kind")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out")
    parser.add_argument("--engines", type=engine_list, default=list(DEFAULT_SYSTEMS),
                        help="comma-separated: any of whoosh, tantivy, fts5, opensearch "
                             "(default: whoosh,tantivy,fts5)")
    parser.add_argument("--opensearch", default=OPENSEARCH,
                        help="the cluster of the opensearch column (default %(default)s)")
    parser.add_argument("--serve", action="store_true",
                        help="also load `archive serve` on the Tantivy index with 50 clients")
    parser.add_argument("--serve-seconds", type=float, default=20.0)
    parser.add_argument("--serve-ports", type=port_range, default=SERVE_PORTS, metavar="FIRST-LAST",
                        help="the loopback ports --serve may use (default 8700-8799)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the indexes and build numbers of an earlier run with the same --out")
    parser.add_argument("--fts-build", nargs=2, metavar=("CORPUS", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fts_build:
        fts_build_main(Path(args.fts_build[0]), Path(args.fts_build[1]))
        return 0
    if args.serve and "tantivy" not in args.engines:
        parser.error("--serve runs the server on the Tantivy index: add tantivy to --engines")

    import synthetic

    OPENSEARCH = args.opensearch.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = args.out / f"corpus-{args.articles}.jsonl"
    if not corpus.exists():
        print(f"generating {args.articles} articles …", file=sys.stderr)
        synthetic.write(args.articles, corpus, ROOT / "corpus")
    megabytes = corpus.stat().st_size / 2**20
    engines = [e for e in ENGINES if e in args.engines]
    indexes: dict = {e: args.out / f"index-{e}-{args.articles}" for e in engines}
    if "opensearch" in indexes:
        indexes["opensearch"] = f"opensearch://{OPENSEARCH.split('://', 1)[1]}/bench-{args.articles}"
    database = args.out / f"fts-{args.articles}.db"
    fts = "fts5" in args.engines

    builds = args.out / f"builds-{args.articles}.json"
    from archive import Archive

    built = json.loads(builds.read_text("utf-8")) if args.reuse and builds.exists() else {}
    for engine in engines:
        if engine not in built or not index_exists(indexes[engine]):
            print(f"building the archive on {engine} …", file=sys.stderr)
            built[engine] = build_archive(corpus, indexes[engine], args.workers, engine)
    new_fts = fts and ("fts5" not in built or not database.exists())
    if new_fts:
        print("building FTS5 …", file=sys.stderr)
        built["fts5"] = build_fts(corpus, database)
    builds.write_text(json.dumps(built), "utf-8")
    archives = {e: Archive.open(indexes[e]) for e in engines}
    first = archives[engines[0]]
    if new_fts:
        copy_entities(first, database)
    connection = sqlite3.connect(database) if fts else None
    queries = choose_queries(corpus, first, args.queries)
    rows: dict[str, dict] = {}
    for kind in KINDS:
        print(f"querying: {kind} …", file=sys.stderr)
        rows[kind] = {e: latencies(lambda q: archive_query(archives[e], kind, q), queries[kind])
                      for e in engines}
        if connection is not None:
            rows[kind]["fts5"] = latencies(lambda q: fts_query(connection, kind, q), queries[kind])
    word = queries["common word"][0][0]
    cold = {e: cold_start([sys.executable, "-m", "archive", "search", word, "--index", str(indexes[e]),
                           "--json"]) for e in engines}
    if fts:
        cold["fts5"] = cold_start([sys.executable, "-c", (
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); q=sys.argv[2]; "
            "c.execute('SELECT rowid FROM passages WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT 10',(q,)).fetchall(); "
            "c.execute('SELECT count(*) FROM passages WHERE passages MATCH ?',(q,)).fetchall()"),
            str(database), normalize(word)])
    result = {
        "articles": args.articles, "passages": built[engines[0]]["passages"], "corpus_mb": megabytes,
        "workers": args.workers, "cpus": os.cpu_count(), "commit": current_commit(),
        "engines": args.engines,
        "query_commit_differs_from_build": bool(
            args.reuse and built[engines[0]].get("commit") != current_commit()),
        "index": {name: {**built[name], "articles_per_s": args.articles / built[name]["seconds"],
                         "mb_per_s": megabytes / built[name]["seconds"]} for name in args.engines},
        "queries_ms": rows, "cold_search_ms": cold,
        "tagging_ms_per_article": __import__("bench_tagging").measure(300),  # rules only / with the model
    }
    if args.serve:
        mix = serve_mix(queries)
        print("in process: one thread, the server's mix …", file=sys.stderr)
        qps = in_process_qps(archives["tantivy"], mix, min(args.serve_seconds, 10.0))
        print(f"the server: {SERVE_CLIENTS} clients for {args.serve_seconds:g} s …", file=sys.stderr)
        result["server"] = {"tantivy": {**server_load(indexes["tantivy"], mix, args.serve_seconds,
                                                        ports=args.serve_ports),
                                        "in_process_qps": qps}}
        result["serve_seconds"] = args.serve_seconds
    (args.out / f"bench-{args.articles}.json").write_text(json.dumps(result, indent=1), "utf-8")
    print(table(result))
    return 0


def table(r: dict) -> str:
    systems = [name for name in SYSTEMS if name in r["index"]]
    ratios = [(a, b) for a, b in (("tantivy", "fts5"), ("tantivy", "whoosh"))
              if a in systems and b in systems]
    lines = [f"{r['articles']:,} articles, {r['passages']:,} passages, {r['corpus_mb']:.1f} MB of JSON; "
             f"{r['workers']} worker(s) on {r['cpus']} CPUs",
             f"{'':34}" + "".join(f"{'FTS5' if s == 'fts5' else s:>10}" for s in systems)
             + "".join(f"{a + '/' + ('FTS5' if b == 'fts5' else b):>16}" for a, b in ratios)]

    def row(label, values: dict, fmt="{:.1f}"):
        cells = "".join(f"{fmt.format(values[s]):>10}" for s in systems)
        shares = "".join(f"{(values[a] / values[b] if values[b] else float('nan')):>15.2f}x"
                         for a, b in ratios)
        lines.append(f"{label:34}{cells}{shares}")

    index = r["index"]
    row("index: articles/s", {s: index[s]["articles_per_s"] for s in systems})
    row("index: MB/s", {s: index[s]["mb_per_s"] for s in systems}, "{:.2f}")
    row("index: peak RSS of a process (MB)", {s: index[s]["peak_rss_mb"] for s in systems}, "{:.0f}")
    row("index: size on disk (MB)", {s: index[s]["size_mb"] for s in systems}, "{:.0f}")
    for kind, sides in r["queries_ms"].items():
        for p in ("p50", "p95", "p99"):
            row(f"{kind}: {p} (ms)", {s: sides[s][p] for s in systems})
    row("cold `search` process (ms)", r["cold_search_ms"], "{:.0f}")
    for engine, load in r.get("server", {}).items():
        lines.append(f"server ({engine}, {load['clients']} clients, {r['serve_seconds']:g} s): "
                     f"{load['rps']:.1f} requests/s, p50 {load['p50_ms']:.1f} ms, p95 "
                     f"{load['p95_ms']:.1f} ms, {load['errors']} errors; in process, one thread: "
                     f"{load['in_process_qps']:.1f} searches/s; cores used: server "
                     f"{load.get('server_cores', 0):.2f}, the clients {load.get('client_cores', 0):.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
