"""The ``convo`` program itself (:func:`convo_notes.cli.console`): it leaves without freeing every
object, so these run it as a real process and check that nothing a user sees changes: the
answer whole, the exit codes, a closed pipe, a full disk, ``atexit`` handlers, running threads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TODAY = "2026-11-22"


def convo(*args: str, code: str | None = None, stdout: int | None = subprocess.PIPE,
          **kwargs: object) -> subprocess.CompletedProcess[str]:
    """``python -m convo_notes ARGS`` (or ``code`` run with ``sys.argv`` set to ARGS) as a child process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "convo_notes", *args] if code is None else \
        [sys.executable, "-c", code, *args]
    return subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, timeout=120,
                          check=False, **kwargs)  # type: ignore[call-overload]


def test_the_program_prints_what_the_command_prints_with_its_exit_code(cli, notebook):
    for args, code in ((("due", "--all"), 0), (("threads",), 0), (("brief", "nobody-at-all"), 2),
                       (("no-such-command",), 2)):
        child = convo("-C", str(notebook), "--today", TODAY, *args)
        inside = cli("-C", str(notebook), "--today", TODAY, *args)
        assert (child.returncode, child.stdout) == (code, inside.out), args
        assert child.stderr == inside.err, args
    assert len(convo("-C", str(notebook), "--today", TODAY, "due", "--all").stdout) > 2000  # a whole page


def test_a_broken_notebook_exits_1_after_the_answer(make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam Stone\n---\n",
                          "notes/conversations/c.md": "---\ndate: 2026-02-30\nwith: sam\n---\n"})
    child = convo("-C", str(root), "--today", TODAY, "due")
    assert child.returncode == 1
    assert "error[" in child.stderr and "1 error in the notebook" in child.stderr


def test_a_reader_that_goes_away_is_not_an_error(notebook):
    reader = subprocess.Popen(["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child = convo("-C", str(notebook), "--today", TODAY, "--no-pager", "due", "--all", stdout=reader.stdin)
    assert reader.stdin is not None and reader.stdout is not None
    reader.stdin.close()
    first = reader.stdout.read()
    reader.wait(timeout=60)
    assert first.startswith(b"Due as of")
    assert child.returncode == 0 and "Traceback" not in child.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_one_line_and_exit_1(notebook):
    with open("/dev/full", "w") as full:
        child = convo("-C", str(notebook), "--today", TODAY, "due", "--all", stdout=full)
    assert child.returncode == 1
    assert "No space left on device" in child.stderr and "Traceback" not in child.stderr


def test_atexit_handlers_run_and_running_threads_are_waited_for(notebook, tmp_path):
    """What Python's own exit does that the program must keep doing."""
    handler, thread = tmp_path / "handler", tmp_path / "thread"
    code = f"""
import atexit, sys, threading, time
from pathlib import Path
atexit.register(lambda: Path({str(handler)!r}).write_text("ran"))
def later():
    time.sleep(0.3)
    Path({str(thread)!r}).write_text("finished")
threading.Thread(target=later).start()
from convo_notes.cli import console
sys.argv = ["convo", *sys.argv[1:]]
console()
"""
    child = convo("-C", str(notebook), "--today", TODAY, "due", code=code)
    assert child.returncode == 0, child.stderr
    assert handler.read_text() == "ran" and thread.read_text() == "finished"
    alone = convo("-C", str(notebook), "--today", TODAY, "due", code=code.replace("threading.Thread(target=later)"
                                                                                   ".start()", ""))
    assert alone.returncode == 0 and handler.read_text() == "ran"


def test_the_entry_point_is_the_console(tmp_path):
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'convo = "convo_notes.launch:console"' in text


def test_a_closed_output_is_one_line_and_exit_1_never_a_traceback(notebook):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for closing in (">&-", ">&- 2>&-"):
        done = subprocess.run(["sh", "-c", f'"$@" {closing}', "sh", sys.executable, "-m", "convo_notes", "-C",
                               str(notebook), "--today", TODAY, "due"], capture_output=True, text=True, env=env,
                              timeout=120, check=False)
        assert done.returncode == 1, closing
        assert done.stderr == ("" if "2>&-" in closing else
                               "convo: cannot write the output: standard output is closed\n"), closing


def test_the_command_runs_with_the_collector_on_and_the_imports_frozen(notebook):
    """`launch.console` turns the cyclic garbage collector off while it imports, then freezes what
    the imports made and turns it on again: the command (a long `site serve` too) collects as usual."""
    code = """
import gc, sys
import convo_notes.cli as cli
def command():
    print(gc.isenabled(), gc.get_freeze_count() > 1000)
    sys.exit(0)
cli.console = command
from convo_notes import launch
sys.argv = ["convo", *sys.argv[1:]]
launch.console()
"""
    child = convo("-C", str(notebook), "--today", TODAY, "due", code=code)
    assert (child.returncode, child.stdout) == (0, "True True\n"), child.stderr
