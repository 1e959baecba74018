"""The walk of ``notes/`` that ``convo`` starts ahead in a forked process (:func:`.notefiles.prefetch`).

It may only ever save time: what a command is given is the walk it would have made itself,
or it walks itself. These run the fork in a child Python (as ``convo`` does, before any
thread exists) and compare with a walk made in this process.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from convo_notes import notefiles
from convo_notes.cli import COMMANDS
from convo_notes.loader import scan_notes

TODAY = "2026-11-22"

# Runs `prefetch(argv)` then `scan(PROBE_ROOT)` in a fresh Python and prints what it got.
PROBE = r"""
import json, os, sys, time
from convo_notes import notefiles
notefiles.MAX_AGE = float(os.environ.get("PROBE_MAX_AGE", notefiles.MAX_AGE))
if os.environ.get("PROBE_SLOW"):  # the forked process walks this: still walking when it is cancelled
    walk = notefiles._Walk.run
    notefiles._Walk.run = lambda self: (time.sleep(float(os.environ["PROBE_SLOW"])), walk(self))[1]
notefiles.prefetch(sys.argv[1:])
pending = notefiles._pending
if os.environ.get("PROBE_WRITE"):
    time.sleep(0.3)  # the walk is over
    with open(os.environ["PROBE_WRITE"], "w") as fh:
        fh.write("---\nname: Late\n---\n")
fds = None
if os.environ.get("PROBE_FDS"):
    time.sleep(0.5)  # the walk is over; its result is larger than the pipe holds: the process waits
    fds = [os.readlink(f"/proc/{pending.pid}/fd/{fd}") for fd in (0, 1, 2)]
if os.environ.get("PROBE_WAIT"):
    time.sleep(float(os.environ["PROBE_WAIT"]))
calls = []
cancelled = None
if os.environ.get("PROBE_CANCEL"):
    started = time.monotonic()
    notefiles.cancel()
    cancelled = time.monotonic() - started
    found = None
else:
    steps = int(os.environ.get("PROBE_MEANWHILE", "0"))
    step_time = float(os.environ.get("PROBE_STEP", "0"))
    found = notefiles.scan(os.environ["PROBE_ROOT"], [lambda: (calls.append(1), time.sleep(step_time))] * steps)
reaped = None
if pending is not None:
    try:
        os.waitpid(pending.pid, os.WNOHANG)
        reaped = False
    except ChildProcessError:
        reaped = True
print(json.dumps({
    "forked": pending is not None, "fds": fds, "cancelled": cancelled, "reaped": reaped, "meanwhile": len(calls),
    "left": notefiles._pending is not None,
    "ahead": None if found is None else found.ahead,
    "files": None if found is None else {rel: list(key) for rel, key in found.files.items()},
    "skipped": None if found is None else [[d.path, d.code, d.message] for d in found.skipped],
    "numbers": None if found is None else list(found.numbers()),
}))
"""


def probe(*argv: str, root: Path, cwd: Path | None = None, **env: str) -> dict:
    environment = {name: value for name, value in os.environ.items() if name != "CONVO_NOTEBOOK"}
    environment.update({"PYTHONPATH": os.pathsep.join(sys.path), "PROBE_ROOT": str(root), "CONVO_JOBS": "2", **env})
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=environment,
                          cwd=cwd, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def walked_here(root: Path) -> tuple[dict, list]:
    files, skipped = scan_notes(root)
    return ({rel: list(key) for rel, key in files.items()}, [[d.path, d.code, d.message] for d in skipped])


@pytest.mark.parametrize(("argv", "expected"), [
    (["due"], ("due", None)),
    (["-C", "/nb", "due", "--all"], ("due", "/nb")),
    (["-C/nb", "threads"], ("threads", "/nb")),
    (["--notebook", "/nb", "brief", "sam"], ("brief", "/nb")),
    (["--notebook=/nb", "--today", "2026-01-01", "--me=sam", "--no-pager", "referrals"], ("referrals", "/nb")),
    (["--today", "due", "new"], ("new", None)),  # `due` is the date there
    (["--me", "sam"], (None, None)),
    (["--help"], (None, None)),  # an option it does not know: no command
    (["--version", "due"], (None, None)),
    ([], (None, None)),
])
def test_the_command_is_read_as_convo_reads_its_options(argv, expected):
    assert notefiles.command_of(argv) == expected


def test_the_options_read_before_the_command_are_convo_s_own():
    from convo_notes.cli import cli

    valued, flags = set(), set()
    for param in cli.params:
        if param.name in ("help", "version"):  # (either asks for no notebook: read as no command)
            continue
        (flags if getattr(param, "is_flag", False) else valued).update(param.opts)
    assert (valued, flags) == (set(notefiles._GLOBAL_VALUED), set(notefiles._GLOBAL_FLAGS))


def test_the_commands_read_first_are_commands():
    assert notefiles.READ_FIRST <= set(COMMANDS)


def _tree(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


ARGS = {"brief": ["bea-kowalski"], "show": ["notes/conversations/2026/2026-09-24-quote-received.md"],
        "search": ["plumber"]}


@pytest.mark.parametrize("command", sorted(notefiles.READ_FIRST))
def test_a_command_read_first_writes_nothing_to_the_notebook(cli, notebook, command):
    before = _tree(notebook)
    cli("-C", str(notebook), "--today", TODAY, command, *ARGS.get(command, []))
    assert _tree(notebook) == before


@pytest.mark.parametrize("command", sorted(notefiles.READ_FIRST))
def test_the_program_answers_the_same_with_the_walk_ahead_or_without(notebook, tmp_path, command):
    def run(jobs: str) -> tuple[int, str, str]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "CONVO_JOBS": jobs,
               "CONVO_CACHE_DIR": str(tmp_path / f"cache-{jobs}")}
        done = subprocess.run([sys.executable, "-m", "convo_notes", "--today", TODAY, command,
                               *ARGS.get(command, [])], cwd=notebook / "notes", env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        return done.returncode, done.stdout, done.stderr

    alone = run("1")
    assert run("2") == alone
    assert run("2") == alone  # warm


SLOW_WALK = r"""
import atexit, sys, time
from convo_notes import launch, notefiles
from convo_notes.cache import views
walk = notefiles._Walk.run
notefiles._Walk.run = lambda self: (time.sleep(0.4), walk(self))[1]  # the forked walk is the slower
taken = []
real = views._taken_early
def counted(how, raw):
    got = real(how, raw)
    taken.append(got is not views._NONE)
    return got
views._taken_early = counted
atexit.register(lambda: print(f"taken early: {sum(taken)}", file=sys.stderr))
sys.argv = ["convo", *sys.argv[1:]]
launch.console()
"""


@pytest.mark.parametrize(("command", "taken"), [(["due", "--all"], 3), (["threads"], 2), (["referrals"], 1)])
def test_a_snapshot_read_while_the_walk_runs_answers_the_same(notebook, tmp_path, command, taken):
    """A warm `due`, `threads` or `referrals` whose walk ahead is the slower reads its snapshot's
    payload and parts while it waits (`views._read_early`), takes them (due: the payload, names and
    items; threads: the payload and its one chunk of threads; referrals: the payload), and
    answers as the command with no cache at all."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "CONVO_JOBS": "2",
           "CONVO_CACHE_DIR": str(tmp_path / "cache")}
    args = ["-C", str(notebook), "--today", TODAY, *command]
    run = [sys.executable, "-m", "convo_notes", *args]
    from test_cache_snapshot import backdate

    backdate(notebook)  # (a note changed a moment ago is never trusted to a snapshot)
    cold = subprocess.run(run, env={**env, "CONVO_CACHE_DIR": "off"}, capture_output=True, text=True, timeout=120)
    subprocess.run(run, env=env, capture_output=True, timeout=120, check=True)  # the snapshot written
    warm = subprocess.run([sys.executable, "-c", SLOW_WALK, *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert warm.stderr == cold.stderr + f"taken early: {taken}\n"


def test_the_walk_ahead_is_the_walk(make_notebook):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/conversations/2026/a.md": "---\ndate: 2026-01-05\nwith: sam\n---\n",
        "notes/conversations/2026/deep/b.md": "---\ndate: 2026-01-06\nwith: sam\n---\n",
        "notes/.hidden/c.md": "---\ndate: 2026-01-07\nwith: sam\n---\n",
        "notes/conversations/readme.txt": "not a note",
    })
    os.mkfifo(root / "notes" / "conversations" / "pipe.md")
    os.symlink("nowhere.md", root / "notes" / "conversations" / "dangling.md")
    os.symlink("2026", root / "notes" / "conversations" / "again")
    os.symlink("2026/a.md", root / "notes" / "conversations" / "linked.md")
    os.symlink("/etc", root / "notes" / "outside")
    (root / "notes" / "conversations" / os.fsdecode(b"bad-\xff.md")).write_text("x", encoding="utf-8")
    got = probe("-C", str(root), "due", root=root)
    assert got["forked"] and got["ahead"] and got["reaped"] and not got["left"]
    files, skipped = walked_here(root)
    assert (got["files"], got["skipped"]) == (files, skipped)
    assert {code for _, code, _ in skipped} == {"not-a-file", "dangling-symlink", "symlink-loop", "symlink-outside",
                                               "bad-file-name"}
    assert "notes/conversations/linked.md" in files
    assert got["numbers"] == [n for key in files.values() for n in key]


def test_the_notebook_is_found_from_the_current_folder_or_the_environment(notebook):
    assert probe("due", root=notebook, cwd=notebook / "notes" / "people")["ahead"]
    assert probe("due", root=notebook, cwd=Path("/"), CONVO_NOTEBOOK=str(notebook))["ahead"]


def test_another_notebook_is_walked_by_the_command_itself(make_notebook, notebook, tmp_path):
    other = make_notebook({"notes/people/kim.md": "---\nname: Kim\n---\n"}, root=tmp_path / "other")
    got = probe("-C", str(notebook), "due", root=other)
    assert got["forked"] and not got["ahead"] and got["reaped"]
    assert (got["files"], got["skipped"]) == walked_here(other)


def test_no_walk_ahead_for_a_command_that_writes_or_with_one_cpu(notebook):
    for argv, env in ((["-C", str(notebook), "new", "--with", "bea-kowalski"], {}),
                      (["-C", str(notebook), "site", "build"], {}),
                      (["-C", str(notebook), "--help"], {}),
                      (["-C", str(notebook), "due"], {"CONVO_JOBS": "1"})):
        got = probe(*argv, root=notebook, **env)
        assert not got["forked"] and not got["ahead"], argv
        assert (got["files"], got["skipped"]) == walked_here(notebook)


def test_an_old_walk_is_not_used(notebook):
    late = notebook / "notes" / "people" / "late-comer.md"
    got = probe("-C", str(notebook), "due", root=notebook, PROBE_MAX_AGE="0.1", PROBE_WRITE=str(late))
    assert got["forked"] and not got["ahead"] and got["reaped"]
    assert "notes/people/late-comer.md" in got["files"]
    assert (got["files"], got["skipped"]) == walked_here(notebook)


def test_a_walk_that_finds_no_notebook_leaves_the_command_to_say_so(notebook, tmp_path):
    got = probe("due", root=notebook, cwd=tmp_path)  # no notebook from there up
    assert got["forked"] and not got["ahead"] and got["reaped"]
    assert (got["files"], got["skipped"]) == walked_here(notebook)


def test_a_walk_nothing_takes_is_stopped_and_reaped(notebook):
    got = probe("-C", str(notebook), "due", root=notebook, PROBE_CANCEL="1")
    assert got["forked"] and got["reaped"] and not got["left"]


def test_work_is_done_meanwhile_only_while_the_walk_is_running(notebook):
    """`scan(root, meanwhile)` runs the steps of `meanwhile` while the walk made ahead is not
    finished, then takes the walk as usual; none when the walk is there already or there is none."""
    old_ok = {"PROBE_MAX_AGE": "60"}  # (a busy machine: the walk is used however late it is taken)
    running = probe("-C", str(notebook), "due", root=notebook, PROBE_MEANWHILE="3", PROBE_SLOW="2", **old_ok)
    ending = probe("-C", str(notebook), "due", root=notebook, PROBE_MEANWHILE="50", PROBE_STEP="0.2",
                   PROBE_SLOW="1", **old_ok)
    done = probe("-C", str(notebook), "due", root=notebook, PROBE_MEANWHILE="3", PROBE_WAIT="1", **old_ok)
    none = probe("-C", str(notebook), "new", root=notebook, PROBE_MEANWHILE="3")
    assert (running["meanwhile"], done["meanwhile"], none["meanwhile"]) == (3, 0, 0)
    assert 1 <= ending["meanwhile"] < 50  # the steps stop once the walk is done
    assert running["ahead"] and ending["ahead"] and done["ahead"] and not none["ahead"]
    assert running["files"] == ending["files"] == done["files"] == none["files"] == walked_here(notebook)[0]


def test_a_walk_still_running_is_killed_not_waited_for(notebook):
    got = probe("-C", str(notebook), "due", root=notebook, PROBE_CANCEL="1", PROBE_SLOW="20")
    assert got["forked"] and got["reaped"] and not got["left"]
    assert got["cancelled"] < 5  # killed: `convo` never waits for a walk it no longer needs


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_the_walking_process_holds_none_of_the_output_and_is_stopped_while_it_waits(make_notebook):
    # more than a pipe holds (1 MiB): the walking process is still there, waiting to write
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    folder = root / "notes" / "conversations"
    folder.mkdir()
    for n in range(9000):
        (folder / f"{n:05d}-{'a-rather-long-name-for-a-conversation-note-' * 2}.md").touch()
    got = probe("-C", str(root), "due", root=root, PROBE_FDS="1", PROBE_CANCEL="1")
    assert got["fds"] == [os.devnull] * 3  # `$(convo due)` ends when convo does
    assert got["reaped"] and not got["left"]


def test_a_missing_notebook_is_reported_as_before(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "CONVO_JOBS": "2"}
    env.pop("CONVO_NOTEBOOK", None)
    done = subprocess.run([sys.executable, "-m", "convo_notes", "due"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2 and "no notebook found" in done.stderr and done.stdout == ""


def test_an_entry_gone_between_the_listing_and_its_stat(make_notebook, monkeypatch):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/people/gone.md": "---\nname: Gone\n---\n",
                          "notes/people/sam.md~": "an editor's backup"})
    real_stat = os.stat

    def stat(path, *args, **kwargs):  # the two files vanish after the folder is listed
        if path in ("gone.md", "sam.md~"):
            raise FileNotFoundError(2, "No such file or directory")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    files, skipped = scan_notes(root)
    assert list(files) == ["notes/people/sam.md"]
    assert [(d.path, d.code) for d in skipped] == [("notes/people/gone.md", "unreadable")]  # a note: said


def test_a_note_name_that_is_not_utf8_gone_before_its_stat_is_still_a_bad_name(make_notebook, monkeypatch):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    bad = os.fsdecode(b"bad-\xff.md")
    (root / "notes" / "people" / bad).write_text("x", encoding="utf-8")
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if path == bad:
            raise FileNotFoundError(2, "No such file or directory")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    _files, skipped = scan_notes(root)
    assert [(d.path, d.code) for d in skipped] == [("notes/people/bad-\ufffd.md", "bad-file-name")]


LOCKED_WALK = r"""
import json, sys
from convo_notes.notefiles import scan
print(json.dumps([[d.path, d.code, d.message] for d in scan(sys.argv[1]).skipped]))
"""


@pytest.mark.skipif(os.geteuid() == 0 and not os.path.exists("/usr/bin/setpriv"), reason="needs setpriv as root")
def test_a_folder_that_can_be_listed_but_not_searched(make_notebook, tmp_path):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    locked = root / "notes" / "locked"
    (locked / "sub").mkdir(parents=True)
    (locked / "n.md").write_text("x", encoding="utf-8")
    (locked / "photo.png").write_text("p", encoding="utf-8")  # an attachment: nothing to say
    (locked / os.fsdecode(b"bad-\xff.md")).write_text("x", encoding="utf-8")
    locked.chmod(0o644)  # read (list) but no search (stat, open)
    # root reads anything: the walk runs without the capabilities that let it
    drop = ["/usr/bin/setpriv", "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        done = subprocess.run([*drop, sys.executable, "-c", LOCKED_WALK, str(root)], capture_output=True,
                              text=True, env=env, timeout=60, check=False)
    finally:
        locked.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        ["notes/locked/bad-\ufffd.md", "bad-file-name", "file name is not valid UTF-8; not read"],
        ["notes/locked/n.md", "unreadable", "cannot read: Permission denied"],
        ["notes/locked/sub", "unreadable", "cannot list this folder: Permission denied"],
    ]
