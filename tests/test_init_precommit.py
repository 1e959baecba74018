"""The pre-commit hook, run by the real `pre-commit` on a temporary notebook repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from test_init import git, make_git_env

pytest.importorskip("pre_commit")


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    return make_git_env(tmp_path)


def _env(root: Path, git_env: dict[str, str]) -> dict[str, str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, **git_env, "PATH": path, "PRE_COMMIT_HOME": str(root.parent / "pch"), "NO_COLOR": "1"}


def _pre_commit(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=root, capture_output=True, text=True,
                          env=_env(root, env), timeout=600)


def test_repository_offers_the_validate_hook():
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks == [{"id": "convo-validate", "name": "convo validate",
                      "description": "Check every note of a convo-notes notebook, like a compiler (exit 1 on errors).",
                      "entry": "convo validate", "language": "python", "pass_filenames": False,
                      "always_run": True}]


def test_pre_commit_config_written_by_init_runs_validate(cli, tmp_path, git_env):
    target = tmp_path / "nb"
    assert cli("--today", "2026-11-22", "init", str(target), env=git_env).code == 0
    passed = _pre_commit(target, "run", "--all-files", env=git_env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "convo validate" in passed.stdout and "Passed" in passed.stdout

    bad = target / "notes/conversations/2026/2026-11-23-bad.md"
    bad.write_text("---\ndate: 2026-11-31\nwith: zoe-muller\n---\n", encoding="utf-8")
    git(target, "add", str(bad), env=git_env)
    failed = _pre_commit(target, "run", env=git_env)
    assert failed.returncode == 1
    assert ("notes/conversations/2026/2026-11-23-bad.md:2:7: error[bad-date]: "
            "`date: 2026-11-31` is not a real date") in failed.stdout

    # and as a git hook: the commit is refused
    assert _pre_commit(target, "install", env=git_env).returncode == 0
    commit = subprocess.run(["git", "commit", "-m", "bad note"], cwd=target, capture_output=True, text=True,
                            env=_env(target, git_env))
    assert commit.returncode != 0
    assert git(target, "log", "--format=%s", env=git_env) == "Start a convo-notes notebook\n"


def test_pre_commit_try_repo_installs_the_hook_from_the_repository(cli, tmp_path, git_env):
    """The `.pre-commit-hooks.yaml` as pre-commit uses it: it pip-installs this project (about 15 s)."""
    hook_repo = tmp_path / "convo-notes"
    hook_repo.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(REPO / name, hook_repo / name)
    shutil.copytree(REPO / "src", hook_repo / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    git(hook_repo, "init", "-q", env=git_env)
    git(hook_repo, "add", "-A", env=git_env)
    git(hook_repo, "commit", "-qm", "hook", env=git_env)
    target = tmp_path / "nb"
    assert cli("--today", "2026-11-22", "init", str(target), env=git_env).code == 0
    tried = _pre_commit(target, "try-repo", str(hook_repo), "convo-validate", "--all-files", env=git_env)
    output = tried.stdout + tried.stderr
    if tried.returncode != 0 and ("Could not find a version" in output or "NewConnectionError" in output
                                  or "Network is unreachable" in output):
        pytest.skip("pre-commit could not download the hook's dependencies (no package index reachable)")
    assert tried.returncode == 0, output
    assert "convo validate" in tried.stdout and "Passed" in tried.stdout
