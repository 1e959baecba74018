"""Snapshots of ``convo threads`` and ``convo referrals`` (issue 19): used only when valid, and
giving exactly the answers of a full load (text, JSON, the notebook's errors, exit codes) with
every option and filter, on the sample notebook, a generated one, one with errors, a team's
notebook with each reader's personal overlay, and after every kind of change."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from convo_notes.agenda import threads
from convo_notes.cache import views
from convo_notes.loader import load_notebook
from test_agenda_cli import NOTES
from test_cache_snapshot import _add, _config, _delete, _edit, _rename, backdate, settle, touch_old
from test_team import TODAY as TEAM_TODAY
from test_team import team  # noqa: F401 - the fixture: a shared notebook and two readers with overlays

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402 - the benchmark's own notebook generator

DAYS = ("2026-03-10", "2026-11-22", "2027-03-01")
OFF = {"CONVO_CACHE_DIR": "off"}


def thread_args(root: Path, env: dict[str, str] | None = None) -> list[tuple[str, ...]]:
    """Every option of ``threads``, and each filter with values taken from the notebook (and wrong ones)."""
    nb = load_notebook(root, env=env, overlay=True)
    tags = sorted({t for c in nb.conversations for t in c.tags})[:2]
    orgs = sorted(nb.orgs)[:2]
    people = sorted(nb.people)[:3]
    keys = sorted(t.key for t in threads(nb))[:2]
    return [(), ("--json",), ("--state", "mine"), ("--state", "theirs", "--json"), ("--sort", "recent"),
            ("--state", "settled"), ("--kind", "my-turn"), ("--kind", "waiting", "--json"),
            ("--kind", "my-turn", "--state", "theirs"),
            *(("--tag", t) for t in tags), *(("--org", o, "--json") for o in orgs), *(("--person", p) for p in people),
            *(("--thread", k) for k in keys), ("--tag", "no-such-tag"), ("--org", "no-such-org"),
            ("--person", "nobody-at-all", "--json"), ("--sort", "recent", "--person", people[0], "--json")]


def referral_args(root: Path, env: dict[str, str] | None = None) -> list[tuple[str, ...]]:
    """The overview, every topic written in the notebook (and a typo), by and to people."""
    nb = load_notebook(root, env=env, overlay=True)
    topics = sorted({t for c in nb.conversations for r in c.referrals for t in r.topics})[:12]
    people = sorted({r.by for c in nb.conversations for r in c.referrals if r.by})[:3]
    return [(), ("--json",), *((t,) for t in topics), *((topics[0], "--json"), (topics[0][:-1] + "x",)) * bool(topics),
            ("nothing-like-it",), ("nothing-like-it", "--json"), *(("--by", p) for p in people),
            *(("--to", p, "--json") for p in people), ("--to", "me"), ("--by", "me", "--json"),
            ("--by", "nobody-at-all")]


def commands_of(root: Path, env: dict[str, str] | None = None) -> list[tuple[str, ...]]:
    return [("threads", *a) for a in thread_args(root, env)] + [("referrals", *a) for a in referral_args(root, env)]


def answers(cli, root: Path, env: dict[str, str], commands: list[tuple[str, ...]],
            days: tuple[str, ...] = DAYS) -> list[tuple[tuple[str, ...], str, int, str, str]]:
    out = []
    for today in days:
        for args in commands:
            result = cli("-C", str(root), "--today", today, *args, env=env)
            out.append((args, today, result.code, result.out, result.err))
    return out


def assert_snapshots_answer_as_a_full_load(cli, root: Path, env: dict[str, str] | None = None,
                                           days: tuple[str, ...] = DAYS) -> None:
    env = env or {}
    backdate(root)
    assert not views.threads_view(root, env=env, overlay=True).from_snapshot
    assert not views.referrals_view(root, env=env, overlay=True).from_snapshot
    commands = commands_of(root, env)
    full = answers(cli, root, {**env, **OFF}, commands, days)
    found, referred = views.threads_view(root, env=env, overlay=True), views.referrals_view(root, env=env, overlay=True)
    assert found.from_snapshot and referred.from_snapshot
    assert found.notebook.conversations == []  # names and diagnostics only
    assert all(isinstance(c, views.ThreadMember) for t in found.threads for c in t.conversations[:-1])
    assert all(c.referrals for c in referred.notebook.conversations)
    assert answers(cli, root, env, commands, days) == full
    assert sum(code != 0 for _, _, code, _, _ in full) > 0  # the exit codes compared include failures


def test_threads_and_referrals_from_snapshots_on_the_sample(cli, notebook):
    assert_snapshots_answer_as_a_full_load(cli, notebook)


def test_threads_and_referrals_from_snapshots_on_a_generated_notebook(cli, tmp_path):
    root = tmp_path / "gen"
    generate.generate(str(root), 400, 3)
    assert_snapshots_answer_as_a_full_load(cli, root, days=("2026-11-22",))


def test_snapshots_carry_the_notebook_s_errors(cli, notebook):
    (notebook / "notes/conversations/broken.md").write_text(
        "---\ndate: 2026-11-02\nwith: [nobody-here]\nnext: {turn: me}\n"
        "referrals:\n  - recommends: Someone New\n    for: [gardening]\n    by: ghost\n---\n")
    (notebook / "notes/conversations/bad-yaml.md").write_text("---\ndate: 2026-11-03\nwith: [a\n---\n")
    assert_snapshots_answer_as_a_full_load(cli, notebook)
    for command in ("threads", "referrals"):
        result = cli("-C", str(notebook), command)
        assert result.code == 1 and "unknown-person" in result.err and "in the notebook" in result.err


def test_a_team_notebook_with_each_reader_s_overlay(cli, team):  # noqa: F811 - the fixture
    root = team["root"]
    for path in [*root.rglob("*.md"), *root.parent.glob("*-personal/notes/**/*.md")]:
        os.utime(path, ns=(1_600_000_000_000_000_000,) * 2)
    for reader in ("alex", "jordan"):
        assert_snapshots_answer_as_a_full_load(cli, root, team["envs"][reader], days=(TEAM_TODAY,))
    out = cli("-C", str(root), "--today", TEAM_TODAY, "threads", env=team["envs"]["jordan"]).out
    assert "Quasimodo" in out and "Halloway" not in out  # each reader's own personal notes only


def test_editing_a_personal_note_is_seen(cli, team):  # noqa: F811 - the fixture
    root, env = team["root"], team["envs"]["alex"]
    backdate(root)
    views.threads_view(root, env=env, overlay=True)
    views.referrals_view(root, env=env, overlay=True)
    note = root.parent / "alex-personal/notes/mine/follow-up.md"
    text = note.read_text()
    assert "date: 2026-11-13\n" in text
    note.write_text(text.replace("date: 2026-11-13\n", "date: 2026-11-13\nreferrals:\n"
                                 "  - recommends: ben-ito\n    for: ladders\n"))
    touch_old(note, 600)
    settle()
    assert not views.threads_view(root, env=env, overlay=True).from_snapshot
    assert not views.referrals_view(root, env=env, overlay=True).from_snapshot
    commands = commands_of(root, env)
    assert answers(cli, root, env, commands, (TEAM_TODAY,)) == answers(cli, root, {**env, **OFF}, commands,
                                                                       (TEAM_TODAY,))
    ladders = cli("-C", str(root), "--today", TEAM_TODAY, "referrals", "ladders", env=env)
    assert ladders.code == 0 and "Ben Ito" in ladders.out


def test_the_reader_is_not_part_of_the_key_but_the_notebooks_me_is(cli, team):  # noqa: F811 - the fixture
    root = team["root"]
    backdate(root)
    alex = {"CONVO_ME": "alex-kim", "XDG_CONFIG_HOME": "/nonexistent"}
    jordan = {"CONVO_ME": "jordan-lee", "XDG_CONFIG_HOME": "/nonexistent"}
    assert not views.threads_view(root, env=alex).from_snapshot
    as_jordan = views.threads_view(root, env=jordan)
    assert as_jordan.from_snapshot and as_jordan.notebook.viewer == "jordan-lee"
    for args in [("threads",), ("threads", "--json"), ("threads", "--kind", "my-turn")]:
        assert (cli("-C", str(root), "--today", TEAM_TODAY, *args, env=jordan)
                == cli("-C", str(root), "--today", TEAM_TODAY, *args, env={**jordan, **OFF}))
    (root / "convo.yml").write_text("me: jordan-lee\n")
    touch_old(root / "convo.yml", 600)
    settle()
    assert not views.threads_view(root, env=jordan).from_snapshot  # the notebook's `me` is a fact
    assert not views.referrals_view(root, env=jordan).from_snapshot


@pytest.fixture
def small(make_notebook) -> Path:
    return make_notebook(NOTES)


@pytest.mark.parametrize("change", [_edit, _add, _delete, _rename, _config])
def test_threads_and_referrals_snapshots_follow_every_change(cli, small, change):
    backdate(small)
    views.threads_view(small, overlay=True)
    views.referrals_view(small, overlay=True)
    change(small)
    for make in (views.threads_view, views.referrals_view):  # read again, or patched with the edit
        view = make(small, overlay=True)
        assert not view.from_snapshot or (view.patched and change is _edit), make.__name__
    commands = commands_of(small)
    assert answers(cli, small, {}, commands) == answers(cli, small, OFF, commands)
    assert views.threads_view(small, overlay=True).from_snapshot
    assert views.referrals_view(small, overlay=True).from_snapshot


def test_a_damaged_threads_snapshot_is_a_full_load(cli, small):
    backdate(small)
    views.threads_view(small, overlay=True)
    target = views.snapshot_file(small, "threads")
    assert target is not None
    data = bytearray(target.read_bytes())
    data[-40] ^= 0xFF
    target.write_bytes(bytes(data))
    assert not views.threads_view(small, overlay=True).from_snapshot
    assert views.threads_view(small, overlay=True).from_snapshot


def test_filters_and_marks_that_only_an_earlier_conversation_of_a_thread_carries(cli, make_notebook):
    """A thread's tags, orgs (its own ``org``, else its people's) and privacy come from every
    conversation: the snapshot's earlier members must keep them."""
    root = make_notebook({
        **NOTES,
        "notes/people/fay.md": "---\nname: Fay Rue\norg: initech\n---\n",
        "notes/orgs/initech.md": "---\nname: Initech\n---\n",
        "notes/orgs/umbrella.md": "---\nname: Umbrella\n---\n",
        "notes/conversations/2026/2026-01-05-first.md": (
            "---\ndate: 2026-01-05\nwith: [fay]\nthread: side-deal\norg: umbrella\ntags: [rare-tag]\n"
            "private: true\n---\n"),
        "notes/conversations/2026/2026-01-06-second.md": "---\ndate: 2026-01-06\nwith: [eli]\nthread: side-deal\n---\n",
        "notes/conversations/2026/2026-01-07-third.md": (
            "---\ndate: 2026-01-07\nwith: [eli]\nthread: side-deal\nnext: {turn: me, by: 2026-03-20}\n---\n"),
    })
    commands = [("threads", "--tag", "rare-tag"), ("threads", "--org", "umbrella"), ("threads", "--org", "initech"),
                ("threads", "--thread", "side-deal", "--json"), ("threads", "--person", "fay")]
    backdate(root)
    views.threads_view(root, overlay=True)
    full = answers(cli, root, OFF, commands, ("2026-03-10",))
    assert views.threads_view(root, overlay=True).from_snapshot
    assert answers(cli, root, {}, commands, ("2026-03-10",)) == full
    for _, _, code, out, _ in full:
        assert code == 0 and ("side-deal" in out and "[private]" in out or '"private": true' in out), out


def test_threads_and_diagnostics_survive_pickling_field_for_field(notebook):
    import pickle

    (notebook / "notes/conversations/broken.md").write_text("---\ndate: 2026-11-02\nwith: [nobody-here]\n---\n")
    nb = load_notebook(notebook)
    found = threads(nb)
    assert found and nb.diagnostics
    assert pickle.loads(pickle.dumps(found)) == found
    assert pickle.loads(pickle.dumps(nb.diagnostics)) == nb.diagnostics


def test_a_part_read_early_is_taken_once_and_for_the_same_bytes_only(monkeypatch):
    import marshal
    import pickle

    monkeypatch.setattr(views, "_EARLY", {(pickle.loads, b"same bytes"): "kept"})
    assert views._taken_early(pickle.loads, b"other bytes") is views._NONE
    assert views._taken_early(marshal.loads, b"same bytes") is views._NONE  # read another way
    assert views._taken_early(pickle.loads, b"same bytes") == "kept"
    assert views._taken_early(pickle.loads, b"same bytes") is views._NONE  # once


def test_the_agenda_read_while_the_walk_runs_is_used_only_if_it_is_the_snapshot_read(small, monkeypatch):
    """`_read_early` (a step of the wait for the walk started ahead) reads the agenda snapshot's
    parts; the view takes those very objects when it reads the same snapshot, and reads a part
    again when the snapshot was replaced in between. Nothing read early outlives the view."""
    monkeypatch.setattr(views, "_EARLY", {})
    early = views._read_early(small, "agenda", lambda payload: views._AGENDA_EARLY)
    backdate(small)
    assert not views.agenda_view(small).from_snapshot  # (writes the snapshot)
    early()
    assert len(views._EARLY) == 4  # the payload, the names, the entries, the index
    kept = list(views._EARLY.values())[2]  # the entries
    warm = views.agenda_view(small)
    assert warm.from_snapshot and warm.entries is kept and views._EARLY == {}

    target = views.snapshot_file(small, "agenda")
    before = target.read_bytes()
    _edit(small)  # a commitment's text: the agenda's entries change
    patched = views.agenda_view(small)
    assert patched.from_snapshot and patched.patched
    after = target.read_bytes()
    target.write_bytes(before)
    early()  # read from the snapshot before the edit...
    kept = list(views._EARLY.values())[2]
    target.write_bytes(after)  # ...which is replaced before the command reads it
    now = views.agenda_view(small)
    assert now.from_snapshot and now.entries is not kept and views._EARLY == {}
    from convo_notes.agenda import agenda_entries

    full = agenda_entries(load_notebook(small))
    assert sorted(map(repr, now.entries)) == sorted(map(repr, full)) != sorted(map(repr, kept))
