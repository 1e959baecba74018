"""`convo watch` with real file events: a child process watches while this test edits notes.

Covers an added note, an editor's atomic save (write a temp file, rename it
over the note), a note that is briefly invalid, many files at once, a rename,
a delete, staying quiet while idle, and Ctrl-C (SIGINT) exiting 0. After
each burst of changes the watcher's last report must equal a fresh
`convo due` run.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from convo_notes.watch import NotebookWatcher

TODAY = "2026-03-10"
SEPARATOR = "── "
PEOPLE = {"notes/people/sam.md": "---\nname: Sam\n---\n", "notes/people/ana.md": "---\nname: Ana\n---\n"}


def note(what: str, due: str = "2026-03-11") -> str:
    return f"---\ndate: 2026-03-01\nwith: ana\ncommitments:\n  - what: {what}\n    due: {due}\n---\n"


class Watch:
    """A `convo watch` child process and the reports it has printed so far."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "convo_notes", "-C", str(root), "--today", TODAY, "watch"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "NO_COLOR": "1", "PYTHONFAULTHANDLER": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()  # a full stderr pipe must never block it

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)

    def interrupt(self, timeout: float = 30) -> tuple[int, str]:
        """Ctrl-C; the exit code and stderr. If it does not exit, dump every thread's stack and fail."""
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's traceback
            self.proc.wait(timeout=10)
            time.sleep(0.2)
            raise AssertionError("convo watch did not exit after Ctrl-C:\n" + "".join(self.err)) from None
        time.sleep(0.1)
        return code, "".join(self.err)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def reports(self) -> list[str]:
        text = "".join(self.out)
        return ["\n".join(chunk.split("\n")[1:]).rstrip("\n") for chunk in text.split(SEPARATOR)[1:]]

    def wait_for(self, predicate, timeout: float = 15.0) -> str:
        """Read output until the latest complete report satisfies ``predicate``; return that report."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.out.append(self.lines.get(timeout=0.1))
            except queue.Empty:
                pass
            done = self.reports()
            # A report is complete once its summary line ("N items: ..." or "Nothing due ...") is out.
            if done and self.out[-1].startswith(("Nothing due", "1 item", *(f"{n} items" for n in range(2, 200))))\
                    and predicate(done[-1]):
                return done[-1]
        raise AssertionError(f"no matching report within {timeout}s; output so far:\n{''.join(self.out)}")

    def quiet_for(self, seconds: float) -> list[str]:
        """Lines printed during ``seconds``."""
        got: list[str] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(self.lines.get(timeout=0.05))
            except queue.Empty:
                pass
        self.out.extend(got)
        return got


def fresh_due(cli, root: Path) -> str:
    return cli("-C", str(root), "--today", TODAY, "due").out.rstrip("\n")


def test_watch_follows_real_file_changes(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/one.md": note("Call the plumber")})
    folder = root / "notes/c"
    watch = Watch(root)
    try:
        assert "Call the plumber" in watch.wait_for(lambda r: "Call the plumber" in r)

        # An editor's atomic save: write a temporary file, then rename it over the note.
        (folder / ".one.md.swp").write_text(note("Call the electrician"), encoding="utf-8")
        os.replace(folder / ".one.md.swp", folder / "one.md")
        report = watch.wait_for(lambda r: "Call the electrician" in r)
        assert "Call the plumber" not in report

        # Briefly invalid mid-edit, then fixed: the error shows, then goes.
        (folder / "one.md").write_text("---\ndate: [\n", encoding="utf-8")
        watch.wait_for(lambda r: "error[unclosed-front-matter]" in r or "error[yaml-syntax]" in r)
        (folder / "one.md").write_text(note("Call the electrician", "2026-03-09"), encoding="utf-8")
        report = watch.wait_for(lambda r: "error" not in r and "1d late" in r)
        assert report == fresh_due(cli, root)

        # Many files at once (a branch switch): one quiet period, then the full picture.
        for i in range(40):
            (folder / f"bulk-{i:02d}.md").write_text(note(f"Bulk item {i:02d}"), encoding="utf-8")
        report = watch.wait_for(lambda r: "41 items" in r)
        assert report == fresh_due(cli, root)

        # A rename keeps the item (with its new source); a delete removes it.
        os.rename(folder / "one.md", folder / "renamed.md")
        watch.wait_for(lambda r: "notes/c/renamed.md:5" in r)
        (folder / "renamed.md").unlink()
        report = watch.wait_for(lambda r: "Call the electrician" not in r and "40 items" in r)
        assert report == fresh_due(cli, root)

        # Idle: nothing happens, nothing is printed; an event that changes nothing prints nothing.
        assert watch.quiet_for(0.8) == []
        (root / "notes" / "scratch.txt").write_text("not a note", encoding="utf-8")
        assert watch.quiet_for(0.8) == []
    finally:
        code, err = watch.interrupt()
    assert code == 0, err
    assert "Traceback" not in err


def test_watcher_reloads_once_per_burst_and_not_while_idle(make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/one.md": note("First")})
    seen: list[list[str]] = []
    changed = threading.Event()

    def on_change(nb) -> None:
        seen.append(sorted(c.commitments[0].what for c in nb.conversations))
        changed.set()

    watcher = NotebookWatcher(root, on_change, debounce=0.2)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert changed.wait(5)
        changed.clear()
        time.sleep(0.3)
        assert watcher.reloads == 1  # idle after the first load: no polling, no reloads
        for i in range(10):  # a burst of saves closer together than the debounce
            (root / "notes/c/one.md").write_text(note(f"Save {i}"), encoding="utf-8")
            time.sleep(0.02)
        assert changed.wait(5)
        time.sleep(0.5)
        assert seen[-1] == ["Save 9"]
        assert watcher.reloads <= 3
    finally:
        watcher.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()


@pytest.mark.parametrize("bad", [ValueError("boom")])
def test_a_failing_reload_is_reported_and_the_watch_goes_on(make_notebook, bad):
    root = make_notebook({**PEOPLE, "notes/c/one.md": note("First")})
    errors: list[Exception] = []
    calls: list[int] = []
    reloaded = threading.Event()

    def on_change(nb) -> None:
        calls.append(1)
        reloaded.set()
        if len(calls) == 1:
            raise bad

    watcher = NotebookWatcher(root, on_change, debounce=0.1, on_error=errors.append)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert reloaded.wait(5)
        reloaded.clear()
        (root / "notes/c/one.md").write_text(note("Second"), encoding="utf-8")
        assert reloaded.wait(5)
    finally:
        watcher.stop()
        thread.join(timeout=5)
    assert errors == [bad] and len(calls) == 2


def test_watch_ends_cleanly_on_sigterm(make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/one.md": note("Call the plumber")})
    watch = Watch(root)
    try:
        watch.wait_for(lambda r: "Call the plumber" in r)
    finally:
        watch.proc.send_signal(signal.SIGTERM)
        code = watch.proc.wait(timeout=30)
    assert code == 0
    assert "Traceback" not in "".join(watch.err)
