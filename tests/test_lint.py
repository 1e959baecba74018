"""The code is linted (ruff) and type-checked (mypy): the same checks CI runs, through pytest."""

import subprocess
import sys

from conftest import REPO


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff():
    result = run("ruff", "check", "src", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy():
    result = run("mypy", "src/convo_notes")
    assert result.returncode == 0, result.stdout + result.stderr
