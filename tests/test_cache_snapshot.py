"""Snapshots of the warm daily commands: used only when valid, and equal to a full load.

Each test backdates the notebook's files (a note modified within the last two
seconds is never trusted by size and mtime alone, so no snapshot would be
written) and then checks whether the next command read the snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convo_notes import agenda
from convo_notes.agenda import DueItem, agenda_entries, all_items, find_due
from convo_notes.brief import build_brief
from convo_notes.cache import records, views
from convo_notes.loader import load_notebook
from convo_notes.render.json import brief_json
from convo_notes.render.text import render_brief
from test_agenda_cli import NOTES, TODAY

DAY = dt.date.fromisoformat(TODAY)
HOUR_AGO = time.time() - 3600


def backdate(root: Path, when: float = HOUR_AGO) -> None:
    """Give every file of the notebook an old modification time, then wait out the ctime's
    racy window (setting the mtime moved the ctime to now: see records.racy)."""
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (when, when))
    settle()


def touch_old(path: Path, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    os.utime(path, (when, when))


def due_of(view: views.AgendaView, today: dt.date, **options) -> list[DueItem]:
    return find_due(view.notebook, today, entries=view.entries, **options)


@pytest.fixture
def nb_root(make_notebook) -> Path:
    root = make_notebook(NOTES)
    backdate(root)
    return root


# --- the agenda snapshot ----------------------------------------------------------------------

def test_agenda_snapshot_is_written_then_used_and_equals_a_full_load(nb_root):
    first = views.agenda_view(nb_root)
    second = views.agenda_view(nb_root)
    assert (first.from_snapshot, second.from_snapshot) == (False, True)
    assert second.notebook.conversations == []  # names and diagnostics only
    full = load_notebook(nb_root)  # checked across notes, as the snapshot is
    assert second.entries == agenda_entries(full)
    assert second.notebook.people == full.people and second.notebook.orgs == full.orgs
    assert second.notebook.diagnostics == full.errors and second.notebook.files == full.files
    # today-dependent items are computed at query time: the same snapshot serves any day
    for today in (DAY - dt.timedelta(days=40), DAY, DAY + dt.timedelta(days=90)):
        for options in ({}, {"include_all": True}, {"owner": "me"}, {"owner": "ana", "within": 30}):
            assert due_of(second, today, **options) == find_due(full, today, **options)
        assert agenda.items_as_of(second.entries, today) == all_items(full, today)


def test_views_keep_the_errors_and_validate_still_reports_the_warnings(cli, make_notebook):
    """A snapshot keeps the notebook's errors, not its warnings (every warm command reports only
    errors); a warm command prints the same errors, and `validate` the warnings too."""
    root = make_notebook({**NOTES, "notes/conversations/2026/2026-11-10-lint.md":
                          "---\ndate: 2026-11-10\nwith: nobody-known\ntitle: A\n---\n",
                          "notes/orgs/acme-two.md": "---\nname: Acme Two\n---\n"})
    backdate(root)
    full = load_notebook(root)
    assert full.errors and len(full.diagnostics) > len(full.errors)  # the lint warns (org without `what`)
    for make in (views.agenda_view, views.threads_view, views.referrals_view):
        make(root)
        warm = make(root)
        assert warm.from_snapshot and warm.notebook.diagnostics == full.errors, make.__name__
    views.brief_view(root, "ana")
    brief = views.brief_view(root, "ana")
    assert brief.from_snapshot and brief.notebook.diagnostics == full.errors
    cold = cli("-C", str(root), "--today", TODAY, "due")
    assert cold.code == 1 and "nobody-known" in cold.err
    checked = cli("-C", str(root), "validate", "--lint")
    assert "warning[" in checked.out and "nobody-known" in checked.out


def test_agenda_entries_leave_today_to_query_time(nb_root):
    (nb_root / "notes/people/fay.md").write_text("---\nname: Fay Ng\ncadence: 1m\n---\n")
    entries = agenda_entries(load_notebook(nb_root, check=False))
    never = [e for e in entries if e.kind == "keep-in-touch" and e.date is None]
    assert [e.to for e in never] == ["fay"]  # never contacted: due "today", whatever day that is
    assert [e.date for e in agenda.items_as_of(never, DAY)] == [DAY]
    waiting = [e for e in entries if e.kind == "waiting"]
    assert waiting and all(e.date is not None for e in waiting)
    shown = {e.source for e in agenda.items_as_of(waiting, DAY)}
    assert shown == {e.source for e in waiting if e.date < DAY}  # only once `by` has passed


def test_due_from_the_snapshot_prints_exactly_the_golden_output(cli, nb_root, golden):
    def run(*args: str):
        return cli("-C", str(nb_root), "--today", TODAY, *args)

    for name, args in (("due.txt", ()), ("due.json", ("--json",)), ("due_all.txt", ("--all",))):
        first, second = run("due", *args), run("due", *args)
        assert first == second
        golden(name, second.out)
    assert views.agenda_view(nb_root).from_snapshot


def settle() -> None:
    """Wait out the ctime's racy window after a change (see records.racy)."""
    time.sleep(records.RACY_CTIME_NS / 1e9 + 0.05)


def _edit(root: Path) -> None:  # same size, new content: only the mtime tells
    path = root / "notes/conversations/2026/2026-02-01-kickoff.md"
    text = path.read_text()
    assert "Send the widget specs" in text
    path.write_text(text.replace("Send the widget specs", "Send the widget sheet"))
    touch_old(path, 600)
    settle()


def _add(root: Path) -> None:
    path = root / "notes/conversations/2026/2026-03-09-new.md"
    path.write_text("---\ndate: 2026-03-09\nwith: eli\ncommitments:\n  - what: Call Eli back\n---\n")
    touch_old(path, 600)
    settle()


def _delete(root: Path) -> None:
    (root / "notes/conversations/2026/2026-02-01-kickoff.md").unlink()


def _rename(root: Path) -> None:
    folder = root / "notes/conversations/2026"
    (folder / "2026-02-01-kickoff.md").rename(folder / "2026-02-01-kick-off.md")
    settle()


def _config(root: Path) -> None:
    path = root / "convo.yml"
    path.write_text("me: cy\n")
    touch_old(path, 600)
    settle()


@pytest.mark.parametrize("change", [_edit, _add, _delete, _rename, _config])
def test_agenda_snapshot_is_invalidated_by_every_change(nb_root, change):
    views.agenda_view(nb_root)
    assert views.agenda_view(nb_root).from_snapshot
    change(nb_root)
    after = views.agenda_view(nb_root)
    # an edit of one conversation patches the snapshot (tests/test_cache_patch.py); the rest load again
    assert (after.from_snapshot, after.patched) == ((True, True) if change is _edit else (False, False))
    full = load_notebook(nb_root, check=False)
    assert sorted(after.entries, key=repr) == sorted(agenda_entries(full), key=repr)
    assert due_of(after, DAY, include_all=True) == find_due(full, DAY, include_all=True)
    again = views.agenda_view(nb_root)  # and the new snapshot is used
    assert (again.from_snapshot, again.patched, again.entries) == (True, False, after.entries)


def test_edit_is_seen_even_with_the_same_size(nb_root):
    views.agenda_view(nb_root)
    _edit(nb_root)
    assert "Send the widget sheet" in {i.what for i in due_of(views.agenda_view(nb_root), DAY, include_all=True)}


def test_the_reader_is_not_part_of_the_key_but_the_notebooks_me_is(nb_root):
    views.agenda_view(nb_root, env={})
    assert views.agenda_view(nb_root, env={}).from_snapshot
    as_cy = views.agenda_view(nb_root, env={"CONVO_ME": "cy"})
    assert as_cy.from_snapshot and as_cy.notebook.viewer == "cy"  # the reader changes no fact
    assert as_cy.entries == agenda_entries(load_notebook(nb_root, env={"CONVO_ME": "cy"}, check=False))
    (nb_root / "convo.yml").write_text("me: cy\n")
    os.utime(nb_root / "convo.yml", ns=(1_600_000_000_000_000_000,) * 2)
    as_owner = views.agenda_view(nb_root, env={})
    assert not as_owner.from_snapshot  # the notebook's `me` is a fact: recomputed
    assert as_owner.entries == agenda_entries(load_notebook(nb_root, env={}, check=False))


def test_a_note_modified_just_now_is_not_snapshotted(nb_root):
    path = nb_root / "notes/people/eli.md"
    path.write_text(path.read_text() + "More.\n")  # modified now: its mtime may not move on the next write
    views.agenda_view(nb_root)
    assert not views.agenda_view(nb_root).from_snapshot


def test_code_changes_invalidate(nb_root, monkeypatch):
    views.agenda_view(nb_root)
    real = records.code_stamp
    monkeypatch.setattr(views, "code_stamp", lambda extra=(): (*real(extra), "changed"))
    assert not views.agenda_view(nb_root).from_snapshot


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "no-trailer", "flipped", "flipped-blob"])
def test_a_damaged_snapshot_is_ignored_and_rebuilt(nb_root, damage):
    for kind, view in (("agenda", lambda: views.agenda_view(nb_root)),
                       ("brief", lambda: views.brief_view(nb_root, "ana"))):
        if damage == "flipped-blob" and kind == "agenda":
            continue  # only the brief snapshot has blobs
        view()
        target = views.snapshot_file(nb_root, kind)
        data = target.read_bytes()
        if damage.startswith("flipped"):  # damage that still unpickles: caught by the CRC-32s
            old = b"Kickoff" if damage == "flipped-blob" else b"Ana Lima"
            assert data.count(old) >= 1
            damaged = data.replace(old, old[:-1] + b"x")
        else:
            damaged = {"garbage": b"\x80\x05garbage" + data[:100], "truncated": data[: len(data) // 2],
                       "empty": b"", "no-trailer": data[:-8]}[damage]
        target.write_bytes(damaged)
        assert not view().from_snapshot
        assert view().from_snapshot  # rewritten whole


def test_no_cache_directory_means_no_snapshot(nb_root, monkeypatch):
    monkeypatch.setenv("CONVO_CACHE_DIR", "off")
    assert views.snapshot_file(nb_root, "agenda") is None
    view = views.agenda_view(nb_root)
    assert not view.from_snapshot and not views.agenda_view(nb_root).from_snapshot
    assert view.entries == agenda_entries(load_notebook(nb_root, check=False))


def test_due_items_survive_pickling_field_for_field(nb_root):
    entries = agenda_entries(load_notebook(nb_root, check=False))
    assert entries and pickle.loads(pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)) == entries


# --- the brief snapshot -----------------------------------------------------------------------

def _brief_outputs(nb, slug: str, today: dt.date) -> tuple[str, str]:
    b = build_brief(nb, slug, today)
    return (render_brief(nb, b, today),
            json.dumps(brief_json(nb, b, today), default=str, sort_keys=True))


def test_brief_from_the_partial_notebook_equals_the_full_one_on_the_sample(notebook, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    backdate(notebook)
    full = load_notebook(notebook, check=False)
    assert not views.brief_view(notebook, "dana-reyes").from_snapshot
    subjects = [*full.people, *full.orgs, "me"]
    for slug in subjects:
        view = views.brief_view(notebook, slug)
        assert view.from_snapshot, slug
        assert len(view.notebook.conversations) <= len(full.conversations)
        for today in (dt.date(2026, 11, 22), dt.date(2027, 3, 1)):
            assert _brief_outputs(view.notebook, slug, today) == _brief_outputs(full, slug, today), slug
    # and the snapshot really is partial for someone with a few conversations
    assert len(views.brief_view(notebook, "ken-ito").notebook.conversations) < len(full.conversations) // 2


def test_brief_command_from_the_snapshot_prints_exactly_the_golden_output(cli, nb_root, golden):
    def run(*args: str):
        return cli("-C", str(nb_root), "--today", TODAY, *args)

    for name, args in (("brief_person.txt", ("ana",)), ("brief_person.json", ("ana", "--json")),
                       ("brief_org.txt", ("globex",)), ("brief_org.json", ("globex", "--json")),
                       ("brief_private.txt", ("dee",))):
        first, second = run("brief", *args), run("brief", *args)
        assert first == second
        golden(name, second.out)
    assert views.brief_view(nb_root, "ana").from_snapshot
    unknown = run("brief", "anna")
    assert (unknown.code, unknown.err) == (2, "convo: no person or org `anna` in this notebook (did you mean `ana`?)\n")


@pytest.mark.parametrize("change", [_edit, _add, _delete, _rename, _config])
def test_brief_snapshot_is_invalidated_by_every_change(nb_root, change, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    views.brief_view(nb_root, "ana")
    assert views.brief_view(nb_root, "ana").from_snapshot
    change(nb_root)
    view = views.brief_view(nb_root, "ana")
    assert not view.from_snapshot or (view.patched and change is _edit)  # read again, or patched
    full = load_notebook(nb_root, check=False)
    for slug in ("ana", "globex", "eli", "me"):
        again = views.brief_view(nb_root, slug)
        assert again.from_snapshot
        assert _brief_outputs(again.notebook, slug, DAY) == _brief_outputs(full, slug, DAY)


def test_brief_the_reader_keeps_the_key(nb_root):
    views.brief_view(nb_root, "me", env={})
    assert views.brief_view(nb_root, "me", env={}).from_snapshot
    as_cy = views.brief_view(nb_root, "cy", env={"CONVO_ME": "cy"})
    assert as_cy.from_snapshot and build_brief(as_cy.notebook, "cy", DAY).subject.slug == "cy"


# --- commands running at once -----------------------------------------------------------------

def test_concurrent_commands_never_tear_a_snapshot(tmp_path, notebook, monkeypatch):
    backdate(notebook)
    monkeypatch.setenv("CONVO_CACHE_DIR", str(tmp_path / "cache"))
    command = [sys.executable, "-m", "convo_notes", "-C", str(notebook), "--today", "2026-11-22"]
    jobs = [subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for args in (["due", "--all"], ["brief", "dana-reyes"]) * 3]
    outputs = [job.communicate(timeout=120) for job in jobs]
    assert [job.returncode for job in jobs] == [0] * 6
    assert len({out for out, _ in outputs[0::2]}) == 1 and len({out for out, _ in outputs[1::2]}) == 1
    assert not list((tmp_path / "cache").glob(".cache-*"))  # no temporary file left behind
    assert views.agenda_view(notebook).from_snapshot
    assert views.brief_view(notebook, "dana-reyes").from_snapshot


def test_snapshot_files_live_in_the_cache_directory_not_the_notebook(nb_root, tmp_path):
    views.agenda_view(nb_root)
    views.brief_view(nb_root, "ana")
    where = Path(os.environ["CONVO_CACHE_DIR"])
    assert sorted(p.name.rsplit("-", 1)[-1] for p in where.glob("*.snapshot")) == ["agenda.snapshot",
                                                                                    "brief.snapshot"]
    assert not [p for p in nb_root.rglob("*") if p.suffix in (".snapshot", ".pickle")]
    shutil.rmtree(where)
    assert not views.agenda_view(nb_root).from_snapshot  # a deleted cache is just rebuilt


def test_a_recent_rewrite_keeping_size_and_mtime_is_still_seen(nb_root):
    """The racy case: same size, same mtime (ns), same inode. Only a note modified this
    close to the read can be rewritten so; it is never trusted by its key alone."""
    path = nb_root / "notes/people/eli.md"
    path.write_text("---\nname: Eli Moss\ncadence: 3m\n---\n")
    before = os.stat(path)
    assert "every 3m" in str(views.agenda_view(nb_root).entries)
    path.write_text("---\nname: Eli Moss\ncadence: 2m\n---\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    entries = views.agenda_view(nb_root).entries
    assert "every 2m" in str(entries) and "every 3m" not in str(entries)
    assert entries == agenda_entries(load_notebook(nb_root, use_cache=False, check=False))
