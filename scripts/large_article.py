"""How indexing time and memory grow with the size of one article: builds articles of the given
sizes (in millions of characters) from the bundled corpus's paragraphs, each line made unique so
cleaning keeps it, and indexes each with `archive index` in a process of its own.

    python scripts/large_article.py 1 2 4        # prints size, passages, seconds, peak MB

Linear growth means seconds per million characters stays flat.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def article(chars: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    paragraphs = [line for path in sorted((ROOT / "corpus").glob("*.txt"))
                  for line in path.read_text("utf-8").splitlines() if len(line) > 40]
    body, size = [], 0
    while size < chars:
        paragraph = f"{rng.choice(paragraphs)} ({len(body)})"
        body.append(paragraph)
        size += len(paragraph) + 2
    return "مقال كبير\n\n" + "\n\n".join(body)


def measure(millions: float, folder: Path) -> dict:
    source = folder / f"article-{millions}.txt"
    source.write_text(article(int(millions * 1_000_000)), "utf-8")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "archive", "index", str(source), "--index",
                             str(folder / f"ix-{millions}"), "--json"],
                            capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest so far
    report = json.loads(result.stdout)
    return {"million_chars": millions, "passages": report["passages"], "seconds": round(seconds, 1),
            "seconds_per_million": round(seconds / millions, 1), "peak_mb_so_far": round(peak_mb)}


def main() -> None:
    sizes = [float(a) for a in sys.argv[1:]] or [1, 2, 4]
    with tempfile.TemporaryDirectory() as folder:
        for millions in sizes:
            print(json.dumps(measure(millions, Path(folder))))


if __name__ == "__main__":
    main()
