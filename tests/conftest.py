"""Shared test helpers: notebooks written from a dict, CLI runs, golden files.

- ``make_notebook(files, root=None)`` writes ``{relative path: text}`` under a
  temporary directory (``convo.yml`` gets ``me: sam`` unless given) and returns it.
- ``run_cli(*args, env=None)`` runs ``convo`` in-process through the real
  entry point (exit-code mapping included) and returns ``Result(code, out, err)``.
- ``golden(name, text)`` compares with ``tests/golden/<name>``; a missing golden
  file fails the test. ``UPDATE_GOLDEN=1 pytest`` writes them.
"""

from __future__ import annotations

import io
import os
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# In CI every property test draws the same examples run after run (a failure there is reproducible,
# never a coin toss); on a developer's machine hypothesis explores new ones each run.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[1]
# Words that appear only in the sample notebook's private notes.
SAMPLE_PRIVATE_WORDS = ("Tidewater", "Halvorsen", "Lantern", "Meridian", "Vesna", "vesna")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own cache directory and no stray notebook settings."""
    monkeypatch.setenv("CONVO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    for name in ("CONVO_NOTEBOOK", "CONVO_TODAY", "CONVO_ME", "CONVO_CONFIG", "EDITOR", "VISUAL"):
        monkeypatch.delenv(name, raising=False)
    # no user's settings file (reader, personal overlay) leaks into a test
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    monkeypatch.setenv("NO_COLOR", "1")


def write_notebook(root: Path, files: dict[str, str | bytes], me: str | None = "sam") -> Path:
    """Write ``{relative path: text or bytes}`` under ``root`` (text dedented), plus ``convo.yml``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "notes").mkdir(exist_ok=True)
    if "convo.yml" not in files and me:
        (root / "convo.yml").write_text(f"me: {me}\n", encoding="utf-8")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_notebook(tmp_path: Path):
    def make(files: dict[str, str | bytes], root: Path | None = None, me: str | None = "sam") -> Path:
        return write_notebook(root or tmp_path / "nb", files, me)

    return make


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    """The sample notebook, copied outside this repository."""
    import shutil

    root = tmp_path / "nb"
    shutil.copytree(REPO / "notes", root / "notes")
    shutil.copy(REPO / "convo.yml", root / "convo.yml")
    return root


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
    """Run ``convo ARGS`` in-process through ``convo_notes.cli.main``."""
    from convo_notes.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_env = dict(os.environ)
    old_cwd = os.getcwd()
    os.environ.update(env or {})
    if cwd is not None:
        os.chdir(cwd)
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} is missing: run UPDATE_GOLDEN=1 pytest to write it, then review it"
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture
def golden():
    return check_golden
