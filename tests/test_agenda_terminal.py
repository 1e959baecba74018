"""Long output through `$PAGER` on a real terminal (a pseudo-terminal), `--no-pager` off, nothing
paged when piped; shell completion of the ITEMs `snooze`, `reschedule`, `reopen` and `done` take."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

TODAY = "2026-03-10"
FILES = {
    "notes/people/sam.md": "---\nname: Sam Stone\n---\n",
    "notes/people/ana.md": "---\nname: Ana Lima\ncadence: 2w\n---\nAna's note.\n",
    "notes/c/a.md": "---\ndate: 2026-03-01\nwith: ana\nthread: deal\ncommitments:\n"
                    "  - {what: Send the deck, id: deck, due: 2026-04-20}\nnext: {turn: me}\n---\n",
}


def on_terminal(root: Path, args: list[str], env: dict[str, str], timeout: float = 30.0) -> tuple[int, str]:
    """Run ``convo ARGS`` with stdin and stdout on a pseudo-terminal; everything it showed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "convo_notes", "-C", str(root), "--today", TODAY, *args],
                            stdin=follower, stdout=follower, stderr=follower,
                            env={**os.environ, "NO_COLOR": "1", "TERM": "dumb", **env}, close_fds=True)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    return code, seen.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture
def pager(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A ``$PAGER`` that keeps what it was given in a file."""
    kept = tmp_path / "paged.txt"
    script = tmp_path / "fake-pager"
    script.write_text(f"#!/bin/sh\ncat > '{kept}'\n")
    script.chmod(0o755)
    return {"PAGER": str(script)}, kept


def test_brief_and_due_all_go_through_the_pager_on_a_terminal(make_notebook, pager):
    env, kept = pager
    root = make_notebook(FILES)
    code, screen = on_terminal(root, ["brief", "ana"], env)
    assert code == 0, screen
    assert kept.read_text().startswith("Ana Lima (ana)\n") and "Ana Lima (ana)" not in screen
    kept.unlink()
    code, screen = on_terminal(root, ["due", "--all"], {**env, "COLUMNS": "200"})
    assert code == 0, screen
    assert "Send the deck  [deal]  notes/c/a.md:6" in kept.read_text()
    kept.unlink()
    code, screen = on_terminal(root, ["due"], env)  # a short agenda is printed directly
    assert code == 0 and not kept.exists() and "1 item: 1 upcoming" in screen


@pytest.mark.parametrize("args", [["brief", "ana", "--no-pager"], ["--no-pager", "brief", "ana"],
                                  ["due", "--all", "--no-pager"]])
def test_no_pager_prints_directly(make_notebook, pager, args):
    env, kept = pager
    root = make_notebook(FILES)
    code, screen = on_terminal(root, args, env)
    assert code == 0, screen
    assert not kept.exists()
    assert "Ana Lima" in screen


def test_piped_output_is_never_paged(cli, make_notebook, pager):
    env, kept = pager
    root = make_notebook(FILES)
    result = cli("-C", str(root), "--today", TODAY, "brief", "ana", env=env)
    assert result.code == 0 and result.out.startswith("Ana Lima (ana)\n") and not kept.exists()


def test_completion_offers_ids_threads_and_people(make_notebook):
    root = make_notebook(FILES)
    env = {**os.environ, "_CONVO_COMPLETE": "bash_complete", "CONVO_NOTEBOOK": str(root)}

    def complete(words: str) -> list[str]:
        env.update(COMP_WORDS=words, COMP_CWORD=str(len(words.split()) - (not words.endswith(" "))))
        out = subprocess.run([sys.executable, "-c", "from convo_notes.cli import cli; cli(prog_name='convo')"],
                             env=env, capture_output=True, text=True, timeout=60).stdout
        return [line.split(",", 1)[1] for line in out.splitlines()]

    assert complete("convo snooze ") == ["ana", "deal", "deck", "sam"]
    assert complete("convo snooze de") == ["deal", "deck"]
    assert complete("convo done d") == ["deal", "deck"]
