"""`convo done`: one commitment gets `done: DATE` and no other byte of the file changes.

- the CLI: by id and by PATH:LINE, the refusals and their exit codes;
- a property test on every commitment of every sample note and on generated
  notes (random comments, quoting, indentation, flow entries, CRLF, BOM);
- the atomic write: permissions kept, refused when the file changes under it,
  and a process killed mid-write leaves the old file or the new one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from convo_notes import fsutil
from convo_notes.edit import EditRefused, insert_done
from convo_notes.loader import load_notebook
from convo_notes.parse import read_note

TODAY = "2026-03-10"
PEOPLE = {"notes/people/sam.md": "---\nname: Sam\n---\n", "notes/people/ana.md": "---\nname: Ana\n---\n"}
NOTE = """\
---
date: 2026-03-01   # the call
with: ana
# promises
commitments:
  - id: deck
    what: 'Send the deck: v2'   # quoted
    to: ana
    due: 2026-03-05

  - what: "Book the room"
    due: 2026-03-20
next: {turn: me, by: 2026-03-12}
---
Body stays.
"""


def assert_one_done_inserted(old: bytes, new: bytes, day: str) -> None:
    """``new`` is ``old`` plus one ``done: DAY`` line, or ``, done: DAY`` inside one flow entry."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    if len(new_lines) == len(old_lines) + 1:
        j = next((i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b), len(old_lines))
        assert new_lines[:j] == old_lines[:j] and new_lines[j + 1:] == old_lines[j:]
        inserted = new_lines[j].decode()
        assert inserted.strip() == f"done: {day}"
        previous = old_lines[j - 1].decode()
        assert inserted.endswith("\r\n" if previous.endswith("\r\n") else "\n")
    else:
        assert len(new_lines) == len(old_lines)
        changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b]
        assert len(changed) == 1
        line = new_lines[changed[0]].decode()
        assert line.count(f", done: {day}") == 1
        assert line.replace(f", done: {day}", "", 1) == old_lines[changed[0]].decode()


def parsed_with_done(raw: bytes, index: int, day: str) -> object:
    data = json.loads(json.dumps(read_note(raw, "n").data))
    data["commitments"][index]["done"] = day
    return data


# --- the command ------------------------------------------------------------------------

def test_done_by_id_changes_one_line(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/call.md": NOTE})
    before = (root / "notes/c/call.md").read_bytes()
    result = cli("-C", str(root), "--today", TODAY, "done", "deck")
    assert (result.code, result.err) == (0, "")
    assert result.out == "notes/c/call.md:10: done 2026-03-10: Send the deck: v2\n"
    after = (root / "notes/c/call.md").read_bytes()
    assert after == before.replace(b"    due: 2026-03-05\n", b"    due: 2026-03-05\n    done: 2026-03-10\n")
    items = json.loads(cli("-C", str(root), "--today", TODAY, "due", "--json", "--all").out)["items"]
    assert [i["what"] for i in items if i["kind"] == "commitment"] == ["Book the room"]


def test_done_by_path_and_the_line_the_commitment_starts_on(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/call.md": NOTE})
    result = cli("-C", str(root), "--today", TODAY, "done", "notes/c/call.md:11", "--date", "2026-03-08")
    assert result.code == 0, result.err
    assert b'  - what: "Book the room"\n    due: 2026-03-20\n    done: 2026-03-08\nnext:' in (
        root / "notes/c/call.md").read_bytes()
    # A path relative to the current directory works too.
    again = cli("--today", TODAY, "done", "call.md:6", cwd=root / "notes/c")
    assert again.code == 0, again.err


def test_a_stale_line_number_never_marks_a_neighbour(cli, make_notebook):
    """Marking the first commitment adds a line: the second one's old line now falls inside the first."""
    root = make_notebook({**PEOPLE, "notes/c/call.md": NOTE})
    assert cli("-C", str(root), "--today", TODAY, "done", "notes/c/call.md:6").code == 0
    before = (root / "notes/c/call.md").read_bytes()
    stale = cli("-C", str(root), "--today", TODAY, "done", "notes/c/call.md:11")
    assert stale.code == 2
    assert "no commitment starts on that line (it may have moved" in stale.err
    assert "12 (Book the room)" in stale.err
    assert (root / "notes/c/call.md").read_bytes() == before


def test_done_crlf_bom_and_flow_entries(cli, make_notebook):
    text = ("\ufeff---\r\ndate: 2026-03-01\r\nwith: ana\r\ncommitments:\r\n"
            "  - {what: Flow one, due: 2026-03-02}   # trailing\r\n"
            "  - what: Block one\r\n---\r\nBody\r\n")
    root = make_notebook({**PEOPLE, "notes/c/win.md": text.encode("utf-8")})
    path = root / "notes/c/win.md"
    assert cli("-C", str(root), "--today", TODAY, "done", "notes/c/win.md:5").code == 0
    assert cli("-C", str(root), "--today", TODAY, "done", "notes/c/win.md:6").code == 0
    assert path.read_bytes() == text.replace("due: 2026-03-02}", "due: 2026-03-02, done: 2026-03-10}").replace(
        "Block one\r\n", "Block one\r\n    done: 2026-03-10\r\n").encode("utf-8")


def test_done_refusals(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/call.md": NOTE,
                          "notes/c/old.md": "---\ndate: 2026-01-01\nwith: ana\ncommitments:\n"
                                            "  - {id: gone, what: Closed}\n  - {what: Done, done: 2026-01-02}\n---\n",
                          "notes/c/close.md": "---\ndate: 2026-01-05\nwith: ana\ncloses: [gone]\n---\n",
                          "notes/c/bad.md": "---\ndate: 2026-01-01\nwith: nobody\ncommitments:\n  - what: X\n---\n"})

    def done(*args: str) -> tuple[int, str]:
        result = cli("-C", str(root), "--today", TODAY, "done", *args)
        return result.code, result.err

    snapshot = {p: p.read_bytes() for p in (root / "notes/c").iterdir()}
    assert done("gone") == (1, "convo: notes/c/old.md:5: already closed by notes/c/close.md (2026-01-05)\n")
    assert done("notes/c/old.md:6") == (1, "convo: notes/c/old.md:6: already done on 2026-01-02\n")
    code, err = done("notes/c/bad.md:5")
    assert code == 1 and err.startswith("convo: notes/c/bad.md has 1 error; fix it first (first: notes/c/bad.md:3:7:")
    assert done("dek") == (2, "convo: no commitment has `id: dek` (did you mean `deck`?); "
                              "give its id or PATH:LINE as `convo due` shows it\n")
    assert done("notes/c/call.md:3") == (2, "convo: notes/c/call.md:3: no commitment starts on that line "
                                            "(it may have moved: run `convo due` again); this note's "
                                            "commitments start on lines: 6 (Send the deck: v2), 11 (Book the room)\n")
    assert done("notes/c/nope.md:3") == (2, "convo: notes/c/nope.md: no such note\n")
    assert {p: p.read_bytes() for p in (root / "notes/c").iterdir()} == snapshot


def test_insert_done_refuses_what_it_cannot_do_exactly():
    aliased = b"---\ndate: 2026-01-01\nwith: ana\ncommitments:\n  - &c {what: Same}\n  - *c\n---\n"
    with pytest.raises(EditRefused, match="more than this commitment"):
        insert_done(aliased, 1, __import__("datetime").date(2026, 3, 10))
    empty_done = b"---\ndate: 2026-01-01\nwith: ana\ncommitments:\n  - what: X\n    done:\n---\n"
    with pytest.raises(EditRefused, match=r"already has a `done:` field \(line 6\)"):
        insert_done(empty_done, 0, __import__("datetime").date(2026, 3, 10))
    with pytest.raises(EditRefused, match="no commitment number 3"):
        insert_done(NOTE.encode(), 2, __import__("datetime").date(2026, 3, 10))


# --- property: the sample notebook and generated notes ------------------------------------

def test_every_commitment_of_every_sample_note(tmp_path, cli):
    import datetime as dt

    shutil.copytree(REPO / "notes", tmp_path / "notes")
    shutil.copy(REPO / "convo.yml", tmp_path / "convo.yml")
    nb = load_notebook(tmp_path)
    tried = marked = 0
    for conv in nb.conversations:
        path = tmp_path / conv.path
        original = path.read_bytes()
        for c in conv.commitments:
            tried += 1
            if c.done:
                with pytest.raises(EditRefused, match="already has a `done:`"):
                    insert_done(original, c.index, dt.date(2026, 11, 22))
                continue
            new = insert_done(original, c.index, dt.date(2026, 11, 22))
            assert_one_done_inserted(original, new, "2026-11-22")
            assert read_note(new, conv.path).data == parsed_with_done(original, c.index, "2026-11-22")
            closed = c.id is not None and any(c.id in other.closes for other in nb.conversations)
            if not closed:  # the command itself, on the copy
                result = cli("-C", str(tmp_path), "--today", "2026-11-22", "done", f"{conv.path}:{c.line}")
                assert result.code == 0, result.err
                assert path.read_bytes() == new
                path.write_bytes(original)
                marked += 1
    assert tried >= 20 and marked >= 10  # the sample has open, done and closed commitments


_WORDS = st.lists(st.sampled_from(["send", "the", "deck", "book", "room", "pilot", "plan", "Ana", "v2", "café"]),
                  min_size=1, max_size=4).map(" ".join)
_TEXT = st.text(alphabet=st.sampled_from(list("abc XYZ:#'\"-é,[]{}")), min_size=1, max_size=12).filter(
    lambda s: s.strip() == s and s != "")


@st.composite
def scalar(draw: st.DrawFn, key_col: int) -> str:
    """A value for `what`: plain, single- or double-quoted, or a block scalar."""
    style = draw(st.sampled_from(["plain", "single", "double", "literal", "folded"]))
    if style == "plain":
        return draw(_WORDS)
    text = draw(_TEXT)
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return json.dumps(text, ensure_ascii=draw(st.booleans()))
    indicator = "|" if style == "literal" else draw(st.sampled_from([">", ">-", "|+", "|-"]))
    lines = draw(st.lists(_WORDS, min_size=1, max_size=3))
    pad = " " * (key_col + 2)
    return indicator + "".join(f"\n{pad}{line}" for line in lines)


@st.composite
def generated_note(draw: st.DrawFn) -> tuple[bytes, int]:
    """A conversation note with random layout; returns its bytes and the number of commitments."""
    comment = st.sampled_from(["", "  # note", " #x", "    # due: later"])
    lines = [f"date: 2026-03-0{draw(st.integers(1, 9))}{draw(comment)}",
             draw(st.sampled_from(["with: ana", "with: [ana]", "with:\n  - ana", "with: 'ana'"]))]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# a comment line", "title: \"Call: one\"", "tags: [a, b]"])))
    dash_col = draw(st.sampled_from([0, 2, 4]))
    count = draw(st.integers(1, 4))
    if draw(st.integers(0, 4)) == 0:  # the whole list in flow style, several entries on a line or not
        entries = []
        for i in range(count):
            fields = [f"what: {draw(_WORDS)}"] + draw(st.sampled_from([[], ["due: 2026-04-01"], ["to: ana"]]))
            if draw(st.booleans()):
                fields.append(f"id: c{i}")
            entries.append(("\n" + " " * (dash_col + 2) if draw(st.booleans()) else "")
                           + "{" + ", ".join(draw(st.permutations(fields))) + "}")
        lines.append("commitments: [" + ", ".join(entries) + "]" + draw(comment))
        count_flow = count
        count = 0
    else:
        lines.append("commitments:" + draw(comment))
        count_flow = 0
    for _ in range(count):
        if draw(st.integers(0, 4)) == 0:  # a flow entry
            fields = [f"what: {draw(_WORDS)}"] + draw(st.sampled_from([[], ["due: 2026-04-01"], ["to: ana", "id: x"]]))
            fields = [f for f in fields if not f.startswith("id:")]
            inner = ", ".join(draw(st.permutations(fields)))
            pad = draw(st.sampled_from(["", " "]))
            lines.append(" " * dash_col + "- {" + pad + inner + pad + "}" + draw(comment))
        else:
            gap = draw(st.sampled_from([1, 1, 3]))
            same_line = draw(st.booleans())
            key_col = dash_col + 1 + gap if same_line else dash_col + 2
            keys = draw(st.permutations(["what", "due", "to", "owner"]))
            keys = [k for k in keys if k == "what" or draw(st.booleans())]
            entry: list[str] = []
            for key in keys:
                value = {"what": None, "due": draw(st.sampled_from(["2026-04-01", "'2026-04-02'", '"2026-04-03"'])),
                         "to": "ana", "owner": draw(st.sampled_from(["me", "ana"]))}[key]
                if value is None:
                    value = draw(scalar(key_col))
                    entry.append(f"{key}: {value}")
                else:
                    entry.append(f"{key}: {value}{draw(comment)}")
                if draw(st.integers(0, 5)) == 0:
                    entry.append(" " * draw(st.integers(0, key_col)) + "# between keys")
            if entry[-1].lstrip().startswith("#"):
                entry.pop()
            text = "\n".join(entry).replace("\n", "\n" + " " * key_col)
            if same_line:
                lines.append(" " * dash_col + "-" + " " * gap + text)
            else:
                lines.append(" " * dash_col + "-\n" + " " * key_col + text)
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["", "# between entries", "    # indented comment"])))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["next:\n  turn: me\n  by: 2026-04-01", "interests: [x]", "# end"])))
    body = draw(st.sampled_from(["", "Body.", "# Heading\n\nText: with colon\n", "---\nnot front matter"]))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = "---\n" + "\n".join(lines) + "\n---\n" + body
    if not draw(st.booleans()):
        text = text.rstrip("\n") if body else text
    text = text.replace("\n", eol)
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode("utf-8"), count or count_flow


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_note(), st.data())
def test_insert_done_changes_only_one_commitment_of_generated_notes(note, data):
    import datetime as dt

    raw, count = note
    assert read_note(raw, "n").data is not None, raw
    index = data.draw(st.integers(0, count - 1))
    new = insert_done(raw, index, dt.date(2026, 3, 10))
    assert_one_done_inserted(raw, new, "2026-03-10")
    assert new.startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
    assert read_note(new, "n").data == parsed_with_done(raw, index, "2026-03-10")
    assert read_note(new, "n").body == read_note(raw, "n").body


# --- atomic writes ------------------------------------------------------------------------

def test_permissions_are_kept(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/call.md": NOTE})
    path = root / "notes/c/call.md"
    os.chmod(path, 0o640)
    assert cli("-C", str(root), "--today", TODAY, "done", "deck").code == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["call.md"]  # no temporary file left


def test_refused_when_the_file_changes_while_being_written(cli, make_notebook, monkeypatch):
    root = make_notebook({**PEOPLE, "notes/c/call.md": NOTE})
    path = root / "notes/c/call.md"
    real = fsutil._write_all

    def meddling(fd: int, data: bytes) -> None:
        real(fd, data)
        with open(path, "a", encoding="utf-8") as fh:  # someone saves the note meanwhile
            fh.write("Added in the editor.\n")

    monkeypatch.setattr(fsutil, "_write_all", meddling)
    result = cli("-C", str(root), "--today", TODAY, "done", "deck")
    assert (result.code, result.err) == (1, "convo: notes/c/call.md changed while convo was editing it; "
                                            "nothing was written\n")
    assert path.read_text(encoding="utf-8") == NOTE + "Added in the editor.\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["call.md"]


def test_a_same_size_change_with_the_old_mtime_is_still_seen(cli, make_notebook, monkeypatch):
    """The whole file is compared before the rename, not only its size and mtime."""
    root = make_notebook({**PEOPLE, "notes/c/call.md": NOTE})
    path = root / "notes/c/call.md"
    real = fsutil._write_all

    def meddling(fd: int, data: bytes) -> None:
        real(fd, data)
        before = os.stat(path)
        with open(path, "r+b") as fh:  # saved in place: same size, one letter changed
            fh.write(NOTE.replace("Body stays.", "Body STAYS.").encode())
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    monkeypatch.setattr(fsutil, "_write_all", meddling)
    result = cli("-C", str(root), "--today", TODAY, "done", "deck")
    assert (result.code, result.err) == (1, "convo: notes/c/call.md changed while convo was editing it; "
                                            "nothing was written\n")
    assert path.read_text(encoding="utf-8") == NOTE.replace("Body stays.", "Body STAYS.")
    assert sorted(p.name for p in path.parent.iterdir()) == ["call.md"]


CHILD = """
import datetime, os, sys, time
from pathlib import Path
from convo_notes import edit, fsutil
path = Path(sys.argv[1])
real = os.write
def slow(fd, data):  # a slow disk: 64 bytes at a time
    time.sleep(0.002)
    return real(fd, bytes(data[:64]))
raw = path.read_bytes()
st = os.stat(path)
new = edit.insert_done(raw, 0, datetime.date(2026, 3, 10))
os.write = slow
print("writing", flush=True)
fsutil.atomic_write(path, new, raw, st)
print("written", flush=True)
"""


def test_a_process_killed_mid_write_leaves_the_old_or_the_new_file(tmp_path):
    """SIGKILL mid-write: the note is old or new, never torn; running again finishes and leaves no temp file."""
    import datetime as dt

    folder = tmp_path / "notes"
    folder.mkdir()
    path = folder / "big.md"
    old = (NOTE + "A long body line that makes the write take a while.\n" * 200).encode()
    new = insert_done(old, 0, dt.date(2026, 3, 10))
    assert len(new) > 64 * 100  # over a hundred slow writes: about 0.2 s at least
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")

    def run(kill_after: float | None) -> None:
        child = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        assert child.stdout.readline() == "writing\n"
        if kill_after is None:
            assert child.wait(timeout=30) == 0
        else:
            time.sleep(kill_after)
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        child.stdout.close()

    outcomes = []
    for delay in (0.0, 0.05, 0.12, None):  # None: let it finish
        path.write_bytes(old)
        time.sleep(fsutil.SETTLE_SECONDS)
        run(delay)
        content = path.read_bytes()
        assert content in (old, new), "torn file"
        outcomes.append(content == new)
        temps = [p.name for p in folder.iterdir() if p.name != "big.md"]
        # At most our one hidden temp file is all a crash leaves (none if it struck before the file was made).
        assert temps in ([], [".big.md.convo-tmp"]) if delay is not None else temps == []
        if delay is not None:
            # The leftover hidden temp file is not a note: the notebook still reads as one note.
            assert load_notebook(tmp_path).files == ["notes/big.md"]
            run(None)  # the same edit again: it reuses or removes the stale temp file and completes
            assert path.read_bytes() == new
            assert [p.name for p in folder.iterdir()] == ["big.md"]
    assert outcomes == [False, False, False, True]


def test_stale_temp_files_in_the_folder_are_removed_by_the_next_write(tmp_path):
    """Temp files of ours left by killed runs go on the next write in their folder; nothing else is touched."""
    folder = tmp_path / "notes"
    folder.mkdir()
    keep = {"a.md": b"a", ".hidden.md": b"h", "x.convo-tmp": b"not hidden: not ours", ".draft.md.tmp": b"user"}
    for name, data in keep.items():
        (folder / name).write_bytes(data)
    (folder / ".b.md.convo-tmp").write_bytes(b"half of b")  # a stale temp file of another note
    old = folder / ".c.md.abcd1234.tmp"  # one left by an older version, an hour ago
    old.write_bytes(b"half of c")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    young = folder / ".d.md.abcd1234.tmp"  # an older version may still be writing this one
    young.write_bytes(b"d")
    (folder / ".e.md.convo-tmp").symlink_to(tmp_path / "elsewhere")  # planted by a clone
    (folder / ".a.md.convo-tmp").symlink_to(tmp_path / "victim")  # our own name, planted: never written through
    (tmp_path / "victim").write_bytes(b"victim")
    fsutil.atomic_write(folder / "a.md", b"new a", name="notes/a.md")
    assert sorted(p.name for p in folder.iterdir()) == sorted([*keep, young.name])
    assert (folder / "a.md").read_bytes() == b"new a"
    assert (tmp_path / "victim").read_bytes() == b"victim"


def test_a_temp_file_in_use_is_never_removed(tmp_path):
    """A temp file locked by a live writer is never removed; once its writer is gone (lock released) it is."""
    import fcntl

    target = tmp_path / "n.md"
    target.write_bytes(b"old")
    tmp = fsutil.temp_path(target)
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert fsutil.clean_stale_temps(tmp_path) == []
        assert tmp.exists()
    finally:
        os.close(fd)  # the lock goes with it, as it does when a process dies
    assert fsutil.clean_stale_temps(tmp_path) == [tmp.name]
    # A second writer of the same file waits for the first one's lock, then writes.
    import threading

    fd = os.open(tmp, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    threading.Timer(0.2, os.close, (fd,)).start()
    started = time.monotonic()
    fsutil.atomic_write(target, b"new", b"old")
    assert time.monotonic() - started >= 0.15
    assert target.read_bytes() == b"new" and not tmp.exists()


def test_insert_done_refuses_unreadable_or_hostile_notes():
    import datetime as dt

    day = dt.date(2026, 3, 10)
    for raw, why in [(b"no front matter\n", "no front matter"),
                     (b"---\ncommitments: [" + b"[" * 5000 + b"\n---\n", "nests deeper"),
                     (b"---\ndate: [\n---\n", "YAML syntax"),
                     (b"\xff---\n", "not UTF-8")]:
        with pytest.raises(EditRefused, match=why):
            insert_done(raw, 0, day)
