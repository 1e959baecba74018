"""The per-file cache of checked notes: chunked on disk, reused only when it fits, never trusted blindly."""

from __future__ import annotations

import os
import pickle
import shutil
import time
from binascii import crc32
from pathlib import Path

import pytest

from convo_notes import loader
from convo_notes.cache import records
from convo_notes.loader import load_notebook

NOTES = {f"notes/people/p{i}.md": f"---\nname: Person {i}\n---\n" for i in range(5)}


@pytest.fixture
def root(make_notebook) -> Path:
    root = make_notebook(NOTES)
    old = time.time() - 3600
    for path in root.rglob("*.md"):
        os.utime(path, (old, old))
    time.sleep(records.RACY_CTIME_NS / 1e9 + 0.05)  # the ctime moved just now: wait out its racy window
    return root


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Every file the loader actually reads (cache misses)."""
    seen: list[str] = []
    real = loader.read_many

    def counting(root, rels, progress=None, keys=None):
        seen.extend(rels)
        return real(root, rels, progress, keys)

    monkeypatch.setattr(loader, "read_many", counting)
    return seen


def test_cache_in_chunks_round_trips(root, reads, monkeypatch):
    monkeypatch.setattr(records, "CHUNK", 2)
    first = load_notebook(root)
    assert len(reads) == 5
    with open(records.cache_file(root), "rb") as fh:
        head = pickle.load(fh)
        frames = [pickle.load(fh) for _ in range(head["chunks"])]
    assert all(crc32(blob) == checksum for checksum, blob in frames)
    assert [len(pickle.loads(blob)) for _, blob in frames] == [2, 2, 1]
    second = load_notebook(root)
    assert len(reads) == 5  # nothing read again
    assert second.people == first.people and second.diagnostics == first.diagnostics


@pytest.mark.parametrize(("damage", "read_again"), [
    ("cut-between-chunks", 3),  # the first chunk (2 entries) is whole and checked: kept
    ("cut-in-a-chunk", 1),  # the last chunk (1 entry) is lost
    ("old-format", 5),
    ("other-code", 5),
])
def test_a_cache_that_does_not_fit_is_ignored(root, reads, monkeypatch, damage, read_again):
    monkeypatch.setattr(records, "CHUNK", 2)
    expected = load_notebook(root, use_cache=False).people
    load_notebook(root)
    target = records.cache_file(root)
    data = target.read_bytes()
    if damage == "cut-between-chunks":
        with open(target, "rb") as fh:
            pickle.load(fh)
            pickle.load(fh)
            target.write_bytes(data[: fh.tell()])
    elif damage == "cut-in-a-chunk":
        target.write_bytes(data[:-10])
    elif damage == "old-format":  # the single-pickle layout of format 1
        stamp = records.code_stamp()
        target.write_bytes(pickle.dumps({"stamp": stamp, "written_ns": time.time_ns(), "entries": {}}))
    else:
        monkeypatch.setattr(records, "code_stamp", lambda extra=(): ("another version",))
    reads.clear()
    assert load_notebook(root).people == expected
    assert len(reads) == read_again


def test_the_cache_is_outside_the_notebook(root):
    load_notebook(root)
    target = records.cache_file(root)
    assert target.is_file() and root not in target.parents
    assert Path(os.environ["CONVO_CACHE_DIR"]) == target.parent


def frames_of(target: Path) -> list[tuple[int, bytes]]:
    with open(target, "rb") as fh:
        head = pickle.load(fh)
        return [pickle.load(fh) for _ in range(head["chunks"])]


def test_a_damaged_entry_is_recomputed_silently(root, reads, monkeypatch):
    """A changed byte that still unpickles (a name in a record) is caught by the chunk's
    CRC-32: only that chunk's files are read again, and the answer is the true one."""
    monkeypatch.setattr(records, "CHUNK", 2)
    expected = load_notebook(root, use_cache=False)
    load_notebook(root)
    target = records.cache_file(root)
    data = target.read_bytes()
    assert data.count(b"Person 3") == 1
    target.write_bytes(data.replace(b"Person 3", b"Person 9"))
    blob = next(blob for _, blob in frames_of(target) if b"Person 9" in blob)
    assert "Person 9" in str(pickle.loads(blob))  # the damage alone would be served
    reads.clear()
    again = load_notebook(root)
    assert again.people == expected.people and again.diagnostics == expected.diagnostics
    assert sorted(reads) == ["notes/people/p2.md", "notes/people/p3.md"]  # that chunk only


def settle() -> None:
    """Wait out the ctime's racy window after a change (see records.racy)."""
    time.sleep(records.RACY_CTIME_NS / 1e9 + 0.05)


def rewrite_keeping_size_and_mtime(path: Path, old: str, new: str) -> None:
    before = path.stat()
    text = path.read_text()
    assert len(old) == len(new) and old in text
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    settle()


def test_a_same_size_edit_with_the_mtime_put_back_is_not_served_stale(root, reads):
    """The ctime moves on every write, whatever a tool does to the mtime."""
    assert load_notebook(root).people["p1"].name == "Person 1"
    rewrite_keeping_size_and_mtime(root / "notes/people/p1.md", "Person 1", "Person X")
    reads.clear()
    assert load_notebook(root).people["p1"].name == "Person X"
    assert reads == ["notes/people/p1.md"]


def test_convo_yml_edited_in_place_with_the_mtime_put_back_is_not_served_stale(root):
    path = root / "convo.yml"
    path.write_text("me: p1\n")
    old = time.time() - 3600
    os.utime(path, (old, old))
    settle()
    assert loader.load_config(root, {})[0].me == "p1"
    assert loader.load_config(root, {})[0].me == "p1"  # from the memo
    memo = next(records.cache_file(root).parent.glob("*convo.yml.pickle"))
    rewrite_keeping_size_and_mtime(path, "p1", "p2")
    assert loader.load_config(root, {})[0].me == "p2"
    assert memo.is_file()


def test_a_damaged_convo_yml_memo_is_recomputed_silently(root):
    path = root / "convo.yml"
    path.write_text("me: p1\n")
    old = time.time() - 3600
    os.utime(path, (old, old))
    settle()
    assert loader.load_config(root, {})[0].me == "p1"
    memo = next(records.cache_file(root).parent.glob("*convo.yml.pickle"))
    data = memo.read_bytes()
    assert data.count(b"p1") >= 1  # `me`, and the raw settings it came from
    memo.write_bytes(data.replace(b"p1", b"p3"))  # still a valid pickle: only the checksum tells
    config, problems = loader.load_config(root, {})
    assert (config.me, problems) == ("p1", [])


def test_the_code_stamp_is_every_module_of_the_package(root, reads, tmp_path, monkeypatch):
    """No hand-kept list: changing any module of the package (yamlsafe.py was once left out,
    or one in a subpackage) drops the cache, even when its size stays the same."""
    copy = tmp_path / "convo_notes"
    shutil.copytree(records.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(records, "PACKAGE_DIR", copy)
    load_notebook(root)
    assert len(reads) == 5
    load_notebook(root)
    assert len(reads) == 5  # the same code: nothing read again
    for module in ("yamlsafe.py", "site/pages.py", "schema.py"):
        stamp = records.code_stamp()
        with open(copy / module, "ab") as fh:
            fh.write(b"\n# one more byte\n")
        records.package_digest.cache_clear()
        assert records.code_stamp() != stamp, module
        stamp = records.code_stamp()
        text = (copy / module).read_bytes()
        (copy / module).write_bytes(text.replace(b"# one more byte", b"# one more BYTE"))  # same size
        os.utime(copy / module, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        records.package_digest.cache_clear()
        assert records.code_stamp() != stamp, module
        reads.clear()
        load_notebook(root)
        assert len(reads) == 5, module  # every note read again
    records.package_digest.cache_clear()


# --- the append log: one edit writes one small frame, never the whole cache ---------------

def edit(path: Path, text: str) -> None:
    """An edit made a while ago (outside the racy window, so its new entry is trusted later)."""
    path.write_text(text)
    old = time.time() - 1800
    os.utime(path, (old, old))
    settle()


def test_one_edit_appends_to_the_log_and_leaves_the_base_alone(root, reads):
    load_notebook(root)
    target = records.cache_file(root)
    base = target.read_bytes()
    log = records.log_file(target)
    assert not log.exists()
    edit(root / "notes/people/p2.md", "---\nname: Person Two\n---\n")
    reads.clear()
    assert load_notebook(root).people["p2"].name == "Person Two"
    assert reads == ["notes/people/p2.md"]
    assert target.read_bytes() == base  # the base is not rewritten
    frame = log.read_bytes()
    assert b"Person Two" in frame and b"Person 1" not in frame  # only the edited note's entry
    reads.clear()
    again = load_notebook(root)
    assert reads == [] and again.people["p2"].name == "Person Two"  # served from base + log


@pytest.mark.parametrize("damage", ["torn", "flipped"])
def test_a_damaged_log_frame_is_read_again_and_compacted(root, reads, damage):
    load_notebook(root)
    target = records.cache_file(root)
    log = records.log_file(target)
    for name in ("Person Two", "Person 2nd"):
        edit(root / "notes/people/p2.md", f"---\nname: {name}\n---\n")
        load_notebook(root)
    data = log.read_bytes()
    assert data.count(b"Person 2nd") == 1
    log.write_bytes(data[:-3] if damage == "torn" else data.replace(b"Person 2nd", b"Person 3rd"))
    reads.clear()
    assert load_notebook(root).people["p2"].name == "Person 2nd"
    assert reads == ["notes/people/p2.md"]  # the first frame's entry is stale anyway; the second is lost
    assert not log.exists()  # compacted into the base
    reads.clear()
    assert load_notebook(root).people["p2"].name == "Person 2nd" and reads == []


def test_the_log_is_compacted_once_it_holds_a_share_of_the_notes(root, reads, monkeypatch):
    monkeypatch.setattr(records, "CHUNK", 1)
    monkeypatch.setattr(records, "LOG_SHARE", 2)  # at most max(1, 5 // 2) = 2 entries in the log
    load_notebook(root)
    target = records.cache_file(root)
    log = records.log_file(target)
    for i in (0, 1, 3):
        edit(root / f"notes/people/p{i}.md", f"---\nname: Edited {i}\n---\n")
        load_notebook(root)
        assert log.exists() == (i != 3)  # the third edit would make three: the base is rewritten
    reads.clear()
    nb = load_notebook(root)
    assert reads == [] and [nb.people[f"p{i}"].name for i in range(5)] == [
        "Edited 0", "Edited 1", "Person 2", "Edited 3", "Person 4"]


def test_a_log_from_other_code_is_ignored(root, reads, monkeypatch):
    load_notebook(root)
    edit(root / "notes/people/p2.md", "---\nname: Person Two\n---\n")
    load_notebook(root)
    real = records.code_stamp()
    monkeypatch.setattr(records, "code_stamp", lambda extra=(): real)
    log = records.log_file(records.cache_file(root))
    records._append(log, ("other code",), {"notes/people/p2.md": (None, None)}, time.time_ns())
    reads.clear()
    assert load_notebook(root).people["p2"].name == "Person Two"
    assert reads == [] and not log.exists()  # the good frame kept, the foreign one compacted away
