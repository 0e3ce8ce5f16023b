"""The cost of `archive batch` on a long list: lines per second, and peak memory.

    python scripts/bench_batch.py --index DIR [--lines 10000]

The list cycles through the index's most mentioned entities (by name, by id, as a filter), a few
words, an ambiguous name (a row with an error) and words no article holds, each line made
distinct by a number; it runs the real command (`python -m archive batch FILE --format csv`) and
reports the seconds, the rows written, the progress lines seen on stderr and the child's peak
resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive import Archive


def query_lines(index: Path, count: int) -> list[str]:
    with Archive.open(index) as archive:
        top = archive.entities(limit=25)
    kinds = {"person": "person", "place": "place", "organization": "org", "weapon": "weapon"}
    shapes = []
    for kind, rows in top.items():
        for row in rows:
            shapes += [row.name, row.id, f'--{kinds[kind]} "{row.name}"']
    shapes += ["كورسك", "صواريخ OR ذخيرة", '"كوريا الشمالية"', "--person كيم", "كلمة_لا_توجد"]
    return [f"{shapes[i % len(shapes)]} {i // len(shapes)}" if i >= len(shapes) else shapes[i]
            for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args()
    lines = query_lines(args.index, args.lines)
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "list.txt"
        listing.write_text("\n".join(lines) + "\n", "utf-8")
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "archive", "batch", str(listing), "--index",
                                 str(args.index), "--format", "csv"], capture_output=True,
                                text=True, encoding="utf-8", check=True)
        seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rows = result.stdout.count("\n") - 1
    print(json.dumps({"lines": len(lines), "rows": rows, "seconds": round(seconds, 1),
                      "ms_per_line": round(1000 * seconds / len(lines), 2),
                      "progress_lines": result.stderr.count("batch: line"),
                      "peak_rss_mb": round(peak_kb / 1024, 1)}))


if __name__ == "__main__":
    main()
