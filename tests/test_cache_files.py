"""The per-file cache of checked notes: chunked on disk, reused only when it fits, never trusted blindly."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest

from convo_notes import cache, loader
from convo_notes.loader import load_notebook

NOTES = {f"notes/people/p{i}.md": f"---\nname: Person {i}\n---\n" for i in range(5)}


@pytest.fixture
def root(make_notebook) -> Path:
    root = make_notebook(NOTES)
    old = time.time() - 3600
    for path in root.rglob("*.md"):
        os.utime(path, (old, old))
    return root


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Every file the loader actually reads (cache misses)."""
    seen: list[str] = []
    real = loader.read_many

    def counting(root, rels, progress=None):
        seen.extend(rels)
        return real(root, rels, progress)

    monkeypatch.setattr(loader, "read_many", counting)
    return seen


def test_cache_in_chunks_round_trips(root, reads, monkeypatch):
    monkeypatch.setattr(cache, "CHUNK", 2)
    first = load_notebook(root)
    assert len(reads) == 5
    with open(cache.cache_file(root), "rb") as fh:
        head = pickle.load(fh)
        chunks = [pickle.load(fh) for _ in range(head["chunks"])]
    assert [len(c) for c in chunks] == [2, 2, 1]
    second = load_notebook(root)
    assert len(reads) == 5  # nothing read again
    assert second.people == first.people and second.diagnostics == first.diagnostics


@pytest.mark.parametrize("damage", ["cut-between-chunks", "cut-in-a-chunk", "old-format", "other-code"])
def test_a_cache_that_does_not_fit_is_ignored(root, reads, monkeypatch, damage):
    monkeypatch.setattr(cache, "CHUNK", 2)
    expected = load_notebook(root, use_cache=False).people
    load_notebook(root)
    target = cache.cache_file(root)
    data = target.read_bytes()
    if damage == "cut-between-chunks":
        with open(target, "rb") as fh:
            pickle.load(fh)
            pickle.load(fh)
            target.write_bytes(data[: fh.tell()])
    elif damage == "cut-in-a-chunk":
        target.write_bytes(data[:-10])
    elif damage == "old-format":  # the single-pickle layout of format 1
        stamp = cache.code_stamp()
        target.write_bytes(pickle.dumps({"stamp": stamp, "written_ns": time.time_ns(), "entries": {}}))
    else:
        monkeypatch.setattr(cache, "code_stamp", lambda extra=(): ("another version",))
    reads.clear()
    assert load_notebook(root).people == expected
    assert len(reads) == 5  # every note read again


def test_the_cache_is_outside_the_notebook(root):
    load_notebook(root)
    target = cache.cache_file(root)
    assert target.is_file() and root not in target.parents
    assert Path(os.environ["CONVO_CACHE_DIR"]) == target.parent
