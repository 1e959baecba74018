"""Git history: each note's last change from one `git log`, on a real repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from convo_notes import gitinfo
from convo_notes.gitinfo import Change, last_changes, last_edit_of, parse_log
from convo_notes.loader import load_notebook


def commit(repo: Path, files: dict[str, str], author: str, email: str, when: str, message: str = "edit") -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": when,
           "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": when,
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", message], cwd=repo, check=True, env=env)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose notebook is the folder `team-notes/` inside it."""
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    nb = "team-notes/"
    commit(root, {
        nb + "convo.yml": "me: sam\n",
        nb + "notes/people/sam.md": "---\nname: Sam Okafor\nteam: true\n---\n",
        nb + "notes/people/priya.md": "---\nname: Priya Natarajan\nteam: true\naliases: [P. Natarajan]\n---\n",
        nb + "notes/people/dana.md": "---\nname: Dana Reyes\n---\n",
        nb + "notes/people/zoë.md": "---\nname: Zoë\n---\n",
        "README.md": "outside the notebook\n",
    }, "Sam Okafor", "sam@example.org", "2026-11-01T09:00:00+01:00", "start")
    commit(root, {nb + "notes/2026-11-02-call.md": "---\ndate: 2026-11-02\nwith: dana\n---\n"},
           "P. Natarajan", "priya@example.org", "2026-11-02T10:00:00+00:00")
    commit(root, {nb + "notes/people/dana.md": "---\nname: Dana Reyes\nrole: Buyer\n---\n"},
           "Outside Contractor", "c@example.org", "2026-11-03T08:00:00-05:00")
    return root / "team-notes"


def test_last_change_of_every_file_relative_to_the_notebook(repo):
    changes = last_changes(repo)
    assert changes == {
        "convo.yml": Change("2026-11-01T09:00:00+01:00", "Sam Okafor"),
        "notes/people/sam.md": Change("2026-11-01T09:00:00+01:00", "Sam Okafor"),
        "notes/people/priya.md": Change("2026-11-01T09:00:00+01:00", "Sam Okafor"),
        "notes/people/dana.md": Change("2026-11-03T08:00:00-05:00", "Outside Contractor"),
        "notes/people/zoë.md": Change("2026-11-01T09:00:00+01:00", "Sam Okafor"),
        "notes/2026-11-02-call.md": Change("2026-11-02T10:00:00+00:00", "P. Natarajan"),
    }
    date, author = changes["convo.yml"]  # a plain (date, author) pair
    assert (date, author) == ("2026-11-01T09:00:00+01:00", "Sam Okafor")


def test_one_git_run_for_the_whole_notebook(repo, monkeypatch):
    calls = []
    real = subprocess.run

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(gitinfo.subprocess, "run", counting)
    assert len(last_changes(repo)) == 6
    assert len(calls) == 1


def test_not_a_repository_has_no_history(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert last_changes(tmp_path) == {}
    assert last_changes(tmp_path / "missing") == {}


def test_no_git_installed_has_no_history(repo, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert last_changes(repo) == {}


def test_who_last_edited_a_persons_notes(repo):
    nb = load_notebook(repo)
    changes = last_changes(repo)
    # Dana's own file changed last, by someone who is not on the team
    assert last_edit_of(nb, changes, "dana") == gitinfo.Edit(
        "notes/people/dana.md", "2026-11-03T08:00:00-05:00", "Outside Contractor", None)
    # Priya's file is Sam's; the git author matches the team person by name
    assert last_edit_of(nb, changes, "priya") == gitinfo.Edit(
        "notes/people/priya.md", "2026-11-01T09:00:00+01:00", "Sam Okafor", "sam")
    assert gitinfo.team_member(nb, "p. natarajan") == "priya"
    assert last_edit_of(nb, {}, "dana") is None


def test_offsets_are_compared_as_moments(repo):
    nb = load_notebook(repo)
    changes = {"notes/people/dana.md": Change("2026-11-03T08:00:00+09:00", "A"),  # 2026-11-02T23:00Z
               "notes/2026-11-02-call.md": Change("2026-11-03T00:30:00+00:00", "B")}
    assert last_edit_of(nb, changes, "dana").author == "B"


def test_parse_log_keeps_the_newest_commit_per_file():
    output = ("\x1e2026-11-02T10:00:00+00:00\x1fB\x00\nnotes/a.md\x00"
              "\x1e2026-11-01T10:00:00+00:00\x1fA\x00\nnotes/a.md\x00notes/b.md\x00")
    assert parse_log(output) == {"notes/a.md": Change("2026-11-02T10:00:00+00:00", "B"),
                                 "notes/b.md": Change("2026-11-01T10:00:00+00:00", "A")}
