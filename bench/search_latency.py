#!/usr/bin/env python3
"""Benchmark warm `convo search` as whole processes, beside baseline (a) in the same run.

    python bench/search_latency.py [--conversations 10000] [--repeat 7] [--workdir bench/out]

It generates (once, cached) a notebook with bench/generate.py, builds the search
index once (untimed), then times, interleaved round by round: baseline (a) (a
python-frontmatter load of every note, as in bench/run.py) and several queries:
a common word, a phrase, a field filter with a word, and filters alone. Reported:
the median wall time of each, and its ratio to (a). Target (docs/performance.md):
a warm search of 10,000 conversations in at most 0.3 s for the whole process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

QUERIES = {
    "word": ["pilot"],
    "phrase": ['"pilot plan"'],
    "filter + word": ["with:a", "since:2026-01-01", "renewal"],
    "filters only": ["kind:conversation", "has:next", "before:2026-06-01"],
}
BASELINE = r"""
import sys, pathlib, frontmatter
for p in pathlib.Path(sys.argv[1], "notes").rglob("*.md"):
    frontmatter.load(p)
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--workdir", default=str(HERE / "out"))
    args = parser.parse_args()
    nb = Path(generate.cached(args.workdir, args.conversations)[0])
    env = {**os.environ, "CONVO_CACHE_DIR": tempfile.mkdtemp(prefix="convo-search-bench-"), "NO_COLOR": "1"}
    convo = [sys.executable, "-m", "convo_notes", "-C", str(nb), "--today", generate.BENCH_TODAY.isoformat()]
    subprocess.run([*convo, "search", "pilot"], env=env, stdout=subprocess.DEVNULL, check=False)  # index built
    times: dict[str, list[float]] = {"a": [], **{name: [] for name in QUERIES}}
    for _ in range(args.repeat):
        times["a"].append(timed([sys.executable, "-c", BASELINE, str(nb)], env))
        for name, words in QUERIES.items():
            times[name].append(timed([*convo, "search", *words], env))
    base = statistics.median(times["a"])
    print(f"{args.conversations:,} conversations, median of {args.repeat} interleaved rounds")
    print("| query | seconds | ratio to (a) |\n|---|---:|---:|")
    print(f"| baseline (a): python-frontmatter load | {base:.3f} | |")
    for name, words in QUERIES.items():
        median = statistics.median(times[name])
        print(f"| `convo search {' '.join(words)}` ({name}) | {median:.3f} | {median / base:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
