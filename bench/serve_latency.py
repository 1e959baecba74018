#!/usr/bin/env python3
"""How long `convo site serve` takes to show an edit: from the file's save to the updated page served.

    python bench/serve_latency.py [--conversations 10000] [--edits 7] [--warmup 1] [--edit body|title]
                                  [--workdir bench/out]

Generates (or reuses) a notebook with bench/generate.py, starts `convo site serve` on a
free port as a real process (its own cache folder, `--today` the benchmark's date) and
waits for the first build. Then, one conversation at a time (newest first, public ones
only), it appends a unique word to the note's body (``--edit title``: puts it in the
note's ``title``, a change to its front matter), and polls the conversation's page
over HTTP until the word is in it: the time from the end of the write to that answer
is everything a user waits for (the watcher's settle time, reading the change, making
the page, MkDocs, the leak gate). `--warmup` edits are made first and not counted.
Prints the first build's time, each edit's time, the median and the 95th percentile
(nearest rank) as Markdown. The notes edited are put back as they were at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

POLL = 0.01  # seconds between two requests for the page
TIMEOUT = 60.0  # an edit not shown after this long fails the benchmark


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Server:
    """`convo site serve` as a subprocess, its stderr collected line by line."""

    def __init__(self, root: Path, port: int) -> None:
        env = {**os.environ, "CONVO_CACHE_DIR": tempfile.mkdtemp(prefix="convo-serve-bench-"), "NO_COLOR": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "convo_notes", "-C", str(root), "--today", generate.BENCH_TODAY.isoformat(),
             "site", "serve", "-a", f"127.0.0.1:{port}"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.url = ""
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if "Serving on " in line:
                self.url = line.split("Serving on ", 1)[1].split()[0]
                self.ready.set()
        self.ready.set()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def pages(server: Server, root: Path, wanted: int) -> list[tuple[Path, str]]:
    """Conversations with a page on the site (newest first): (file, URL of the page)."""
    found = []
    for path in sorted((root / "notes" / "conversations").rglob("*.md"), reverse=True):
        url = f"{server.url}conversations/{path.stem}/"
        status, text = fetch(url)
        if status == 200 and text:
            found.append((path, url))
            if len(found) == wanted:
                break
    return found


def measure(path: Path, url: str, word: str, where: str) -> float:
    if where == "title":
        text = path.read_text("utf-8")
        retitled = re.sub(r"^title: .*$", f'title: "Retitled {word}"', text, count=1, flags=re.M)
        path.write_text(retitled if retitled != text else text.replace("---\n", f"---\ntitle: {word}\n", 1),
                        "utf-8")
    else:
        with open(path, "a", encoding="utf-8") as fd:
            fd.write(f"\n{word}\n")
    saved = time.perf_counter()
    while time.perf_counter() - saved < TIMEOUT:
        status, text = fetch(url)
        if status == 200 and word in text:
            return time.perf_counter() - saved
        time.sleep(POLL)
    raise SystemExit(f"the edit of {path} was not served within {TIMEOUT:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=7, help="timed edits")
    parser.add_argument("--warmup", type=int, default=1, help="edits made first, not timed")
    parser.add_argument("--edit", choices=("body", "title"), default="body", help="what each edit changes")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between two edits")
    parser.add_argument("--workdir", default=str(HERE / "out"))
    args = parser.parse_args()
    root = Path(generate.cached(args.workdir, args.conversations)[0])
    started = time.perf_counter()
    server = Server(root, free_port())
    originals: dict[Path, bytes] = {}
    try:
        server.ready.wait()
        if not server.url:
            raise SystemExit("convo site serve did not start:\n" + "\n".join(server.lines[-20:]))
        built = time.perf_counter() - started
        targets = pages(server, root, args.warmup + args.edits)
        if len(targets) < args.warmup + args.edits:
            raise SystemExit(f"only {len(targets)} conversations have a page")
        times = []
        for i, (path, url) in enumerate(targets):
            originals.setdefault(path, path.read_bytes())
            took = measure(path, url, f"servebench{os.getpid()}x{i}", args.edit)
            if i >= args.warmup:
                times.append(took)
            time.sleep(args.pause)  # the server says what it did; the next save is a new burst
    finally:
        server.stop()
        for path, data in originals.items():
            path.write_bytes(data)
    print(f"`convo site serve`, {args.conversations:,} conversations: first build and serve "
          f"{built:.1f} s; {len(times)} edits of a conversation's {args.edit} (after {args.warmup} untimed)")
    print("| from save to updated page served | seconds |\n|---|---:|")
    print(f"| median | {statistics.median(times):.2f} |")
    print(f"| 95th percentile | {percentile(times, 0.95):.2f} |")
    print(f"| slowest | {max(times):.2f} |")
    print("each edit: " + ", ".join(f"{t:.2f}" for t in times))
    updates = [line for line in server.lines if line.startswith("Updated ")]
    if updates:
        print("server: " + "; ".join(updates[-len(times):]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
