"""`archive serve` under load, on 127.0.0.1 only: C concurrent API searches must all succeed,
and a search over HTTP should cost little more than the same search in process.

    python scripts/serve_load.py                    # the bundled corpus, 50 concurrent, 200 timed
    python scripts/serve_load.py --index idx --concurrent 50 --timed 500

Starts `archive serve` in a subprocess on a free loopback port; every loop is bounded in count
and time. Prints a JSON report: failures of the concurrent burst, then p50/p95 of the timed
searches over HTTP (one connection at a time) and in process (Archive.search), the same
queries in the same order. Exits 1 on any failed request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [{"q": "كورسك"}, {"q": '"كوريا الشمالية"'}, {"q": "صواريخ", "place": "بيونغ يانغ"},
           {"q": "روسيا OR أوكرانيا"}, {"q": "", "person": "بوتين"}, {"q": "الجيش الروسي"},
           {"q": "زيلينسكي", "from": "2024"}, {"q": "كورصك"}]
TIMEOUT = 60  # seconds for one request; the whole run is bounded by count


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, params: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/api/search?" + urlencode(params))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def start(index: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "archive", "serve", "--index", index,
                                "--port", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(port, {"q": ""})[0] == 200:
                return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit("archive serve did not start: " + process.stderr.read().decode())


def burst(port: int, count: int) -> dict:
    """``count`` searches at once, one thread each."""
    def one(i: int):
        try:
            status, body = get(port, QUERIES[i % len(QUERIES)])
            return status == 200 and "total" in json.loads(body)
        except (OSError, ValueError):
            return False

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=count) as pool:
        ok = list(pool.map(one, range(count)))
    return {"requests": count, "failures": ok.count(False),
            "seconds": round(time.perf_counter() - started, 2)}


def percentiles(samples: list[float]) -> dict:
    cuts = statistics.quantiles(samples, n=100)
    return {"p50_ms": round(statistics.median(samples) * 1000, 2),
            "p95_ms": round(cuts[94] * 1000, 2)}


def timed(port: int, index: str, count: int) -> dict:
    from archive import Archive

    over_http, in_process = [], []
    for i in range(count):
        params = QUERIES[i % len(QUERIES)]
        started = time.perf_counter()
        status, _ = get(port, params)
        over_http.append(time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"HTTP {status} for {params}")
    filters = {"person": "person", "place": "place"}
    with Archive.open(index, readonly=True) as archive:
        for i in range(count):
            params = QUERIES[i % len(QUERIES)]
            started = time.perf_counter()
            archive.search(params["q"], filters={filters[k]: [v] for k, v in params.items()
                                                 if k in filters},
                           date_from=params.get("from"))
            in_process.append(time.perf_counter() - started)
    http_p, local_p = percentiles(over_http), percentiles(in_process)
    return {"searches": count, "http": http_p, "in_process": local_p,
            "p95_difference_ms": round(http_p["p95_ms"] - local_p["p95_ms"], 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", help="an index folder (default: a fresh one of corpus/)")
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--timed", type=int, default=200, help="searches timed (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index = args.index
        if index is None:
            from archive import Archive

            index = str(Path(folder) / "index")
            Archive.rebuild(index, [str(ROOT / "corpus")])[0].close()
        port = free_port()
        server = start(index, port)
        try:
            report = {"concurrent": burst(port, args.concurrent)}
            if args.timed:
                report["timed"] = timed(port, index, args.timed)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(report, indent=2))
    return 1 if report["concurrent"]["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
