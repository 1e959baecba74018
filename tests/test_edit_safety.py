"""Edits that cannot lose data: real faults, real files, real processes.

- ``PATH:LINE`` on a line where several commitments start is refused, naming their ids;
- a full disk (a real 64 KiB tmpfs where it can be mounted, and ``RLIMIT_FSIZE``
  everywhere) leaves every note as it was, with one line naming the file and why;
- an editor saving in place (truncate, then write in pieces) while ``convo done``
  runs over and over: the note is always a whole save or the right edit of one;
- a killed vCard import and its rerun leave no temporary file;
- a property over generated notes: ``done PATH:LINE`` changes exactly the
  bytes it means to, or is refused when the line is ambiguous.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_notebook
from convo_notes import fsutil
from convo_notes.edit import Ambiguous, find_commitment, insert_done, mark_done
from convo_notes.loader import load_notebook
from test_edit_done import NOTE, PEOPLE, TODAY, assert_one_done_inserted, generated_note

SRC = Path(__file__).resolve().parents[1] / "src"


def leftovers(root: Path) -> list[str]:
    """Temporary files anywhere in the notebook (ours, an older version's, or anything `*.tmp`)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.name.endswith((fsutil.TEMP_SUFFIX, ".tmp")))


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- PATH:LINE naming several commitments ---------------------------------------------------

def test_a_line_with_several_commitments_is_refused_with_their_ids(cli, make_notebook):
    flows = {
        "notes/c/ids.md": "---\ndate: 2026-03-01\nwith: ana\n"
                          "commitments: [{id: deck, what: Send the deck}, {id: room, what: 'Book: room'}]\n---\n",
        "notes/c/bare.md": "---\ndate: 2026-03-01\nwith: ana\ncommitments: [{what: A}, {what: B}]\n---\n",
        "notes/c/mixed.md": "---\ndate: 2026-03-01\nwith: ana\ncommitments: [{id: one, what: First},\n"
                            "  {what: Second}, {what: Third}]\n---\n",
    }
    root = make_notebook({**PEOPLE, **flows})
    before = files_of(root)

    def done(ref: str) -> tuple[int, str]:
        result = cli("-C", str(root), "--today", TODAY, "done", ref)
        return result.code, result.err

    assert done("notes/c/ids.md:4") == (
        2, 'convo: notes/c/ids.md:4: 2 commitments start on that line: "Send the deck" (id: deck), '
           '"Book: room" (id: room); name one by its id, e.g. `convo done deck`\n')
    assert done("notes/c/bare.md:4") == (
        2, 'convo: notes/c/bare.md:4: 2 commitments start on that line: "A", "B"; give each an `id:` '
           "in the note and name it by that id (`convo done ID`)\n")
    assert done("notes/c/mixed.md:5") == (
        2, 'convo: notes/c/mixed.md:5: 2 commitments start on that line: "Second", "Third"; give each an '
           "`id:` in the note and name it by that id (`convo done ID`)\n")
    assert files_of(root) == before
    # The one commitment alone on its line, and the ids, do work.
    assert done("notes/c/mixed.md:4") == (0, "")
    assert done("room") == (0, "")
    assert (root / "notes/c/ids.md").read_text(encoding="utf-8").endswith(
        "[{id: deck, what: Send the deck}, {id: room, what: 'Book: room', done: 2026-03-10}]\n---\n")
    assert (root / "notes/c/mixed.md").read_text(encoding="utf-8").startswith(
        "---\ndate: 2026-03-01\nwith: ana\ncommitments: [{id: one, what: First, done: 2026-03-10},\n")


def _line_of(raw: bytes, index: int, root: Path, rel: str) -> tuple[int, int]:
    """The line ``convo due`` shows for commitment ``index``, and how many commitments start there."""
    nb = load_notebook(root)
    conv = next(c for c in nb.conversations if c.path == rel)
    line = conv.commitments[index].line
    return line, sum(1 for c in conv.commitments if c.line == line)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(generated_note(), st.data())
def test_done_by_path_and_line_marks_exactly_that_commitment_or_refuses(tmp_path_factory, note, data):
    """Through the notebook, the resolver and the atomic writer: the right bytes, or a refusal and no change."""
    raw, count = note
    root = write_notebook(tmp_path_factory.mktemp("nb"), {**PEOPLE, "notes/c/gen.md": raw})
    index = data.draw(st.integers(0, count - 1))
    line, sharing = _line_of(raw, index, root, "notes/c/gen.md")
    nb = load_notebook(root)
    assert not nb.errors, [d.format() for d in nb.errors]
    path = root / "notes/c/gen.md"
    if sharing > 1:
        with pytest.raises(Ambiguous, match=f"notes/c/gen.md:{line}: {sharing} commitments start on that line"):
            find_commitment(nb, f"notes/c/gen.md:{line}")
        assert path.read_bytes() == raw
        return
    conv, c = find_commitment(nb, f"notes/c/gen.md:{line}")
    assert c.index == index
    mark_done(nb, conv, c, dt.date(2026, 3, 10))
    after = path.read_bytes()
    assert after == insert_done(raw, index, dt.date(2026, 3, 10))
    assert_one_done_inserted(raw, after, "2026-03-10")
    assert leftovers(root) == []


# --- a full disk ---------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (root only); skipped where it cannot be mounted."""
    mount = tmp_path / "small"
    mount.mkdir()
    tried = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                           capture_output=True, text=True) if shutil.which("mount") else None
    if tried is None or tried.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({tried.stderr.strip() if tried else 'no mount'}); "
                    "the RLIMIT_FSIZE variant covers a failing write")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(folder: Path) -> None:
    """Fill the file system of ``folder`` to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (4096, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)


def run_convo(*args: str, fsize: int | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m convo_notes ARGS`` in a child process, its file sizes capped at ``fsize`` bytes."""

    def limit() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversize write fails with EFBIG instead of killing
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    env = {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "convo_notes", *args], capture_output=True, text=True,
                          timeout=60, preexec_fn=limit, env=env, cwd=cwd)


@pytest.fixture(params=["enospc", "efbig", "eperm"])
def failing_disk(request: pytest.FixtureRequest, tmp_path: Path):
    """``(setup, run, reason)``: makes a notebook, a runner whose writes in it fail, and the reason they give.

    ``enospc``: a full tmpfs; ``efbig``: ``RLIMIT_FSIZE``; ``eperm``: the notebook made immutable
    (``chattr +i``, which stops even root).
    """
    if request.param == "eperm":
        def setup_frozen(files: dict[str, str | bytes]) -> Path:
            root = write_notebook(tmp_path / "nb", files)
            request.addfinalizer(lambda: subprocess.run(["chattr", "-R", "-i", str(root)], capture_output=True))
            frozen = subprocess.run(["chattr", "-R", "+i", str(root)], capture_output=True, text=True) \
                if shutil.which("chattr") else None
            if frozen is None or frozen.returncode != 0 or _can_write(root / "notes"):
                pytest.skip("cannot make files immutable here (chattr +i)")
            return root

        return setup_frozen, (lambda *a: run_convo(*a)), "Operation not permitted"
    if request.param == "enospc":
        disk = request.getfixturevalue("small_disk")

        def setup(files: dict[str, str | bytes]) -> Path:
            root = write_notebook(disk / "nb", files)
            fill(disk)
            return root

        return setup, (lambda *a: run_convo(*a)), "No space left on device"

    def setup_big(files: dict[str, str | bytes]) -> Path:
        return write_notebook(tmp_path / "nb", files)

    return setup_big, (lambda *a: run_convo(*a, fsize=64)), "File too large"


def test_done_on_a_failing_disk_keeps_the_note_and_says_so_in_one_line(failing_disk):
    setup, run, reason = failing_disk
    root = setup({**PEOPLE, "notes/c/call.md": NOTE})
    before = files_of(root)
    result = run("-C", str(root), "--today", TODAY, "done", "deck")
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", f"convo: notes/c/call.md: not written: {reason}\n")
    assert files_of(root) == before
    assert leftovers(root) == []


def test_new_on_a_failing_disk_leaves_no_empty_note(failing_disk):
    setup, run, reason = failing_disk
    root = setup(PEOPLE)
    before = files_of(root)
    result = run("-C", str(root), "--today", TODAY, "new", "--with", "ana", "--title", "Call", "--no-edit")
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", f"convo: notes/conversations/2026/2026-03-10-call.md: not written: {reason}\n")
    assert files_of(root) == before  # no note at 0 bytes, no half a note
    assert leftovers(root) == []


def test_import_on_a_failing_disk_keeps_every_note(failing_disk, tmp_path):
    setup, run, reason = failing_disk
    root = setup({**PEOPLE, "notes/people/ana.md": "---\nname: Ana\n---\n"})
    cards = tmp_path / "cards.vcf"
    cards.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Ana\nEMAIL:ana@example.org\nTITLE:A long title to add\n"
                     "END:VCARD\n", encoding="utf-8")
    before = files_of(root)
    result = run("-C", str(root), "import", "vcard", str(cards))
    assert (result.returncode, result.stderr) == (1, f"convo: notes/people/ana.md: not written: {reason}\n")
    assert files_of(root) == before
    assert leftovers(root) == []


def test_export_to_a_failing_disk_says_so_in_one_line(failing_disk):
    setup, run, reason = failing_disk
    root = setup({**PEOPLE, "notes/c/call.md": NOTE})
    out = root / "out"
    for args, target, why in [(("export", "-o"), out / "all.json", reason),
                              (("export", "--format", "sqlite", "-o"), out / "all.db", "")]:
        result = run("-C", str(root), "--today", TODAY, *args, str(target))
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith(f"convo: {target}: not written: ") and result.stderr.count("\n") == 1
        assert result.stderr.rstrip("\n").endswith(why), result.stderr
        assert not target.exists()
    assert leftovers(root) == []


def test_a_read_only_file_system_leaves_the_note_as_it_was(tmp_path, cli, make_notebook):
    """EROFS (a bind mount made read-only, root only): the same one line, never "This is a bug"."""
    root = make_notebook({**PEOPLE, "notes/c/call.md": NOTE})
    frozen = tmp_path / "ro"
    frozen.mkdir()
    if subprocess.run(["mount", "--bind", "-o", "ro", str(root), str(frozen)], capture_output=True).returncode:
        pytest.skip("cannot make a read-only bind mount here")
    try:
        if not _really_read_only(frozen):
            pytest.skip("the bind mount did not become read-only")
        before = files_of(frozen)
        result = cli("-C", str(frozen), "--today", TODAY, "done", "deck")
        assert (result.code, result.err) == (1, "convo: notes/c/call.md: not written: Read-only file system\n")
        assert files_of(frozen) == before
    finally:
        subprocess.run(["umount", "-l", str(frozen)], capture_output=True)


def _can_write(folder: Path) -> bool:
    try:
        (folder / ".probe").write_bytes(b"")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


def _really_read_only(folder: Path) -> bool:
    return not _can_write(folder)


# --- an editor saving in place while `done` runs --------------------------------------------

WRITER = """
import os, random, sys, time
path, stop, log = sys.argv[1], sys.argv[2], sys.argv[3]
versions = [open(p, "rb").read() for p in sys.argv[4:]]
rng = random.Random(7)
seen = []
while not os.path.exists(stop):
    seen.append(open(path, "rb").read())  # whatever is there between our saves
    data = versions[len(seen) % len(versions)]
    with open(path, "r+b") as fh:  # save in place, as many editors do: truncate, then write in pieces
        fh.truncate(0)
        half = len(data) // 2
        fh.write(data[:half])
        fh.flush()
        time.sleep(rng.uniform(0, 0.012))
        fh.write(data[half:])
    time.sleep(rng.uniform(0, 0.1))
with open(log, "wb") as out:
    out.write(repr(seen).encode())
"""


def test_an_editor_saving_in_place_never_gets_a_half_file_written_back(cli, make_notebook, tmp_path):
    body = "".join(f"Line {i} of the meeting notes, long enough to matter.\n" for i in range(60))
    versions = [(NOTE + body).encode(), (NOTE + body + "One more paragraph saved later.\n" * 20).encode()]
    day = dt.date(2026, 3, 10)
    allowed = {*versions, *(insert_done(v, 0, day) for v in versions)}
    assert all(len(v) // 2 > NOTE.index("Body stays.") for v in versions)  # half a save still parses
    root = make_notebook({**PEOPLE, "notes/c/call.md": versions[0]})
    path = root / "notes/c/call.md"
    sources = []
    for i, v in enumerate(versions):
        sources.append(tmp_path / f"v{i}")
        sources[-1].write_bytes(v)
    stop, log = tmp_path / "stop", tmp_path / "seen"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(stop), str(log), *map(str, sources)])
    codes: list[int] = []
    try:
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            result = cli("-C", str(root), "--today", TODAY, "done", "deck")
            # Done; refused (changed, being saved, already done); or the loader caught the note half saved.
            assert result.code in (0, 1, 2), result.err
            assert "This is a bug" not in result.err
            codes.append(result.code)
    finally:
        stop.write_bytes(b"")
        writer.wait(timeout=30)
    seen = eval(log.read_text(encoding="utf-8"))  # noqa: S307 - our own repr of a list of bytes
    bad = [s for s in [*seen, path.read_bytes()] if s not in allowed]
    assert bad == [], f"{len(bad)} of {len(seen) + 1} observed files were neither a whole save nor its edit"
    assert codes.count(0) >= 1, f"no `done` got through in {len(codes)} runs: the test proved nothing"
    assert any(s in allowed - set(versions) for s in seen), "the writer never saw an edit"
    assert leftovers(root) == []


# --- reading a consistent snapshot ----------------------------------------------------------

def test_a_snapshot_waits_for_a_fresh_save_and_refuses_a_file_that_never_settles(tmp_path):
    path = tmp_path / "n.md"
    path.write_bytes(b"just saved")
    started = time.monotonic()
    assert fsutil.read_snapshot(path).data == b"just saved"
    assert time.monotonic() - started >= fsutil.SETTLE_SECONDS * 0.5  # it waited for the save to settle

    stop, writing = threading.Event(), threading.Event()

    def keep_appending() -> None:
        with open(path, "ab") as fh:
            while not stop.is_set():
                fh.write(b"x")
                fh.flush()
                writing.set()
                time.sleep(0.002)

    thread = threading.Thread(target=keep_appending)
    thread.start()
    try:
        assert writing.wait(10)
        started = time.monotonic()
        with pytest.raises(fsutil.FileChanged, match="^notes/n.md kept changing while convo was reading it; "
                                                     "nothing was written$"):
            fsutil.read_snapshot(path, "notes/n.md")
        assert fsutil.READ_PATIENCE_SECONDS <= time.monotonic() - started < fsutil.READ_PATIENCE_SECONDS + 1
    finally:
        stop.set()
        thread.join()
    fifo = tmp_path / "f.md"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        fsutil.read_snapshot(fifo)


def test_atomic_create_never_replaces_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "sub" / "n.md"
    fsutil.atomic_create(target, b"first")
    with pytest.raises(FileExistsError):
        fsutil.atomic_create(target, b"second")
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["n.md"]


def test_atomic_create_without_hard_links(tmp_path, monkeypatch):
    """File systems without hard links (FAT, some network shares; cannot be mounted here): an exclusive create."""
    import errno

    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(fsutil.os, "link", no_links)
    target = tmp_path / "n.md"
    fsutil.atomic_create(target, b"first")
    with pytest.raises(FileExistsError):
        fsutil.atomic_create(target, b"second")
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.md"]


# --- a killed import -------------------------------------------------------------------------

IMPORTER = """
import os, sys, time
real = os.write
def slow(fd, data):  # a slow disk: 32 bytes at a time
    time.sleep(0.004)
    return real(fd, bytes(data[:32]))
os.write = slow
from convo_notes.cli import main
main(sys.argv[1:])
"""


def test_a_killed_import_then_a_rerun_leaves_no_temporary_file(cli, make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    cards = tmp_path / "many.vcf"
    cards.write_text("".join(f"BEGIN:VCARD\nVERSION:3.0\nFN:Person Number{i}\nEMAIL:p{i}@example.org\n"
                             f"TITLE:Title {i}\nNOTE:{'A note that takes a while to write. ' * 4}\nEND:VCARD\n"
                             for i in range(12)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen([sys.executable, "-c", IMPORTER, "-C", str(root), "import", "vcard", str(cards)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    people = root / "notes/people"
    deadline = time.monotonic() + 30
    while len([p for p in people.iterdir() if p.name.startswith("person-")]) < 3:  # three of twelve written
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.002)
    time.sleep(0.02)  # in the middle of the fourth
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.stderr is not None
    child.stderr.close()
    assert len(leftovers(root)) <= 1
    assert all(p.stat().st_size > 0 for p in people.iterdir())  # no empty note, whatever was written is whole
    again = cli("-C", str(root), "import", "vcard", str(cards))
    assert again.code == 0, again.err
    assert leftovers(root) == []
    assert cli("-C", str(root), "validate").code == 0
    assert len([p for p in people.iterdir() if p.name.startswith("person-number")]) == 12
