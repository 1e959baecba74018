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


def git_runs(monkeypatch) -> list[str]:
    """The `git log` and `git rev-parse` runs from now on (the test's own commits are not counted)."""
    calls: list[str] = []
    real = subprocess.run

    def counting(*args, **kwargs):
        calls.extend([a for a in args[0] if a in ("log", "rev-parse")][:1])
        return real(*args, **kwargs)

    monkeypatch.setattr(gitinfo.subprocess, "run", counting)
    return calls


def test_one_git_log_for_the_whole_notebook_and_none_again_until_the_next_commit(repo, monkeypatch):
    calls = git_runs(monkeypatch)
    first = last_changes(repo)
    assert len(first) == 6 and calls == ["rev-parse", "log"]
    calls.clear()
    assert last_changes(repo) == first and calls == ["rev-parse"]  # the same HEAD: the answer kept
    commit(repo.parent, {"team-notes/notes/people/sam.md": "---\nname: Sam Okafor\nteam: true\nrole: Lead\n---\n"},
           "Dana Reyes", "d@example.org", "2026-11-05T12:00:00+00:00")
    calls.clear()
    after = last_changes(repo)
    assert calls == ["rev-parse", "log"]
    assert after == {**first, "notes/people/sam.md": Change("2026-11-05T12:00:00+00:00", "Dana Reyes")}


def test_a_kept_answer_that_cannot_be_read_is_made_again(repo, monkeypatch):
    first = last_changes(repo)
    kept = gitinfo._kept_file(repo)
    assert kept is not None and kept.is_file()
    for damaged in (b"", b"\x00garbage", kept.read_bytes()[:-7]):
        kept.write_bytes(damaged)
        calls = git_runs(monkeypatch)
        assert last_changes(repo) == first and calls == ["rev-parse", "log"]


def test_nothing_is_kept_when_caching_is_off(repo, monkeypatch, tmp_path):
    monkeypatch.setenv("CONVO_CACHE_DIR", "off")
    calls = git_runs(monkeypatch)
    assert len(last_changes(repo)) == 6 and len(last_changes(repo)) == 6
    assert calls == ["rev-parse", "log"] * 2


def test_a_shallow_clone_made_whole_is_read_again(repo, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.parent}", str(clone)], check=True)
    shallow = last_changes(clone / "team-notes")
    # the one commit there is taken for the root: it names every file
    assert set(shallow.values()) == {Change("2026-11-03T08:00:00-05:00", "Outside Contractor")}
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--unshallow"], check=True)
    assert last_changes(clone / "team-notes") == last_changes(repo)


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
