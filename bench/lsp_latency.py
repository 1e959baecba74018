#!/usr/bin/env python3
"""Diagnostics latency of ``convo lsp``: from a keystroke (didChange) to the published diagnostics.

    python bench/lsp_latency.py [--conversations 10000] [--changes 40] [--workdir bench/out] [--notebook DIR]

Generates (or reuses) a notebook with ``bench/generate.py``, starts ``convo lsp`` over
stdio with pygls' client, opens one conversation note and sends ``--changes`` edits,
alternating a typo in a person's slug (an ``unknown-person`` error, a cross-note check)
and its fix. Each time is measured at the client, from sending ``didChange`` to
receiving ``publishDiagnostics`` for that version: parse, rebuild of the in-memory
notebook, every check, JSON-RPC both ways. Prints the median, 95th percentile and
the slowest, and the time to the first diagnostics after opening (the notebook read
warm from the cache).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import generate  # bench/ is the script's folder
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

HERE = Path(__file__).resolve().parent


async def measure(root: Path, changes: int) -> dict[str, float]:
    client = LanguageClient("bench", "1")
    got: dict[str, asyncio.Event] = {}
    seen: dict[str, list[lsp.Diagnostic]] = {}

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: lsp.PublishDiagnosticsParams) -> None:
        seen[params.uri] = list(params.diagnostics)
        got.setdefault(params.uri, asyncio.Event()).set()

    env = {**os.environ, "CONVO_TODAY": "2026-11-22"}
    await client.start_io(sys.executable, "-m", "convo_notes", "lsp", cwd=str(root), env=env)
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(),
                                                       root_uri=from_fs_path(str(root))))
    client.initialized(lsp.InitializedParams())
    note = sorted((root / "notes" / "conversations").rglob("*.md"))[-1]
    uri = from_fs_path(str(note)) or ""
    text = note.read_text(encoding="utf-8")
    slug = next(line.split(":", 1)[1].strip().strip("[]").split(",")[0].strip()
                for line in text.splitlines() if line.startswith("with:"))
    typo = text.replace(slug, slug + "x", 1)
    event = got.setdefault(uri, asyncio.Event())
    start = time.perf_counter()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text)))
    await asyncio.wait_for(event.wait(), 300)
    first = time.perf_counter() - start
    times = []
    for version in range(2, changes + 2):
        body = typo if version % 2 == 0 else text
        event.clear()
        start = time.perf_counter()
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=body)]))
        await asyncio.wait_for(event.wait(), 60)
        times.append(time.perf_counter() - start)
        codes = [d.code for d in seen[uri]]
        assert ("unknown-person" in codes) == (version % 2 == 0), codes
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    times.sort()
    return {"first": first, "median": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
            "max": times[-1]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=10_000)
    ap.add_argument("--changes", type=int, default=40)
    ap.add_argument("--workdir", default=str(HERE / "out"))
    ap.add_argument("--notebook", help="an existing notebook (its cache as it is: bench/run.py's `lsp`)")
    args = ap.parse_args(argv)
    if args.notebook:
        root = Path(args.notebook)
    else:
        root = Path(generate.cached(args.workdir, args.conversations)[0])
        subprocess.run([sys.executable, "-m", "convo_notes", "-C", str(root), "validate"],
                       capture_output=True, check=False)  # warm the cache, as an editor's user would have
    result = asyncio.run(measure(root, args.changes))
    print(f"convo lsp, {root.name}, {args.changes} changes: "
          f"diagnostics median {result['median'] * 1000:.0f} ms, p95 {result['p95'] * 1000:.0f} ms, "
          f"max {result['max'] * 1000:.0f} ms; first diagnostics after open {result['first']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
