"""`convo new` on a real terminal (a pseudo-terminal): the "Continue which thread?" prompt."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from test_edit_new import OPEN_THREAD, PEOPLE, TODAY


def run_on_terminal(root: Path, args: list[str], answer: str, timeout: float = 30.0) -> tuple[int, str]:
    """Run ``convo ARGS`` with stdin and stdout on a pseudo-terminal; type ``answer`` at the prompt."""
    leader, follower = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "EDITOR": "true", "TERM": "dumb"}
    proc = subprocess.Popen([sys.executable, "-m", "convo_notes", "-C", str(root), "--today", TODAY, *args],
                            stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    seen = b""
    answered = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered and b"Continue which thread?" in seen:
                os.write(leader, answer.encode() + b"\r")
                answered = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    return code, seen.decode("utf-8", "replace").replace("\r\n", "\n")


def test_the_prompt_lists_open_threads_and_continues_the_chosen_one(make_notebook):
    root = make_notebook({**PEOPLE, **OPEN_THREAD})
    code, screen = run_on_terminal(root, ["new", "--with", "ana", "--title", "Follow up"], "1")
    assert code == 0, screen
    assert "  1. deal\n" in screen and "  0. none: start a new thread\n" in screen
    assert "old" not in screen.split("Continue which thread?")[0]  # a settled thread is never offered
    note = (root / "notes/conversations/2026/2026-03-10-follow-up.md").read_text(encoding="utf-8")
    assert "\nthread: deal\n" in note


def test_answering_0_starts_a_new_thread(make_notebook):
    root = make_notebook({**PEOPLE, **OPEN_THREAD})
    code, screen = run_on_terminal(root, ["new", "--with", "ana", "--title", "Fresh start"], "0")
    assert code == 0, screen
    note = (root / "notes/conversations/2026/2026-03-10-fresh-start.md").read_text(encoding="utf-8")
    assert "thread:" not in note
