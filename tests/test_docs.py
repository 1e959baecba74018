"""The docs match the code: generated pages are fresh, every command and code is documented."""

from __future__ import annotations

import re

import click

from conftest import REPO
from convo_notes import docgen
from convo_notes.cli import all_commands
from convo_notes.diagnostics import CODES


def test_generated_pages_are_up_to_date():
    for name, make in docgen.PAGES.items():
        page = REPO / "docs" / name
        assert page.read_text(encoding="utf-8") == make(), f"run: python -m convo_notes.docgen docs ({name})"


def test_every_error_code_is_documented_with_example_and_fix():
    text = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    for code, info in CODES.items():
        assert f"## {code}\n" in text
        assert info.example and info.fix


def _command_names() -> list[str]:
    names = []
    for name, command in all_commands().items():
        if isinstance(command, click.Group):
            names += [f"{name} {sub}" for sub in command.commands]
        else:
            names.append(name)
    return names


def test_every_command_is_in_the_readme_and_the_docs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    docs = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "docs").glob("*.md"))
    for name in _command_names():
        top = name.split()[0]
        assert f"`convo {top}" in readme, f"`convo {name}` is missing from the README's command table"
        assert f"convo {name}" in docs, f"`convo {name}` is not documented in docs/"


def test_quick_start_has_exactly_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", quick, re.S)
    assert blocks == ["pip install -e . && convo due", "pip install -e '.[test]' && pytest"]
