"""How many processes read a large notebook (``CONVO_JOBS``, else the CPUs convo may run on), and
that the notebook read in several processes is the one read in one."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import time
from binascii import crc32
from pathlib import Path

import pytest

from convo_notes import loader
from convo_notes.cache import records
from convo_notes.loader import load_notebook, read_jobs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402 - the benchmark's own notebook generator


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("2", 2), (" 3 ", 3), ("64", 64), ("1000", 64)])
def test_convo_jobs_sets_the_number(value, expected):
    assert read_jobs({"CONVO_JOBS": value}) == expected


@pytest.mark.parametrize("value", ["", "0", "-1", "two", "1.5"])
def test_anything_else_counts_the_cpus_convo_may_run_on(value):
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    assert read_jobs({"CONVO_JOBS": value}) == max(1, min(cpus, 4))
    assert read_jobs({}) == max(1, min(cpus, 4))


def snapshot(root: Path, use_cache: bool = False) -> tuple[list[str], list[str], list[str], list[str]]:
    """Everything a load gives: diagnostics, records (every field, in order), files, unreadable notes."""
    nb = load_notebook(root, use_cache=use_cache)
    records = [repr(note) for note in [*nb.conversations, *nb.incomplete, *nb.people.values(), *nb.orgs.values()]]
    return [d.format() for d in nb.diagnostics], records, list(nb.files), sorted(nb.unreadable)


BROKEN = {  # a note of every way a file can fail, among the generated ones
    "notes/conversations/broken.md": "---\ndate: [\n---\n",
    "notes/conversations/no-close.md": "---\ndate: 2026-01-02\nwith: [nobody-here]\n",
    "notes/conversations/bad-date.md": "---\ndate: 2026-13-45\nwith: [x]\n---\nbody [[no-such-note]]\n",
    "notes/conversations/Bad Name.md": "---\ndate: 2026-01-02\nwith: [x]\n---\n",
    "notes/conversations/tagged.md": "---\ndate: !!python/object:os.system 2026-01-02\nwith: [x]\n---\n",
    "notes/conversations/not-utf8.md": b"---\ndate: 2026-01-02\nwith: [\xff]\n---\n",
    "notes/people/no-front-matter.md": "just text\n",
    "notes/orgs/list.md": "---\n- a\n- b\n---\n",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A generated notebook of 300 conversations with broken notes among them, and a symlink out."""
    root = tmp_path_factory.mktemp("gen") / "nb"
    generate.generate(str(root), 300, 3)
    for rel, text in BROKEN.items():
        (root / rel).write_bytes(text if isinstance(text, bytes) else text.encode())
    outside = root.parent / "outside.md"
    outside.write_text("---\ndate: 2026-01-02\nwith: [x]\n---\n", encoding="utf-8")
    (root / "notes" / "conversations" / "out.md").symlink_to(outside)
    return root


@pytest.fixture
def sample(notebook: Path) -> Path:
    return notebook


def parent_reads(monkeypatch, pause: float = 0.0) -> list[str]:
    """The notes this process reads itself (a forked worker's reads are not seen here); ``pause``:
    seconds every process takes over each note, so that the reading outlasts starting the workers
    on a loaded machine and every process takes batches (else the first to start may take them all)."""
    here: list[str] = []
    me = os.getpid()
    real = loader.read_file

    def counting(root, rel):
        if os.getpid() == me:
            here.append(rel)
        if pause:
            time.sleep(pause)
        return real(root, rel)

    monkeypatch.setattr(loader, "read_file", counting)
    return here


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the loader reads in processes only where it can fork")


@needs_fork
@pytest.mark.parametrize("which", ["sample", "generated"])
@pytest.mark.parametrize("jobs", ["2", "3"])
def test_several_processes_read_the_notebook_one_reads(which, jobs, request, monkeypatch):
    root = request.getfixturevalue(which)
    monkeypatch.setattr(loader, "PARALLEL_MIN", 10)
    monkeypatch.setattr(loader, "batch_size", lambda files: 4)  # many batches even in a small notebook
    monkeypatch.setenv("CONVO_JOBS", "1")
    one = snapshot(root)
    monkeypatch.setenv("CONVO_JOBS", jobs)
    total = len(loader.scan_note_files(root))
    here = parent_reads(monkeypatch, pause=1.5 / total)  # about 1.5 s of reading in all
    several = snapshot(root)
    assert 0 < len(here) < total  # some here, the rest in the workers
    assert several == one
    if which == "generated":
        codes = "\n".join(one[0])
        for code in ("yaml-syntax", "bad-slug", "bad-date", "unknown-person", "broken-link", "yaml-tag", "not-utf8",
                     "symlink-outside", "unclosed-front-matter", "not-a-mapping", "no-front-matter"):
            assert f"[{code}]" in codes, code


@needs_fork
def test_what_workers_send_is_what_this_process_would_read(generated, monkeypatch):
    monkeypatch.setattr(loader, "PARALLEL_MIN", 10)
    monkeypatch.setenv("CONVO_JOBS", "2")
    files = loader.scan_note_files(generated)
    rels = list(files)
    here = parent_reads(monkeypatch, pause=1.5 / len(rels))
    got = loader.read_many(generated, rels, keys=files)
    monkeypatch.undo()
    assert isinstance(got, loader.ReadResults) and list(sorted(got)) == sorted(rels)
    packed = [rel for _crc, _blob, piece in got.packed for rel in piece]
    assert sorted(packed) == sorted(rels)  # every batch pickled once, here or in a worker
    assert 0 < len(here) < len(rels) and len(set(here)) == len(here)  # each note read once
    for checksum, blob, piece in got.packed:
        assert crc32(blob) == checksum
        entries = pickle.loads(blob)
        assert list(entries) == piece
        for rel, (key, result) in entries.items():
            assert key == files[rel]
            assert result == got[rel] == loader.read_file(generated, rel)


@needs_fork
def test_the_cache_a_parallel_read_writes_serves_the_next_load(generated, monkeypatch):
    monkeypatch.setattr(loader, "PARALLEL_MIN", 10)
    monkeypatch.setenv("CONVO_JOBS", "1")
    one = snapshot(generated)
    monkeypatch.setenv("CONVO_JOBS", "2")
    time.sleep(records.RACY_NS / 1e9 + 0.05)  # the generated notes are no longer racily clean
    cold = snapshot(generated, use_cache=True)
    with open(records.cache_file(generated), "rb") as fh:
        head = pickle.load(fh)
        frames = [pickle.load(fh) for _ in range(head["chunks"])]
    assert all(crc32(blob) == checksum for checksum, blob in frames)
    stored = records._load(records.cache_file(generated), records.code_stamp())
    files = loader.scan_note_files(generated)
    assert sorted(stored) == sorted(files) and all(stored[rel][0] == key for rel, key in files.items())
    here = parent_reads(monkeypatch)
    warm = snapshot(generated, use_cache=True)
    assert here == []  # every note came from the cache
    assert cold == warm == one


@needs_fork
def test_a_worker_that_dies_costs_only_time(generated, monkeypatch):
    """A worker killed mid-way (out of memory, a signal) after sending a batch: the batch it held is
    read here, what it sent is kept, and no process is left behind."""
    monkeypatch.setattr(loader, "PARALLEL_MIN", 10)
    monkeypatch.setattr(loader, "batch_size", lambda files: 8)
    monkeypatch.setenv("CONVO_JOBS", "1")
    one = snapshot(generated)
    me = os.getpid()
    real = loader.read_file
    count = [0]  # in the worker, its own copy

    def dying(root, rel):
        if os.getpid() != me:
            count[0] += 1
            if count[0] == 12:  # one batch of 8 sent, the second half read
                os.kill(os.getpid(), signal.SIGKILL)
        return real(root, rel)

    monkeypatch.setattr(loader, "read_file", dying)
    monkeypatch.setenv("CONVO_JOBS", "2")
    files = loader.scan_note_files(generated)
    here = parent_reads(monkeypatch, pause=1.5 / len(files))  # else this process may take every batch first
    got = loader.read_many(generated, list(files), keys=files)
    sent = {rel for _c, _b, piece in got.packed for rel in piece} - set(here)
    assert len(sent) == 8  # the worker's first batch, then it died
    assert sorted(got) == sorted(files) and len(here) == len(files) - 8
    assert snapshot(generated) == one
    assert not _children()  # no worker left behind, not even a zombie
    monkeypatch.setattr(loader, "read_file", lambda root, rel: 1 / 0 if os.getpid() != me else real(root, rel))
    assert snapshot(generated) == one  # a worker whose reading raises: the same
    assert not _children()


def _children() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return False
    return True


@needs_fork
@pytest.mark.parametrize("failing", ["fork", "pipe"])
def test_without_processes_everything_is_read_here(generated, monkeypatch, failing):
    monkeypatch.setattr(loader, "PARALLEL_MIN", 10)
    monkeypatch.setenv("CONVO_JOBS", "1")
    one = snapshot(generated)
    monkeypatch.setenv("CONVO_JOBS", "2")

    def refuse(*args):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, failing, refuse)
    here = parent_reads(monkeypatch)
    assert snapshot(generated) == one
    assert len(here) == len(loader.scan_note_files(generated))


@needs_fork
def test_a_slow_worker_reads_less(generated, monkeypatch):
    """Batches are taken one at a time: a worker slowed by other load leaves the rest to this process."""
    monkeypatch.setattr(loader, "PARALLEL_MIN", 10)
    monkeypatch.setattr(loader, "batch_size", lambda files: 8)
    monkeypatch.setenv("CONVO_JOBS", "2")
    me = os.getpid()
    real = loader.read_file

    def slow_worker(root, rel):
        if os.getpid() != me:
            time.sleep(0.05)
        return real(root, rel)

    monkeypatch.setattr(loader, "read_file", slow_worker)
    here = parent_reads(monkeypatch)
    files = loader.scan_note_files(generated)
    got = loader.read_many(generated, list(files), keys=files)
    assert sorted(got) == sorted(files)
    assert len(here) > len(files) * 3 // 4  # a fixed half would leave this process waiting


def test_batches_suit_the_cache():
    assert loader.batch_size(1_500) == 64
    assert loader.batch_size(10_566) == 132
    assert loader.batch_size(50_000) == 256 == records.CHUNK


@needs_fork
def test_validate_says_the_same_with_one_process_or_two(generated, monkeypatch):
    """`convo validate`, cold (no cache), text and JSON, with CONVO_JOBS=1 and 2: the same answer."""
    from conftest import run_cli

    monkeypatch.setattr(loader, "PARALLEL_MIN", 10)
    monkeypatch.setenv("CONVO_CACHE_DIR", "off")
    answers = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv("CONVO_JOBS", jobs)
        answers[jobs] = [run_cli("-C", str(generated), "--today", "2026-06-01", "validate", *args)
                         for args in ((), ("--json",))]
    assert answers["1"] == answers["2"]
    assert answers["1"][0].code == 1 and "error[yaml-syntax]" in answers["1"][0].out


@needs_fork
def test_more_batches_than_a_pipe_holds_never_wait(generated, monkeypatch):
    """However many notes, the batch numbers fit the pipe they wait in (else the write would block)."""
    monkeypatch.setattr(loader, "PARALLEL_MIN", 10)
    monkeypatch.setattr(loader, "batch_size", lambda files: 1)
    monkeypatch.setattr(loader, "MAX_BATCHES", 16)  # 300-odd notes: batches of 20 or more, not of 1
    monkeypatch.setenv("CONVO_JOBS", "2")
    files = loader.scan_note_files(generated)
    got = loader.read_many(generated, list(files), keys=files)
    assert sorted(got) == sorted(files)
    assert len(got.packed) <= 16  # each batch one piece
    assert max(len(piece) for _c, _b, piece in got.packed) == -(-len(files) // 16)
