"""`convo init`: a new notebook outside this repository, a real git repository that validates."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest


def make_git_env(tmp_path: Path) -> dict[str, str]:
    """A git configuration of our own: a known identity, no system or user settings."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Zoë Müller\n\temail = zoe@example.org\n[init]\n\tdefaultBranch = main\n",
                      encoding="utf-8")
    return {"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    return make_git_env(tmp_path)


def git(root: Path, *args: str, env: dict[str, str]) -> str:
    import os

    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, **env})
    return proc.stdout


def test_init_makes_a_git_repository_that_validates(cli, tmp_path, git_env):
    target = tmp_path / "work" / "notebook"
    result = cli("--today", "2026-11-22", "init", str(target), env=git_env)
    assert result.code == 0, result.err
    assert result.out == (
        f"New notebook in {target} (me: zoe-muller)\n"
        "  created convo.yml\n"
        "  created mkdocs.yml\n"
        "  created .gitignore\n"
        "  created .pre-commit-config.yaml\n"
        "  created notes/people/zoe-muller.md\n"
        "  created notes/people/example-contact.md\n"
        "  created notes/orgs/.gitkeep\n"
        "  created notes/conversations/2026/2026-11-22-welcome.md\n"
        "git: repository initialized, first commit made\n"
        f"Next: cd {target} && convo validate && convo due && convo site build\n"
    )
    assert (target / "notes/people/zoe-muller.md").read_text(encoding="utf-8") == (
        "---\nname: Zoë Müller\nemail: zoe@example.org\nteam: true\n---\n"
        "This is you: the person the notebook speaks for (`me` in convo.yml).\n"
        "Add `role`, `org`, `phone` or `expertise` when you like.\n"
    )
    assert "me: zoe-muller\n" in (target / "convo.yml").read_text(encoding="utf-8")
    mkdocs = (target / "mkdocs.yml").read_text(encoding="utf-8")
    assert "site_name: Zoë's conversations\n" in mkdocs and "theme:\n  name: material\n" in mkdocs
    assert (target / ".gitignore").read_text(encoding="utf-8").splitlines()[1:3] == ["site/", ".convo/"]

    validated = cli("-C", str(target), "validate")
    assert (validated.code, validated.out) == (0, "3 notes checked: 0 errors, 0 warnings\n")
    assert git(target, "log", "--format=%an|%s", env=git_env) == "Zoë Müller|Start a convo-notes notebook\n"
    assert git(target, "status", "--porcelain", env=git_env) == ""
    due = cli("-C", str(target), "--today", "2026-11-22", "due", "--json")
    items = json.loads(due.out)["items"]
    assert [(i["kind"], i["date"]) for i in items] == [("commitment", "2026-11-29"), ("my-turn", "2026-11-29")]


def test_init_takes_name_and_email_options(cli, tmp_path, git_env):
    target = tmp_path / "nb"
    result = cli("--today", "2026-01-05", "init", str(target), "--name", "Léa Dubois", "--email", "lea@example.fr",
                 "--json", env=git_env)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc == {"root": str(target), "me": "lea-dubois", "written": [
        "convo.yml", "mkdocs.yml", ".gitignore", ".pre-commit-config.yaml", "notes/people/lea-dubois.md",
        "notes/people/example-contact.md", "notes/orgs/.gitkeep", "notes/conversations/2026/2026-01-05-welcome.md"],
        "kept": [], "git_init": True, "committed": True, "message": None}
    assert "email: lea@example.fr\n" in (target / "notes/people/lea-dubois.md").read_text(encoding="utf-8")
    assert cli("-C", str(target), "validate").code == 0


def test_reserved_name_falls_back_to_me_person(cli, tmp_path, git_env):
    target = tmp_path / "nb"
    result = cli("--today", "2026-01-05", "init", str(target), "--name", "Me", env=git_env)
    assert result.code == 0
    assert (target / "notes/people/me-person.md").is_file()
    assert cli("-C", str(target), "validate").code == 0


def test_without_git_identity_there_is_no_commit_but_a_valid_repository(cli, tmp_path):
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("", encoding="utf-8")
    env = {"GIT_CONFIG_GLOBAL": str(empty), "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path),
           "GIT_AUTHOR_NAME": "", "GIT_COMMITTER_NAME": "", "EMAIL": ""}
    target = tmp_path / "nb"
    result = cli("--today", "2026-01-05", "init", str(target), "--name", "Ada Lovelace", env=env)
    assert result.code == 0, result.err
    assert "git: repository initialized; no first commit: git does not know who you are" in result.out
    assert (target / ".git").is_dir()
    assert "email" not in (target / "notes/people/ada-lovelace.md").read_text(encoding="utf-8")
    assert cli("-C", str(target), "validate").code == 0


def test_refuses_a_non_empty_directory_unless_forced(cli, tmp_path, git_env):
    target = tmp_path / "nb"
    target.mkdir()
    (target / "convo.yml").write_text("me: kept-person\n", encoding="utf-8")
    refused = cli("init", str(target), env=git_env)
    assert refused.code == 2
    assert refused.err == (f"convo: {target} is not empty: choose a new directory, or use --force to add the "
                           "missing files and keep the ones there\n")
    assert sorted(p.name for p in target.iterdir()) == ["convo.yml"]

    forced = cli("--today", "2026-01-05", "init", str(target), "--force", "--name", "Kept Person", env=git_env)
    assert forced.code == 0, forced.err
    assert "  kept    convo.yml (already there)\n" in forced.out
    assert (target / "convo.yml").read_text(encoding="utf-8") == "me: kept-person\n"
    assert cli("-C", str(target), "validate").code == 0


def test_init_refuses_a_file(cli, tmp_path):
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    result = cli("init", str(target))
    assert result.code == 2


def test_a_new_notebook_builds_its_site_at_once(cli, tmp_path, git_env):
    target = tmp_path / "nb"
    assert cli("--today", "2026-11-22", "init", str(target), env=git_env).code == 0
    built = cli("-C", str(target), "--today", "2026-11-22", "site", "build", env=git_env)
    assert built.code == 0, built.out + built.err
    assert (target / "site" / "index.html").is_file()
    assert "Write a note about a real conversation" in (target / "site" / "calendar.ics").read_text(encoding="utf-8")
    assert git(target, "status", "--porcelain", env=git_env) == ""  # site/ is ignored
